"""Role checks where the data is: every read and write a signed-in user makes goes through
here, so a reviewer cannot reach another reviewer's session even without the GUI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.decisions import DecisionDraft, DecisionSubmission
from app.errors import NotFound
from app.ids import DecisionId, SessionId
from app.roles import Action, Forbidden, Role, require
from storage.models import DecisionRow, ReviewSessionRow
from storage.reviewers import Account
from storage.reviews import ReviewRecords, StoredDecision


class AccessControlledRecords:
    """ReviewRecords as one signed-in user may use them."""

    def __init__(self, records: ReviewRecords, account: Account) -> None:
        """records: the deployment's (ReviewRecords.from_settings), with its approval policy,
        questionnaire, face-attempt limit and four-eyes policy."""
        self.database = records.database
        self.account = account
        self.records = records

    def _owner(self, session_id: SessionId) -> int | None:
        with self.database.session() as session:
            row = session.execute(
                select(ReviewSessionRow.reviewer_id).where(ReviewSessionRow.id == session_id)
            ).one_or_none()
            if row is None:
                raise NotFound(f"There is no review session {session_id}.")
            owner = row[0]
            return None if owner is None else int(owner)

    def _require_own(self, session_id: SessionId) -> None:
        require(self.account.role, Action.REVIEW_OWN_SESSION)
        if self._owner(session_id) != self.account.id:
            raise Forbidden(f"Session {session_id} belongs to another reviewer.")

    def require_view(self, session_id: SessionId) -> None:
        if self.account.role is Role.SUPERVISOR:
            return
        require(self.account.role, Action.VIEW_OWN_SESSIONS)
        if self._owner(session_id) != self.account.id:
            raise Forbidden(f"Session {session_id} belongs to another reviewer.")

    def save_answer(self, session_id: SessionId, question_id: str, value: Any, now: datetime) -> None:
        self._require_own(session_id)
        self.records.save_answer(session_id, question_id, value, reviewer_id=self.account.id, now=now)

    def record_decision(self, submission: DecisionSubmission, *, now: datetime) -> StoredDecision:
        self._require_own(submission.session_id)
        if submission.reviewer_id != self.account.id:
            raise Forbidden("A decision is recorded only by the reviewer who made it.")
        return self.records.record_decision(submission, actor=self.account.name, now=now)

    def amend_decision(
        self,
        decision_id: DecisionId,
        draft: DecisionDraft,
        *,
        reason: str,
        now: datetime,
        in_force_seen: DecisionId | None = None,
    ) -> StoredDecision:
        require(self.account.role, Action.AMEND_DECISION)
        return self.records.amend_decision(
            decision_id,
            draft,
            reason=reason,
            supervisor_id=self.account.id,
            actor=self.account.name,
            now=now,
            in_force_seen=in_force_seen,
        )

    def decisions(self, session_id: SessionId) -> list[StoredDecision]:
        self.require_view(session_id)
        return self.records.decisions(session_id)

    def recent_sessions(self, limit: int = 50) -> list[tuple[SessionId, str, datetime | None]]:
        """A reviewer's own recent sessions; a supervisor's view is every session."""
        query = select(ReviewSessionRow.id, ReviewSessionRow.state, ReviewSessionRow.ended_at)
        if self.account.role is Role.REVIEWER:
            query = query.where(ReviewSessionRow.reviewer_id == self.account.id)
        elif self.account.role is not Role.SUPERVISOR:
            require(self.account.role, Action.VIEW_OWN_SESSIONS)
        with self.database.session() as session:
            rows = session.execute(query.order_by(ReviewSessionRow.id.desc()).limit(limit)).all()
            return [(SessionId(r[0]), r[1], r[2]) for r in rows]

    def decision_session(self, decision_id: DecisionId) -> SessionId:
        with self.database.session() as session:
            row = session.get(DecisionRow, decision_id)
            if row is None:
                raise NotFound(f"There is no decision {decision_id}.")
            return SessionId(row.session_id)
