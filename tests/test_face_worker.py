"""The live face worker process: newest frame only, scores back, stopping at any time."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.face import FaceScore
from app.settings import load_settings
from media.face.offline import video_frames
from media.face.worker import ROOM_SCAN_NICENESS, SCORER_NICENESS, FaceWorker, FaceWorkerError

# The face worker is a process of its own, on real dlib.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def obama_frames(shared_data: Path) -> list[tuple[int, float, np.ndarray]]:
    _fps, frames = video_frames(shared_data / "videos" / "obama_weekly_address.mp4")
    out = []
    for index, t, frame in frames:
        if t >= 4.0:
            break
        out.append((index, t, frame[::2, ::2].copy()))  # 640x360, as from a call
    return out


@pytest.fixture(scope="module")
def obama_photo(shared_data: Path) -> bytes:
    return (shared_data / "faces" / "face_recognition" / "obama.jpg").read_bytes()


def test_live_frames_are_scored_in_another_process_dropping_what_it_cannot_take(
    obama_frames: list[tuple[int, float, np.ndarray]], obama_photo: bytes
) -> None:
    received: list[FaceScore] = []
    threads: set[str] = set()

    def on_score(score: FaceScore) -> None:
        threads.add(threading.current_thread().name)
        received.append(score)

    worker = FaceWorker(
        threshold=load_settings().face_match_threshold, on_score=on_score, room_scan_interval=0
    )
    try:
        worker.start(reference_image=obama_photo)
        assert worker.running
        started = time.monotonic()
        offer_times = []
        # 8 times the video's pace (240 frames/s): on a quiet machine SFace scores a frame in
        # about 9 ms, so at 30 frames/s it keeps up with every one and nothing shows the dropping.
        for index, t, frame in obama_frames:
            time.sleep(max(0.0, started + t / 8 - time.monotonic()))
            before = time.perf_counter()
            assert worker.offer_frame(frame, t, index)
            offer_times.append(time.perf_counter() - before)
        assert worker.drain(timeout=5.0)
        polled = worker.poll()
    finally:
        worker.stop()
    assert not worker.running
    assert polled == received
    assert threads == {"face-results"}
    frames = [s.frame for s in received]
    assert frames == sorted(frames) and len(set(frames)) == len(frames)
    assert received[-1].frame == obama_frames[-1][0]  # the newest frame is always scored at the end
    assert len(received) < len(obama_frames)  # some frames were dropped, not queued
    # How many depends on the CPU left by other work (speed is the benchmark's business).
    assert len(received) >= 5
    assert all(s.latency_ms is not None and s.latency_ms >= 0 for s in received)
    assert max(offer_times) < 0.1  # offering never waits on face work (~0.3 ms; 5 ms lock timeout)
    assert sum(s.encoded for s in received) >= 2  # the first face at once, then at a bounded rate
    assert any(s.match for s in received)
    assert all(s.faces == 1 for s in received)
    assert all(s.distance is not None and s.distance < 0.45 for s in received if s.encoded)


def test_stop_is_safe_at_any_time(
    obama_frames: list[tuple[int, float, np.ndarray]], obama_photo: bytes
) -> None:
    worker = FaceWorker(threshold=0.45)
    worker.stop()  # before start
    assert not worker.offer_frame(obama_frames[0][2], 0.0)
    worker.start(reference_encoding=[0.0] * 128)
    for index, t, frame in obama_frames[:10]:
        worker.offer_frame(frame, t, index)
    stopper = threading.Thread(target=worker.stop)
    stopper.start()  # from another thread, while a frame is in flight
    stopper.join(10)
    assert not stopper.is_alive()
    worker.stop()  # twice
    assert not worker.running
    assert not worker.offer_frame(obama_frames[0][2], 1.0)
    with pytest.raises(ValueError):
        FaceWorker(threshold=0.45).start()


def test_a_prepared_worker_loads_before_the_call_and_scores_with_the_same_children(
    obama_frames: list[tuple[int, float, np.ndarray]], obama_photo: bytes
) -> None:
    """prepare() starts the children without a reference (the console does it between calls);
    start() then only hands over the photo: the same processes score the call's frames."""
    worker = FaceWorker(threshold=load_settings().face_match_threshold, room_scan_interval=5.0)
    try:
        assert worker.prepare() is worker
        children = worker.process_ids
        assert len(children) == 2 and worker.prepared and not worker.running
        assert not worker.offer_frame(obama_frames[0][2], 0.0)  # no frames before its reference
        worker.prepare()  # twice: nothing more is started
        assert worker.process_ids == children
        worker.start(reference_image=obama_photo)
        assert worker.running and worker.process_ids == children
        for index, t, frame in obama_frames[:40]:
            worker.offer_frame(frame, t, index)
            time.sleep(0.02)
        assert worker.drain(timeout=10.0)
        scores = worker.poll()
        # Both below the console's window and call on the CPU: the scorer, the room scan lower.
        base = os.getpriority(os.PRIO_PROCESS, 0)
        niceness = sorted(os.getpriority(os.PRIO_PROCESS, pid) for pid in children)
        assert niceness == [min(19, base + SCORER_NICENESS), min(19, base + ROOM_SCAN_NICENESS)]
    finally:
        worker.stop()
    assert not worker.prepared and not worker.running
    assert any(score.match for score in scores)


def test_a_prepared_worker_that_is_never_used_stops_cleanly() -> None:
    import os

    worker = FaceWorker(threshold=0.45, room_scan_interval=5.0).prepare()
    children = worker.process_ids
    worker.stop()
    assert not worker.prepared
    assert not any(os.path.exists(f"/proc/{pid}") and alive(pid) for pid in children)
    with pytest.raises(FaceWorkerError, match="not an image"):  # a new start after a stop works
        worker.start(reference_image=b"not a photo")


def never_loading_engine() -> None:
    """An engine whose model takes a minute to load (module-level: pickled by name into the child)."""
    time.sleep(60)


def test_a_prepared_worker_still_loading_is_ended_at_once_not_waited_for() -> None:
    """At the console's exit a worker prepared for a next call may still be loading its model:
    stop() ends it then, instead of waiting out its 3 s for a child that has nothing to finish."""
    import signal

    worker = FaceWorker(threshold=0.45, room_scan_interval=0, engine_factory=never_loading_engine)
    worker.prepare()
    scorer = worker._processes[0]
    began = time.monotonic()
    worker.stop()
    took = time.monotonic() - began
    assert scorer.exitcode == -signal.SIGTERM
    assert took < 2.5, took  # not the 3 s a started worker gets to finish its frame


def test_a_bad_reference_photo_fails_the_start_loudly() -> None:
    worker = FaceWorker(threshold=0.45, room_scan_interval=0)
    with pytest.raises(FaceWorkerError, match="not an image"):
        worker.start(reference_image=b"not a photo")
    assert not worker.running
    worker.stop()


def test_frames_must_be_bgr_uint8() -> None:
    worker = FaceWorker(threshold=0.45, room_scan_interval=0)
    worker.start(reference_encoding=[0.0] * 128)
    try:
        with pytest.raises(ValueError):
            worker.offer_frame(np.zeros((480, 640), dtype=np.uint8), 0.0)
        assert not worker.offer_frame(np.zeros((3000, 4000, 3), dtype=np.uint8), 0.0)  # larger than the slot
        assert worker.offer_frame(np.zeros((480, 640, 3), dtype=np.uint8), 0.0)
        assert worker.drain(5.0)
        (score,) = worker.poll()
        assert score.faces == 0 and score.flags == ("no_face",) and score.distance is None
    finally:
        worker.stop()


def test_the_room_scan_process_flags_people_in_the_background(shared_data: Path) -> None:
    _fps, frames = video_frames(shared_data / "videos" / "short_hamilton_clip.mp4")
    audience = next(frame for index, _t, frame in frames if index == 240)  # several small faces
    worker = FaceWorker(threshold=0.45, room_scan_interval=0.5)
    worker.start(reference_encoding=[0.0] * 128)
    seen: list[FaceScore] = []
    try:
        deadline = time.monotonic() + 20.0
        t = 0.0
        while time.monotonic() < deadline and not any("several_faces" in s.flags for s in seen):
            worker.offer_frame(audience, t, int(t * 30))
            time.sleep(1 / 30)
            t += 1 / 30
            seen += worker.poll()
    finally:
        worker.stop()
    flagged = [s for s in seen if "several_faces" in s.flags]
    assert flagged, f"no several_faces flag in {len(seen)} scores"
    assert all(s.faces >= 2 for s in flagged)


ORPHAN_SCRIPT = """
import sys, time
from media.face.worker import FaceWorker
worker = FaceWorker(threshold=0.45, room_scan_interval=5.0)
if sys.argv[1] == "started":
    worker.start(reference_encoding=[0.0] * 128)
else:
    worker.prepare()
    time.sleep(3)  # loading its models, waiting for a call's reference photo
print(" ".join(str(pid) for pid in worker.process_ids), flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("how", ["started", "prepared"])
def test_the_face_worker_ends_when_the_console_that_started_it_is_killed(tmp_path: Path, how: str) -> None:
    """A console killed mid-call (or between calls, its next worker prepared) sends no stop():
    its scorer and room scanner end on their own (they ran on before, each holding a model in
    memory, until the machine restarted)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parents[1]
    children: list[int] = []
    console = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT, how], cwd=root, stdout=subprocess.PIPE, text=True
    )
    try:
        assert console.stdout is not None
        children += [int(pid) for pid in console.stdout.readline().split()]
        assert len(children) == 2  # the scorer and the room scanner
        assert all(alive(pid) for pid in children)  # both running before their console dies
        os.kill(console.pid, signal.SIGKILL)
        console.wait(10)
        deadline = time.monotonic() + 20
        while any(alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in children), children
    finally:
        console.kill()
        for pid in children:  # whatever the outcome, nothing left running with a model loaded
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.parametrize(
    ("share", "settles"), [(1e-9, "not_judged"), (5.0, "failed")], ids=["any wait", "never the machine"]
)
def test_the_worker_hands_its_waits_for_a_core_to_the_challenges(
    obama_frames: list[tuple[int, float, np.ndarray]], obama_photo: bytes, share: float, settles: str
) -> None:
    """The scorer measures how long each frame's scoring waited for a core and the challenges
    get it: with too few updates (here the console asks for more than any machine gives), a wait
    of any length is blamed on the machine at a share of ~0 ("not judged"), none at a share
    above 1 ("failed"). Without the measure handed over, both would fail."""
    from app.face import ChallengeKind
    from media.face.pipeline import PipelineConfig

    settings = load_settings(
        {
            "face_challenge_seconds": 1.0,
            "face_challenge_min_updates_per_second": 1000.0,
            "face_challenge_not_judged_core_wait_share": share,
        },
        environ={},
    )
    config = PipelineConfig.from_settings(settings)
    settled: list[str] = []

    def on_score(score: FaceScore) -> None:
        if score.challenge is not None and score.challenge.state.value != "asked":
            settled.append(score.challenge.state.value)

    worker = FaceWorker(config, on_score=on_score, room_scan_interval=0)
    try:
        worker.start(reference_image=obama_photo)
        assert worker.ask_challenge(ChallengeKind.TURN_LEFT)
        started = time.monotonic()
        for index, t, frame in obama_frames:  # at the video's pace, as a call gives them
            if settled:
                break
            time.sleep(max(0.0, started + t - time.monotonic()))
            worker.offer_frame(frame, started + t, index)
        assert worker.drain(timeout=5.0)
    finally:
        worker.stop()
    assert settled[:1] == [settles]
