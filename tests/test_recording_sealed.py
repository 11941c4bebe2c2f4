"""Recordings encrypted at rest (issue 7): the recorder with storage's Sealer, read back by
media.playback. Nothing plain on disk; replay shows the right frames; an altered byte, a
deleted segment, a deleted manifest line, a wrong key or a plain leg where an encrypted one is
expected each give a clear error that says what and where. (The SIGKILL test is
test_recording_recorder.py's, run sealed and plain.)"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from media.playback import RecordingDamaged, RecordingError, SessionPlayback
from media.recording import LegRecorder, read_manifest
from media.recording_format.sealing import open_segment
from storage.sealing import Sealer
from tests.test_recording_recorder import read_index, synthetic_frame

FRAMES = 100  # 3.3 s at 30 fps: four one-second segments
SYNC = 0x47
TS_PACKET = 188


def record(session: Path, sealer: Sealer | None, frames: int = FRAMES) -> None:
    """Frames on a simulated clock (no waiting), with a 440 Hz tone as the applicant's audio."""
    now = [0.0]
    recorder = LegRecorder(
        session,
        1,
        fps=30.0,
        clock=lambda: now[0],
        sealer=sealer,
        max_queued_video=1000,
        max_queued_audio=1000,
    )
    tone = (np.sin(np.arange(1600) * 2 * np.pi * 440 / 48000) * 0.2).astype(np.float32)
    for index in range(frames):
        now[0] = index / 30.0
        recorder.add_video(synthetic_frame(index))
        recorder.add_audio(tone, 48000, source="applicant")
    recorder.close()


def looks_like_mpeg_ts(data: bytes, packets: int = 20) -> bool:
    """0x47 at one offset every 188 bytes for `packets` packets in a row, anywhere in it."""
    array = np.frombuffer(data, np.uint8)
    for offset in range(TS_PACKET):
        hits = (array[offset::TS_PACKET] == SYNC).astype(np.int32)
        if hits.size >= packets and np.convolve(hits, np.ones(packets, np.int32), "valid").max() == packets:
            return True
    return False


@pytest.fixture(scope="module")
def sealer() -> Sealer:
    return Sealer(os.urandom(32))


@pytest.fixture(scope="module")
def sealed_original(tmp_path_factory: pytest.TempPathFactory, sealer: Sealer) -> Path:
    session = tmp_path_factory.mktemp("sealed") / "session-00000007"
    record(session, sealer)
    return session


@pytest.fixture
def sealed(sealed_original: Path, tmp_path: Path) -> Path:
    """A copy each test may damage (same directory name: segments are bound to it)."""
    copy = tmp_path / sealed_original.name
    shutil.copytree(sealed_original, copy)
    return copy


def frames_in_order(playback: SessionPlayback) -> list[tuple[float, int]]:
    shown = []
    frame = playback.first_frame()
    while frame is not None:
        shown.append((frame.t, read_index(frame.image)))
        frame = playback.next_frame()
    return shown


def test_nothing_plain_on_disk_and_replay_shows_the_right_frames(
    sealed: Path, sealer: Sealer, tmp_path: Path
) -> None:
    leg = sealed / "leg-01"
    segments = sorted(leg.glob("seg-*.ts"))
    assert len(segments) == 4
    assert sorted(p.name for p in leg.iterdir()) == ["manifest.jsonl", *[p.name for p in segments]]  # no .tmp
    # The check itself finds a plain recording's segments...
    plain = tmp_path / "plain"
    record(plain, None, frames=35)
    assert all(looks_like_mpeg_ts(p.read_bytes()) for p in (plain / "leg-01").glob("seg-*.ts"))
    # ...and nothing in the sealed ones.
    for path in segments:
        data = path.read_bytes()
        assert data.startswith(b"VAC1")
        assert not looks_like_mpeg_ts(data), path.name
        assert b"libx264" not in data and b"Lavf" not in data  # x264's SEI and the muxer's name
    manifest = (leg / "manifest.jsonl").read_text()
    assert '"sealed"' in manifest
    assert '"start"' not in manifest and '"frames"' not in manifest and "started_at" not in manifest

    with SessionPlayback.open(sealed, sealer=sealer) as playback:
        assert playback.problems == [] and playback.segment_count == 4
        shown = frames_in_order(playback)
        assert [index for _, index in shown] == list(range(FRAMES))
        for t in np.random.default_rng(3).uniform(shown[0][0], shown[-1][0], 12):
            expected = max(index for ft, index in shown if ft <= t + 1e-6)
            frame = playback.frame_at(float(t))
            assert frame is not None and read_index(frame.image) == expected
        assert 0.08 < float(np.abs(playback.audio(1.0, 2.0)).mean()) < 0.2  # the tone, decrypted


def test_one_altered_byte_names_the_segment(sealed: Path, sealer: Sealer) -> None:
    path = sealed / "leg-01" / "seg-000002.ts"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with SessionPlayback.open(sealed, sealer=sealer) as playback:
        assert read_index(playback.frame_at(0.5).image) == 15  # type: ignore[union-attr]
        with pytest.raises(RecordingDamaged, match=r"Segment 000002 of leg 1 has been altered"):
            playback.frame_at(2.5)
        assert read_index(playback.frame_at(3.2).image) == 96  # type: ignore[union-attr]
        # Stepping into it says so too; its audio is silence, not an error.
        playback.frame_at(1.98)
        with pytest.raises(RecordingDamaged, match="000002"):
            playback.next_frame()
        assert float(np.abs(playback.audio(2.2, 2.8)).max()) == 0.0


def test_a_segment_cannot_pass_for_another(sealed: Path, sealer: Sealer) -> None:
    leg = sealed / "leg-01"
    manifest = read_manifest(leg, sealer)
    blob = (leg / "seg-000002.ts").read_bytes()
    assert open_segment(sealer, blob, manifest.binding, 1, 2)[:1] == bytes([SYNC])
    for binding, leg_number, index in (
        (manifest.binding, 1, 1),
        (manifest.binding, 2, 2),
        ("session-00000008", 1, 2),
    ):
        with pytest.raises(RecordingDamaged, match=f"Segment {index:06d} of leg {leg_number}"):
            open_segment(sealer, blob, binding, leg_number, index)
    # A copy of segment 2 put in place of segment 1: the manifest pins each file.
    shutil.copy(leg / "seg-000002.ts", leg / "seg-000001.ts")
    with (
        SessionPlayback.open(sealed, sealer=sealer) as playback,
        pytest.raises(RecordingDamaged, match="Segment 000001 of leg 1 has been altered or replaced"),
    ):
        playback.frame_at(1.5)


def test_a_deleted_middle_segment_is_reported_missing(sealed: Path, sealer: Sealer) -> None:
    (sealed / "leg-01" / "seg-000001.ts").unlink()
    with SessionPlayback.open(sealed, sealer=sealer) as playback:
        assert len(playback.problems) == 1 and "Segment 000001 of leg 1 is missing" in playback.problems[0]
        assert playback.segment_count == 4 and playback.duration > 3.2  # the gap stays on the timeline
        for t in (1.0, 1.5, 1.99):
            with pytest.raises(RecordingDamaged, match="Segment 000001 of leg 1 is missing"):
                playback.frame_at(t)
        playback.frame_at(0.98)
        with pytest.raises(RecordingDamaged, match="000001"):
            playback.next_frame()
        assert read_index(playback.frame_at(2.5).image) == 75  # type: ignore[union-attr]


def test_a_deleted_manifest_line_is_detected(sealed: Path, sealer: Sealer) -> None:
    manifest = sealed / "leg-01" / "manifest.jsonl"
    lines = manifest.read_text().splitlines(keepends=True)
    manifest.write_text("".join(lines[:2] + lines[3:]))  # segment 1's line
    with pytest.raises(RecordingDamaged, match="manifest of leg 1 has been altered"):
        SessionPlayback.open(sealed, sealer=sealer)
    manifest.write_text("".join(lines[1:]))  # the first line
    with pytest.raises(RecordingDamaged, match="manifest of leg 1 has been altered"):
        SessionPlayback.open(sealed, sealer=sealer)
    # Its last lines cut off (the last segment's and "closed"): what a crash between writing
    # a segment and its line leaves. The segment still opens (it is bound to its index), and
    # the leg shows as cut short: not told apart from a crash (see the report).
    manifest.write_text("".join(lines[:-2]))
    with SessionPlayback.open(sealed, sealer=sealer) as playback:
        assert playback.spans[0].crashed and playback.problems == []
        assert read_index(playback.frame_at(3.3).image) == 99  # type: ignore[union-attr]
    manifest.unlink()
    with pytest.raises(RecordingDamaged, match="manifest of leg 1 is missing"):
        SessionPlayback.open(sealed, sealer=sealer)


def test_wrong_key_no_key_and_plain_legs(sealed: Path, sealer: Sealer, tmp_path: Path) -> None:
    with pytest.raises(RecordingDamaged, match="key is not the one it was recorded with"):
        SessionPlayback.open(sealed, sealer=Sealer(os.urandom(32)))
    with pytest.raises(RecordingError, match="encrypted: it opens only with the console's key"):
        SessionPlayback.open(sealed)
    plain = tmp_path / "plain"
    record(plain, None, frames=10)
    with pytest.raises(RecordingError, match="not encrypted, so it is not trusted"):
        SessionPlayback.open(plain, sealer=sealer)
    # Renaming the session's directory (passing one session's recording off as another's).
    moved = tmp_path / "session-00000008"
    sealed.rename(moved)
    with pytest.raises(RecordingDamaged):
        SessionPlayback.open(moved, sealer=sealer)
