"""What happens in a review session, kept in the database: legs (connections), answers as
entered, face attempts, and the decision (final once written; a supervisor amendment is a new
row pointing to it). Face score samples are on the recording's timeline (storage.recordings)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.applications import ApplicationStatus
from app.approval import ApprovalBlocked, ApprovalPolicy, ReviewFacts, load_approval_policy
from app.decisions import DecisionDraft, DecisionSubmission, FaceSummary, Outcome
from app.errors import InvalidDecision, InvalidTransition, NotFound, ReviewError
from app.face import Liveness, LivenessRecord
from app.four_eyes import CheckPolicy, CheckState, FourEyesRefused
from app.ids import DecisionId, ReviewerId, SessionId
from app.questionnaire import Questionnaire, load_questionnaire
from app.review import EndedWithoutDecision, FaceAttempts, SessionState, check_transition
from app.roles import Action, Forbidden, Role, require
from app.settings import Settings, load_settings
from storage.amendments import APPLICATION_STATUS_AFTER, write_amendment
from storage.audit_log import append_event
from storage.database import Database, aware
from storage.desk import ACTIVE_STATES, IN_CALL_STATES
from storage.four_eyes import open_check_if_selected
from storage.models import (
    AnswerRow,
    Application,
    AuditEventRow,
    DecisionCheck,
    DecisionRow,
    EventKind,
    Reviewer,
    ReviewSessionRow,
    ScoreSample,
    SessionEvent,
    SessionLeg,
)
from storage.summaries import refresh_if_listed

# Timeline events of the applicant's camera (app.camera) and the face flag each stands for.
CAMERA_FLAG_EVENTS = {
    EventKind.VIRTUAL_CAMERA.value: "virtual_camera",
    EventKind.INJECTION_SUSPECTED.value: "injection_suspected",
}


@functools.cache
def _approval_policy(path: str) -> ApprovalPolicy:
    from pathlib import Path

    return load_approval_policy(Path(path))


@functools.cache
def _questionnaire(path: str) -> Questionnaire:
    from pathlib import Path

    return load_questionnaire(Path(path))


class DecisionAlreadyRecorded(ReviewError):
    """Someone else decided this session first; their decision stands."""


class FaceAttemptsUsedUp(InvalidTransition):
    """The application's face-recognition attempts are used up: no new attempt, no approval."""


# How a session ends without a decision (its end reason, shown in the session browser).
HUNG_UP = "hung_up"  # the console hung up before any decision was recorded
CONSOLE_LOST = "console_lost"  # the console's connection to the intake was gone for its grace time
CONSOLE_STOPPED = "console_stopped"  # found in a call when its reviewer's console started again


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


def session_legs(
    database: Database, session_id: SessionId
) -> list[tuple[int, datetime, datetime | None, str | None]]:
    """A session's legs (number, started, ended, end reason), in order: a read that needs none
    of the bank's policies (the recording's clock reads it)."""
    with database.session() as session:
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


class ReviewRecords:
    """Review sessions as the bank's rules allow them to change: only the reviewer who took a
    session answers and decides in it, an application's face attempts are limited, and the
    decisions the four-eyes policy selects wait for a supervisor's check (storage.four_eyes).

    The four-eyes policy applies unless a caller names another: by default the bank's (its file
    and amount as the settings say, app.four_eyes.CheckPolicy.from_settings), so that no path
    that records decisions can skip the check by forgetting to pass it. NO_CHECKS is explicit.
    Likewise the face-attempt limit, the approval policy and the questionnaire: what a caller
    does not give is the deployment's (load_settings: its file and environment), never a
    class default. The console's paths build them with from_settings."""

    def __init__(
        self,
        database: Database,
        *,
        face_attempts_limit: int | None = None,
        check_policy: CheckPolicy | None = None,
        approval_policy: ApprovalPolicy | None = None,
        questionnaire: Questionnaire | None = None,
    ) -> None:
        """An approval is checked here whatever the window checked before."""
        if face_attempts_limit is None or approval_policy is None or questionnaire is None:
            settings = load_settings()
            if face_attempts_limit is None:
                face_attempts_limit = settings.face_attempts_limit
            approval_policy = approval_policy or _approval_policy(str(settings.approval_policy_file))
            questionnaire = questionnaire or _questionnaire(str(settings.questionnaire_file))
        if face_attempts_limit < 1:
            raise ValueError("face_attempts_limit must be at least 1")
        self.database = database
        self.face_attempts_limit = face_attempts_limit
        self._check_policy = check_policy
        self.approval_policy = approval_policy
        self.questionnaire = questionnaire

    @property
    def check_policy(self) -> CheckPolicy:
        if self._check_policy is None:  # read when first needed: most records never decide
            self._check_policy = CheckPolicy.from_settings(load_settings())
        return self._check_policy

    @classmethod
    def from_settings(
        cls, database: Database, settings: Settings, *, check_policy: CheckPolicy | None = None
    ) -> ReviewRecords:
        return cls(
            database,
            face_attempts_limit=settings.face_attempts_limit,
            check_policy=check_policy if check_policy is not None else CheckPolicy.from_settings(settings),
            approval_policy=_approval_policy(str(settings.approval_policy_file)),
            questionnaire=_questionnaire(str(settings.questionnaire_file)),
        )

    @staticmethod
    def _require_owner(session: Session, row: ReviewSessionRow, reviewer_id: ReviewerId | None) -> None:
        """A reviewer writes only in a session they took. None is the system (connection failed)."""
        if reviewer_id is None:
            return
        reviewer = session.get(Reviewer, reviewer_id)
        if reviewer is None or not reviewer.active:
            raise Forbidden(f"There is no active account {reviewer_id}.")
        require(Role(reviewer.role), Action.REVIEW_OWN_SESSION)
        if row.reviewer_id != reviewer_id:
            raise Forbidden(f"Session {row.id} belongs to another reviewer.")

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
        return session_legs(self.database, session_id)

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
            refresh_if_listed(session, session_id, now)

    def _face_attempts(self, session: Session, application_id: int) -> FaceAttempts:
        """The attempts of one application over all its review sessions: the bank's limit is
        per application, so a reconnect or a new session does not start again from zero."""
        used, failed = session.execute(
            select(
                func.coalesce(func.sum(ReviewSessionRow.face_attempts_used), 0),
                func.coalesce(func.sum(ReviewSessionRow.face_attempts_failed), 0),
            ).where(ReviewSessionRow.application_id == application_id)
        ).one()
        return FaceAttempts(limit=self.face_attempts_limit, used=int(used), failed=int(failed))

    def face_attempts(self, session_id: SessionId) -> FaceAttempts:
        """The attempts of this session's application, over all its sessions."""
        with self.database.session() as session:
            row = self._session_row(session, session_id)
            return self._face_attempts(session, row.application_id)

    def record_face_attempt(
        self,
        session_id: SessionId,
        *,
        failed: bool,
        now: datetime,
        reviewer_id: ReviewerId | None,
        actor: str,
    ) -> FaceAttempts:
        """Count an attempt started (failed=False) or failed (failed=True) in this session, for
        its application. Starting one more than the limit allows is refused (FaceAttemptsUsedUp)."""
        with self.database.session() as session:
            row = self._session_row(session, session_id, lock=True)
            self._require_owner(session, row, reviewer_id)
            if row.state not in IN_CALL_STATES:
                raise InvalidTransition(
                    f"Session {session_id} is {row.state}; no face attempt can be counted."
                )
            # Sessions of one application count their attempts one after the other.
            session.get(Application, row.application_id, with_for_update=True)
            count = self._face_attempts(session, row.application_id)
            if failed:
                if row.face_attempts_failed >= row.face_attempts_used:
                    raise InvalidTransition("No face-recognition attempt is running in this session.")
                row.face_attempts_failed += 1
            else:
                if count.used >= count.limit:
                    raise FaceAttemptsUsedUp(
                        f"All {count.limit} face-recognition attempts of this application are used; "
                        "it cannot pass the video review this time."
                    )
                row.face_attempts_used += 1
            count = self._face_attempts(session, row.application_id)
            append_event(
                session,
                actor=actor,
                action="face.attempt_failed" if failed else "face.attempt_started",
                subject=f"session:{session_id}",
                details={
                    "application_id": row.application_id,
                    "used": count.used,
                    "failed": count.failed,
                    "limit": count.limit,
                },
                at=now,
            )
            return count

    def record_failed_challenge(
        self,
        session_id: SessionId,
        kind: str,
        *,
        asked_t: float | None = None,
        now: datetime,
        reviewer_id: ReviewerId | None,
        actor: str,
    ) -> FaceAttempts:
        """A liveness challenge (`kind`, app.face.ChallengeKind's value, asked at `asked_t` on
        the face worker's clock) was not answered: a failed face attempt, counted here in one
        transaction whatever the window does. The attempt open in this session (running, or the
        one that matched) fails; with none open, one more is started and failed while the
        application has one left; with none left there is nothing more to count. Also in a
        session the applicant ended by hanging up (on the challenge: hanging up must not draw a
        new one for free). The application's count after it.

        Idempotent on (session, kind, asked_t): the same failure recorded again (a retry whose
        first commit went through but whose answer was lost, or a hang-up and the verdict of the
        same challenge) is counted once. Without asked_t there is nothing to recognise it by."""
        with self.database.session() as session:
            row = self._session_row(session, session_id, lock=True)
            self._require_owner(session, row, reviewer_id)
            if asked_t is not None and self._failed_challenge_counted(session, session_id, kind, asked_t):
                return self._face_attempts(session, row.application_id)
            hung_up = (
                row.state == SessionState.ABANDONED.value
                and row.end_reason == EndedWithoutDecision.APPLICANT_HUNG_UP
            )
            if row.state not in IN_CALL_STATES and not hung_up:
                raise InvalidTransition(
                    f"Session {session_id} is {row.state}; no face attempt can be counted."
                )
            session.get(Application, row.application_id, with_for_update=True)
            count = self._face_attempts(session, row.application_id)
            started = False
            if row.face_attempts_failed >= row.face_attempts_used:
                if count.used >= count.limit:
                    return count  # every attempt of the application is used and failed already
                row.face_attempts_used += 1
                started = True
            row.face_attempts_failed += 1
            count = self._face_attempts(session, row.application_id)
            append_event(
                session,
                actor=actor,
                action="face.attempt_failed",
                subject=f"session:{session_id}",
                details={
                    "application_id": row.application_id,
                    "used": count.used,
                    "failed": count.failed,
                    "limit": count.limit,
                    "challenge": kind,
                    "asked_t": asked_t,
                    "started": started,
                },
                at=now,
            )
            return count

    @staticmethod
    def _failed_challenge_counted(session: Session, session_id: int, kind: str, asked_t: float) -> bool:
        """This challenge's failure is already counted (its audit event, under the session's row
        lock that the caller holds)."""
        counted = session.execute(
            select(AuditEventRow.details).where(
                AuditEventRow.subject == f"session:{session_id}",
                AuditEventRow.action == "face.attempt_failed",
            )
        ).scalars()
        return any(
            details.get("challenge") == kind
            and details.get("asked_t") is not None
            and abs(float(details["asked_t"]) - asked_t) < 1e-6
            for details in counted
        )

    def abandon_unfinished(self, now: datetime, *, reviewer_id: ReviewerId | None = None) -> list[SessionId]:
        """Sessions left in a call by a console that died: marked abandoned, recordings kept.
        With a reviewer id, only that reviewer's sessions (their console restarting)."""
        with self.database.session() as session:
            query = select(ReviewSessionRow).where(ReviewSessionRow.state.in_(IN_CALL_STATES))
            if reviewer_id is not None:
                query = query.where(ReviewSessionRow.reviewer_id == reviewer_id)
            ended = []
            for row in session.execute(query.with_for_update()).scalars():
                self._abandon(session, row, now, CONSOLE_STOPPED)
                ended.append(SessionId(row.id))
            return ended

    def end_without_decision(self, session_id: SessionId, now: datetime, reason: str) -> bool:
        """The call ended (hung up, or the console was lost) before any decision: the session
        ends as abandoned with `reason`, and the applicant may come back within the window.
        False when it had already ended (decided meanwhile, or ended before)."""
        with self.database.session() as session:
            row = self._session_row(session, session_id, lock=True)
            if row.state not in IN_CALL_STATES:
                return False
            self._abandon(session, row, now, reason)
            return True

    @staticmethod
    def _abandon(session: Session, row: ReviewSessionRow, now: datetime, reason: str) -> None:
        row.state = SessionState.ABANDONED.value
        row.ended_at = now.astimezone(UTC)
        row.end_reason = reason
        for leg in row.legs:
            if leg.ended_at is None:
                leg.ended_at = now.astimezone(UTC)
                leg.end_reason = reason
        application = row.application
        if application.status == ApplicationStatus.IN_REVIEW.value:
            application.status = ApplicationStatus.PENDING_REVIEW.value
        append_event(
            session,
            actor="system",
            action="session.abandoned",
            subject=f"session:{row.id}",
            details={"reason": reason},
            at=now,
        )
        refresh_if_listed(session, row.id, now)

    # -- answers ----------------------------------------------------------------------------

    def questions_asked(self, session_id: SessionId) -> list[str] | None:
        """The questions this session asks, in the order asked; None: not drawn (every question)."""
        with self.database.session() as session:
            asked = self._session_row(session, session_id).questions_asked
            return None if asked is None else list(asked)

    @staticmethod
    def _require_asked(row: ReviewSessionRow, question_ids: Sequence[str]) -> None:
        """Answers only to the questions the session asks (when they were drawn)."""
        if row.questions_asked is None:
            return
        other = sorted(set(question_ids) - set(row.questions_asked))
        if other:
            raise InvalidDecision(
                f"Session {row.id} does not ask {', '.join(other)}; it asks {', '.join(row.questions_asked)}."
            )

    def _asked_questionnaire(self, row: ReviewSessionRow) -> Questionnaire:
        """The questions this session asks: only they can be missing."""
        return self.questionnaire.asked(row.questions_asked or [])

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
            self._require_owner(session, row, reviewer_id)
            if row.state not in ACTIVE_STATES:
                raise ReviewError(f"Session {session_id} is {row.state}; its answers are closed.")
            self._require_asked(row, [question_id])
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

    def record_decision(self, submission: DecisionSubmission, *, actor: str, now: datetime) -> StoredDecision:
        """Store the reviewer's decision and close the session, in one transaction. Exactly one
        decision is stored per session: a second writer gets DecisionAlreadyRecorded.

        With the submission's answers (the form as the reviewer confirmed it), any answer that
        differs from the stored ones, or was withdrawn, is stored first in the same transaction,
        and the decision's snapshot is exactly that form."""
        return self._record_decision(
            submission.session_id,
            submission.draft,
            overridden=submission.overridden,
            reviewer_id=submission.reviewer_id,
            actor=actor,
            now=now,
            answers=submission.answers,
        )

    def _record_decision(
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
        """record_decision, and the system's decisions (reviewer_id None: no owner to check)."""
        already = self._decision_with_request(draft.request_id)
        if already is not None:
            return already
        try:
            with self.database.session() as session:
                row = self._session_row(session, session_id, lock=True)
                self._require_owner(session, row, reviewer_id)
                if row.state == SessionState.DECIDED.value:
                    raise DecisionAlreadyRecorded(f"Session {session_id} was already decided.")
                check_transition(SessionState(row.state), SessionState.DECIDED)
                if answers is not None:
                    self._require_asked(row, [q for q, v in answers.items() if v is not None and v != ""])
                    self._bring_answers_up_to_date(session, session_id, answers, reviewer_id, now)
                snapshot = self._answers(session, session_id)
                # The face as the recording's timeline stores it, not only as the window saw it:
                # the approval policy, the four-eyes selection, the stored summary and the audit
                # event all use this one.
                face = self._face_on_record(session, row.id, draft.face)
                # The bank's approval policy, on what is on record: refused here (the whole
                # transaction undone) whatever the window checked.
                overridden = self._approval_overrides(session, row, draft, face, snapshot, overridden)
                decision = DecisionRow(
                    session_id=session_id,
                    outcome=draft.outcome.value,
                    reasons=[reason.value for reason in draft.reasons],
                    note=draft.note,
                    override_reason=draft.recorded_override_reason,
                    overridden=list(overridden),
                    face_summary=face.as_dict(),
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
                application.status = APPLICATION_STATUS_AFTER[draft.outcome].value
                session.flush()
                open_check_if_selected(
                    session, self.check_policy, decision, application, face=face, actor=actor, now=now
                )
                append_event(
                    session,
                    actor=actor,
                    action="decision.recorded",
                    subject=f"session:{session_id}",
                    details={
                        "decision_id": decision.id,
                        "outcome": draft.outcome.value,
                        "reasons": [reason.value for reason in draft.reasons],
                        "override_reason": draft.recorded_override_reason,
                        "overridden": list(overridden),
                        "face": face.as_dict(),
                    },
                    at=now,
                )
                refresh_if_listed(session, session_id, now)
                return _stored(decision)
        except IntegrityError:
            already = self._decision_with_request(draft.request_id)
            if already is not None:
                return already
            raise DecisionAlreadyRecorded(
                f"Session {session_id} was already decided by someone else."
            ) from None

    def _approval_overrides(
        self,
        session: Session,
        row: ReviewSessionRow,
        draft: DecisionDraft,
        face: FaceSummary,
        answers: Mapping[str, Any],
        overridden_on_screen: Sequence[str],
    ) -> list[str]:
        """The approval policy's rules this decision overrides (the policy's ids first, then any
        the window named besides), with `face` the face on record (_face_on_record). Raises
        ApprovalBlocked, FaceAttemptsUsedUp or ReasonTooShort (InvalidDecision)."""
        if draft.outcome is not Outcome.APPROVE:
            return list(overridden_on_screen)
        # Sessions of one application decide one after the other (attempts counted).
        session.get(Application, row.application_id, with_for_update=True)
        if self._face_attempts(session, row.application_id).exhausted:
            raise FaceAttemptsUsedUp(
                "Approval is not possible: every face-recognition attempt of this application failed."
            )
        facts = ReviewFacts(
            face=face,
            face_attempts_exhausted=self._face_attempts(session, row.application_id).exhausted,
            answers=answers,
            missing_required_answers=self._asked_questionnaire(row).missing_required(answers),
        )
        found = self.approval_policy.check_approval(draft, facts)
        return found + [rule for rule in overridden_on_screen if rule not in found]

    @staticmethod
    def _face_on_record(session: Session, session_id: int, face: FaceSummary) -> FaceSummary:
        """The face panel's summary as the window sent it, made no better than the recording's
        stored timeline: liveness failed when either says so (the same fold, app.face.
        LivenessRecord), not matched unless a stored score matched, every stored flag seen (the
        camera's too: a virtual camera or injection suspected, app.camera), a challenge not
        judged when the timeline has one."""
        rows = session.execute(
            select(ScoreSample.t, ScoreSample.live, ScoreSample.matched, ScoreSample.flags)
            .where(ScoreSample.session_id == session_id)
            .order_by(ScoreSample.id)
        ).all()
        camera_flags = {
            CAMERA_FLAG_EVENTS[kind]
            for kind in session.execute(
                select(SessionEvent.kind).where(
                    SessionEvent.session_id == session_id, SessionEvent.kind.in_(list(CAMERA_FLAG_EVENTS))
                )
            ).scalars()
        }
        if camera_flags:
            face = replace(face, flags_seen=tuple(sorted(set(face.flags_seen) | camera_flags)))
        not_judged = session.execute(
            select(SessionEvent.id)
            .where(
                SessionEvent.session_id == session_id,
                SessionEvent.kind == EventKind.CHALLENGE_NOT_JUDGED.value,
            )
            .limit(1)
        ).scalar_one_or_none()
        if not_judged is not None:  # on the timeline, whatever the window sent
            face = replace(face, challenge_not_judged=True)
        if not rows:
            return face
        record = LivenessRecord.of([(t, live) for t, live, _matched, _flags in rows])
        verdicts = {face.liveness, record.verdict.value}
        liveness = next(
            (v.value for v in (Liveness.FAILED, Liveness.PASSED) if v.value in verdicts), "unknown"
        )
        flags = set(face.flags_seen)
        for _t, _live, _matched, sample_flags in rows:
            flags.update(str(flag) for flag in sample_flags or ())
        return replace(
            face,
            liveness=liveness,
            liveness_failed_earlier=liveness == Liveness.PASSED.value
            and (face.liveness_failed_earlier or record.ever_failed),
            matched=face.matched and any(matched for _t, _live, matched, _flags in rows),
            flags_seen=tuple(sorted(flags)),
        )

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
            # An unchecked decision is not in force yet: the checker's queue confirms it or sends
            # it back (a rejection there is this same amendment), so one supervisor cannot both
            # overrule the maker and take the checker's place outside the check.
            awaiting = session.execute(
                select(DecisionCheck.id).where(
                    DecisionCheck.session_id == original.session_id,
                    DecisionCheck.state == CheckState.AWAITING.value,
                )
            ).scalar_one_or_none()
            if awaiting is not None:
                raise FourEyesRefused(
                    f"Decision {original.id} awaits its four-eyes check ({awaiting}); it cannot be amended "
                    "until a checker confirms it or sends it back (a send-back may reject it)."
                )
            # An amendment to approve passes the same checks on record as a reviewer's approval
            # (blocked rules refuse; an override needs a reason code and a sentence: the
            # amendment's reason when the draft brings none) ...
            row = self._session_row(session, original.session_id)
            face = self._face_on_record(session, row.id, FaceSummary.from_dict(original.face_summary))
            if draft.outcome is Outcome.APPROVE and not draft.override_reason.strip():
                draft = replace(draft, override_reason=reason)
            try:
                overridden = self._approval_overrides(
                    session, row, draft, face, dict(original.answers_snapshot), ()
                )
            except ApprovalBlocked as blocked:
                raise ApprovalBlocked(
                    "An amendment cannot approve this session either: "
                    + str(blocked).removeprefix("Approval is not possible: ")
                ) from None
            amendment = write_amendment(
                session,
                original,
                draft,
                reason=draft.recorded_override_reason if overridden else reason,
                amended_by=supervisor_id,
                actor=actor,
                now=now,
                overridden=overridden,
            )
            # ... and the four-eyes policy: when it selects the amendment, another supervisor
            # (not the amending one, its maker) must confirm it.
            open_check_if_selected(
                session, self.check_policy, amendment, row.application, face=face, actor=actor, now=now
            )
            refresh_if_listed(session, original.session_id, now)
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
        self._record_decision(
            session_id,
            DecisionDraft(outcome=Outcome.CONNECTION_FAILED, note=str(details.get("note", ""))),
            overridden=[],
            reviewer_id=None,
            actor="system",
            now=now,
        )
