"""A day's figures for supervisors (the live view and `stats --json`): sessions taken, outcomes,
checks awaited, handle time and sessions per hour, counted in the bank's time zone."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.decisions import Outcome
from app.ids import SessionId
from app.review import SessionState
from app.roles import Role
from app.supervision import DayFigures, HourFigures, ReviewerNow, TeamNow
from storage.database import Database, aware
from storage.models import DecisionCheck, DecisionRow, ReviewSessionRow
from storage.reviews import CONSOLE_LOST

AWAITING = "awaiting"


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def day_figures(database: Database, day: date, zone: ZoneInfo) -> DayFigures:
    start = datetime.combine(day, time(0, 0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), zone).astimezone(UTC)
    with database.session() as session:
        rows = session.execute(
            select(
                ReviewSessionRow.id,
                ReviewSessionRow.taken_at,
                ReviewSessionRow.ended_at,
                ReviewSessionRow.end_reason,
                ReviewSessionRow.face_attempts_failed,
            ).where(ReviewSessionRow.taken_at >= start, ReviewSessionRow.taken_at < end)
        ).all()
        ids = [int(r[0]) for r in rows]
        in_force: dict[int, tuple[str, list[str]]] = {}
        awaiting: set[int] = set()
        if ids:
            for session_id, outcome, reasons in session.execute(
                select(DecisionRow.session_id, DecisionRow.outcome, DecisionRow.reasons)
                .where(DecisionRow.session_id.in_(ids))
                .order_by(DecisionRow.id)
            ):
                in_force[int(session_id)] = (str(outcome), list(reasons))
            awaiting = set(
                session.execute(
                    select(DecisionCheck.session_id).where(
                        DecisionCheck.session_id.in_(ids), DecisionCheck.state == AWAITING
                    )
                ).scalars()
            )
    hours: dict[int, dict[str, Any]] = {h: {"handle": []} for h in range(24)}
    totals: dict[str, int] = {o.value: 0 for o in Outcome}
    handle: list[float] = []
    face_failed = "face_match_failed"
    lost = "connection_lost"
    for session_id, taken_at, ended_at, end_reason, attempts_failed in rows:
        hour = aware(taken_at).astimezone(zone).hour
        bucket = hours[hour]
        bucket["sessions"] = bucket.get("sessions", 0) + 1
        outcome, _reasons = in_force.get(int(session_id), ("", []))
        if outcome:
            totals[outcome] += 1
            bucket[outcome] = bucket.get(outcome, 0) + 1
        # Face-match failures: the failed face-recognition attempts of the hour's sessions.
        bucket[face_failed] = bucket.get(face_failed, 0) + int(attempts_failed or 0)
        # Connection failures: the applicant did not come back (the session's outcome), or the
        # console lost its connection to the intake for its grace time (the session's end).
        if outcome == Outcome.CONNECTION_FAILED.value or end_reason == CONSOLE_LOST:
            bucket[lost] = bucket.get(lost, 0) + 1
        if ended_at is not None:
            seconds = (aware(ended_at) - aware(taken_at)).total_seconds()
            handle.append(seconds)
            bucket["handle"].append(seconds)
    return DayFigures(
        day=day,
        sessions=len(rows),
        approved=totals[Outcome.APPROVE.value],
        rejected=totals[Outcome.REJECT.value],
        verify_later=totals[Outcome.VERIFY_LATER.value],
        awaiting_check=len(awaiting),
        median_handle_seconds=_median(handle),
        by_hour=[
            HourFigures(
                hour=h,
                sessions=b.get("sessions", 0),
                approved=b.get(Outcome.APPROVE.value, 0),
                rejected=b.get(Outcome.REJECT.value, 0),
                verify_later=b.get(Outcome.VERIFY_LATER.value, 0),
                connection_failed=b.get(lost, 0),
                face_match_failed=b.get(face_failed, 0),
                median_handle_seconds=_median(b["handle"]),
            )
            for h, b in hours.items()
        ],
    )


def team_now(database: Database, now: datetime, zone: ZoneInfo) -> TeamNow:
    """The queue and every active reviewer's state at `now`."""
    from storage.desk import IN_CALL_STATES
    from storage.models import ConsoleCredentialRow, Reviewer

    day_start = datetime.combine(now.astimezone(zone).date(), time(0, 0), zone).astimezone(UTC)
    with database.session() as session:
        waiting, oldest = session.execute(
            select(func.count(ReviewSessionRow.id), func.min(ReviewSessionRow.queued_at)).where(
                ReviewSessionRow.state == SessionState.WAITING.value
            )
        ).one()
        left = session.execute(
            select(func.count(ReviewSessionRow.id)).where(
                ReviewSessionRow.state == SessionState.ABANDONED.value,
                ReviewSessionRow.taken_at.is_(None),
                ReviewSessionRow.queued_at >= day_start,
            )
        ).scalar_one()
        signed_in = set(
            session.execute(
                select(ConsoleCredentialRow.reviewer_id).where(
                    ConsoleCredentialRow.signed_out_at.is_(None), ConsoleCredentialRow.expires_at > now
                )
            ).scalars()
        )
        calls = {
            int(reviewer_id): (SessionId(session_id), aware(taken_at))
            for reviewer_id, session_id, taken_at in session.execute(
                select(ReviewSessionRow.reviewer_id, ReviewSessionRow.id, ReviewSessionRow.taken_at).where(
                    ReviewSessionRow.state.in_(IN_CALL_STATES), ReviewSessionRow.reviewer_id.is_not(None)
                )
            )
        }
        reviewers = session.execute(
            select(Reviewer.id, Reviewer.name)
            .where(Reviewer.active.is_(True), Reviewer.role == Role.REVIEWER.value)
            .order_by(Reviewer.name)
        ).all()
    return TeamNow(
        waiting=int(waiting),
        longest_wait_seconds=max(0.0, (now - aware(oldest)).total_seconds()) if oldest is not None else 0.0,
        left_today=int(left),
        reviewers=[
            ReviewerNow(
                name=name,
                signed_in=reviewer_id in signed_in or reviewer_id in calls,
                session_id=calls[reviewer_id][0] if reviewer_id in calls else None,
                in_call_since=calls[reviewer_id][1] if reviewer_id in calls else None,
            )
            for reviewer_id, name in reviewers
        ],
    )
