"""Four-eyes checks in the database. A decision the policy selects (app.four_eyes) opens a check
in the same transaction that stores it, and the application waits in "awaiting check" until a
supervisor other than the decision's maker confirms it or sends it back. Storage refuses a
checker who is the maker (here, and a CHECK constraint on the table), or not a supervisor.
Every step is an audit event."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.applications import ApplicationStatus
from app.decisions import DecisionDraft, FaceSummary, Outcome, RejectReason
from app.errors import NotFound
from app.four_eyes import CheckPolicy, CheckState, FourEyesRefused, SendBack
from app.ids import SessionId
from app.questionnaire import application_facts
from app.roles import Action, Role, may
from storage.amendments import APPLICATION_STATUS_AFTER, write_amendment
from storage.audit_log import append_event
from storage.database import Database, aware
from storage.models import Application, DecisionCheck, DecisionRow, Reviewer, ReviewSessionRow
from storage.summaries import refresh_if_listed


def open_check_if_selected(
    session: Session,
    policy: CheckPolicy,
    decision: DecisionRow,
    application: Application,
    *,
    face: FaceSummary,
    actor: str,
    now: datetime,
) -> bool:
    """Called by ReviewRecords inside the transaction that stores `decision` (a reviewer's, or a
    supervisor's amendment: its decided_by is the check's maker); `face` is the face state on
    record (ReviewRecords._face_on_record), never only the window's. True when the decision now
    awaits a check (the application's status is then "awaiting check")."""
    because = policy.selects(
        outcome=Outcome(decision.outcome),
        amount=Decimal(application.amount),
        overridden=list(decision.overridden),
        answers=dict(decision.answers_snapshot),
        face=face,
        facts=application_facts(
            masked_national_id=application.national_id_masked,
            amount=Decimal(application.amount),
            term_months=application.term_months,
        ),
    )
    if not because:
        return False
    session.add(
        DecisionCheck(
            decision_id=decision.id,
            session_id=decision.session_id,
            maker_id=decision.decided_by,
            selected_because=[b.value for b in because],
            selected_at=now.astimezone(UTC),
            state=CheckState.AWAITING.value,
            reason="",
        )
    )
    application.status = ApplicationStatus.AWAITING_CHECK.value
    append_event(
        session,
        actor=actor,
        action="check.selected",
        subject=f"session:{decision.session_id}",
        details={"decision_id": decision.id, "because": [b.value for b in because]},
        at=now,
    )
    return True


@dataclass(frozen=True)
class CheckItem:
    """A decision awaiting (or past) its four-eyes check, as the checker's queue shows it."""

    check_id: int
    session_id: SessionId
    decision_id: int
    applicant_name: str
    amount: Decimal
    outcome: str
    maker_id: int | None
    maker_name: str
    because: list[str]
    selected_at: datetime
    state: CheckState
    checker_name: str
    reason: str


def _status_after(outcome: str) -> ApplicationStatus:
    return APPLICATION_STATUS_AFTER[Outcome(outcome)]


class FourEyesChecks:
    def __init__(self, database: Database, *, review_window: timedelta = timedelta(hours=48)) -> None:
        self.database = database
        self.review_window = review_window

    def _items(self, session: Session, query_filter: Iterable[object], limit: int) -> list[CheckItem]:
        names = dict(session.execute(select(Reviewer.id, Reviewer.name)).tuples().all())
        rows = session.execute(
            select(DecisionCheck, DecisionRow.outcome, Application.applicant_name, Application.amount)
            .join(DecisionRow, DecisionRow.id == DecisionCheck.decision_id)
            .join(ReviewSessionRow, ReviewSessionRow.id == DecisionCheck.session_id)
            .join(Application, Application.id == ReviewSessionRow.application_id)
            .where(*query_filter)  # type: ignore[arg-type]
            .order_by(DecisionCheck.selected_at, DecisionCheck.id)
            .limit(limit)
        ).all()
        return [
            CheckItem(
                check_id=check.id,
                session_id=SessionId(check.session_id),
                decision_id=check.decision_id,
                applicant_name=name,
                amount=Decimal(amount),
                outcome=outcome,
                maker_id=check.maker_id,
                maker_name=names.get(check.maker_id, "") if check.maker_id is not None else "",
                because=list(check.selected_because),
                selected_at=aware(check.selected_at),
                state=CheckState(check.state),
                checker_name=names.get(check.checker_id, "") if check.checker_id is not None else "",
                reason=check.reason,
            )
            for check, outcome, name, amount in rows
        ]

    def queue(self, *, checker_id: int | None = None, limit: int = 200) -> list[CheckItem]:
        """Decisions awaiting a check, oldest first; with a checker, not their own decisions."""
        conditions: list[object] = [DecisionCheck.state == CheckState.AWAITING.value]
        if checker_id is not None:
            conditions.append((DecisionCheck.maker_id.is_(None)) | (DecisionCheck.maker_id != checker_id))
        with self.database.session() as session:
            return self._items(session, conditions, limit)

    def check_of(self, session_id: SessionId) -> CheckItem | None:
        with self.database.session() as session:
            items = self._items(session, [DecisionCheck.session_id == session_id], 100)
        return items[-1] if items else None

    def states(self, session_ids: Iterable[int]) -> dict[int, CheckState]:
        """The latest check of each session; sessions without one are not in the answer."""
        ids = list(session_ids)
        if not ids:
            return {}
        with self.database.session() as session:
            rows = session.execute(
                select(DecisionCheck.session_id, DecisionCheck.state)
                .where(DecisionCheck.session_id.in_(ids))
                .order_by(DecisionCheck.id)
            ).all()
        return {int(sid): CheckState(state) for sid, state in rows}

    def _open_check(self, session: Session, check_id: int, checker_id: int) -> tuple[DecisionCheck, Reviewer]:
        check = session.get(DecisionCheck, check_id, with_for_update=True)
        if check is None:
            raise NotFound(f"There is no four-eyes check {check_id}.")
        checker = session.get(Reviewer, checker_id)
        if checker is None or not checker.active:
            raise FourEyesRefused(f"There is no active account {checker_id} to check with.")
        if not may(Role(checker.role), Action.CHECK_DECISION):
            raise FourEyesRefused(f"A {checker.role} may not check decisions; a supervisor does.")
        if check.maker_id is not None and check.maker_id == checker_id:
            raise FourEyesRefused(
                f"{checker.name} made decision {check.decision_id}; a different supervisor must check it."
            )
        if check.state != CheckState.AWAITING.value:
            raise FourEyesRefused(f"Check {check_id} was already {check.state.replace('_', ' ')}.")
        return check, checker

    def confirm(self, check_id: int, *, checker_id: int, now: datetime) -> SessionId:
        with self.database.session() as session:
            check, checker = self._open_check(session, check_id, checker_id)
            decision = session.get(DecisionRow, check.decision_id)
            assert decision is not None
            check.state = CheckState.CONFIRMED.value
            check.checker_id = checker.id
            check.checked_at = now.astimezone(UTC)
            application = self._application(session, check.session_id)
            application.status = _status_after(decision.outcome).value
            append_event(
                session,
                actor=checker.name,
                action="check.confirmed",
                subject=f"session:{check.session_id}",
                details={"decision_id": check.decision_id, "check_id": check.id},
                at=now,
            )
            refresh_if_listed(session, check.session_id, now)
            return SessionId(check.session_id)

    def send_back(
        self, check_id: int, *, checker_id: int, reason: str, action: SendBack, now: datetime
    ) -> SessionId:
        """Reopen the application for a new review (only within its window) or reject it; the
        rejection is an amendment of the maker's decision, in force from now."""
        if not reason.strip():
            raise FourEyesRefused("Sending a decision back needs a reason.")
        with self.database.session() as session:
            check, checker = self._open_check(session, check_id, checker_id)
            application = self._application(session, check.session_id)
            if action is SendBack.REOPEN:
                closes = aware(application.applied_at) + self.review_window
                if now >= closes:
                    raise FourEyesRefused(
                        f"The application's review window closed at {closes.isoformat(timespec='minutes')}; "
                        "it cannot be reopened, only rejected."
                    )
                application.status = ApplicationStatus.PENDING_REVIEW.value
            else:
                self._reject(session, check, checker, reason, now)
                application.status = ApplicationStatus.REJECTED.value
            check.state = CheckState.SENT_BACK.value
            check.checker_id = checker.id
            check.checked_at = now.astimezone(UTC)
            check.reason = reason
            check.resolution = action.value
            append_event(
                session,
                actor=checker.name,
                action="check.sent_back",
                subject=f"session:{check.session_id}",
                details={"decision_id": check.decision_id, "check_id": check.id, "reason": reason,
                         "resolution": action.value},
                at=now,
            )  # fmt: skip
            refresh_if_listed(session, check.session_id, now)
            return SessionId(check.session_id)

    @staticmethod
    def _application(session: Session, session_id: int) -> Application:
        return session.execute(
            select(Application).join(ReviewSessionRow).where(ReviewSessionRow.id == session_id)
        ).scalar_one()

    @staticmethod
    def _reject(
        session: Session, check: DecisionCheck, checker: Reviewer, reason: str, now: datetime
    ) -> None:
        original = session.get(DecisionRow, check.decision_id)
        assert original is not None
        write_amendment(
            session,
            original,
            DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,), face=FaceSummary()),
            reason=reason,
            amended_by=checker.id,
            actor=checker.name,
            now=now,
            audit_details={"four_eyes_check": check.id},
        )
