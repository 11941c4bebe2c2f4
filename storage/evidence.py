"""Tamper evidence beyond the chain itself: every decision and amendment, and every recording
file, must be covered by an audit event whose content still matches.

A recording is covered by a "recording.covered" event holding the digest of every file in the
session's recording folder (names, sizes and SHA-256), written when a leg closes and when a
crashed session is closed on the next start. The newest such event for a session must match
the files on disk: a changed, added or deleted file shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.recording_store import RecordingStore
from storage.audit_log import append_event
from storage.database import Database
from storage.desk import IN_CALL_STATES
from storage.models import AuditEventRow, DecisionRow, LegRecording, ReviewSessionRow

COVERED = "recording.covered"


@dataclass(frozen=True)
class FolderDigest:
    files: int
    bytes: int
    sha256: str


def _digest(entries: Iterable[tuple[str, int, str]]) -> FolderDigest:
    """The digest of files given as (relative name, size, SHA-256), in name order."""
    outer = hashlib.sha256()
    files = 0
    total = 0
    for name, size, sha256 in sorted(entries):
        outer.update(f"{name}\0{size}\0{sha256}\n".encode())
        files += 1
        total += size
    return FolderDigest(files, total, outer.hexdigest())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_digest(folder: Path) -> FolderDigest:
    """The digest of every file below the folder: relative name, size and content."""
    entries: list[tuple[str, int, str]] = []
    if folder.is_dir():
        for path in (p for p in folder.rglob("*") if p.is_file()):
            entries.append((path.relative_to(folder).as_posix(), path.stat().st_size, file_sha256(path)))
    return _digest(entries)


def store_digest(store: RecordingStore, directory: str) -> FolderDigest:
    """The same digest of what the shared store holds for a session directory."""
    return _digest((name, info.size, info.sha256) for name, info in store.listing(directory).items())


def cover_recording(
    database: Database, recordings_root: Path, session_id: int, *, reason: str
) -> FolderDigest | None:
    """Write a coverage event for the session's recording folder. The files are hashed outside
    any transaction, so other writers never wait on the disk."""
    with database.session() as session:
        directory = session.execute(
            select(LegRecording.directory).where(LegRecording.session_id == session_id).limit(1)
        ).scalar_one_or_none()
    if directory is None:
        return None
    digest = folder_digest(recordings_root / directory)
    with database.session() as session:
        append_event(
            session,
            actor="system",
            action=COVERED,
            subject=f"session:{session_id}",
            details={
                "directory": directory,
                "files": digest.files,
                "bytes": digest.bytes,
                "sha256": digest.sha256,
                "reason": reason,
            },
        )
    return digest


def cover_recordings(
    database: Database, recordings_root: Path, session_ids: Iterable[int], *, reason: str
) -> None:
    for session_id in session_ids:
        cover_recording(database, recordings_root, session_id, reason=reason)


def cover_uncovered(
    database: Database, recordings_root: Path, *, reviewer_id: int | None = None
) -> list[int]:
    """Cover recordings of finished sessions that have no coverage yet: a console that died
    mid-call never closed its leg. Call it when that console starts again (its files are as
    the crash left them). Returns the sessions covered now."""
    with database.session() as session:
        covered = {d["_subject"] for d in _details_by(session, {COVERED})}
        query = (
            select(LegRecording.session_id)
            .join(ReviewSessionRow, ReviewSessionRow.id == LegRecording.session_id)
            .where(ReviewSessionRow.state.not_in(IN_CALL_STATES))
            .distinct()
        )
        if reviewer_id is not None:
            query = query.where(ReviewSessionRow.reviewer_id == reviewer_id)
        candidates = [int(sid) for sid in session.execute(query).scalars() if f"session:{sid}" not in covered]
    cover_recordings(database, recordings_root, candidates, reason="closed after the console stopped")
    return candidates


def _details_by(session: Session, actions: set[str]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(AuditEventRow.details, AuditEventRow.subject)
        .where(AuditEventRow.action.in_(actions))
        .order_by(AuditEventRow.seq)
    ).all()
    return [{**dict(details), "_subject": subject} for details, subject in rows]


def coverage_problems(
    database: Database, recordings_root: Path | None, store: RecordingStore | None = None
) -> list[str]:
    """What the audit chain does not cover, or covers with other content than is stored now.
    With a shared store, a recording it holds is checked there (the evidence of record); one
    it does not hold yet, in the local folder."""
    problems: list[str] = []
    with database.session() as session:
        decision_events = {
            int(d["decision_id"]): d
            for d in _details_by(session, {"decision.recorded", "decision.amended"})
            if "decision_id" in d
        }
        for row in session.execute(select(DecisionRow).order_by(DecisionRow.id)).scalars():
            event = decision_events.get(row.id)
            kind = "amendment" if row.amends_id is not None else "decision"
            if event is None:
                problems.append(f"{kind} {row.id} (session {row.session_id}) has no audit event")
                continue
            if event.get("outcome") != row.outcome or event["_subject"] != f"session:{row.session_id}":
                problems.append(f"{kind} {row.id} differs from its audit event (outcome or session changed)")
            elif row.amends_id is None and list(event.get("reasons", [])) != list(row.reasons):
                problems.append(f"decision {row.id} differs from its audit event (reason codes changed)")
            elif row.amends_id is not None and event.get("amends") != row.amends_id:
                problems.append(f"amendment {row.id} differs from its audit event (amended decision changed)")

        if recordings_root is None:
            return problems
        latest: dict[str, dict[str, Any]] = {}
        for details in _details_by(session, {COVERED}):
            latest[details["_subject"]] = details
        recorded = session.execute(
            select(LegRecording.session_id, LegRecording.directory, ReviewSessionRow.state)
            .join(ReviewSessionRow, ReviewSessionRow.id == LegRecording.session_id)
            .distinct()
        ).all()
        for session_id, directory, state in recorded:
            event = latest.get(f"session:{session_id}")
            if event is None:
                if state in IN_CALL_STATES:
                    continue  # a call under way (or a console that died, until its next start)
                problems.append(f"the recording of session {session_id} is not covered by the audit chain")
                continue
            digest = store_digest(store, directory) if store is not None else None
            if digest is None or digest.files == 0:
                digest = folder_digest(recordings_root / directory)
            if digest.sha256 != event.get("sha256"):
                problems.append(
                    f"the recording of session {session_id} changed after it was covered "
                    f"({event.get('files')} files then, {digest.files} now)"
                )
    return problems
