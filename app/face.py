"""What a face match produces, in plain Python: one score per update, quality flags, liveness."""

from __future__ import annotations

import enum
import math
import random
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# A face box in pixels of the frame it was found in: (top, right, bottom, left), the order
# face_recognition uses. Width is right - left, height is bottom - top.
FaceBox = tuple[int, int, int, int]


@dataclass(frozen=True)
class FaceBoxInFrame:
    """A face box with the size of the frame it was found in, so that it can be drawn over
    that frame shown at any size (the recording's timeline keeps it so)."""

    top: int
    right: int
    bottom: int
    left: int
    frame_width: int = 0  # 0: not known; the frame is then taken as the size it is shown from
    frame_height: int = 0

    @classmethod
    def from_list(cls, values: Sequence[float]) -> FaceBoxInFrame:
        """From the stored form [top, right, bottom, left, frame width, frame height] (the
        frame size may be missing)."""
        top, right, bottom, left = (int(v) for v in values[:4])
        width, height = (int(values[4]), int(values[5])) if len(values) >= 6 else (0, 0)
        return cls(top, right, bottom, left, width, height)

    def as_list(self) -> list[int]:
        return [self.top, self.right, self.bottom, self.left, self.frame_width, self.frame_height]

    def in_picture(
        self, width: float, height: float, *, frame_width: int, frame_height: int
    ) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) in a picture of width x height showing the frame, whose
        size (`frame_width` x `frame_height`) is used when the box does not carry one."""
        scale_x = width / (self.frame_width or frame_width)
        scale_y = height / (self.frame_height or frame_height)
        return self.left * scale_x, self.top * scale_y, self.right * scale_x, self.bottom * scale_y


class FaceFlag(enum.Enum):
    """Quality flags shown to the reviewer next to the score."""

    NO_FACE = "no_face"
    MULTIPLE_FACES = "several_faces"
    FACE_TOO_SMALL = "too_small"
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


@dataclass
class LivenessRecord:
    """A call's liveness, as one fold over its face scores in order. The console (ui.face_check)
    and the recording's timeline (services.recording.ScoreTimeline, and the stored samples read
    back in storage and the replay) all read liveness through it, so they say the same.

    The verdict is the latest decided one: the tracker says "failed" when it has seen the face
    for a while without proof of life, and "passed" once proof comes (it then stays passed for
    that person). "Failed, then later passed" reads as passed, with the failure kept:
    `failed_earlier` is true, the timeline marks both turns, the session browser flags the
    failure and the approval policy warns about it (approval_policy.toml)."""

    verdict: Liveness = Liveness.UNKNOWN
    turns: list[tuple[float, Liveness]] = field(default_factory=list)  # (t, new verdict)

    def observe(self, t: float, live: bool | None) -> Liveness | None:
        """One score's liveness (None: not decided, which changes nothing). Returns the new
        verdict when it turned, else None."""
        if live is None:
            return None
        verdict = Liveness.PASSED if live else Liveness.FAILED
        if verdict is self.verdict:
            return None
        self.verdict = verdict
        self.turns.append((t, verdict))
        return verdict

    @property
    def failed_earlier(self) -> bool:
        """Passed now, after having failed earlier in the call."""
        return self.verdict is Liveness.PASSED and any(v is Liveness.FAILED for _, v in self.turns)

    @property
    def ever_failed(self) -> bool:
        return any(verdict is Liveness.FAILED for _, verdict in self.turns)

    @classmethod
    def of(cls, scores: Sequence[tuple[float, bool | None]]) -> LivenessRecord:
        """The fold over (t, live) pairs, in the order given (the order they were scored)."""
        record = cls()
        for t, live in scores:
            record.observe(t, live)
        return record


def similarity_from_distance(distance: float, threshold: float) -> float:
    """Map an engine distance to a 0-100 figure for people: 100 at distance 0, 50 exactly at
    the threshold, 0 at twice the threshold and beyond (clearly another person).

    Linear, so equal steps mean equal changes whatever the engine's scale; "above 50" always
    reads as "within the threshold".
    """
    if threshold <= 0:
        raise ValueError("threshold must be positive")
    if distance < 0 or math.isnan(distance):
        raise ValueError("distance must be a non-negative number")
    value = 100.0 * (1.0 - distance / (2.0 * threshold))
    return round(min(100.0, max(0.0, value)), 1)


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


class ChallengeKind(enum.Enum):
    """Active liveness challenges: what the applicant is asked to do (names stored on the timeline)."""

    TURN_LEFT = "turn_left"  # the applicant's own left
    TURN_RIGHT = "turn_right"
    BLINK_TWICE = "blink_twice"
    OPEN_MOUTH = "open_mouth"  # open the mouth wide and hold it


class ChallengeState(enum.Enum):
    ASKED = "asked"
    PASSED = "passed"
    FAILED = "failed"
    # Time ran out with too few updates to judge it because the reviewer's machine kept the
    # face worker waiting for a core (media.face.challenges): not the applicant's failure, not
    # counted; the reviewer may ask again, and an approval then needs an override.
    NOT_JUDGED = "not_judged"


@dataclass(frozen=True)
class ChallengeStatus:
    """A challenge as one update sees it: ``t`` is when it was asked (state "asked"), or when it
    was met ("passed") or ran out of time ("failed", or "not_judged" when too few updates came
    to judge it)."""

    kind: ChallengeKind
    state: ChallengeState
    t: float
    # When the challenge was asked (the same clock); given with the outcome, so that whoever
    # sees only the update that settled it has the whole challenge.
    asked_t: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "state": self.state.value, "t": round(self.t, 3)}


# An unpredictable draw (the operating system's randomness): a replayed video cannot know the
# next challenge, nor can anyone who watched earlier calls.
_CHALLENGE_DRAW = secrets.SystemRandom()


# What a replayed video does not do by chance at a random moment (docs/liveness-challenges.md:
# 0 of 291 prompt times on Obama's address); natural blinking passes "blink twice" far more
# often, so that one is only ever asked as the second of two.
ACTION_CHALLENGES = (ChallengeKind.TURN_LEFT, ChallengeKind.TURN_RIGHT, ChallengeKind.OPEN_MOUTH)


def draw_challenge(
    rng: random.Random = _CHALLENGE_DRAW, *, after: ChallengeStatus | None = None
) -> ChallengeKind:
    """A challenge chosen at random, each kind allowed equally likely (also the one asked last:
    a pattern would be a hint). "Blink twice" only when `after`, the call's challenge just
    before, was a head turn or an open mouth that passed: never alone, never the first (the one
    asked at the match). `rng` only for tests."""
    follows_action = (
        after is not None and after.state is ChallengeState.PASSED and after.kind in ACTION_CHALLENGES
    )
    return rng.choice(list(ChallengeKind) if follows_action else list(ACTION_CHALLENGES))


def draw_challenge_pair(
    rng: random.Random = _CHALLENGE_DRAW, *, after: ChallengeStatus | None = None
) -> tuple[ChallengeKind, ChallengeKind]:
    """Two different challenges in a row, the second asked once the first passed: the first as
    draw_challenge(after=...) gives it (a head turn or the open mouth, or after an action that
    passed any kind), the second any other kind ("blink twice" only after an action). Both
    must pass. A replay that keeps doing one action (a singer turning to his right) passes one
    challenge whenever it is that one; two in a given order it rarely does
    (docs/liveness-challenges.md). `rng` only for tests."""
    first = draw_challenge(rng, after=after)
    others = ACTION_CHALLENGES if first is ChallengeKind.BLINK_TWICE else tuple(ChallengeKind)
    return first, rng.choice([kind for kind in others if kind is not first])


@dataclass(frozen=True)
class ChallengeResult:
    """A finished challenge, for the summary and the timeline: met at ``met_t`` when passed."""

    kind: ChallengeKind
    asked_t: float
    passed: bool
    met_t: float | None = None
    judged: bool = True  # False: the machine kept the worker from judging it (not a failure)

    @property
    def state(self) -> ChallengeState:
        if self.passed:
            return ChallengeState.PASSED
        return ChallengeState.FAILED if self.judged else ChallengeState.NOT_JUDGED

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "asked_t": round(self.asked_t, 3),
            "result": self.state.value,
            "met_t": None if self.met_t is None else round(self.met_t, 3),
        }


class FaceScoreView(Protocol):
    """The fields of a FaceScore that the face panel and the face policy read (read-only): a
    FaceScore, or a stand-in for one (demo, tests)."""

    @property
    def frame_time(self) -> float:
        """Seconds, on the same clock as the frames passed to CallEvents.frame."""
        ...

    @property
    def faces(self) -> int: ...

    @property
    def box(self) -> tuple[int, int, int, int] | None:
        """(top, right, bottom, left) in pixels of the frame as sent, as face_recognition gives it."""
        ...

    @property
    def distance(self) -> float | None: ...

    @property
    def similarity(self) -> float | None:
        """0-100, higher is more alike; None when no face was encoded."""
        ...

    @property
    def match(self) -> bool:
        """This sample is at or under the calibrated threshold (not yet sustained)."""
        ...

    @property
    def flags(self) -> Collection[str]:
        """Quality flags: no_face, several_faces, too_small, too_dark, too_blurred, partly_covered."""
        ...

    @property
    def live(self) -> bool | None:
        """Liveness: True passed, False failed, None not decided yet."""
        ...

    @property
    def challenge(self) -> ChallengeStatus | None:
        """The active liveness challenge on this update: asked, or its outcome on the update that
        settled it; None when none runs."""
        ...


@dataclass(frozen=True)
class FaceScore:
    """One face-match update for one frame (what the face panel and ``match --jsonl`` show).

    ``distance``/``similarity`` are those of the tracked face's latest encoding (the mean of
    its last few encodings); ``encoded`` says whether a fresh encoding was computed on this
    very frame. They are None when there is no face. ``flags`` are ``FaceFlag`` values.
    """

    frame_time: float  # seconds, on the clock of the frames offered (media time or monotonic)
    frame: int  # frame index as counted by the producer, or -1 if unknown
    faces: int
    box: FaceBox | None
    distance: float | None
    similarity: float | None
    match: bool  # this update is at or under the threshold (not yet sustained: see face_policy)
    flags: tuple[str, ...] = ()
    live: bool | None = None  # liveness: True passed, False failed, None not decided yet
    liveness: LiveState = field(default_factory=LiveState)
    encoded: bool = False
    latency_ms: float | None = None  # frame offered -> score available, when measured
    # The active liveness challenge on this frame (asked, or its outcome on the frame that
    # settled it); None when no challenge is running.
    challenge: ChallengeStatus | None = None

    @property
    def t(self) -> float:
        return self.frame_time

    def has(self, flag: FaceFlag) -> bool:
        return flag.value in self.flags

    def as_json(self) -> dict[str, Any]:
        """The ``match --jsonl`` line for this update (keys fixed by the output contract)."""
        return {
            "t": round(self.frame_time, 3),
            "frame": self.frame,
            "faces": self.faces,
            "distance": None if self.distance is None else round(self.distance, 4),
            "similarity": self.similarity,
            "match": self.match,
            "live": self.live,
            "flags": list(self.flags),
        } | ({} if self.challenge is None else {"challenge": self.challenge.as_json()})
