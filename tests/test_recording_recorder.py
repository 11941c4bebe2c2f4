"""The leg recorder with real PyAV encoding: crash safety under SIGKILL (a real process, real
frames from the shared Obama video; plain and encrypted at rest), jumping timestamps,
back-pressure, disk full; and reading the segments back with media.playback."""

from __future__ import annotations

import base64
import itertools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from media.playback import SessionPlayback
from media.recording import LegRecorder, RecorderState, read_manifest
from storage.sealing import Sealer
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
BITS = 16
BLOCK = 16


def draw_index(image: np.ndarray, index: int) -> None:
    """The frame's index as 16 black/white blocks along the top edge (readable after x264)."""
    for bit in range(BITS):
        value = 255 if (index >> (BITS - 1 - bit)) & 1 else 0
        image[0:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = value


def read_index(image: np.ndarray) -> int:
    index = 0
    for bit in range(BITS):
        block = image[4 : BLOCK - 4, bit * BLOCK + 4 : (bit + 1) * BLOCK - 4]
        index = (index << 1) | int(block.mean() > 128)
    return index


def synthetic_frame(index: int, width: int = 320, height: int = 240) -> np.ndarray:
    image = np.full((height, width, 3), 90, np.uint8)
    image[:, :, 1] = (index * 7) % 200
    draw_index(image, index)
    return image


CHILD = textwrap.dedent(
    """
    import sys, time
    import av, cv2
    sys.path.insert(0, {root!r})
    from media.recording import LegRecorder
    from tests.test_recording_recorder import draw_index
    import numpy as np

    key = {key!r}
    if key:
        import base64
        from storage.sealing import Sealer
        sealer = Sealer(base64.b64decode(key))
    else:
        sealer = None
    recorder = LegRecorder({directory!r}, 1, fps=30.0, sealer=sealer)
    print("READY", repr(recorder.started_at), flush=True)
    source = av.open({video!r})
    start = time.monotonic()
    index = 0
    while True:
        for frame in source.decode(video=0):
            image = cv2.resize(frame.to_ndarray(format="bgr24"), (640, 360))
            draw_index(image, index)
            # The sender's clock jumps back once, as after a network hiccup.
            sender_t = index / 30.0 - (5.0 if index > 60 else 0.0)
            at = recorder.elapsed()  # the recorder stamps the frame on arrival: now
            recorder.add_video(image, sender_t)
            tone = (np.sin(np.arange(1600) * 2 * np.pi * 440 / 48000) * 6000).astype(np.int16)
            recorder.add_audio(tone, 48000, sender_t, source="applicant")
            recorder.add_audio(np.zeros(1600, np.int16), 48000, sender_t, source="reviewer")
            print("F", index, repr(at), flush=True)
            index += 1
            delay = start + index / 30.0 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        source.seek(0)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("sealed", [False, True], ids=["plain", "sealed"])
def test_sigkill_mid_recording_keeps_all_but_the_last_seconds(
    tmp_path: Path, shared_data: Path, sealed: bool
) -> None:
    """Encrypted, the open segment is in memory until complete: the loss is at most about one
    segment more, and no partial or plain file is left behind."""
    video = shared_data / "videos" / "obama_weekly_address.mp4"
    session_dir = tmp_path / "session"
    script = tmp_path / "child.py"
    key = os.urandom(32) if sealed else b""
    sealer = Sealer(key) if sealed else None
    script.write_text(
        CHILD.format(
            root=str(ROOT), directory=str(session_dir), video=str(video), key=base64.b64encode(key).decode()
        )
    )
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
    assert child.stdout is not None
    added: dict[int, float] = {}
    started_at = None
    try:
        for line in child.stdout:
            parts = line.split()
            if parts[0] == "READY":
                started_at = float(parts[1])
            elif parts[0] == "F":
                added[int(parts[1])] = float(parts[2])
                if float(parts[2]) >= 5.0:
                    break
        assert started_at is not None
        os.kill(child.pid, signal.SIGKILL)
        killed_at = time.time() - started_at  # on the leg clock
    finally:
        child.kill()
        child.wait(10)
    assert child.returncode == -signal.SIGKILL

    manifest = read_manifest(session_dir / "leg-01", sealer)
    assert not manifest.closed
    if sealed:
        segments = list((session_dir / "leg-01").glob("seg-*.ts"))
        assert segments and all(path.read_bytes().startswith(b"VAC1") for path in segments)
        # A segment is renamed into place whole; a kill during its write may leave its .tmp,
        # which holds sealed bytes or none yet, never a plain frame.
        for unfinished in (session_dir / "leg-01").glob("seg-*.tmp"):
            assert b"VAC1".startswith(unfinished.read_bytes()[:4])
    with SessionPlayback.open(session_dir, sealer=sealer) as playback:
        assert playback.spans and playback.spans[0].crashed
        lost = killed_at - playback.duration
        print(
            f"killed at {killed_at:.2f} s, recording replays up to {playback.duration:.2f} s: lost {lost:.2f} s"  # noqa: E501
        )
        assert lost <= 3.0
        # Every frame that replays is the frame that was added at that moment.
        checked = 0
        frame = playback.first_frame()
        while frame is not None:
            index = read_index(frame.image)
            assert index in added, index
            assert abs(added[index] - frame.t) < 0.02, (index, added[index], frame.t)
            checked += 1
            frame = playback.next_frame()
        assert checked >= 0.8 * 30 * (playback.duration - 0.2)
        # Seeking lands on the frame that was on screen then.
        for t in (0.5, 2.2, playback.duration - 0.3):
            shown = playback.frame_at(t)
            assert shown is not None
            index = read_index(shown.image)
            assert added[index] <= t + 1e-3
            assert index + 1 not in added or added[index + 1] > t - 1e-3
        audio = playback.audio(1.0, 2.0)
        assert 0.05 < float(np.abs(audio).mean()) < 0.3  # the 440 Hz tone, ~0.18 amplitude


def _record(directory: Path, frames: int, **kwargs: object) -> LegRecorder:
    """`frames` frames 1/30 s apart on the leg clock, handed over without waiting in real time
    (the recorder's clock is the frames' own, and its queue holds them all: none dropped)."""
    now = [0.0]
    recorder = LegRecorder(
        directory,
        1,
        fps=30.0,
        clock=lambda: now[0],
        max_queued_video=frames + 1,
        **kwargs,  # type: ignore[arg-type]
    )
    for index in range(frames):
        now[0] = index / 30.0
        recorder.add_video(synthetic_frame(index))
    return recorder


def test_timestamps_that_jump_back_are_restamped(tmp_path: Path) -> None:
    recorder = LegRecorder(tmp_path, 1, fps=30.0)
    start = time.monotonic()
    for index in range(45):
        sender_t = [0.0, 100.0, -3.0][index // 15] + index / 30  # jumps forward, then back
        recorder.add_video(synthetic_frame(index), sender_t)
        chunk = (np.ones(1600) * 0.1).astype(np.float32)
        recorder.add_audio(chunk, 48000, sender_t)
        time.sleep(max(0.0, start + (index + 1) / 30.0 - time.monotonic()))
    stats = recorder.close()
    assert recorder.state is RecorderState.CLOSED
    assert stats.video_frames == 45 and stats.video_dropped == 0
    assert stats.timestamp_jumps >= 2
    with SessionPlayback.open(tmp_path) as playback:
        times, indexes = [], []
        frame = playback.first_frame()
        while frame is not None:
            times.append(frame.t)
            indexes.append(read_index(frame.image))
            frame = playback.next_frame()
    assert indexes == list(range(45))
    assert all(b > a for a, b in itertools.pairwise(times))
    assert 1.2 < times[-1] - times[0] < 1.8


def test_a_writer_that_falls_behind_drops_and_counts_never_blocks(tmp_path: Path) -> None:
    recorder = LegRecorder(tmp_path, 1, fps=30.0, max_queued_video=5)
    big = np.random.default_rng(1).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    slowest = 0.0
    accepted = 0
    for _ in range(120):
        begin = time.perf_counter()
        accepted += recorder.add_video(big)
        slowest = max(slowest, time.perf_counter() - begin)
    stats = recorder.close()
    print(
        f"slowest add_video {slowest * 1000:.1f} ms, written {stats.video_frames}, dropped {stats.video_dropped}"  # noqa: E501
    )
    assert slowest < 0.05
    assert stats.video_dropped > 0
    assert stats.video_frames + stats.video_dropped == 120
    assert stats.video_frames == accepted


def test_disk_full_stops_writing_keeps_what_was_written(tmp_path: Path) -> None:
    leg = tmp_path / "leg-01"
    leg.mkdir()
    # The third segment's file is /dev/full: every write to it fails with ENOSPC.
    (leg / "seg-000002.ts").symlink_to("/dev/full")
    recorder = _record(tmp_path, 100, segment_seconds=1.0)
    wait_until(lambda: recorder.state is RecorderState.DISK_FULL, 15, "the write to /dev/full to fail")
    assert "Disk full" in recorder.message
    assert recorder.add_video(synthetic_frame(0)) is False  # no exception for the caller
    stats = recorder.close()
    assert recorder.state is RecorderState.DISK_FULL
    assert stats.video_dropped > 0
    (leg / "seg-000002.ts").unlink()
    with SessionPlayback.open(tmp_path) as playback:
        assert playback.segment_count == 2
        assert 1.5 < playback.duration < 2.6
        frame = playback.frame_at(1.5)
        assert frame is not None and read_index(frame.image) > 30


def test_seek_and_step_across_segments(tmp_path: Path) -> None:
    _record(tmp_path, 100).close()
    with SessionPlayback.open(tmp_path) as playback:
        sequential = []
        frame = playback.first_frame()
        while frame is not None:
            sequential.append((frame.t, read_index(frame.image)))
            frame = playback.next_frame()
        assert [i for _, i in sequential] == list(range(100))
        assert playback.segment_count >= 3
        rng = np.random.default_rng(7)
        for t in rng.uniform(sequential[0][0], sequential[-1][0], 25):
            expected = max(i for ft, i in sequential if ft <= t + 1e-6)
            shown = playback.frame_at(float(t))
            assert shown is not None and read_index(shown.image) == expected
        # Step back and forth across a segment boundary.
        playback.frame_at(sequential[31][0])
        assert read_index(playback.previous_frame().image) == 30  # type: ignore[union-attr]
        assert read_index(playback.next_frame().image) == 31  # type: ignore[union-attr]
        assert playback.frame_at(sequential[-1][0] + 5.0) is None


def test_each_segment_starts_with_a_key_frame_and_a_new_frame_size_loses_nothing(tmp_path: Path) -> None:
    """One encoder serves the leg's segments (opening one per segment held the GIL 3-5 ms each
    second); each segment still decodes alone from its first frame, and a frame size that
    changes mid-leg (a phone turned) starts an encoder of its own without losing a frame."""
    import av

    now = [0.0]
    recorder = LegRecorder(tmp_path, 1, fps=30.0, clock=lambda: now[0], max_queued_video=200)
    for index in range(130):
        now[0] = index / 30.0
        size = (320, 240) if index < 75 else (400, 300)
        recorder.add_video(synthetic_frame(index, *size))
        if index == 40:  # a segment's stream only carries the leg's packets: no encoder of its own
            wait_until(lambda: recorder.stats().video_frames >= 40, 10, "the first 40 frames written")
            assert recorder._video_stream.codec_context.is_open is False
    recorder.close()
    segments = sorted((tmp_path / "leg-01").glob("seg-*.ts"))
    assert len(segments) >= 5
    counted = 0
    for path in segments:
        with av.open(str(path)) as container:
            frames = list(container.decode(video=0))
        assert frames and frames[0].key_frame, path.name
        assert len({(frame.width, frame.height) for frame in frames}) == 1, path.name
        counted += len(frames)
    assert counted == 130
    with SessionPlayback.open(tmp_path) as playback:
        shown = []
        frame = playback.first_frame()
        while frame is not None:
            shown.append((read_index(frame.image), frame.image.shape[:2]))
            frame = playback.next_frame()
    assert [index for index, _ in shown] == list(range(130))
    assert {shape for _, shape in shown[:75]} == {(240, 320)}
    assert {shape for _, shape in shown[75:]} == {(300, 400)}
