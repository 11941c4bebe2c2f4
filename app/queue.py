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
