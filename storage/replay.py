"""What supervisors replay: the session browser (filtered, sorted, paged over a denormalised
summary table, fast with 100,000 sessions on SQLite) and everything about one session for the
replay window and the PDF report."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from app.consent import GivenConsent
from app.face import FaceBoxInFrame
from app.ids import SessionId
from app.replay import (
    AnswerEntry,
    AuditEntry,
    DecisionEntry,
    EventEntry,
    Flag,
    LegEntry,
    ScoreEntry,
    SessionFilter,
    SessionListItem,
    SessionPage,
    SessionReplay,
    SortKey,
)
from app.roles import Action, Forbidden, may, require
from storage.applications import applicant_card, open_photo
from storage.audit_log import events_for
from storage.database import Database, aware
from storage.models import (
    AnswerRow,
    Application,
    DecisionCheck,
    DecisionRow,
    LegRecording,
    Reviewer,
    ReviewSessionRow,
    ScoreSample,
    SessionConsent,
    SessionEvent,
    SessionLeg,
    SessionSummary,
)
from storage.reviewers import Account
from storage.sealing import Sealer
from storage.summaries import FINAL_STATES, refresh_summary

# The values live in app.replay (the replay window sees them without importing storage); they
# stay importable from here for storage's own users.
__all__ = [
    "AnswerEntry",
    "AuditEntry",
    "DecisionEntry",
    "EventEntry",
    "Flag",
    "LegEntry",
    "ReplayRecords",
    "ScoreEntry",
    "SessionFilter",
    "SessionListItem",
    "SessionPage",
    "SessionReplay",
    "SortKey",
]


class ReplayRecords:
    def __init__(
        self, database: Database, sealer: Sealer | None = None, viewer: Account | None = None
    ) -> None:
        """The sealer opens reference photos stored encrypted (as the console stores them).

        With a viewer, what they may see is enforced here: a supervisor sees every session,
        a reviewer only their own, an administrator none. Without one (commands run by the
        operator on the database itself), everything."""
        self.database = database
        self.sealer = sealer
        self.viewer = viewer

    def _viewer_conditions(self) -> list[ColumnElement[bool]]:
        if self.viewer is None or may(self.viewer.role, Action.VIEW_ANY_SESSION):
            return []
        require(self.viewer.role, Action.VIEW_OWN_SESSIONS)
        return [SessionSummary.reviewer_id == self.viewer.id]

    def _require_view(self, session: Session, session_id: int) -> None:
        if self.viewer is None or may(self.viewer.role, Action.VIEW_ANY_SESSION):
            return
        require(self.viewer.role, Action.VIEW_OWN_SESSIONS)
        owner = session.execute(
            select(ReviewSessionRow.reviewer_id).where(ReviewSessionRow.id == session_id)
        ).scalar_one_or_none()
        if owner != self.viewer.id:
            raise Forbidden(f"Session {session_id} belongs to another reviewer.")

    # -- summaries --------------------------------------------------------------------------

    def refresh_summary(self, session_id: SessionId, now: datetime | None = None) -> None:
        """Rebuild the browser's row for one session from the source tables. Call it when a
        session ends and after an amendment (the replay window does the latter)."""
        with self.database.session() as session:
            refresh_summary(session, session_id, now or datetime.now(UTC))

    def refresh_missing(self, now: datetime | None = None, limit: int = 5000) -> int:
        """Summaries for finished sessions that have none yet (a console that crashed, or
        sessions from before this table existed). Returns how many were built."""
        moment = now or datetime.now(UTC)
        with self.database.session() as session:
            ids = (
                session.execute(
                    select(ReviewSessionRow.id)
                    .outerjoin(SessionSummary, SessionSummary.session_id == ReviewSessionRow.id)
                    .where(
                        SessionSummary.session_id.is_(None),
                        ReviewSessionRow.state.in_(FINAL_STATES),
                        ReviewSessionRow.taken_at.is_not(None),
                    )
                    .limit(limit)
                )
                .scalars()
                .all()
            )
            for session_id in ids:
                refresh_summary(session, session_id, moment)
            return len(ids)

    # -- the browser ------------------------------------------------------------------------

    @staticmethod
    def _conditions(spec: SessionFilter) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if spec.started_from is not None:
            conditions.append(SessionSummary.started_at >= spec.started_from.astimezone(UTC))
        if spec.started_to is not None:
            conditions.append(SessionSummary.started_at < spec.started_to.astimezone(UTC))
        if spec.reviewer_id is not None:
            conditions.append(SessionSummary.reviewer_id == spec.reviewer_id)
        if spec.outcome:
            conditions.append(SessionSummary.outcome == spec.outcome)
        if spec.reason_code:
            conditions.append(SessionSummary.reason_codes.contains(f",{spec.reason_code},", autoescape=True))
        if spec.lowest_similarity_below is not None:
            conditions.append(SessionSummary.lowest_similarity < spec.lowest_similarity_below)
        if spec.flags:
            mask = int(spec.flags)
            conditions.append(SessionSummary.flags.op("&")(mask) == mask)
        if spec.amended_only:
            conditions.append(SessionSummary.amended.is_(True))
        return conditions

    def browse(
        self,
        spec: SessionFilter | None = None,
        *,
        sort: SortKey = SortKey.STARTED,
        descending: bool = True,
        page: int = 0,
        page_size: int = 50,
    ) -> SessionPage:
        """One page of finished sessions matching the filter, with the total count."""
        spec = spec or SessionFilter()
        conditions = self._conditions(spec) + self._viewer_conditions()
        column = getattr(SessionSummary, sort.value)
        order = [column.desc() if descending else column.asc()]
        # A stable order across pages, whatever the sort key.
        order.append(SessionSummary.session_id.desc() if descending else SessionSummary.session_id.asc())
        query: Select[tuple[SessionSummary]] = select(SessionSummary)
        count_query = select(func.count()).select_from(SessionSummary)
        if conditions:
            query = query.where(and_(*conditions))
            count_query = count_query.where(and_(*conditions))
        # (No "NULLs last" term for the similarity sort: it would stop the index from giving
        # the order, and sessions without a score, e.g. failed connections, are worth seeing.)
        query = query.order_by(*order).offset(max(0, page) * page_size).limit(page_size)
        with self.database.session() as session:
            rows = session.execute(query).scalars().all()
            total = int(session.execute(count_query).scalar_one())
            items = [
                SessionListItem(
                    session_id=SessionId(r.session_id),
                    applicant_name=r.applicant_name,
                    reviewer_name=r.reviewer_name,
                    started_at=aware(r.started_at),
                    duration=r.duration,
                    state=r.state,
                    outcome=r.outcome,
                    amended=r.amended,
                    reason_codes=[c for c in r.reason_codes.split(",") if c],
                    lowest_similarity=r.lowest_similarity,
                    flags=Flag(r.flags),
                    legs=r.legs,
                    has_recording=r.has_recording,
                )
                for r in rows
            ]
        return SessionPage(items, total, page, page_size)

    def reviewers(self) -> list[tuple[int, str]]:
        with self.database.session() as session:
            rows = session.execute(select(Reviewer.id, Reviewer.name).order_by(Reviewer.name)).all()
            return [(int(r[0]), str(r[1])) for r in rows]

    # -- one session ------------------------------------------------------------------------

    def session_replay(self, session_id: SessionId) -> SessionReplay:
        from app.errors import NotFound

        with self.database.session() as session:
            self._require_view(session, session_id)
            row = session.get(ReviewSessionRow, session_id)
            if row is None:
                raise NotFound(f"There is no review session {session_id}.")
            application: Application = row.application
            names = dict(session.execute(select(Reviewer.id, Reviewer.name)).tuples().all())
            legs = list(
                session.execute(
                    select(SessionLeg).where(SessionLeg.session_id == session_id).order_by(SessionLeg.number)
                ).scalars()
            )
            recordings = {
                r.leg_number: r
                for r in session.execute(
                    select(LegRecording).where(LegRecording.session_id == session_id)
                ).scalars()
            }
            first_start = aware(legs[0].started_at) if legs else None
            if first_start is None and 1 in recordings:
                first_start = aware(recordings[1].started_at)
            leg_entries: list[LegEntry] = []
            numbers = sorted({leg.number for leg in legs} | set(recordings))
            by_number = {leg.number: leg for leg in legs}
            for number in numbers:
                leg = by_number.get(number)
                recording = recordings.get(number)
                if recording is not None:
                    offset = recording.offset
                elif leg is not None and first_start is not None:
                    offset = max(0.0, (aware(leg.started_at) - first_start).total_seconds())
                else:
                    offset = 0.0
                started = aware(leg.started_at) if leg else aware(recording.started_at)  # type: ignore[union-attr]
                leg_entries.append(
                    LegEntry(
                        number=number,
                        started_at=started,
                        ended_at=aware(leg.ended_at) if leg and leg.ended_at else None,
                        end_reason=leg.end_reason if leg else None,
                        offset=offset,
                        recording_directory=(
                            recording.directory if recording else (leg.recording_path if leg else None)
                        ),
                        recording_state=recording.state if recording else None,
                    )
                )
            scores = [
                ScoreEntry(
                    r.t,
                    r.leg_number,
                    r.faces,
                    r.similarity,
                    r.distance,
                    r.matched,
                    r.live,
                    list(r.flags),
                    None if r.box is None else FaceBoxInFrame.from_list(r.box),
                )
                for r in session.execute(
                    select(ScoreSample)
                    .where(ScoreSample.session_id == session_id)
                    .order_by(ScoreSample.t, ScoreSample.id)
                ).scalars()
            ]
            events = [
                EventEntry(r.t, r.leg_number, r.kind, dict(r.details))
                for r in session.execute(
                    select(SessionEvent)
                    .where(SessionEvent.session_id == session_id)
                    .order_by(SessionEvent.t, SessionEvent.id)
                ).scalars()
            ]
            answers = [
                AnswerEntry(
                    r.question_id,
                    r.value,
                    aware(r.answered_at),
                    r.t,
                    names.get(r.answered_by, "") if r.answered_by is not None else "",
                )
                for r in session.execute(
                    select(AnswerRow).where(AnswerRow.session_id == session_id).order_by(AnswerRow.id)
                ).scalars()
            ]
            decisions = [
                DecisionEntry(
                    id=r.id,
                    outcome=r.outcome,
                    reasons=list(r.reasons),
                    note=r.note,
                    override_reason=r.override_reason,
                    decided_by=names.get(r.decided_by, "system") if r.decided_by is not None else "system",
                    decided_at=aware(r.decided_at),
                    t=r.t,
                    amends_id=r.amends_id,
                    face_summary=dict(r.face_summary),
                    overridden=list(r.overridden or []),
                )
                for r in session.execute(
                    select(DecisionRow).where(DecisionRow.session_id == session_id).order_by(DecisionRow.id)
                ).scalars()
            ]
            audit = [
                AuditEntry(e.seq, e.at, e.actor, e.action, dict(e.details), e.prev_hash, e.hash)
                for e in events_for(session, f"session:{session_id}")
                if e.subject == f"session:{session_id}"
            ]
            return SessionReplay(
                **applicant_card(application).card_fields(),
                session_id=SessionId(row.id),
                state=row.state,
                reference_photo=self._photo(application.reference_photo),
                reference_photo_format=application.reference_photo_format,
                reviewer_name=names.get(row.reviewer_id, "") if row.reviewer_id is not None else "",
                queued_at=aware(row.queued_at),
                taken_at=aware(row.taken_at) if row.taken_at else None,
                ended_at=aware(row.ended_at) if row.ended_at else None,
                legs=leg_entries,
                scores=scores,
                events=events,
                answers=answers,
                decisions=decisions,
                audit=audit,
                consent=_consent(session, session_id),
                questions_asked=list(row.questions_asked or []),
                four_eyes_check=_check_state(session, session_id),
            )

    def _photo(self, stored: bytes) -> bytes:
        try:
            return open_photo(bytes(stored), self.sealer)
        except Exception:  # a photo sealed with another key: the report says it is missing
            return b""


def _check_state(session: Session, session_id: int) -> str:
    """The state of the session's latest four-eyes check; "" when none was opened."""
    state = session.execute(
        select(DecisionCheck.state)
        .where(DecisionCheck.session_id == session_id)
        .order_by(DecisionCheck.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return "" if state is None else str(state)


def _consent(session: Session, session_id: int) -> GivenConsent | None:
    row = session.get(SessionConsent, session_id)
    if row is None:
        return None
    return GivenConsent(
        SessionId(row.session_id), row.version, row.language, row.text_sha256, aware(row.given_at)
    )
