"""The review session: one video review attempt of one application, as a state machine."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from psygnal import Signal

from app.decisions import Outcome, RejectReason
from app.errors import InvalidTransition
from app.rules import ReviewRules


class SessionState(enum.Enum):
    WAITING = "waiting"  # the applicant is in the queue
    CONNECTED = "connected"  # a reviewer took the applicant; the call is up
    VERIFYING = "verifying"  # a face-match attempt is running
    QUESTIONING = "questioning"  # the repayment-ability questions
    DECIDED = "decided"
    EXPIRED = "expired"  # the 48-hour window closed before a review
    ABANDONED = "abandoned"  # the applicant left, or the console died mid-call

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = {SessionState.DECIDED, SessionState.EXPIRED, SessionState.ABANDONED}


class EndedWithoutDecision(enum.StrEnum):
    """How the service ended a session as abandoned, with no decision (the session's end
    reason): besides an Outcome, what the console may find recorded when the service ended it."""

    APPLICANT_HUNG_UP = "applicant_hung_up"  # the applicant pressed hang up; they may come back


ALLOWED_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    SessionState.WAITING: frozenset(
        {SessionState.CONNECTED, SessionState.EXPIRED, SessionState.ABANDONED, SessionState.DECIDED}
    ),
    SessionState.CONNECTED: frozenset(
        {SessionState.VERIFYING, SessionState.QUESTIONING, SessionState.DECIDED, SessionState.ABANDONED}
    ),
    SessionState.VERIFYING: frozenset(
        {SessionState.QUESTIONING, SessionState.DECIDED, SessionState.ABANDONED}
    ),
    SessionState.QUESTIONING: frozenset(
        {SessionState.VERIFYING, SessionState.DECIDED, SessionState.ABANDONED}
    ),
    SessionState.DECIDED: frozenset(),
    SessionState.EXPIRED: frozenset(),
    SessionState.ABANDONED: frozenset(),
}


def check_transition(current: SessionState, target: SessionState) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(f"A review session cannot go from {current.value!r} to {target.value!r}.")


@dataclass
class FaceAttempts:
    """Counts face-recognition attempts against the bank's limit."""

    limit: int
    used: int = 0
    failed: int = 0

    @property
    def exhausted(self) -> bool:
        return self.failed >= self.limit

    def start(self) -> int:
        if self.used >= self.limit:
            raise InvalidTransition(
                f"All {self.limit} face-recognition attempts are used; "
                "the application is rejected for this time."
            )
        self.used += 1
        return self.used

    def fail(self) -> None:
        if self.failed >= self.used:
            raise InvalidTransition("No face-recognition attempt is running.")
        self.failed += 1


@dataclass
class ReviewSession:
    """The state of one review as the console sees it. Storage keeps the durable copy."""

    rules: ReviewRules
    state: SessionState = SessionState.WAITING
    attempts: FaceAttempts = field(init=False)
    legs: int = 0
    changed = Signal(object)  # emits the session after every change

    def __post_init__(self) -> None:
        self.attempts = FaceAttempts(limit=self.rules.face_attempts_limit)

    def _move(self, target: SessionState) -> None:
        check_transition(self.state, target)
        self.state = target
        self.changed.emit(self)

    def connect(self) -> None:
        """The applicant's media arrived: the first leg, or a reconnect (a new leg)."""
        if self.state is SessionState.WAITING:
            self.legs += 1
            self._move(SessionState.CONNECTED)
        elif not self.state.is_final:
            self.legs += 1
            self.changed.emit(self)
        else:
            raise InvalidTransition(f"The session is already {self.state.value}.")

    def start_face_attempt(self) -> int:
        if self.state not in {SessionState.CONNECTED, SessionState.QUESTIONING}:
            raise InvalidTransition(
                f"A face-recognition attempt cannot start while the session is {self.state.value}."
            )
        number = self.attempts.start()
        self._move(SessionState.VERIFYING)
        return number

    def face_attempt_failed(self) -> RejectReason | None:
        """Count a failed attempt. At the limit, propose rejection for face match failure."""
        self.attempts.fail()
        self.changed.emit(self)
        return RejectReason.FACE_MATCH_FAILED if self.attempts.exhausted else None

    def face_verified(self) -> None:
        if self.state is not SessionState.VERIFYING:
            raise InvalidTransition("No face-recognition attempt is running.")
        self._move(SessionState.QUESTIONING)

    def start_questions(self) -> None:
        self._move(SessionState.QUESTIONING)

    def decide(self, outcome: Outcome) -> None:
        if outcome is Outcome.APPROVE and self.attempts.exhausted:
            raise InvalidTransition("Approval is not possible: the face attempts are used up.")
        self._move(SessionState.DECIDED)

    def abandon(self) -> None:
        self._move(SessionState.ABANDONED)

    def expire(self) -> None:
        self._move(SessionState.EXPIRED)
