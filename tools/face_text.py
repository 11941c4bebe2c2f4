"""The face commands' results in words for people (`enroll-check`, `compare`, `match`); their
--json/--jsonl output is the results' own as_json()."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.face import FaceScore
    from media.face.compare import CompareReport
    from media.face.offline import MatchSummary
    from media.face.reference import ReferenceReport


def photo_check_line(photo: Path, report: ReferenceReport) -> str:
    """`enroll-check`: the photo can be used (its format, size and face width), or why not."""
    if report.ok:
        box = report.face_box
        width = box[1] - box[3] if box else 0
        size = f"{report.width}x{report.height}"
        return f"{photo}: OK ({report.image_format} {size}, one face {width} px wide)"
    what = f" ({report.image_format})" if report.image_format else ""
    return f"{photo}{what}: cannot be used: " + "; ".join(report.problems)


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def compare_lines(report: CompareReport) -> list[str]:
    """`compare`: a line per pair (WRONG where the verdict differs from the label), the counts
    and rates, and the impostor distances' normal fit when there are enough."""
    lines = []
    for pair in report.pairs:
        expected = "" if pair.expected is None else ("same" if pair.expected else "different")
        if pair.distance is None:
            lines.append(f"{pair.a:>24} {pair.b:>24}     -   error: {pair.error}")
            continue
        verdict = "same" if pair.same_person else "different"
        wrong = "  WRONG" if pair.expected is not None and pair.expected != pair.same_person else ""
        lines.append(
            f"{pair.a:>24} {pair.b:>24} {pair.distance:6.3f} {verdict:>9} (expected {expected or '?'}){wrong}"
        )
    lines.append(
        f"engine {report.engine}, threshold {report.threshold}:"
        f" TP {report.tp}  TN {report.tn}  FP {report.fp}  FN {report.fn}"
        f"  errors {report.errors}  false match rate {_rate(report.false_match_rate)}"
        f"  false non-match rate {_rate(report.false_non_match_rate)}"
    )
    fit = report.impostor_fit()
    if fit is not None:
        lines.append(
            f"different people (normal fit of {fit['n']}): mean {fit['mean']} sd {fit['sd']},"
            f" closest {fit['min']};"
            f" predicted false match rate at the threshold {fit['fmr_at_threshold']:.1e};"
            f" distance at {fit['target_fmr']:.0e}: {fit['threshold_at_target_fmr']}"
        )
    return lines


class MatchLines:
    """`match`: with `every_update`, each score as a JSON line; else a line whenever what a
    reviewer would notice changes, and at least one a second."""

    def __init__(self, *, every_update: bool) -> None:
        self.every_update = every_update
        self._key: dict[str, Any] | None = None
        self._t = -9.0

    def line(self, score: FaceScore) -> str | None:
        line = score.as_json()
        if self.every_update:
            return json.dumps(line)
        key = {k: line.get(k) for k in ("match", "faces", "flags", "live", "challenge")}
        if key == self._key and score.frame_time - self._t < 1.0:
            return None
        self._key = key
        self._t = score.frame_time
        similarity = "-" if score.similarity is None else f"{score.similarity:5.1f}"
        distance = "-" if score.distance is None else f"{score.distance:.3f}"
        challenge = "" if score.challenge is None else f"  challenge {score.challenge.kind.value}:"
        challenge += "" if score.challenge is None else score.challenge.state.value
        return (
            f"t={score.frame_time:7.2f}s frame {score.frame:5d}  faces {score.faces}  distance {distance}"
            f"  similarity {similarity}  {'MATCH' if score.match else 'no match'}"
            f"  live {line['live']}  {' '.join(score.flags)}{challenge}"
        )


def summary_line(summary: MatchSummary) -> str:
    """`match`: the run's summary on one line."""
    s = summary.as_json()["summary"]
    return "summary: " + ", ".join(f"{key} {value}" for key, value in s.items() if key != "flags_seen")  # type: ignore[attr-defined]
