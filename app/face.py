"""What a face match produces, in plain Python: one score per update, quality flags, liveness."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

# A face box in pixels of the frame it was found in: (top, right, bottom, left), the order
# face_recognition uses. Width is right - left, height is bottom - top.
FaceBox = tuple[int, int, int, int]


class FaceFlag(enum.Enum):
    """Quality flags shown to the reviewer next to the score."""

    NO_FACE = "no_face"
    MULTIPLE_FACES = "multiple_faces"
    FACE_TOO_SMALL = "face_too_small"
    TOO_DARK = "too_dark"
    TOO_BLURRED = "too_blurred"
    PARTLY_COVERED = "partly_covered"

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES = {
    FaceFlag.NO_FACE: "no face found",
    FaceFlag.MULTIPLE_FACES: "more than one face",
    FaceFlag.FACE_TOO_SMALL: "face too small",
    FaceFlag.TOO_DARK: "too dark",
    FaceFlag.TOO_BLURRED: "too blurred",
    FaceFlag.PARTLY_COVERED: "face partly covered",
}


class Liveness(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"


def similarity_from_distance(distance: float, threshold: float) -> float:
    """Map an engine distance to a 0-100 figure for people.

    The threshold maps to 50, so "above 50" reads as "match" whatever the engine's scale;
    distance 0 maps to 100 and twice the threshold (clearly another person) to about 5.
    A logistic curve keeps the figure monotonic and spreads the region reviewers care about
    (around the threshold) instead of compressing it.
    """
    if threshold <= 0:
        raise ValueError("threshold must be positive")
    if distance < 0 or math.isnan(distance):
        raise ValueError("distance must be a non-negative number")
    # Steepness chosen so that 2 * threshold gives ~5 and 0 gives ~95 before rescaling.
    steepness = math.log(19.0) / threshold
    raw = 1.0 / (1.0 + math.exp(steepness * (distance - threshold)))
    top = 1.0 / (1.0 + math.exp(-steepness * threshold))
    value = 100.0 * min(1.0, raw / top)
    return round(value, 1)


@dataclass(frozen=True)
class LiveState:
    """Liveness evidence so far in a call: blinks and head movement."""

    blinks: int = 0
    # Largest head movement seen, in face widths (translation) and yaw proxy range.
    head_movement: float = 0.0
    state: Liveness = Liveness.UNKNOWN

    @property
    def live(self) -> bool | None:
        if self.state is Liveness.UNKNOWN:
            return None
        return self.state is Liveness.PASSED


@dataclass(frozen=True)
class FaceScore:
    """One face-match update for one frame.

    ``distance``/``similarity`` are None when no encoding was compared for this frame's face
    (no face, or the score is carried from the tracked face: then ``encoded`` is False and
    the distance is the tracked face's last one).
    """

    t: float  # frame time in seconds (the caller's clock: media time or monotonic)
    frame: int  # frame index as counted by the producer, or -1 if unknown
    faces: int
    box: FaceBox | None
    distance: float | None
    similarity: float | None
    match: bool
    flags: tuple[FaceFlag, ...] = ()
    live: LiveState = field(default_factory=LiveState)
    encoded: bool = False  # True when a fresh 128-d encoding was computed on this frame
    latency_ms: float | None = None  # frame offered -> score ready, when measured

    @property
    def flag_names(self) -> list[str]:
        return [f.value for f in self.flags]

    def as_json(self) -> dict[str, Any]:
        """The ``match --jsonl`` line for this update (keys fixed by the output contract)."""
        return {
            "t": round(self.t, 3),
            "frame": self.frame,
            "faces": self.faces,
            "distance": None if self.distance is None else round(self.distance, 4),
            "similarity": self.similarity,
            "match": self.match,
            "live": self.live.live,
            "flags": self.flag_names,
        }
