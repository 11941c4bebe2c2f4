"""What supervisors watch and do outside a single session: the four-eyes checks waiting for
them, their team and queue right now, and the day's figures. Plain types and the Protocol the
supervisor window talks to (services.supervision implements it on storage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from app.ids import SessionId


@dataclass(frozen=True)
class HourFigures:
    """One hour of the day, by when the sessions were taken: their outcomes in force, their
    failed face-match attempts, their connection failures (the applicant did not come back, or
    the console's connection was lost) and their median handle time (taken to ended)."""

    hour: int
    sessions: int = 0
    approved: int = 0
    rejected: int = 0
    verify_later: int = 0
    connection_failed: int = 0
    face_match_failed: int = 0
    median_handle_seconds: float | None = None

    @property
    def decided(self) -> int:
        """Sessions with a reviewer's decision: the base of the rates."""
        return self.approved + self.rejected + self.verify_later

    def rate(self, count: int) -> float | None:
        """count as a share of the decided sessions; None when none was decided."""
        return count / self.decided if self.decided else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "hour": self.hour,
            "sessions": self.sessions,
            "approved": self.approved,
            "rejected": self.rejected,
            "verify_later": self.verify_later,
            "face_match_failed": self.face_match_failed,
            "connection_failed": self.connection_failed,
            "median_handle_seconds": self.median_handle_seconds,
        }


@dataclass(frozen=True)
class DayFigures:
    """Sessions a reviewer took that day; outcomes are those in force (after amendments), and
    awaiting_check counts the ones among them whose four-eyes check is still open."""

    day: date
    sessions: int
    approved: int
    rejected: int
    verify_later: int
    awaiting_check: int
    median_handle_seconds: float | None
    by_hour: list[HourFigures] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "approved": self.approved,
            "rejected": self.rejected,
            "verify_later": self.verify_later,
            "awaiting_check": self.awaiting_check,
            "median_handle_seconds": self.median_handle_seconds,
            # Each hour: at least "hour" and "sessions" (the contract), with the hour's outcomes,
            # failures and median handle time besides.
            "by_hour": [h.as_dict() for h in self.by_hour],
        }


@dataclass(frozen=True)
class ReviewerNow:
    name: str
    signed_in: bool
    # The session they are in a call with, and since when; None: idle (or signed out).
    session_id: SessionId | None = None
    in_call_since: datetime | None = None


@dataclass(frozen=True)
class TeamNow:
    waiting: int
    longest_wait_seconds: float
    # Applicants who left the queue today without being reviewed (abandoned while waiting).
    left_today: int
    reviewers: list[ReviewerNow] = field(default_factory=list)


@dataclass(frozen=True)
class CheckEntry:
    """A decision awaiting its four-eyes check, as the checker's queue lists it."""

    check_id: int
    session_id: SessionId
    applicant: str
    amount: str
    outcome: str
    maker: str
    because: list[str]
    selected_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.check_id,
            "session_id": self.session_id,
            "applicant": self.applicant,
            "amount": self.amount,
            "outcome": self.outcome,
            "maker": self.maker,
            "because": self.because,
            "selected_at": self.selected_at.isoformat(),
        }


class SupervisionServices(Protocol):
    """Blocking calls: the supervisor window runs each on its worker thread."""

    def checks(self) -> list[CheckEntry]:
        """Decisions awaiting a check that this supervisor may make (not their own), oldest first."""
        ...

    def confirm(self, check_id: int) -> None: ...

    def send_back(self, check_id: int, reason: str, *, reopen: bool) -> None:
        """Reopen the application for a new review (within its window) or reject it."""
        ...

    def team_now(self, now: datetime) -> TeamNow: ...

    def day(self, day: date | None = None) -> DayFigures:
        """A day's figures (default: today), in the bank's time zone."""
        ...
