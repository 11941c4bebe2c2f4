"""The audit chain: each event carries the hash of the previous one, so a changed or deleted
event is detectable. Pure functions; storage keeps the rows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: str  # ISO 8601, UTC
    actor: str
    action: str
    subject: str
    details: Mapping[str, Any]
    prev_hash: str
    hash: str


def event_hash(
    *, seq: int, at: str, actor: str, action: str, subject: str, details: Mapping[str, Any], prev_hash: str
) -> str:
    canonical = json.dumps(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": details,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str


def verify_chain(records: Iterable[AuditRecord]) -> ChainBreak | None:
    """The first break in the chain, or None when every event is intact and none is missing."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for record in records:
        if record.seq != expected_seq:
            return ChainBreak(
                expected_seq,
                f"event {expected_seq} is missing (next present is {record.seq})",
            )
        if record.prev_hash != expected_prev:
            return ChainBreak(record.seq, f"event {record.seq} does not point to event {record.seq - 1}")
        recomputed = event_hash(
            seq=record.seq,
            at=record.at,
            actor=record.actor,
            action=record.action,
            subject=record.subject,
            details=record.details,
            prev_hash=record.prev_hash,
        )
        if recomputed != record.hash:
            return ChainBreak(record.seq, f"event {record.seq} was changed after it was written")
        expected_prev = record.hash
        expected_seq += 1
    return None
