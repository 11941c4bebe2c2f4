"""The face benchmark behind ``main.py bench face``: one 640x480 call, measured in one run.

Two consumers see the same camera (obama_weekly_address.mp4 cropped to 4:3 and scaled to
640x480, delivered at 30 frames/s on a wall clock; a frame not taken in time is replaced by
the next, as from a real camera):

* **worker**: the consumer displays every frame (a BGR->RGB conversion, as for a QImage) and
  offers it to ``FaceWorker``; scores arrive from the worker process.
* **baseline**: the face_recognition examples' loop: detect and encode every frame in the
  consumer's own thread, then display it.

Latency is from the moment a frame was captured (its due time on the camera clock) to its
score being available to the consumer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from media.face.worker import FaceWorker

FPS = 30.0


@dataclass(frozen=True)
class BenchFigures:
    updates_per_s: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    display_fps: float
    encodings_per_s: float | None = None


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))], 1)


def load_call_frames(video: Path, count: int = 150) -> list[npt.NDArray[np.uint8]]:
    """``count`` frames of the video as a 640x480 call (centre crop to 4:3, then scale)."""
    import cv2
    import numpy as np

    capture = cv2.VideoCapture(str(video))
    frames: list[npt.NDArray[np.uint8]] = []
    try:
        while len(frames) < count:
            ok, frame = capture.read()
            if not ok:
                break
            height, width = frame.shape[:2]
            crop_width = min(width, height * 4 // 3)
            x0 = (width - crop_width) // 2
            frame = frame[:, x0 : x0 + crop_width]
            frames.append(
                np.asarray(cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA), dtype=np.uint8)
            )
    finally:
        capture.release()
    if not frames:
        raise ValueError(f"no frames in {video}")
    return frames


def _display(frame: npt.NDArray[np.uint8]) -> None:
    import cv2

    cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)  # what turning a frame into a QImage costs


def bench_worker(
    frames: list[npt.NDArray[np.uint8]],
    reference: list[float],
    threshold: float,
    seconds: float,
    room_scan_interval: float = 5.0,
    engine: str = "sface",
    models_dir: str = "",
) -> BenchFigures:
    from media.face.pipeline import PipelineConfig
    from media.face.worker import FaceWorker

    config = PipelineConfig(threshold=threshold, engine=engine, models_dir=models_dir)
    with FaceWorker(config, room_scan_interval=room_scan_interval, keep_scores=100_000) as worker:
        worker.start(reference_encoding=reference)
        # Warm up (first frames, caches) before measuring.
        _run_camera(frames, 1.0, worker=worker)
        worker.drain(2.0)
        worker.poll()
        captured: dict[int, float] = {}
        started = time.monotonic()
        shown = _run_camera(frames, seconds, worker=worker, captured=captured)
        elapsed = time.monotonic() - started
        worker.drain(2.0)
        scores = worker.poll()
    # Latency from capture: the score's own latency is from offer, and offer happens when
    # the frame is displayed, so add the (small) capture-to-offer delay.
    latencies = [
        (score.latency_ms or 0.0) + captured.get(score.frame, 0.0)
        for score in scores
        if score.frame in captured
    ]
    return BenchFigures(
        updates_per_s=round(len(scores) / elapsed, 1),
        latency_p50_ms=_percentile(latencies, 0.5),
        latency_p95_ms=_percentile(latencies, 0.95),
        display_fps=round(shown / elapsed, 1),
        encodings_per_s=round(sum(1 for s in scores if s.encoded) / elapsed, 1),
    )


def _run_camera(
    frames: list[npt.NDArray[np.uint8]],
    seconds: float,
    *,
    worker: FaceWorker,
    captured: dict[int, float] | None = None,
) -> int:
    """Display the newest camera frame whenever one is due; offer it to the worker."""
    start = time.monotonic()
    shown = 0
    last = -1
    total = round(seconds * FPS)
    while True:
        now = time.monotonic()
        newest = int((now - start) * FPS)
        if newest >= total:
            return shown
        if newest == last:
            time.sleep(max(0.0, start + (newest + 1) / FPS - now))
            continue
        last = newest
        frame = frames[newest % len(frames)]
        _display(frame)
        shown += 1
        offer_at = time.monotonic()
        if captured is not None:
            # Delay between the frame's due time and its offer, in ms.
            captured[newest] = (offer_at - (start + newest / FPS)) * 1000.0
        worker.offer_frame(frame, newest / FPS, newest)


def bench_baseline(
    frames: list[npt.NDArray[np.uint8]], reference: list[float], seconds: float
) -> BenchFigures:
    """face_recognition's example loop: detect + encode every frame in the consumer thread."""
    import numpy as np

    from media.face.engine import model_paths

    model_paths()  # raises FaceModelsMissing; face_recognition itself would quit() with code 0
    import face_recognition

    known = np.asarray(reference, dtype=np.float64)
    latencies: list[float] = []
    updates = 0
    shown = 0
    start = time.monotonic()
    total = round(seconds * FPS)
    last = -1
    while True:
        now = time.monotonic()
        newest = int((now - start) * FPS)
        if newest >= total:
            break
        if newest == last:
            time.sleep(max(0.0, start + (newest + 1) / FPS - now))
            continue
        last = newest
        frame = frames[newest % len(frames)]
        rgb = np.ascontiguousarray(frame[:, :, ::-1])
        locations = face_recognition.face_locations(rgb)
        encodings = face_recognition.face_encodings(rgb, locations)
        if encodings:
            face_recognition.face_distance([known], encodings[0])
        updates += 1
        latencies.append((time.monotonic() - (start + newest / FPS)) * 1000.0)
        _display(frame)
        shown += 1
    elapsed = time.monotonic() - start
    return BenchFigures(
        updates_per_s=round(updates / elapsed, 1),
        latency_p50_ms=_percentile(latencies, 0.5),
        latency_p95_ms=_percentile(latencies, 0.95),
        display_fps=round(shown / elapsed, 1),
    )


def _reference(photo: bytes, engine: str, models_dir: str = "") -> list[float]:
    from media.face.engine import default_engine
    from media.face.reference import check_reference_photo

    report = check_reference_photo(photo, engine=default_engine(engine, models_dir))
    if report.encoding is None:
        raise RuntimeError("the benchmark's reference photo was rejected: " + "; ".join(report.problems))
    return report.encoding


def run_face_bench(
    shared_data_dir: Path,
    threshold: float,
    seconds: float = 12.0,
    room_scan_interval: float = 5.0,
    *,
    engine: str = "sface",
    models_dir: str = "",
) -> dict[str, object]:
    """The worker with ``engine`` (its threshold), then the naive dlib loop, in one run."""
    photo = (shared_data_dir / "faces" / "face_recognition" / "obama.jpg").read_bytes()
    frames = load_call_frames(shared_data_dir / "videos" / "obama_weekly_address.mp4")
    reference = _reference(photo, engine, models_dir)
    ours = bench_worker(frames, reference, threshold, seconds, room_scan_interval, engine, models_dir)
    base = bench_baseline(frames, _reference(photo, "dlib"), seconds)
    return {
        "updates_per_s": ours.updates_per_s,
        "latency_p50_ms": ours.latency_p50_ms,
        "latency_p95_ms": ours.latency_p95_ms,
        "display_fps": ours.display_fps,
        "encodings_per_s": ours.encodings_per_s,
        "seconds": seconds,
        "room_scan_interval": room_scan_interval,
        "frame_size": [640, 480],
        "engine": engine,
        "baseline": {
            "updates_per_s": base.updates_per_s,
            "latency_p50_ms": base.latency_p50_ms,
            "latency_p95_ms": base.latency_p95_ms,
            "display_fps": base.display_fps,
        },
    }


def bench_face_lines(figures: dict[str, object]) -> list[str]:
    """`bench face` in words: the worker's figures, then the naive loop's."""
    base = figures["baseline"]
    assert isinstance(base, dict)
    return [
        f"face worker ({figures['engine']}): {figures['updates_per_s']} updates/s "
        f"({figures['encodings_per_s']} encodings/s), "
        f"latency p50 {figures['latency_p50_ms']} ms, p95 {figures['latency_p95_ms']} ms, "
        f"display {figures['display_fps']} frames/s",
        f"naive loop:  {base['updates_per_s']} updates/s, latency p50 {base['latency_p50_ms']} ms, "
        f"p95 {base['latency_p95_ms']} ms, display {base['display_fps']} frames/s",
    ]
