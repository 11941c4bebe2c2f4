"""What the benchmarks and the queue load test need from the tables: many made-up finished
sessions written in bulk (the session browser's benchmark), and the queue's state after a load
run (the exactly-once check). Nothing here is used by the console or the intake."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from app.audit import ChainBreak
from storage.audit_log import verify_audit_chain
from storage.database import Database
from storage.models import Application, AuditEventRow, Reviewer, ReviewSessionRow, SessionSummary
from storage.replay import Flag


def count_session_summaries(database: Database) -> int:
    with database.session() as session:
        return int(session.execute(select(func.count()).select_from(SessionSummary)).scalar_one())


def seed_finished_sessions(database: Database, count: int, *, seed: int = 6) -> None:
    """`count` finished sessions straight into the tables (bulk inserts; the browser reads only
    the summary table, so the other tables get what the foreign keys need)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    reasons = ["identity_mismatch", "face_match_failed", "liveness_failed", "third_party_present",
               "insufficient_repayment_ability", "fraud_suspected", "other"]  # fmt: skip
    with database.session() as session:
        existing_reviewers = session.query(Reviewer).count()
        if existing_reviewers < 20:
            session.execute(
                insert(Reviewer),
                [
                    {"name": f"bench.reviewer{i:02d}", "role": "reviewer", "password_hash": "-",
                     "active": True, "created_at": now}
                    for i in range(existing_reviewers, 20)
                ],
            )  # fmt: skip
        reviewer_ids = [r.id for r in session.query(Reviewer).all()]
        start_app = (session.query(Application.id).order_by(Application.id.desc()).limit(1).scalar() or 0) + 1
        start_session = (
            session.query(ReviewSessionRow.id).order_by(ReviewSessionRow.id.desc()).limit(1).scalar() or 0
        ) + 1
    batch = 5000
    for offset in range(0, count, batch):
        n = min(batch, count - offset)
        apps, rows, summaries = [], [], []
        for k in range(n):
            app_id = start_app + offset + k
            session_id = start_session + offset + k
            started = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
            duration = rng.uniform(40, 180)
            reviewer = rng.choice(reviewer_ids)
            outcome = rng.choices(
                ["approve", "reject", "verify_later", "connection_failed"], [60, 25, 10, 5]
            )[0]
            codes = rng.sample(reasons, rng.randint(1, 2)) if outcome == "reject" else []
            lowest = round(rng.uniform(5, 95), 1)
            flags = Flag(0)
            if rng.random() < 0.05:
                flags |= Flag.MULTIPLE_FACES
            if rng.random() < 0.04:
                flags |= Flag.LIVENESS_FAILED
            if rng.random() < 0.08:
                flags |= Flag.DROPPED_CONNECTION
            apps.append(
                {"id": app_id, "applicant_name": f"Applicant {app_id}", "national_id_masked": "1101**********1234",  # noqa: E501
                 "national_id_digest": "0" * 64, "phone": "+86", "amount": 5000, "term_months": 12,
                 "purpose": "Shop stock", "applied_at": started, "status": "approved", "reference_photo": b"",
                 "reference_photo_format": "jpeg", "reference_encoding": None,
                 "token_digest": f"{app_id:064d}", "created_at": started}
            )  # fmt: skip
            rows.append(
                {"id": session_id, "application_id": app_id, "state": "decided", "reviewer_id": reviewer,
                 "queued_at": started, "taken_at": started, "ended_at": started + timedelta(seconds=duration),
                 "end_reason": outcome, "face_attempts_used": 1, "face_attempts_failed": 0, "version": 1}
            )  # fmt: skip
            summaries.append(
                {"session_id": session_id, "application_id": app_id, "applicant_name": f"Applicant {app_id}",
                 "reviewer_id": reviewer, "reviewer_name": f"reviewer {reviewer}", "started_at": started,
                 "ended_at": started + timedelta(seconds=duration), "duration": duration, "state": "decided",
                 "outcome": outcome, "original_outcome": outcome, "amended": False,
                 "reason_codes": ("," + ",".join(codes) + ",") if codes else "", "lowest_similarity": lowest,
                 "best_similarity": min(100.0, lowest + 20), "flags": int(flags),
                 "legs": 2 if Flag.DROPPED_CONNECTION in flags else 1,
                 "has_recording": True, "updated_at": now}
            )  # fmt: skip
        with database.session() as session:
            session.execute(insert(Application), apps)
            session.execute(insert(ReviewSessionRow), rows)
            session.execute(insert(SessionSummary), summaries)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")


@dataclass(frozen=True)
class QueuedSession:
    """One session of the load run's applications, as the database has it."""

    id: int
    application_id: int
    state: str
    reviewer_id: int | None
    taken_at: datetime | None


@dataclass(frozen=True)
class QueueSnapshot:
    """The sessions of some applications, how many `queue.taken` audit events each session
    has (by subject, "session:ID"), and the audit chain's check."""

    sessions: list[QueuedSession]
    taken_events: dict[str, int]
    audit_events_checked: int
    chain_problem: ChainBreak | None


def queue_snapshot(database: Database, application_ids: Sequence[int]) -> QueueSnapshot:
    with database.session() as session:
        rows = session.execute(
            select(
                ReviewSessionRow.id,
                ReviewSessionRow.application_id,
                ReviewSessionRow.state,
                ReviewSessionRow.reviewer_id,
                ReviewSessionRow.taken_at,
            ).where(ReviewSessionRow.application_id.in_(list(application_ids)))
        ).all()
        taken_events: dict[str, int] = {
            subject: int(count)
            for subject, count in session.execute(
                select(AuditEventRow.subject, func.count())
                .where(AuditEventRow.action == "queue.taken")
                .group_by(AuditEventRow.subject)
            ).all()
        }
        checked, chain_problem = verify_audit_chain(session)
    sessions = [QueuedSession(r.id, r.application_id, r.state, r.reviewer_id, r.taken_at) for r in rows]
    return QueueSnapshot(sessions, taken_events, checked, chain_problem)
