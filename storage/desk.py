"""The review desk on the database: applicant tokens, the waiting queue, and taking the next
applicant so that each goes to exactly one reviewer, also with many consoles on PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import JSON, bindparam, func, select, update
from sqlalchemy.orm import Session

from app.applications import ApplicationStatus, token_digest
from app.errors import NotFound, ReviewError
from app.ids import ApplicationId, ReviewerId, SessionId
from app.questionnaire import Questionnaire
from app.queue import QueueSnapshot, QueueSummary, QueueTicket, TakenApplicant, TokenCheck, TokenStatus
from app.review import SessionState
from app.roles import Role
from app.rules import Availability, ReviewRules
from storage.applications import applicant_card, open_photo
from storage.audit_log import append_event
from storage.database import Database, aware
from storage.models import Application, ConsoleCredentialRow, Reviewer, ReviewSessionRow
from storage.sealing import SealBroken, Sealer
from storage.summaries import refresh_if_listed

log = logging.getLogger(__name__)

ACTIVE_STATES = (
    SessionState.WAITING.value,
    SessionState.CONNECTED.value,
    SessionState.VERIFYING.value,
    SessionState.QUESTIONING.value,
)
IN_CALL_STATES = ACTIVE_STATES[1:]
_FINISHED_APPLICATION = {
    ApplicationStatus.APPROVED.value,
    ApplicationStatus.REJECTED.value,
    ApplicationStatus.AWAITING_CHECK.value,
}


_CLAIMED = (
    ReviewSessionRow.id,
    ReviewSessionRow.application_id,
    ReviewSessionRow.queued_at,
    ReviewSessionRow.questions_asked,
)


class DatabaseReviewDesk:
    """Implements app.queue.ReviewDesk."""

    def __init__(
        self,
        database: Database,
        rules: ReviewRules,
        sealer: Sealer | None = None,
        *,
        questionnaire: Questionnaire | None = None,
    ) -> None:
        """questionnaire: the questions are drawn from it for each session when it is first
        taken (its pools); None: the bank's questionnaire file (app/questionnaire.toml)."""
        self.database = database
        self.rules = rules
        self.sealer = sealer
        if questionnaire is None:
            from app.questionnaire import load_questionnaire
            from app.settings import Settings

            questionnaire = load_questionnaire(Settings.questionnaire_file)
        self.questionnaire = questionnaire

    # -- tokens ---------------------------------------------------------------------------

    def _application_for(self, session: Session, token: str) -> Application | None:
        if not token or len(token) > 200:
            return None
        return session.execute(
            select(Application).where(Application.token_digest == token_digest(token))
        ).scalar_one_or_none()

    def _active_session(self, session: Session, application_id: int) -> ReviewSessionRow | None:
        return session.execute(
            select(ReviewSessionRow)
            .where(
                ReviewSessionRow.application_id == application_id, ReviewSessionRow.state.in_(ACTIVE_STATES)
            )
            .order_by(ReviewSessionRow.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def _check(self, session: Session, token: str, now: datetime) -> TokenCheck:
        application = self._application_for(session, token)
        if application is None:
            return TokenCheck(TokenStatus.UNKNOWN)
        app_id = ApplicationId(application.id)
        deadline = self.rules.deadline(aware(application.applied_at))
        if application.status == ApplicationStatus.AWAITING_CHECK.value:
            # Reviewed, but the decision is not final: the page says it is being checked.
            return TokenCheck(TokenStatus.BEING_CHECKED, app_id, application.applicant_name, deadline)
        if application.status in _FINISHED_APPLICATION:
            return TokenCheck(TokenStatus.USED, app_id, application.applicant_name, deadline)
        active = self._active_session(session, application.id)
        active_id = SessionId(active.id) if active else None
        # A call already under way may reconnect whatever the clock says.
        if active is not None and active.state in IN_CALL_STATES:
            return TokenCheck(
                TokenStatus.VALID, app_id, application.applicant_name, deadline, session_id=active_id
            )
        if application.status == ApplicationStatus.EXPIRED.value:
            return TokenCheck(TokenStatus.EXPIRED, app_id, application.applicant_name, deadline)
        window = self.rules.review_window(aware(application.applied_at), now)
        if window.availability is Availability.EXPIRED:
            return TokenCheck(TokenStatus.EXPIRED, app_id, application.applicant_name, deadline)
        if window.availability is Availability.OUTSIDE_HOURS:
            return TokenCheck(
                TokenStatus.OUTSIDE_HOURS,
                app_id,
                application.applicant_name,
                deadline,
                next_opening=window.next_opening,
            )
        return TokenCheck(
            TokenStatus.VALID, app_id, application.applicant_name, deadline, session_id=active_id
        )

    def check_token(self, token: str, now: datetime) -> TokenCheck:
        with self.database.session() as session:
            return self._check(session, token, now)

    # -- the queue ------------------------------------------------------------------------

    def _ticket(self, session: Session, row: ReviewSessionRow) -> QueueTicket:
        waiting = int(
            session.execute(
                select(func.count(ReviewSessionRow.id)).where(
                    ReviewSessionRow.state == SessionState.WAITING.value
                )
            ).scalar_one()
        )
        if row.state != SessionState.WAITING.value:
            position = 0
        else:
            ahead = session.execute(
                select(func.count(ReviewSessionRow.id)).where(
                    ReviewSessionRow.state == SessionState.WAITING.value,
                    (ReviewSessionRow.queued_at < row.queued_at)
                    | ((ReviewSessionRow.queued_at == row.queued_at) & (ReviewSessionRow.id < row.id)),
                )
            ).scalar_one()
            position = int(ahead) + 1
        return QueueTicket(SessionId(row.id), ApplicationId(row.application_id), position, waiting)

    def join_queue(self, token: str, now: datetime) -> QueueTicket:
        with self.database.session() as session:
            check = self._check(session, token, now)
            if check.status is not TokenStatus.VALID or check.application_id is None:
                raise ReviewError(_TOKEN_MESSAGES[check.status])
            application = session.get(Application, check.application_id, with_for_update=True)
            assert application is not None
            existing = self._active_session(session, application.id)
            if existing is not None:
                return self._ticket(session, existing)
            row = ReviewSessionRow(
                application_id=application.id,
                state=SessionState.WAITING.value,
                queued_at=now.astimezone(UTC),
                face_attempts_used=0,
                face_attempts_failed=0,
            )
            session.add(row)
            application.status = ApplicationStatus.IN_REVIEW.value
            session.flush()
            # The place is counted before the audit log's head is locked: the head is held only
            # for the event and the commit, so consoles' takes do not wait behind the counting.
            ticket = self._ticket(session, row)
            append_event(
                session,
                actor="applicant",
                action="queue.joined",
                subject=f"session:{row.id}",
                details={"application_id": application.id},
                at=now,
            )
            return ticket

    def ticket(self, session_id: SessionId) -> QueueTicket:
        with self.database.session() as session:
            row = session.get(ReviewSessionRow, session_id)
            if row is None:
                raise NotFound(f"There is no review session {session_id}.")
            return self._ticket(session, row)

    def leave_queue(self, session_id: SessionId, now: datetime, *, verify_later: bool) -> None:
        """The applicant left the queue (or pressed "verify later"): the place is given up and
        the application may be reviewed later within its window."""
        with self.database.session() as session:
            result = session.execute(
                update(ReviewSessionRow)
                .where(
                    ReviewSessionRow.id == session_id, ReviewSessionRow.state == SessionState.WAITING.value
                )
                .values(
                    state=SessionState.ABANDONED.value,
                    ended_at=now.astimezone(UTC),
                    end_reason="verify_later" if verify_later else "left_queue",
                    version=ReviewSessionRow.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return  # already taken or ended: nothing to give up
            row = session.get(ReviewSessionRow, session_id)
            assert row is not None
            application = session.get(Application, row.application_id)
            if application is not None and application.status == ApplicationStatus.IN_REVIEW.value:
                application.status = (
                    ApplicationStatus.VERIFY_LATER.value
                    if verify_later
                    else ApplicationStatus.PENDING_REVIEW.value
                )
            append_event(
                session,
                actor="applicant",
                action="queue.verify_later" if verify_later else "queue.left",
                subject=f"session:{session_id}",
                at=now,
            )

    def take_next(self, reviewer_id: ReviewerId, now: datetime) -> TakenApplicant | None:
        """Claim the longest-waiting applicant in one statement (the oldest waiting row not
        locked by another console's claim, updated only while still waiting), then read their
        application and record the take, in a handful of round trips whatever the queue's length."""
        for _ in range(20):
            # The questions the session will ask, drawn now and kept by the claim only if the
            # session has none yet (a session taken again asks what it asked before).
            drawn = list(self.questionnaire.draw())
            with self.database.session() as session:
                waiting = ReviewSessionRow.state == SessionState.WAITING.value
                oldest = (
                    select(ReviewSessionRow.id)
                    .where(waiting)
                    .order_by(ReviewSessionRow.queued_at, ReviewSessionRow.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                    .scalar_subquery()
                )
                # The state condition is what guarantees "exactly once" on every database: a row
                # another console took meanwhile is skipped (PostgreSQL rechecks a locked row's
                # condition; SQLite runs one writer at a time), so no row is updated twice.
                claimed = session.execute(
                    update(ReviewSessionRow)
                    .where(ReviewSessionRow.id == oldest, waiting)
                    .values(
                        state=SessionState.CONNECTED.value,
                        reviewer_id=reviewer_id,
                        taken_at=now.astimezone(UTC),
                        version=ReviewSessionRow.version + 1,
                        questions_asked=func.coalesce(
                            ReviewSessionRow.questions_asked, bindparam("drawn", drawn, type_=JSON)
                        ),
                    )
                    .returning(*_CLAIMED)
                    .execution_options(synchronize_session=False)
                ).one_or_none()
                if claimed is None:
                    return None  # nobody waits (or every waiting row is being claimed right now)
                session_id, application_id, queued_at, questions = claimed
                application = session.get(Application, application_id)
                assert application is not None
                try:
                    photo = open_photo(application.reference_photo, self.sealer)
                except SealBroken as error:
                    # One unreadable photo must not block the queue for everyone behind it.
                    row = session.get(ReviewSessionRow, session_id)
                    assert row is not None
                    self._set_aside(session, row, application, str(error), now)
                    continue
                append_event(
                    session,
                    actor=f"reviewer:{reviewer_id}",
                    action="queue.taken",
                    subject=f"session:{session_id}",
                    details={"application_id": application.id, "questions": list(questions)},
                    at=now,
                )
                return TakenApplicant(
                    **applicant_card(application).card_fields(),
                    session_id=SessionId(session_id),
                    reference_photo=photo,
                    waited_seconds=max(0.0, (now - aware(queued_at)).total_seconds()),
                    questions=tuple(questions),
                )
        return None

    def abandon_waiting(self, session_ids: Sequence[SessionId], now: datetime, reason: str) -> int:
        """Take these applicants out of the queue if they still wait (their page's connection
        was lost with the intake instance holding it); their links stay valid and they join
        again. Returns how many were taken out."""
        if not session_ids:
            return 0
        with self.database.session() as session:
            rows = session.execute(
                select(ReviewSessionRow)
                .where(
                    ReviewSessionRow.id.in_(list(session_ids)),
                    ReviewSessionRow.state == SessionState.WAITING.value,
                )
                .with_for_update(skip_locked=True)
            ).scalars()
            abandoned = 0
            for row in rows:
                self._abandon(session, row, reason, now)
                abandoned += 1
            return abandoned

    @staticmethod
    def _abandon(session: Session, row: ReviewSessionRow, reason: str, at: datetime) -> None:
        row.state = SessionState.ABANDONED.value
        row.ended_at = at.astimezone(UTC)
        row.end_reason = reason
        row.version += 1
        if row.application.status == ApplicationStatus.IN_REVIEW.value:
            row.application.status = ApplicationStatus.PENDING_REVIEW.value
        append_event(
            session, actor="system", action="queue.cleared", subject=f"session:{row.id}",
            details={"reason": reason}, at=at,
        )  # fmt: skip

    def clear_stale_queue(self, before: datetime) -> int:
        """Applicants left waiting by an intake service that stopped (their page lost its
        connection with it): taken out of the queue so no reviewer takes a ghost. Their links
        stay valid; they join again. Returns how many were cleared."""
        with self.database.session() as session:
            rows = session.execute(
                select(ReviewSessionRow)
                .where(
                    ReviewSessionRow.state == SessionState.WAITING.value,
                    ReviewSessionRow.queued_at < before.astimezone(UTC),
                )
                .with_for_update(skip_locked=True)
            ).scalars()
            cleared = 0
            for row in rows:
                row.state = SessionState.ABANDONED.value
                row.ended_at = before.astimezone(UTC)
                row.end_reason = "intake_restarted"
                if row.application.status == ApplicationStatus.IN_REVIEW.value:
                    row.application.status = ApplicationStatus.PENDING_REVIEW.value
                append_event(
                    session, actor="system", action="queue.cleared", subject=f"session:{row.id}",
                    details={"reason": "intake_restarted"}, at=before,
                )  # fmt: skip
                cleared += 1
            return cleared

    @staticmethod
    def _set_aside(
        session: Session, row: ReviewSessionRow, application: Application, problem: str, now: datetime
    ) -> None:
        row.state = SessionState.ABANDONED.value
        row.reviewer_id = None
        row.ended_at = now.astimezone(UTC)
        row.end_reason = "photo_unreadable"
        application.status = ApplicationStatus.PENDING_REVIEW.value
        append_event(
            session,
            actor="system",
            action="queue.photo_unreadable",
            subject=f"session:{row.id}",
            details={"application_id": application.id, "problem": problem},
            at=now,
        )
        refresh_if_listed(session, row.id, now)
        log.error("application %s set aside: its ID photo cannot be opened (%s)", application.id, problem)

    def queue_snapshot(self, now: datetime) -> QueueSnapshot:
        """The whole waiting queue in two index reads, without the ORM (10,000 rows a second
        on a busy intake): the sessions in order, and when the first of them joined; and how
        many reviewers are signed in."""
        waiting = ReviewSessionRow.state == SessionState.WAITING.value
        in_order = (ReviewSessionRow.queued_at, ReviewSessionRow.id)
        with self.database.engine.connect() as connection:
            order = tuple(
                map(
                    SessionId,
                    connection.execute(
                        select(ReviewSessionRow.id).where(waiting).order_by(*in_order)
                    ).scalars(),
                )
            )
            oldest = connection.execute(
                select(ReviewSessionRow.queued_at).where(waiting).order_by(*in_order).limit(1)
            ).scalar_one_or_none()
            reviewers = connection.execute(
                select(func.count(func.distinct(ConsoleCredentialRow.reviewer_id)))
                .join(Reviewer, Reviewer.id == ConsoleCredentialRow.reviewer_id)
                .where(
                    ConsoleCredentialRow.signed_out_at.is_(None),
                    ConsoleCredentialRow.expires_at > now.astimezone(UTC),
                    Reviewer.active.is_(True),
                    Reviewer.role == Role.REVIEWER.value,
                )
            ).scalar_one()
        return QueueSnapshot(
            order, aware(oldest) if oldest is not None else None, now, reviewers_signed_in=int(reviewers)
        )

    def summary(self, now: datetime) -> QueueSummary:
        with self.database.session() as session:
            count, oldest = session.execute(
                select(func.count(ReviewSessionRow.id), func.min(ReviewSessionRow.queued_at)).where(
                    ReviewSessionRow.state == SessionState.WAITING.value
                )
            ).one()
            longest = (now - aware(oldest)).total_seconds() if oldest is not None else 0.0
            return QueueSummary(int(count), max(0.0, longest))


_TOKEN_MESSAGES = {
    TokenStatus.UNKNOWN: "This link is not valid. Please check the link in your message.",
    TokenStatus.USED: "This application has already been reviewed.",
    TokenStatus.EXPIRED: "The 48-hour window for the video review has passed.",
    TokenStatus.OUTSIDE_HOURS: "Video reviews run from 08:00 to 24:00.",
    TokenStatus.VALID: "",
}
