"""The supervisors' session browser rows (SessionSummary): built from the source tables in
the same transaction as every change of a finished session (a decision, an amendment, a session
ending without a decision, a leg's recording closing), so a listed row is never behind."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.replay import Flag
from app.review import SessionState
from storage.database import aware
from storage.models import (
    DecisionRow,
    EventKind,
    LegRecording,
    Reviewer,
    ReviewSessionRow,
    ScoreSample,
    SessionEvent,
    SessionLeg,
    SessionSummary,
)

FINAL_STATES = (SessionState.DECIDED.value, SessionState.ABANDONED.value, SessionState.EXPIRED.value)
# SessionSummary.outcome of a session that ended without a decision.
ABANDONED = SessionState.ABANDONED.value


def _reason_text(codes: Sequence[str]) -> str:
    return "," + ",".join(codes) + "," if codes else ""


def _flags_of(
    samples: Sequence[tuple[int, bool | None, Sequence[str]]],
    event_kinds: Sequence[str],
    legs: int,
    decisions: Sequence[DecisionRow],
    leg_end_reasons: Sequence[str | None],
) -> Flag:
    flags = Flag(0)
    for faces, live, sample_flags in samples:
        if faces > 1 or "several_faces" in sample_flags or "multiple_faces" in sample_flags:
            flags |= Flag.MULTIPLE_FACES
        if live is False:
            flags |= Flag.LIVENESS_FAILED
    for kind in event_kinds:
        if kind == EventKind.MULTIPLE_FACES:
            flags |= Flag.MULTIPLE_FACES
        elif kind == EventKind.LIVENESS_FAILED:
            flags |= Flag.LIVENESS_FAILED
        elif kind in (EventKind.CONNECTION_DROPPED, EventKind.CONNECTION_FAILED):
            flags |= Flag.DROPPED_CONNECTION
        elif kind in (EventKind.VIRTUAL_CAMERA, EventKind.INJECTION_SUSPECTED):
            flags |= Flag.INJECTION_SUSPECTED
    if legs > 1 or any(reason in ("dropped", "replaced", "connection_failed") for reason in leg_end_reasons):
        flags |= Flag.DROPPED_CONNECTION
    for decision in decisions:
        if decision.outcome == "connection_failed":
            flags |= Flag.DROPPED_CONNECTION
        if (decision.face_summary or {}).get("liveness") == "failed":
            flags |= Flag.LIVENESS_FAILED
        if "liveness_failed" in decision.reasons:
            flags |= Flag.LIVENESS_FAILED
        seen = (decision.face_summary or {}).get("flags_seen") or ()
        if "virtual_camera" in seen or "injection_suspected" in seen:
            flags |= Flag.INJECTION_SUSPECTED
        if decision.outcome == "approve" and decision.overridden:
            flags |= Flag.APPROVED_WITH_OVERRIDE
    return flags


def refresh_summary(session: Session, session_id: int, now: datetime) -> None:
    """Rebuild the browser's row for one session from the source tables, in the caller's
    transaction (the one that changed the session)."""
    row = session.get(ReviewSessionRow, session_id)
    if row is None:
        return
    application = row.application
    reviewer_name = ""
    if row.reviewer_id is not None:
        reviewer = session.get(Reviewer, row.reviewer_id)
        reviewer_name = reviewer.name if reviewer else ""
    samples = session.execute(
        select(ScoreSample.faces, ScoreSample.live, ScoreSample.flags, ScoreSample.similarity).where(
            ScoreSample.session_id == session_id
        )
    ).all()
    similarities = [s[3] for s in samples if s[3] is not None]
    event_kinds = list(
        session.execute(select(SessionEvent.kind).where(SessionEvent.session_id == session_id)).scalars()
    )
    decisions = list(
        session.execute(
            select(DecisionRow).where(DecisionRow.session_id == session_id).order_by(DecisionRow.id)
        ).scalars()
    )
    legs = list(session.execute(select(SessionLeg).where(SessionLeg.session_id == session_id)).scalars())
    has_recording = (
        session.execute(
            select(func.count()).select_from(LegRecording).where(LegRecording.session_id == session_id)
        ).scalar_one()
        > 0
    )
    started = aware(row.taken_at or row.queued_at)
    ended = aware(row.ended_at) if row.ended_at else None
    in_force = decisions[-1] if decisions else None
    original = next((d for d in decisions if d.amends_id is None), None)
    summary = session.get(SessionSummary, session_id)
    if summary is None:
        summary = SessionSummary(session_id=session_id)
        session.add(summary)
    summary.application_id = application.id
    summary.applicant_name = application.applicant_name
    summary.reviewer_id = row.reviewer_id
    summary.reviewer_name = reviewer_name
    summary.started_at = started
    summary.ended_at = ended
    summary.duration = (ended - started).total_seconds() if ended else None
    summary.state = row.state
    summary.original_outcome = original.outcome if original else None
    summary.amended = len(decisions) > 1
    if in_force is not None:
        summary.outcome = in_force.outcome
        summary.reason_codes = _reason_text(in_force.reasons)
    elif row.state == SessionState.ABANDONED.value:
        # Ended without a decision (hung up, console lost or stopped): listed and filtered
        # like an outcome, with how it ended as its reason code.
        summary.outcome = ABANDONED
        summary.reason_codes = _reason_text([row.end_reason] if row.end_reason else [])
    else:
        summary.outcome = None
        summary.reason_codes = ""
    summary.lowest_similarity = min(similarities) if similarities else None
    summary.best_similarity = max(similarities) if similarities else None
    summary.flags = int(
        _flags_of(
            [(s[0], s[1], s[2]) for s in samples],
            event_kinds,
            len(legs),
            decisions,
            [leg.end_reason for leg in legs],
        )
    )
    summary.legs = len(legs)
    summary.has_recording = has_recording
    summary.updated_at = now.astimezone(UTC)


def refresh_if_listed(session: Session, session_id: int, now: datetime) -> None:
    """Refresh the row of a session the browser lists (finished, after a reviewer took it);
    a session still in its call or never taken has none."""
    session.flush()
    state, taken_at = session.execute(
        select(ReviewSessionRow.state, ReviewSessionRow.taken_at).where(ReviewSessionRow.id == session_id)
    ).one()
    if state in FINAL_STATES and taken_at is not None:
        refresh_summary(session, session_id, now)
