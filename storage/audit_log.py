"""The append-only audit log in the database, chained by hashes (see app.audit)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.audit import GENESIS_HASH, AuditRecord, ChainBreak, event_hash, verify_chain
from storage.models import AuditEventRow, AuditHead


@dataclass(frozen=True)
class NewEvent:
    """One event for `append_events`."""

    actor: str
    action: str
    subject: str
    details: Mapping[str, Any] | None = None
    at: datetime | None = None


def append_event(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEventRow:
    """Add one event in the caller's transaction, so it commits (or not) with what it records.

    The head row is locked first, so concurrent writers on PostgreSQL queue up here instead
    of forking the chain; on SQLite the database's single writer does the same.
    """
    head = _locked_head(session)
    row = _chained(head, NewEvent(actor, action, subject, details, at))
    session.add(row)
    session.flush()
    return row


def append_events(session: Session, events: Sequence[NewEvent]) -> None:
    """Add many events in the caller's transaction, chained in order, with one lock of the head
    and one INSERT of many rows (registering thousands of applications at once)."""
    if not events:
        return
    head = _locked_head(session)
    rows = [_chained(head, event) for event in events]
    session.execute(
        insert(AuditEventRow),
        [
            {
                "seq": row.seq,
                "at": row.at,
                "actor": row.actor,
                "action": row.action,
                "subject": row.subject,
                "details": row.details,
                "prev_hash": row.prev_hash,
                "hash": row.hash,
            }
            for row in rows
        ],
    )
    session.flush()


def _locked_head(session: Session) -> AuditHead:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def _chained(head: AuditHead, event: NewEvent) -> AuditEventRow:
    """The event as the row after `head`; moves the head on to it (the caller stores the row)."""
    seq = head.seq + 1
    when = (event.at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    # Stored as JSON and hashed as JSON: round-trip now, so what is read back hashes the same.
    clean_details = json.loads(json.dumps(dict(event.details or {}), default=str))
    digest = event_hash(
        seq=seq,
        at=when,
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        details=clean_details,
        prev_hash=head.hash,
    )
    row = AuditEventRow(
        seq=seq,
        at=when,
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        details=clean_details,
        prev_hash=head.hash,
        hash=digest,
    )
    head.seq = seq
    head.hash = digest
    return row


def _records(session: Session) -> Iterator[AuditRecord]:
    rows = session.execute(select(AuditEventRow).order_by(AuditEventRow.seq)).scalars()
    for row in rows:
        yield AuditRecord(
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject=row.subject,
            details=row.details,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


def verify_audit_chain(session: Session) -> tuple[int, ChainBreak | None]:
    """(events checked, first break or None)."""
    count = 0

    def counted() -> Iterator[AuditRecord]:
        nonlocal count
        for record in _records(session):
            count += 1
            yield record

    problem = verify_chain(counted())
    if problem is not None:
        return count, problem
    head = session.get(AuditHead, 1)
    last_seq = head.seq if head else 0
    last_hash = head.hash if head else GENESIS_HASH
    if last_seq != count:
        return count, ChainBreak(
            count + 1, f"event {count + 1} is missing: the log ends at {count}, its head says {last_seq}"
        )
    if count and _last_hash(session) != last_hash:
        return count, ChainBreak(count, f"event {count} is not the event the log's head recorded")
    return count, None


def _last_hash(session: Session) -> str:
    return session.execute(
        select(AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
    ).scalar_one()


def events_for(session: Session, subject_prefix: str) -> list[AuditEventRow]:
    return list(
        session.execute(
            select(AuditEventRow)
            .where(AuditEventRow.subject.startswith(subject_prefix))
            .order_by(AuditEventRow.seq)
        ).scalars()
    )
