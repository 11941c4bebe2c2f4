"""The face-match verdict policy: a match counts only when sustained; failed attempts count
toward the bank's limit; at the limit the session proposes "reject: face match failed".

The live worker produces a ``FaceScore`` several times a second; the console feeds each to
``FaceVerification.observe`` while an attempt runs::

    verification = FaceVerification.from_settings(settings, session)   # session: ReviewSession
    verification.start(now)                     # the reviewer presses "verify face"
    for score in worker.poll():
        status = verification.observe(score)    # RUNNING, VERIFIED or FAILED
    verification.proposal                       # RejectReason.FACE_MATCH_FAILED at the limit

An attempt is VERIFIED once every update over ``match_sustain_seconds`` matched (a face
missing for less than ``grace_seconds`` does not break the run); it FAILS when
``face_attempt_seconds`` pass without that, or when the reviewer calls ``fail()``; a failed
liveness challenge fails the attempt too, even one that verified (``challenge_failed``).
Scores advise: the reviewer decides, and may override with a reason.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol

from app.decisions import RejectReason
from app.errors import InvalidTransition
from app.face import FaceFlag, FaceScoreView
from app.review import FaceAttempts
from app.settings import Settings


class AttemptStatus(enum.Enum):
    IDLE = "idle"  # no attempt running
    RUNNING = "running"
    VERIFIED = "verified"
    FAILED = "failed"


class AttemptCounter(Protocol):
    """What the policy needs from the session: ``ReviewSession`` has exactly these."""

    def start_face_attempt(self) -> int: ...

    def face_attempt_failed(self) -> RejectReason | None: ...

    def face_verified(self) -> None: ...

    def start_questions(self) -> None:
        """After a failed attempt the review goes on while the reviewer decides to retry."""
        ...


@dataclass
class StandaloneAttempts:
    """An AttemptCounter without a review session (offline runs, tests)."""

    attempts: FaceAttempts

    def start_face_attempt(self) -> int:
        return self.attempts.start()

    def face_attempt_failed(self) -> RejectReason | None:
        self.attempts.fail()
        return RejectReason.FACE_MATCH_FAILED if self.attempts.exhausted else None

    def face_verified(self) -> None:
        return None

    def start_questions(self) -> None:
        return None


@dataclass
class SustainedMatch:
    """Tracks whether matches have held without a break for ``sustain_seconds``."""

    sustain_seconds: float
    grace_seconds: float = 0.5
    run_start: float | None = None
    _missing_since: float | None = None

    def reset(self) -> None:
        self.run_start = None
        self._missing_since = None

    def observe(self, score: FaceScoreView) -> bool:
        """True once the current run of matches has lasted ``sustain_seconds``."""
        no_face = score.distance is None and FaceFlag.NO_FACE.value in score.flags
        if score.match:
            self._missing_since = None
            if self.run_start is None or score.frame_time < self.run_start:
                self.run_start = score.frame_time
        elif no_face and self.run_start is not None:
            # A face lost for a moment (a turn, a detection miss) does not break the run.
            if self._missing_since is None:
                self._missing_since = score.frame_time
            if score.frame_time - self._missing_since > self.grace_seconds:
                self.reset()
            return False
        else:
            self.reset()
            return False
        return score.frame_time - self.run_start >= self.sustain_seconds


@dataclass
class FaceVerification:
    """Runs face-match attempts for one review session."""

    counter: AttemptCounter
    sustain_seconds: float
    attempt_seconds: float
    grace_seconds: float = 0.5
    status: AttemptStatus = AttemptStatus.IDLE
    attempt: int = 0
    started_at: float | None = None
    verified_at: float | None = None
    proposal: RejectReason | None = None
    _sustained: SustainedMatch = field(init=False)

    def __post_init__(self) -> None:
        if self.sustain_seconds < 0 or self.attempt_seconds <= 0:
            raise ValueError("sustain_seconds must be >= 0 and attempt_seconds > 0")
        self._sustained = SustainedMatch(self.sustain_seconds, self.grace_seconds)

    @classmethod
    def from_settings(cls, settings: Settings, counter: AttemptCounter | None = None) -> FaceVerification:
        """With no session, attempts are counted against ``face_attempts_limit`` here."""
        return cls(
            counter=counter or StandaloneAttempts(FaceAttempts(limit=settings.face_attempts_limit)),
            sustain_seconds=settings.match_sustain_seconds,
            attempt_seconds=settings.face_attempt_seconds,
        )

    def start(self, t: float) -> int:
        """Begin an attempt at time ``t`` (the clock of the scores). Returns its number."""
        if self.status is AttemptStatus.RUNNING:
            raise InvalidTransition("A face-recognition attempt is already running.")
        if self.proposal is not None:
            raise InvalidTransition("The face attempts are used up; rejection is proposed.")
        self.attempt = self.counter.start_face_attempt()
        self.status = AttemptStatus.RUNNING
        self.started_at = t
        self.verified_at = None
        self._sustained.reset()
        return self.attempt

    def observe(self, score: FaceScoreView) -> AttemptStatus:
        if self.status is not AttemptStatus.RUNNING or self.started_at is None:
            return self.status
        if score.frame_time < self.started_at:
            return self.status  # a score from before the attempt started
        if self._sustained.observe(score):
            self.status = AttemptStatus.VERIFIED
            self.verified_at = score.frame_time
            self.counter.face_verified()
        elif score.frame_time - self.started_at >= self.attempt_seconds:
            self.fail()
        return self.status

    def fail(self) -> RejectReason | None:
        """End the running attempt as failed (time out, or the reviewer's call)."""
        if self.status is not AttemptStatus.RUNNING:
            raise InvalidTransition("No face-recognition attempt is running.")
        self.status = AttemptStatus.FAILED
        self.proposal = self.counter.face_attempt_failed()
        self.counter.start_questions()
        return self.proposal

    def challenge_failed(self, t: float) -> RejectReason | None:
        """A liveness challenge was not answered: it counts as a failed attempt. The attempt
        running, or the one that verified the face, fails; when none is open (the last one failed
        already), one more is started and failed, as long as one is left. The proposal (reject at
        the limit) as for fail()."""
        if self.status is AttemptStatus.RUNNING:
            return self.fail()
        if self.status is AttemptStatus.VERIFIED:
            self.status = AttemptStatus.FAILED
            self.proposal = self.counter.face_attempt_failed()
            return self.proposal
        if self.proposal is not None:
            return self.proposal  # every attempt failed already
        self.start(t)
        return self.fail()

    @property
    def sustained_since(self) -> float | None:
        """When the current run of matches began (for a progress indicator)."""
        return self._sustained.run_start
