"""Score labelled image pairs in one batch: the threshold calibration behind ``main.py compare``."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from media.face.engine import FaceEngine, default_engine
from media.face.reference import MAX_DETECT_SIDE, decode_image

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_YES = {"yes", "y", "true", "1", "same"}
_NO = {"no", "n", "false", "0", "different"}


@dataclass(frozen=True)
class PairSpec:
    a: str
    b: str
    expected: bool | None  # None when the CSV has no label


@dataclass(frozen=True)
class PairResult:
    a: str
    b: str
    distance: float | None
    same_person: bool
    expected: bool | None
    error: str | None = None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "a": self.a,
            "b": self.b,
            "distance": None if self.distance is None else round(self.distance, 4),
            "same_person": self.same_person,
            "expected": self.expected,
        }
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class CompareReport:
    threshold: float
    pairs: list[PairResult]
    engine: str = ""  # the face_engine setting that scored the pairs ("sface", "dlib")
    model: str = ""  # the engine's model name

    def _count(self, same: bool, expected: bool) -> int:
        return sum(
            1
            for p in self.pairs
            if p.distance is not None and p.expected is expected and p.same_person is same
        )

    @property
    def tp(self) -> int:
        return self._count(True, True)

    @property
    def tn(self) -> int:
        return self._count(False, False)

    @property
    def fp(self) -> int:
        return self._count(True, False)

    @property
    def fn(self) -> int:
        return self._count(False, True)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.pairs if p.distance is None)

    @property
    def false_match_rate(self) -> float | None:
        """FMR: share of different-person pairs called the same person."""
        negatives = self.fp + self.tn
        return self.fp / negatives if negatives else None

    @property
    def false_non_match_rate(self) -> float | None:
        """FNMR: share of same-person pairs called different."""
        positives = self.tp + self.fn
        return self.fn / positives if positives else None

    def impostor_fit(self, target_fmr: float = 1e-5) -> dict[str, float | int] | None:
        """A normal fit of the different-person distances: the false-match rate it predicts at
        the threshold, and the distance at which it predicts ``target_fmr`` (the calibration
        method of docs/face-threshold.md). None with fewer than 10 different-person pairs."""
        from statistics import NormalDist, fmean, stdev

        scores = [p.distance for p in self.pairs if p.expected is False and p.distance is not None]
        if len(scores) < 10:
            return None
        fit = NormalDist(fmean(scores), stdev(scores))
        return {
            "n": len(scores),
            "mean": round(fit.mean, 4),
            "sd": round(fit.stdev, 4),
            "min": round(min(scores), 4),
            "fmr_at_threshold": float(f"{fit.cdf(self.threshold):.3g}"),
            "target_fmr": target_fmr,
            "threshold_at_target_fmr": round(fit.inv_cdf(target_fmr), 4),
        }

    def as_json(self) -> dict[str, object]:
        return {
            "threshold": self.threshold,
            "pairs": [p.as_json() for p in self.pairs],
            "tp": self.tp,
            "tn": self.tn,
            "fp": self.fp,
            "fn": self.fn,
            "errors": self.errors,
            "false_match_rate": self.false_match_rate,
            "false_non_match_rate": self.false_non_match_rate,
            "engine": self.engine,
            "model": self.model,
            "impostor_fit": self.impostor_fit(),
        }


def read_pairs(csv_path: Path) -> list[PairSpec]:
    """Pairs from a CSV: the first two columns are image names; a third column (``Decision``,
    ``same``, ``label``...) with Yes/No is the label. A header row is recognised and skipped."""
    pairs: list[PairSpec] = []
    with csv_path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    if not rows:
        return pairs
    header = [cell.strip().lower() for cell in rows[0]]
    if header[:2] in (["file_x", "file_y"], ["a", "b"], ["image_a", "image_b"]) or (
        len(header) > 2 and header[2] in {"decision", "same", "label", "same_person", "expected"}
    ):
        rows = rows[1:]
    for number, row in enumerate(rows, start=2):
        if len(row) < 2:
            raise ValueError(f"{csv_path}: line {number}: need two image names")
        expected: bool | None = None
        if len(row) > 2 and row[2].strip():
            label = row[2].strip().lower()
            if label in _YES:
                expected = True
            elif label in _NO:
                expected = False
            else:
                raise ValueError(f"{csv_path}: line {number}: label {row[2]!r} is not Yes/No")
        pairs.append(PairSpec(row[0].strip(), row[1].strip(), expected))
    return pairs


def encode_file(path: Path, engine: FaceEngine) -> tuple[npt.NDArray[np.float64] | None, str | None]:
    """The encoding of the largest face in an image file, or (None, why not)."""
    import cv2
    import numpy as np

    try:
        data = path.read_bytes()
    except OSError as error:
        return None, f"cannot read {path}: {error.strerror or error}"
    try:
        rgb, _format = decode_image(data)
    except ValueError as error:
        return None, f"{path.name}: {error}"
    height, width = rgb.shape[:2]
    if max(width, height) > MAX_DETECT_SIDE:
        scale = MAX_DETECT_SIDE / max(width, height)
        size = (round(width * scale), round(height * scale))
        rgb = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    boxes = engine.detect(rgb, upsample=1)
    if not boxes:
        return None, f"{path.name}: no face found"
    return engine.encode(rgb, boxes[0]), None


def compare_pairs(
    pairs: Iterable[PairSpec],
    images_dir: Path,
    threshold: float,
    *,
    engine: FaceEngine | None = None,
) -> CompareReport:
    """Each image is encoded once however many pairs it is in."""
    engine = engine or default_engine()
    cache: dict[str, tuple[npt.NDArray[np.float64] | None, str | None]] = {}

    def encoding(name: str) -> tuple[npt.NDArray[np.float64] | None, str | None]:
        if name not in cache:
            cache[name] = encode_file(images_dir / name, engine)
        return cache[name]

    results: list[PairResult] = []
    for pair in pairs:
        enc_a, err_a = encoding(pair.a)
        enc_b, err_b = encoding(pair.b)
        if enc_a is None or enc_b is None:
            why = "; ".join(filter(None, [err_a, err_b]))
            results.append(PairResult(pair.a, pair.b, None, False, pair.expected, error=why))
            continue
        distance = engine.distance(enc_a, enc_b)
        results.append(PairResult(pair.a, pair.b, distance, distance <= threshold, pair.expected))
    return CompareReport(threshold=threshold, pairs=results, engine=engine.kind, model=engine.name)
