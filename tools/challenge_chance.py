"""How often a replayed video passes each liveness challenge by chance: the shared videos run
once through the live pipeline (media.face.pipeline, every frame, as ``match`` does offline),
the challenge tracker's inputs recorded frame by frame, then each kind asked at every prompt
time T (steps of ``step`` seconds) on a fresh tracker. The same as ``match --challenge KIND@T``
for each T (a challenge changes nothing else in the pipeline), without one video run per T.

    .venv/bin/python -m tools.challenge_chance [--step 0.1] [--json]

Also lists the blinks the liveness tracker found (start, end, duration, gap to the previous),
the timings the blink-twice rule is set against (docs/liveness-challenges.md).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.face import ChallengeKind, ChallengeState
from app.settings import Settings
from media.face.challenges import ChallengeLimits, ChallengeTracker
from media.face.liveness import LandmarkSignals

# The shared videos (../shared/data/PROVENANCE.md) and the reference photo of the person in each.
VIDEOS = {
    "obama_weekly_address": "faces/face_recognition/obama.jpg",
    "short_hamilton_clip": "faces/face_recognition/lin-manuel-miranda.png",
}


@dataclass(frozen=True)
class TrackerInput:
    """What the challenge tracker is given on one frame."""

    t: float
    signals: LandmarkSignals | None
    blinks: tuple[tuple[float, float], ...]


class _Recorder:
    def __init__(self) -> None:
        self.inputs: list[TrackerInput] = []

    def update(
        self, t: float, sig: LandmarkSignals | None, blinks: Sequence[tuple[float, float]] = ()
    ) -> None:
        self.inputs.append(TrackerInput(t, sig, tuple(blinks)))

    def ask(self, kind: ChallengeKind) -> None:
        return None


def record_inputs(settings: Settings, video: Path, photo: Path) -> list[TrackerInput]:
    """The challenge tracker's inputs over every frame of `video`, scored against `photo`."""
    import numpy as np

    from media.face.engine import default_engine
    from media.face.offline import video_frames
    from media.face.pipeline import FacePipeline, PipelineConfig
    from services.face_runs import check_photo_file

    report = check_photo_file(settings, photo)
    if report.encoding is None:
        raise ValueError(f"{photo}: " + "; ".join(report.problems))
    config = PipelineConfig.from_settings(settings, threshold=settings.face_match_threshold)
    engine = default_engine(config.engine, config.models_dir)
    pipeline = FacePipeline(engine, np.asarray(report.encoding, dtype=np.float64), config)
    recorder = _Recorder()
    pipeline.challenges = recorder  # type: ignore[assignment]
    _fps, frames = video_frames(video)
    for index, t, frame in frames:
        pipeline.process(frame, t, index)
    return recorder.inputs


def outcome(
    inputs: Sequence[TrackerInput], kind: ChallengeKind, asked_at: float, limits: ChallengeLimits
) -> bool:
    """Whether `kind`, asked at `asked_at` (on the first frame at or after it), passes."""
    tracker = ChallengeTracker(limits)
    asked = False
    for item in inputs:
        if item.t < asked_at:
            continue
        if not asked:
            tracker.ask(kind)
            asked = True
        status = tracker.update(item.t, item.signals, item.blinks)
        if status is not None and status.state is not ChallengeState.ASKED:
            return status.state is ChallengeState.PASSED
    return False  # still open when the video ends: failed, as match reports it


def chance(
    inputs: Sequence[TrackerInput], limits: ChallengeLimits, step: float = 0.1
) -> dict[str, dict[str, Any]]:
    """Per kind: prompts tried (every `step` s while a whole time limit fits), passed, share."""
    if not inputs:
        return {}
    last = inputs[-1].t - limits.seconds
    times = [round(i * step, 3) for i in range(int(last / step) + 1)]
    rates: dict[str, dict[str, Any]] = {}
    for kind in ChallengeKind:
        passed = [t for t in times if outcome(inputs, kind, t, limits)]
        rates[kind.value] = {
            "prompts": len(times),
            "passed": len(passed),
            "share": round(len(passed) / len(times), 3) if times else 0.0,
        }
    return rates


def blinks_seen(inputs: Sequence[TrackerInput]) -> list[dict[str, float | None]]:
    """Every blink the liveness tracker completed: start, end, duration, gap since the last one ended."""
    found: dict[tuple[float, float], None] = {}
    for item in inputs:
        for blink in item.blinks:
            found.setdefault(blink)
    rows: list[dict[str, float | None]] = []
    previous: tuple[float, float] | None = None
    for start, end in sorted(found):
        rows.append(
            {
                "start": round(start, 3),
                "end": round(end, 3),
                "seconds": round(end - start, 3),
                "gap": None if previous is None else round(start - previous[1], 3),
            }
        )
        previous = (start, end)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--step", type=float, default=0.1, help="seconds between two prompt times")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings()
    limits = ChallengeLimits.from_settings(settings)
    report: dict[str, dict[str, Any]] = {}
    for name, photo in VIDEOS.items():
        data = settings.shared_data_dir
        inputs = record_inputs(settings, data / "videos" / f"{name}.mp4", data / photo)
        report[name] = {"rates": chance(inputs, limits, args.step), "blinks": blinks_seen(inputs)}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for name, figures in report.items():
        print(name)
        for kind, rate in figures["rates"].items():
            share = f"{rate['share']:.1%}"
            print(f"  {kind:12} passed {rate['passed']:4} of {rate['prompts']:4} prompts ({share})")
        for blink in figures["blinks"]:
            gap = "" if blink["gap"] is None else f", {blink['gap']:.2f} s after the previous one"
            print(f"  blink {blink['start']:6.2f}-{blink['end']:6.2f} s ({blink['seconds']:.2f} s{gap})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
