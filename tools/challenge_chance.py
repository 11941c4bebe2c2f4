"""How often a replayed video passes each liveness challenge by chance: the shared videos run
once through the live pipeline (media.face.pipeline, every frame, as ``match`` does offline),
the challenge tracker's inputs recorded frame by frame, then each kind asked at every prompt
time T (steps of ``step`` seconds) on a fresh tracker. The same as ``match --challenge KIND@T``
for each T (a challenge changes nothing else in the pipeline), without one video run per T.

    .venv/bin/python -m tools.challenge_chance [--step 0.1] [--json]

Also the pairs the console asks (app.face.draw_challenge_pair: two different kinds in a row,
the second asked on the first frame after the first was met, both must pass) at the same prompt
times, on the video played twice in a row (a replay loops; the second challenge may need time
past the end), and per challenge asked at the match: one kind (the earlier rule) and the pair.

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

from app.face import ACTION_CHALLENGES, ChallengeKind, ChallengeState
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
        self,
        t: float,
        sig: LandmarkSignals | None,
        blinks: Sequence[tuple[float, float]] = (),
        *,
        core_wait: float | None = None,
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


def sequence_outcome(
    inputs: Sequence[TrackerInput], kinds: Sequence[ChallengeKind], asked_at: float, limits: ChallengeLimits
) -> bool:
    """Whether `kinds`, the first asked at `asked_at` and each next one on the first frame after
    the one before was met (as the console asks them), all pass."""
    after = asked_at
    first = True
    for kind in kinds:
        tracker = ChallengeTracker(limits)
        asked = False
        settled: tuple[bool, float] | None = None
        for item in inputs:
            if item.t < after or (not first and item.t == after):
                continue
            if not asked:
                tracker.ask(kind)
                asked = True
            status = tracker.update(item.t, item.signals, item.blinks)
            if status is not None and status.state is not ChallengeState.ASKED:
                settled = (status.state is ChallengeState.PASSED, status.t)
                break
        if settled is None or not settled[0]:
            return False  # failed, or still open when the video ends (failed, as match reports it)
        after, first = settled[1], False
    return True


def looped(inputs: Sequence[TrackerInput], copies: int = 2) -> list[TrackerInput]:
    """The video's inputs played `copies` times in a row, as a looping replay shows it."""
    if len(inputs) < 2:
        return list(inputs)
    frame = (inputs[-1].t - inputs[0].t) / (len(inputs) - 1)
    duration = inputs[-1].t - inputs[0].t + frame
    every_blink = sorted({blink for item in inputs for blink in item.blinks})
    out: list[TrackerInput] = []
    for copy in range(copies):
        shift = copy * duration
        earlier = tuple(
            (start + k * duration, end + k * duration) for k in range(copy) for start, end in every_blink
        )
        for item in inputs:
            blinks = earlier + tuple((start + shift, end + shift) for start, end in item.blinks)
            out.append(TrackerInput(item.t + shift, item.signals, blinks))
    return out


def prompt_times(inputs: Sequence[TrackerInput], limits: ChallengeLimits, step: float) -> list[float]:
    """Every `step` s while a whole time limit fits in the video."""
    last = inputs[-1].t - limits.seconds
    return [round(i * step, 3) for i in range(int(last / step) + 1)]


def pair_chance(
    inputs: Sequence[TrackerInput], limits: ChallengeLimits, step: float = 0.1
) -> dict[str, dict[str, Any]]:
    """Per pair the console may draw first (an action, then another kind): prompts, passed, share;
    the video looped once so that the second challenge has its whole time limit."""
    if not inputs:
        return {}
    times = prompt_times(inputs, limits, step)
    replay = looped(inputs)
    rates: dict[str, dict[str, Any]] = {}
    for first in ACTION_CHALLENGES:
        for second in ChallengeKind:
            if second is first:
                continue
            passed = [t for t in times if sequence_outcome(replay, (first, second), t, limits)]
            rates[f"{first.value}+{second.value}"] = {
                "prompts": len(times),
                "passed": len(passed),
                "share": round(len(passed) / len(times), 3) if times else 0.0,
            }
    return rates


def at_match(rates: dict[str, dict[str, Any]], pairs: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The chance a replay passes what is asked at the match, the draw being uniform: one action
    (a third each; the earlier rule) and the pair (an action, then one of the three other kinds)."""
    one = [rates[kind.value]["passed"] / rates[kind.value]["prompts"] for kind in ACTION_CHALLENGES]
    two = [pair["passed"] / pair["prompts"] for pair in pairs.values()]
    return {
        "one_challenge": round(sum(one) / len(one), 4) if one else 0.0,
        "two_in_a_row": round(sum(two) / len(two), 4) if two else 0.0,
    }


def chance(
    inputs: Sequence[TrackerInput], limits: ChallengeLimits, step: float = 0.1
) -> dict[str, dict[str, Any]]:
    """Per kind: prompts tried (every `step` s while a whole time limit fits), passed, share."""
    if not inputs:
        return {}
    times = prompt_times(inputs, limits, step)
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
        rates = chance(inputs, limits, args.step)
        pairs = pair_chance(inputs, limits, args.step)
        report[name] = {
            "rates": rates,
            "pairs": pairs,
            "at_match": at_match(rates, pairs),
            "blinks": blinks_seen(inputs),
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for name, figures in report.items():
        print(name)
        for kind, rate in figures["rates"].items():
            share = f"{rate['share']:.1%}"
            print(f"  {kind:12} passed {rate['passed']:4} of {rate['prompts']:4} prompts ({share})")
        for pair, rate in figures["pairs"].items():
            share = f"{rate['share']:.1%}"
            print(f"  {pair:24} passed {rate['passed']:4} of {rate['prompts']:4} prompts ({share})")
        match = figures["at_match"]
        print(
            f"  at the match: one challenge {match['one_challenge']:.1%},"
            f" two in a row {match['two_in_a_row']:.1%}"
        )
        for blink in figures["blinks"]:
            gap = "" if blink["gap"] is None else f", {blink['gap']:.2f} s after the previous one"
            print(f"  blink {blink['start']:6.2f}-{blink['end']:6.2f} s ({blink['seconds']:.2f} s{gap})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
