"""A day's figures for supervisors (the live view and `stats --json`): sessions taken, outcomes,
checks awaited, handle time and sessions per hour, counted in the bank's time zone."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.decisions import Outcome
from storage.database import Database, aware
from storage.models import DecisionCheck, DecisionRow, ReviewSessionRow

AWAITING = "awaiting"


@dataclass(frozen=True)
class HourFigures:
    hour: int
    sessions: int = 0
    approved: int = 0
    rejected: int = 0
    verify_later: int = 0
    connection_failed: int = 0
    face_match_failed: int = 0
    median_handle_seconds: float | None = None


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
            "by_hour": [{"hour": h.hour, "sessions": h.sessions} for h in self.by_hour],
        }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def day_figures(database: Database, day: date, zone: ZoneInfo) -> DayFigures:
    start = datetime.combine(day, time(0, 0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), zone).astimezone(UTC)
    with database.session() as session:
        rows = session.execute(
            select(ReviewSessionRow.id, ReviewSessionRow.taken_at, ReviewSessionRow.ended_at).where(
                ReviewSessionRow.taken_at >= start, ReviewSessionRow.taken_at < end
            )
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
    for session_id, taken_at, ended_at in rows:
        hour = aware(taken_at).astimezone(zone).hour
        bucket = hours[hour]
        bucket["sessions"] = bucket.get("sessions", 0) + 1
        outcome, reasons = in_force.get(int(session_id), ("", []))
        if outcome:
            totals[outcome] += 1
            bucket[outcome] = bucket.get(outcome, 0) + 1
        if face_failed in reasons:
            bucket[face_failed] = bucket.get(face_failed, 0) + 1
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
                connection_failed=b.get(Outcome.CONNECTION_FAILED.value, 0),
                face_match_failed=b.get(face_failed, 0),
                median_handle_seconds=_median(b["handle"]),
            )
            for h, b in hours.items()
        ],
    )
