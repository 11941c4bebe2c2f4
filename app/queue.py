"""The waiting queue of applicants, as the intake service and the consoles use it.

`ReviewDesk` is the interface; storage implements it on the database (SQLite or PostgreSQL),
and tests may implement it in memory. The intake service (media/) receives one from the
composition root, so media never imports storage.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, Self

from app.applications import ApplicantCard
from app.ids import ApplicationId, ReviewerId, SessionId


class TokenStatus(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"  # the application was already reviewed with it
    BEING_CHECKED = "being_checked"  # reviewed; the decision awaits a supervisor's four-eyes check
    EXPIRED = "expired"  # past the 48-hour window
    OUTSIDE_HOURS = "outside_hours"


@dataclass(frozen=True)
class TokenCheck:
    status: TokenStatus
    application_id: ApplicationId | None = None
    applicant_name: str = ""
    deadline: datetime | None = None
    next_opening: datetime | None = None
    # The live or waiting session this token belongs to, when there is one (reconnects).
    session_id: SessionId | None = None


@dataclass(frozen=True)
class QueueTicket:
    session_id: SessionId
    application_id: ApplicationId
    position: int  # 1 = next to be taken; 0 = already taken by a reviewer
    waiting: int  # applicants waiting in all


@dataclass(frozen=True)
class TakenApplicant(ApplicantCard):
    """What a console learns when it takes the next applicant: the applicant's card (who applied,
    for what), the session taken, the ID photo on file and how long they waited. The one value
    for it everywhere: storage's desk, the intake's answer (as_json), the console's call
    (from_json), the window."""

    session_id: SessionId
    reference_photo: bytes
    waited_seconds: float
    # The questions this session asks, in the order asked (drawn and stored when first taken);
    # empty: every question of the questionnaire.
    questions: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The intake service's answer to a console's take-next (the photo in base64)."""
        return {
            "session_id": self.session_id,
            "application_id": self.application_id,
            "applicant_name": self.applicant_name,
            "masked_national_id": self.masked_national_id,
            "phone": self.phone,
            "amount": str(self.amount),
            "term_months": self.term_months,
            "purpose": self.purpose,
            "applied_at": self.applied_at.isoformat(),
            "waited_seconds": round(self.waited_seconds, 1),
            "reference_photo_b64": base64.b64encode(self.reference_photo).decode("ascii"),
            "questions": list(self.questions),
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any], **more: Any) -> Self:
        """Read back what as_json wrote; `more`: the fields a subclass adds."""
        return cls(
            session_id=SessionId(int(body["session_id"])),
            application_id=ApplicationId(int(body["application_id"])),
            applicant_name=str(body["applicant_name"]),
            masked_national_id=str(body["masked_national_id"]),
            phone=str(body["phone"]),
            amount=Decimal(str(body["amount"])),
            term_months=int(body["term_months"]),
            purpose=str(body["purpose"]),
            applied_at=datetime.fromisoformat(str(body["applied_at"])),
            reference_photo=base64.b64decode(str(body["reference_photo_b64"])),
            waited_seconds=float(body["waited_seconds"]),
            questions=tuple(str(q) for q in body.get("questions", ())),
            **more,
        )


@dataclass(frozen=True)
class QueueSummary:
    waiting: int
    longest_wait_seconds: float


@dataclass(frozen=True)
class QueueSnapshot:
    """The whole waiting queue at one moment, read in one query: every waiting applicant's
    place comes from it, however many wait (never one query per applicant)."""

    order: tuple[SessionId, ...]  # longest waiting first
    oldest_queued_at: datetime | None
    taken_at: datetime
    # Reviewers whose consoles are signed in to the intake (not signed out, not expired); None
    # when not counted. With none, no wait can be estimated: applicants are told so instead.
    reviewers_signed_in: int | None = None

    def positions(self) -> dict[SessionId, int]:
        """1 = next to be taken."""
        return {session_id: place for place, session_id in enumerate(self.order, start=1)}

    def summary(self, now: datetime) -> QueueSummary:
        if self.oldest_queued_at is None:
            return QueueSummary(len(self.order), 0.0)
        return QueueSummary(len(self.order), max(0.0, (now - self.oldest_queued_at).total_seconds()))


class ReviewDesk(Protocol):
    def check_token(self, token: str, now: datetime) -> TokenCheck: ...

    def join_queue(self, token: str, now: datetime) -> QueueTicket:
        """Put the applicant in the queue (or return their existing place). Raises
        ReviewError when the token is not valid now."""
        ...

    def ticket(self, session_id: SessionId) -> QueueTicket: ...

    def leave_queue(self, session_id: SessionId, now: datetime, *, verify_later: bool) -> None: ...

    def take_next(self, reviewer_id: ReviewerId, now: datetime) -> TakenApplicant | None:
        """Claim the longest-waiting applicant for this reviewer; each is taken exactly once."""
        ...

    def abandon_waiting(self, session_ids: Sequence[SessionId], now: datetime, reason: str) -> int:
        """Take these applicants out of the queue if they still wait; how many were."""
        ...

    def summary(self, now: datetime) -> QueueSummary: ...

    def queue_snapshot(self, now: datetime) -> QueueSnapshot:
        """Every waiting applicant in queue order, in one read."""
        ...


class CallLegs(Protocol):
    """What the intake service records about a taken session's connections (added for the
    live call; storage.reviews.ReviewRecords implements it)."""

    def start_leg(self, session_id: SessionId, now: datetime) -> int:
        """The applicant's media for this taken session is (re)connecting: record a new leg
        (ending any still open) and return its number: 1, then 2 after a reconnect..."""
        ...

    def end_leg(self, session_id: SessionId, now: datetime, reason: str) -> None:
        """The open leg ended ("dropped", "hang_up", "connection_failed"...); harmless when none is open."""
        ...

    def end_connection_failed(
        self, session_id: SessionId, now: datetime, *, details: Mapping[str, Any]
    ) -> None:
        """The applicant did not come back within the grace period: the session ends as
        connection failed and the application returns to a state where the applicant may retry."""
        ...

    def end_without_decision(self, session_id: SessionId, now: datetime, reason: str) -> bool:
        """The call ended before a decision ("hung_up": the console hung up; "console_lost": the
        console was gone for its grace time): the session ends as abandoned with that reason and
        the applicant may come back. False when it had already ended (decided, for one)."""
        ...
