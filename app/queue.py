"""The waiting queue of applicants, as the intake service and the consoles use it.

`ReviewDesk` is the interface; storage implements it on the database (SQLite or PostgreSQL),
and tests may implement it in memory. The intake service (media/) receives one from the
composition root, so media never imports storage.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from app.ids import ApplicationId, ReviewerId, SessionId


class TokenStatus(enum.Enum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"  # the application was already reviewed with it
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
class TakenApplicant:
    """What a console learns when it takes the next applicant."""

    session_id: SessionId
    application_id: ApplicationId
    applicant_name: str
    masked_national_id: str
    phone: str
    amount: Decimal
    term_months: int
    purpose: str
    applied_at: datetime
    reference_photo: bytes
    waited_seconds: float


@dataclass(frozen=True)
class QueueSummary:
    waiting: int
    longest_wait_seconds: float


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

    def summary(self, now: datetime) -> QueueSummary: ...

    # -- the call's connections (added for issue 3; the intake service calls these) ---------

    def start_leg(self, session_id: SessionId, now: datetime) -> int:
        """The applicant's media for this taken session is (re)connecting: record a new leg
        and return its number (1 for the first connection, 2 after one reconnect...).
        Raises NotFound for an unknown session and ReviewError when the session has ended."""
        ...

    def end_leg(self, session_id: SessionId, number: int, now: datetime, *, reason: str) -> None:
        """The connection of leg `number` ended (reason: "dropped", "hang_up", ...).
        Harmless when the leg has already ended or does not exist."""
        ...

    def end_connection_failed(self, session_id: SessionId, now: datetime) -> None:
        """The applicant did not come back within the reconnect grace period: end the session
        (state ABANDONED, end_reason "connection_failed", open leg ended) and put the
        application back to PENDING_REVIEW so the applicant may retry within the window.
        Harmless when the session has already ended."""
        ...
