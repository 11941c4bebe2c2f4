"""What happens in a review session, kept in the database: legs (connections), answers as
entered, face attempts, and the decision (final once written; a supervisor amendment is a new
row pointing to it). Face score samples are on the recording's timeline (storage.recordings)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.applications import ApplicationStatus
from app.decisions import DecisionDraft, Outcome
from app.errors import InvalidDecision, NotFound, ReviewError
from app.ids import DecisionId, ReviewerId, SessionId
from app.review import SessionState, check_transition
from storage.audit_log import append_event
from storage.database import Database, aware
from storage.desk import ACTIVE_STATES, IN_CALL_STATES
from storage.models import AnswerRow, Application, DecisionRow, ReviewSessionRow, SessionLeg

_APPLICATION_STATUS_AFTER = {
    Outcome.APPROVE: ApplicationStatus.APPROVED,
    Outcome.REJECT: ApplicationStatus.REJECTED,
    Outcome.VERIFY_LATER: ApplicationStatus.VERIFY_LATER,
    # The applicant may retry within the window.
    Outcome.CONNECTION_FAILED: ApplicationStatus.PENDING_REVIEW,
}


class DecisionAlreadyRecorded(ReviewError):
    """Someone else decided this session first; their decision stands."""


@dataclass(frozen=True)
class StoredDecision:
    id: DecisionId
    session_id: SessionId
    outcome: str
    reasons: list[str]
    note: str
    override_reason: str
    overridden: list[str]
    face_summary: dict[str, Any]
    answers: dict[str, Any]
    decided_by: int | None
    decided_at: datetime
    amends_id: int | None


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def _stored(row: DecisionRow) -> StoredDecision:
    return StoredDecision(
        id=DecisionId(row.id),
        session_id=SessionId(row.session_id),
        outcome=row.outcome,
        reasons=list(row.reasons),
        note=row.note,
        override_reason=row.override_reason,
        overridden=list(row.overridden),
        face_summary=dict(row.face_summary),
        answers=dict(row.answers_snapshot),
        decided_by=row.decided_by,
        decided_at=aware(row.decided_at),
        amends_id=row.amends_id,
    )


class ReviewRecords:
    def __init__(self, database: Database) -> None:
        self.database = database

    def _session_row(self, session: Session, session_id: int, *, lock: bool = False) -> ReviewSessionRow:
        row = session.get(ReviewSessionRow, session_id, with_for_update=lock)
        if row is None:
            raise NotFound(f"There is no review session {session_id}.")
        return row

    def _clock(self, session: Session, session_id: int, now: datetime) -> float | None:
        """Seconds since the first leg started: the recording's clock."""
        started = session.execute(
            select(SessionLeg.started_at).where(SessionLeg.session_id == session_id, SessionLeg.number == 1)
        ).scalar_one_or_none()
        return None if started is None else max(0.0, (now - aware(started)).total_seconds())

    def state(self, session_id: SessionId) -> SessionState:
        with self.database.session() as session:
            return SessionState(self._session_row(session, session_id).state)

    # -- legs -------------------------------------------------------------------------------

    def start_leg(self, session_id: SessionId, now: datetime, *, recording_path: str | None = None) -> int:
        """A connection came up for this session: its first leg, or a reconnect."""
        with self.database.session() as session:
            row = self._session_row(session, session_id, lock=True)
            if row.state not in IN_CALL_STATES:
                raise ReviewError(f"Session {session_id} is {row.state}; no call can join it.")
            open_legs = [leg for leg in row.legs if leg.ended_at is None]
            for leg in open_legs:
                leg.ended_at = now.astimezone(UTC)
                leg.end_reason = "replaced"
            number = len(row.legs) + 1
            session.add(
                SessionLeg(
                    session_id=row.id,
                    number=number,
                    started_at=now.astimezone(UTC),
                    recording_path=recording_path,
                )
            )
            append_event(
                session,
                actor="system",
                action="leg.started",
                subject=f"session:{session_id}",
                details={"leg": number},
                at=now,
            )
            return number

    def end_leg(self, session_id: SessionId, now: datetime, reason: str) -> None:
        with self.database.session() as session:
            legs = session.execute(
                select(SessionLeg).where(SessionLeg.session_id == session_id, SessionLeg.ended_at.is_(None))
            ).scalars()
            for leg in legs:
                leg.ended_at = now.astimezone(UTC)
                leg.end_reason = reason
                append_event(
                    session,
                    actor="system",
                    action="leg.ended",
                    subject=f"session:{session_id}",
                    details={"leg": leg.number, "reason": reason},
                    at=now,
                )

    def legs(self, session_id: SessionId) -> list[tuple[int, datetime, datetime | None, str | None]]:
        with self.database.session() as session:
            rows = session.execute(
                select(SessionLeg).where(SessionLeg.session_id == session_id).order_by(SessionLeg.number)
            ).scalars()
            return [
                (
                    leg.number,
                    aware(leg.started_at),
                    aware(leg.ended_at) if leg.ended_at else None,
                    leg.end_reason,
                )
                for leg in rows
            ]

    # -- state ------------------------------------------------------------------------------

    def move(self, session_id: SessionId, target: SessionState, now: datetime, *, actor: str) -> None:
        with self.database.session() as session:
            row = self._session_row(session, session_id, lock=True)
            check_transition(SessionState(row.state), target)
            row.state = target.value
            append_event(
                session,
                actor=actor,
                action=f"session.{target.value}",
                subject=f"session:{session_id}",
                at=now,
            )

    def record_face_attempt(
        self, session_id: SessionId, *, failed: bool, now: datetime, actor: str
    ) -> tuple[int, int]:
        """Count an attempt started (failed=False) or failed (failed=True); (used, failed)."""
        with self.database.session() as session:
            row = self._session_row(session, session_id, lock=True)
            if failed:
                row.face_attempts_failed += 1
            else:
                row.face_attempts_used += 1
            append_event(
                session,
                actor=actor,
                action="face.attempt_failed" if failed else "face.attempt_started",
                subject=f"session:{session_id}",
                details={"used": row.face_attempts_used, "failed": row.face_attempts_failed},
                at=now,
            )
            return row.face_attempts_used, row.face_attempts_failed

    def abandon_unfinished(self, now: datetime, *, reviewer_id: ReviewerId | None = None) -> list[SessionId]:
        """Sessions left in a call by a console that died: marked abandoned, recordings kept.
        With a reviewer id, only that reviewer's sessions (their console restarting)."""
        with self.database.session() as session:
            query = select(ReviewSessionRow).where(ReviewSessionRow.state.in_(IN_CALL_STATES))
            if reviewer_id is not None:
                query = query.where(ReviewSessionRow.reviewer_id == reviewer_id)
            ended = []
            for row in session.execute(query.with_for_update()).scalars():
                row.state = SessionState.ABANDONED.value
                row.ended_at = now.astimezone(UTC)
                row.end_reason = "console_stopped"
                for leg in row.legs:
                    if leg.ended_at is None:
                        leg.ended_at = now.astimezone(UTC)
                        leg.end_reason = "console_stopped"
                application = row.application
                if application.status == ApplicationStatus.IN_REVIEW.value:
                    application.status = ApplicationStatus.PENDING_REVIEW.value
                append_event(
                    session,
                    actor="system",
                    action="session.abandoned",
                    subject=f"session:{row.id}",
                    details={"reason": "console_stopped"},
                    at=now,
                )
                ended.append(SessionId(row.id))
            return ended

    # -- answers ----------------------------------------------------------------------------

    def save_answer(
        self,
        session_id: SessionId,
        question_id: str,
        value: Any,
        *,
        reviewer_id: ReviewerId | None,
        now: datetime,
    ) -> None:
        """Store an already-checked answer (app.questionnaire parses and checks it first)."""
        with self.database.session() as session:
            row = self._session_row(session, session_id)
            if row.state not in ACTIVE_STATES:
                raise ReviewError(f"Session {session_id} is {row.state}; its answers are closed.")
            session.add(
                AnswerRow(
                    session_id=session_id,
                    question_id=question_id,
                    value=_json_value(value),
                    answered_by=reviewer_id,
                    answered_at=now.astimezone(UTC),
                    t=self._clock(session, session_id, now),
                )
            )

    def answers(self, session_id: SessionId) -> dict[str, Any]:
        """The latest answer to each question."""
        with self.database.session() as session:
            return self._answers(session, session_id)

    def _answers(self, session: Session, session_id: int) -> dict[str, Any]:
        rows = session.execute(
            select(AnswerRow).where(AnswerRow.session_id == session_id).order_by(AnswerRow.id)
        ).scalars()
        latest = {row.question_id: row.value for row in rows}
        # A withdrawn answer is stored as null: the question counts as unanswered again.
        return {question: value for question, value in latest.items() if value is not None}

    def _bring_answers_up_to_date(
        self,
        session: Session,
        session_id: int,
        answers: Mapping[str, Any],
        reviewer_id: ReviewerId | None,
        now: datetime,
    ) -> None:
        stored = self._answers(session, session_id)
        confirmed = {
            question: _json_value(value)
            for question, value in answers.items()
            if value is not None and value != ""
        }
        clock = self._clock(session, session_id, now)
        for question in sorted(set(stored) | set(confirmed)):
            if stored.get(question) != confirmed.get(question):
                session.add(
                    AnswerRow(
                        session_id=session_id,
                        question_id=question,
                        value=confirmed.get(question),
                        answered_by=reviewer_id,
                        answered_at=now.astimezone(UTC),
                        t=clock,
                    )
                )
        session.flush()

    # -- decisions --------------------------------------------------------------------------

    def record_decision(
        self,
        session_id: SessionId,
        draft: DecisionDraft,
        *,
        overridden: Sequence[str],
        reviewer_id: ReviewerId | None,
        actor: str,
        now: datetime,
        answers: Mapping[str, Any] | None = None,
    ) -> StoredDecision:
        """Store the decision and close the session, in one transaction. Exactly one decision
        is stored per session: a second writer gets DecisionAlreadyRecorded.

        With `answers` (the form as the reviewer confirmed it), any answer that differs from the
        stored ones, or was withdrawn, is stored first in the same transaction, and the decision's
        snapshot is exactly that form."""
        already = self._decision_with_request(draft.request_id)
        if already is not None:
            return already
        try:
            with self.database.session() as session:
                row = self._session_row(session, session_id, lock=True)
                if row.state == SessionState.DECIDED.value:
                    raise DecisionAlreadyRecorded(f"Session {session_id} was already decided.")
                check_transition(SessionState(row.state), SessionState.DECIDED)
                if answers is not None:
                    self._bring_answers_up_to_date(session, session_id, answers, reviewer_id, now)
                snapshot = self._answers(session, session_id)
                decision = DecisionRow(
                    session_id=session_id,
                    outcome=draft.outcome.value,
                    reasons=[reason.value for reason in draft.reasons],
                    note=draft.note,
                    override_reason=draft.override_reason,
                    overridden=list(overridden),
                    face_summary=draft.face.as_dict(),
                    answers_snapshot=snapshot,
                    decided_by=reviewer_id,
                    decided_at=now.astimezone(UTC),
                    t=self._clock(session, session_id, now),
                    request_id=draft.request_id,
                )
                session.add(decision)
                row.state = SessionState.DECIDED.value
                row.ended_at = now.astimezone(UTC)
                row.end_reason = draft.outcome.value
                for leg in row.legs:
                    if leg.ended_at is None:
                        leg.ended_at = now.astimezone(UTC)
                        leg.end_reason = "decided"
                application = session.get(Application, row.application_id)
                assert application is not None
                application.status = _APPLICATION_STATUS_AFTER[draft.outcome].value
                session.flush()
                append_event(
                    session,
                    actor=actor,
                    action="decision.recorded",
                    subject=f"session:{session_id}",
                    details={
                        "decision_id": decision.id,
                        "outcome": draft.outcome.value,
                        "reasons": [reason.value for reason in draft.reasons],
                        "override_reason": draft.override_reason,
                        "overridden": list(overridden),
                        "face": draft.face.as_dict(),
                    },
                    at=now,
                )
                return _stored(decision)
        except IntegrityError:
            already = self._decision_with_request(draft.request_id)
            if already is not None:
                return already
            raise DecisionAlreadyRecorded(
                f"Session {session_id} was already decided by someone else."
            ) from None

    def _decision_with_request(self, request_id: str) -> StoredDecision | None:
        with self.database.session() as session:
            row = session.execute(
                select(DecisionRow).where(DecisionRow.request_id == request_id)
            ).scalar_one_or_none()
            return None if row is None else _stored(row)

    def amend_decision(
        self,
        decision_id: DecisionId,
        draft: DecisionDraft,
        *,
        reason: str,
        supervisor_id: ReviewerId,
        actor: str,
        now: datetime,
        in_force_seen: DecisionId | None = None,
    ) -> StoredDecision:
        """A new decision row pointing to the original. With `in_force_seen` (the decision in
        force on the supervisor's screen), refused when someone amended it meanwhile, so a
        second supervisor never silently replaces the first one's amendment."""
        if not reason.strip():
            raise InvalidDecision("An amendment needs a reason.")
        with self.database.session() as session:
            original = session.get(DecisionRow, decision_id)
            if original is None:
                raise NotFound(f"There is no decision {decision_id}.")
            # Amendments of one session queue up here (the row lock), then see each other.
            self._session_row(session, original.session_id, lock=True)
            latest = session.execute(
                select(DecisionRow.id)
                .where(DecisionRow.session_id == original.session_id)
                .order_by(DecisionRow.id.desc())
                .limit(1)
            ).scalar_one()
            if in_force_seen is not None and latest != in_force_seen:
                raise DecisionAlreadyRecorded(
                    f"Decision {in_force_seen} is no longer the one in force: it was amended meanwhile "
                    f"(now decision {latest}). Reload the session to see it before amending."
                )
            amendment = DecisionRow(
                session_id=original.session_id,
                outcome=draft.outcome.value,
                reasons=[r.value for r in draft.reasons],
                note=draft.note,
                override_reason=reason,
                overridden=[],
                face_summary=dict(original.face_summary),
                answers_snapshot=dict(original.answers_snapshot),
                decided_by=supervisor_id,
                decided_at=now.astimezone(UTC),
                amends_id=original.id,
                request_id=draft.request_id,
            )
            session.add(amendment)
            session.flush()
            application = session.execute(
                select(Application).join(ReviewSessionRow).where(ReviewSessionRow.id == original.session_id)
            ).scalar_one()
            application.status = _APPLICATION_STATUS_AFTER[draft.outcome].value
            append_event(
                session,
                actor=actor,
                action="decision.amended",
                subject=f"session:{original.session_id}",
                details={
                    "decision_id": amendment.id,
                    "amends": original.id,
                    "outcome": draft.outcome.value,
                    "reason": reason,
                },
                at=now,
            )
            return _stored(amendment)

    def decisions(self, session_id: SessionId) -> list[StoredDecision]:
        with self.database.session() as session:
            rows = session.execute(
                select(DecisionRow).where(DecisionRow.session_id == session_id).order_by(DecisionRow.id)
            ).scalars()
            return [_stored(row) for row in rows]

    def sessions_of(self, application_id: int) -> list[tuple[SessionId, str]]:
        with self.database.session() as session:
            rows = session.execute(
                select(ReviewSessionRow.id, ReviewSessionRow.state)
                .where(ReviewSessionRow.application_id == application_id)
                .order_by(ReviewSessionRow.id)
            ).all()
            return [(SessionId(r[0]), r[1]) for r in rows]

    def end_connection_failed(
        self, session_id: SessionId, now: datetime, *, details: Mapping[str, Any]
    ) -> None:
        """The applicant did not come back within the grace period."""
        self.record_decision(
            session_id,
            DecisionDraft(outcome=Outcome.CONNECTION_FAILED, note=str(details.get("note", ""))),
            overridden=[],
            reviewer_id=None,
            actor="system",
            now=now,
        )
