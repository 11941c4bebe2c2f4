"""`bench replay`: seek and frame-step times in a session recording, plain and encrypted at rest."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.settings import Settings
from services import configured_sealer
from tools import BenchFailed


def run_bench_replay(
    settings: Settings,
    *,
    minutes: float,
    seeks: int,
    encryption: str,
    directory: Path | None,
    progress: Callable[[str], None],
) -> dict[str, dict[str, Any]]:
    """Seek times in a recording made as the recorder makes it, by encryption mode ("off",
    "on"). By default (`encryption` "both") the same frames are recorded twice at once, plain
    and encrypted at rest (a throwaway key), and both are timed. BenchFailed when it cannot."""
    from storage.sealing import Sealer

    modes = ["off", "on"] if encryption == "both" else [encryption]
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        targets: dict[str, tuple[Path, Any]] = {}
        if directory is not None:
            mode = "off" if encryption == "off" else "on"
            targets[mode] = (directory, configured_sealer() if mode == "on" else None)
        else:
            throwaway = Sealer(os.urandom(32))
            for mode in modes:
                targets[mode] = (Path(tmp) / mode / "session", throwaway if mode == "on" else None)
            video = settings.shared_data_dir / "videos" / "obama_weekly_address.mp4"
            if not video.is_file():
                raise BenchFailed(f"no video at {video}")
            seconds = minutes * 60
            progress(
                f"recording {seconds:.0f} s of {video.name} at 640x480 (faster than real time), "
                f"encryption {' and '.join(modes)}..."
            )
            begin = time.perf_counter()
            _record_fast(video, [targets[mode] for mode in modes], seconds)
            progress(f"  recorded in {time.perf_counter() - begin:.0f} s")
        reports = {}
        for mode, (folder, sealer) in targets.items():
            try:
                reports[mode] = _bench_seeks(folder, sealer, seeks)
            except ValueError as error:
                raise BenchFailed(str(error)) from error
    return reports


def _bench_seeks(directory: Path, sealer: Any, seeks: int) -> dict[str, Any]:
    import statistics

    import numpy as np

    from media.playback import SessionPlayback

    megabytes = sum(p.stat().st_size for p in directory.glob("leg-*/seg-*.ts")) / 1e6
    opened = time.perf_counter()
    playback = SessionPlayback.open(directory, sealer=sealer)
    open_ms = (time.perf_counter() - opened) * 1000
    rng = np.random.default_rng(1)
    times = rng.uniform(0.0, playback.duration, seeks)
    seek_ms = []
    for t in times:
        begin = time.perf_counter()
        frame = playback.frame_at(float(t))
        seek_ms.append((time.perf_counter() - begin) * 1000)
        if frame is None or frame.t > t + 1e-3:
            raise ValueError(f"seek to {t:.3f} gave {frame and frame.t}")
    step_ms = []
    playback.frame_at(playback.duration / 2)
    for _ in range(60):
        begin = time.perf_counter()
        playback.next_frame()
        step_ms.append((time.perf_counter() - begin) * 1000)
    playback.close()
    ordered = sorted(seek_ms)
    return {
        "duration_s": round(playback.duration, 1),
        "segments": playback.segment_count,
        "megabytes": round(megabytes, 1),
        "open_ms": round(open_ms, 1),
        "seeks": len(seek_ms),
        "seek_ms_p50": round(statistics.median(ordered), 1),
        "seek_ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "seek_ms_max": round(ordered[-1], 1),
        "frame_step_ms_p50": round(statistics.median(step_ms), 1),
    }


def _record_fast(video: Path, targets: list[tuple[Path, Any]], seconds: float) -> None:
    """A recording made as the recorder makes it, but fed faster than real time: the frames'
    arrival clock is simulated by starting the recorder `seconds` in the past. One recorder
    per (directory, sealer or None), all fed the same frames."""
    import av
    import cv2
    import numpy as np

    from media.recording import LegRecorder

    fps = 30.0
    now = [0.0]
    recorders = [
        LegRecorder(
            directory,
            1,
            fps=fps,
            max_queued_video=10_000,
            max_queued_audio=100_000,
            clock=lambda: now[0],
            sealer=sealer,
        )
        for directory, sealer in targets
    ]
    try:
        index = 0
        while now[0] < seconds:
            with av.open(str(video)) as source:
                for frame in source.decode(video=0):
                    now[0] = index / fps
                    if now[0] >= seconds:
                        break
                    image = cv2.resize(frame.to_ndarray(format="bgr24"), (640, 480)).astype(np.uint8)
                    for recorder in recorders:
                        recorder.add_video(image, now[0])
                        recorder.add_audio(np.zeros(1600, np.int16), 48000, source="applicant")
                    index += 1
                    while max(r.backlog for r in recorders) > 30:  # keep memory bounded
                        time.sleep(0.005)
    finally:
        for recorder in recorders:
            recorder.close(timeout=600)


def seek_line(mode: str, report: dict[str, Any]) -> str:
    """`bench replay` in words, for one encryption mode."""
    return (
        f"encryption {mode:>3}: seek to a random time in a {report['duration_s']} s recording "
        f"({report['segments']} segments, {report['megabytes']} MB): p50 {report['seek_ms_p50']} ms, "
        f"p95 {report['seek_ms_p95']} ms, max {report['seek_ms_max']} ms (target: under 300 ms); "
        f"frame step p50 {report['frame_step_ms_p50']} ms; open {report['open_ms']} ms"
    )
