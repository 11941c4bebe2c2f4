"""An in-memory ReviewDesk for the intake and call tests (the real one lives in storage)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.console_access import WRONG_NAME_OR_PASSWORD, ConsoleCredential, ConsoleReviewer, SignInRefused
from app.errors import NotFound, ReviewError
from app.ids import ApplicationId, ReviewerId, SessionId
from app.queue import QueueSnapshot, QueueSummary, QueueTicket, TakenApplicant, TokenCheck, TokenStatus
from app.roles import Role


@dataclass
class FakeSession:
    id: SessionId
    application_id: ApplicationId
    queued_at: datetime
    state: str = "waiting"  # waiting | connected | ended
    reviewer_id: ReviewerId | None = None
    end_reason: str = ""
    legs: list[dict[str, object]] = field(default_factory=list)


FAKE_PASSWORD = "fake-password"


class FakeConsoleAccess:
    """ConsoleAccess in memory. Reviewers 1-9 are "reviewer-N" (role reviewer), 50 is
    "supervisor"; all with FAKE_PASSWORD. `token_for(id)` is a valid credential of that reviewer;
    `revoked` holds the ids whose credentials no longer count."""

    def __init__(self) -> None:
        self.accounts = {
            f"reviewer-{n}": ConsoleReviewer(ReviewerId(n), f"reviewer-{n}", Role.REVIEWER)
            for n in range(1, 10)
        }
        self.accounts["supervisor"] = ConsoleReviewer(ReviewerId(50), "supervisor", Role.SUPERVISOR)
        self.revoked: set[int] = set()
        self.expired: set[str] = set()

    def token_for(self, reviewer_id: int) -> str:
        return f"console-token-{reviewer_id}"

    def sign_in(self, name: str, password: str, address: str, now: datetime) -> ConsoleCredential:
        reviewer = self.accounts.get(name)
        if reviewer is None or password != FAKE_PASSWORD or reviewer.id in self.revoked:
            raise SignInRefused(WRONG_NAME_OR_PASSWORD)
        return ConsoleCredential(self.token_for(reviewer.id), now + timedelta(hours=12), reviewer)

    def reviewer_for(self, token: str, now: datetime) -> ConsoleReviewer | None:
        if token in self.expired:
            return None
        for reviewer in self.accounts.values():
            if token == self.token_for(reviewer.id) and reviewer.id not in self.revoked:
                return reviewer
        return None

    def sign_out(self, token: str, now: datetime) -> None:
        self.expired.add(token)


def fake_sign_in(reviewer_id: int = 5) -> Any:
    """The IntakeSignIn a console holds after signing in to an intake on FakeConsoleAccess."""
    from media.call import IntakeSignIn

    token = FakeConsoleAccess().token_for(reviewer_id)
    return IntakeSignIn(token, "", reviewer_id, f"reviewer-{reviewer_id}", "reviewer")


class FakeDesk:
    """ReviewDesk and CallLegs in memory. Tokens map to applications; statuses other than
    VALID can be forced per token."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: dict[str, ApplicationId] = {}
        self.forced: dict[str, TokenStatus] = {}
        self.sessions: dict[SessionId, FakeSession] = {}
        self.taken_log: list[tuple[ReviewerId, SessionId]] = []
        self.access = FakeConsoleAccess()
        self.reviewers_signed_in: int | None = None  # None: not counted (as before)

    def add(self, token: str, status: TokenStatus = TokenStatus.VALID) -> ApplicationId:
        application_id = ApplicationId(len(self.tokens) + 1)
        self.tokens[token] = application_id
        if status is not TokenStatus.VALID:
            self.forced[token] = status
        return application_id

    def _active(self, application_id: ApplicationId) -> FakeSession | None:
        for session in self.sessions.values():
            if session.application_id == application_id and session.state != "ended":
                return session
        return None

    def check_token(self, token: str, now: datetime) -> TokenCheck:
        with self.lock:
            application_id = self.tokens.get(token)
            if application_id is None:
                return TokenCheck(TokenStatus.UNKNOWN)
            active = self._active(application_id)
            if active is not None and active.state == "connected":
                return TokenCheck(TokenStatus.VALID, application_id, "A", session_id=active.id)
            status = self.forced.get(token, TokenStatus.VALID)
            opening = now + timedelta(hours=7) if status is TokenStatus.OUTSIDE_HOURS else None
            return TokenCheck(
                status,
                application_id,
                "Applicant",
                now + timedelta(hours=40),
                opening,
                active.id if active else None,
            )

    def _ticket(self, session: FakeSession) -> QueueTicket:
        waiting = sorted(
            (s for s in self.sessions.values() if s.state == "waiting"), key=lambda s: (s.queued_at, s.id)
        )
        position = 0 if session.state != "waiting" else [s.id for s in waiting].index(session.id) + 1
        return QueueTicket(session.id, session.application_id, position, len(waiting))

    def join_queue(self, token: str, now: datetime) -> QueueTicket:
        check = self.check_token(token, now)
        if check.status is not TokenStatus.VALID or check.application_id is None:
            raise ReviewError(f"token is {check.status.value}")
        with self.lock:
            active = self._active(check.application_id)
            if active is None:
                active = FakeSession(SessionId(len(self.sessions) + 1), check.application_id, now)
                self.sessions[active.id] = active
            return self._ticket(active)

    def ticket(self, session_id: SessionId) -> QueueTicket:
        with self.lock:
            if session_id not in self.sessions:
                raise NotFound(f"no session {session_id}")
            return self._ticket(self.sessions[session_id])

    def leave_queue(self, session_id: SessionId, now: datetime, *, verify_later: bool) -> None:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is not None and session.state == "waiting":
                session.state = "ended"
                session.end_reason = "verify_later" if verify_later else "left_queue"

    def abandon_waiting(self, session_ids: Sequence[SessionId], now: datetime, reason: str) -> int:
        with self.lock:
            abandoned = 0
            for session_id in session_ids:
                session = self.sessions.get(session_id)
                if session is not None and session.state == "waiting":
                    session.state = "ended"
                    session.end_reason = reason
                    abandoned += 1
            return abandoned

    def take_next(self, reviewer_id: ReviewerId, now: datetime) -> TakenApplicant | None:
        with self.lock:
            waiting = sorted(
                (s for s in self.sessions.values() if s.state == "waiting"), key=lambda s: (s.queued_at, s.id)
            )
            if not waiting:
                return None
            session = waiting[0]
            session.state = "connected"
            session.reviewer_id = reviewer_id
            self.taken_log.append((reviewer_id, session.id))
            return TakenApplicant(
                session_id=session.id,
                application_id=session.application_id,
                applicant_name="Applicant",
                masked_national_id="**************1234",
                phone="+86 138 0000 0000",
                amount=Decimal("5000.00"),
                term_months=12,
                purpose="shop stock",
                applied_at=now - timedelta(hours=1),
                reference_photo=b"\x89PNG fake",
                waited_seconds=(now - session.queued_at).total_seconds(),
            )

    def summary(self, now: datetime) -> QueueSummary:
        with self.lock:
            waiting = [s for s in self.sessions.values() if s.state == "waiting"]
            longest = max(((now - s.queued_at).total_seconds() for s in waiting), default=0.0)
            return QueueSummary(len(waiting), longest)

    def queue_snapshot(self, now: datetime) -> QueueSnapshot:
        with self.lock:
            waiting = sorted(
                (s for s in self.sessions.values() if s.state == "waiting"), key=lambda s: (s.queued_at, s.id)
            )
            return QueueSnapshot(
                tuple(s.id for s in waiting),
                waiting[0].queued_at if waiting else None,
                now,
                reviewers_signed_in=self.reviewers_signed_in,
            )

    def start_leg(self, session_id: SessionId, now: datetime) -> int:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                raise NotFound(f"no session {session_id}")
            if session.state == "ended":
                raise ReviewError("the session has ended")
            session.legs.append({"number": len(session.legs) + 1, "started": now, "ended": None})
            return len(session.legs)

    def end_leg(self, session_id: SessionId, now: datetime, reason: str) -> None:
        with self.lock:
            session = self.sessions.get(session_id)
            for leg in session.legs if session is not None else []:
                if leg["ended"] is None:
                    leg["ended"] = now
                    leg["reason"] = reason

    def end_connection_failed(
        self, session_id: SessionId, now: datetime, *, details: Mapping[str, Any]
    ) -> None:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is not None and session.state != "ended":
                session.state = "ended"
                session.end_reason = "connection_failed"

    def end_without_decision(self, session_id: SessionId, now: datetime, reason: str) -> bool:
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None or session.state == "ended":
                return False
            session.state = "ended"
            session.end_reason = reason
            return True


def utc_now() -> datetime:
    return datetime.now(UTC)
