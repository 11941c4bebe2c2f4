"""Retention: deleting what is due (app.retention says when), legal holds, and the tombstones
that keep the audit chain whole.

A deleted session keeps what the audit chain needs (the session, its legs, its decisions' outcomes
and reason codes, the audit events) and loses the rest: its recording files (overwritten, then
removed), its face scores and timeline, and under the decided rule its answers, the decision's
note and answer snapshot, and the applicant's personal data and ID photo once no other session
of the application still needs them. Each deletion is one "retention.deleted" event in the chain
naming the rule, the files and the bytes, written in the same transaction as the row changes.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.errors import NotFound, ReviewError
from app.ids import SessionId
from app.retention import RetentionPeriods, RetentionRule, rule_for
from app.review import SessionState
from storage.audit_log import append_event
from storage.database import Database, aware
from storage.models import (
    AnswerRow,
    Application,
    DecisionRow,
    LegalHold,
    LegRecording,
    RecordingFile,
    RetentionDeletion,
    ReviewSessionRow,
    ScoreSample,
    SessionEvent,
)
from storage.summaries import refresh_if_listed

DELETED = "retention.deleted"
ERASED_NAME = "(erased)"
_FINAL = (SessionState.DECIDED.value, SessionState.ABANDONED.value, SessionState.EXPIRED.value)


@dataclass(frozen=True)
class DeletedSession:
    session_id: SessionId
    rule: RetentionRule
    files: int
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "rule": self.rule.value,
            "files": self.files,
            "bytes": self.bytes,
        }


@dataclass(frozen=True)
class RetentionReport:
    deleted: list[DeletedSession]
    kept_on_hold: int
    dry_run: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "deleted": [item.as_dict() for item in self.deleted],
            "kept_on_hold": self.kept_on_hold,
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True)
class _Due:
    session_id: int
    application_id: int
    rule: RetentionRule
    ended_at: datetime
    due_at: datetime


class UnsafeRecordingPath(ReviewError):
    """A recording folder named in the database lies outside the recordings folder."""


def shred_file(path: Path) -> int:
    """Overwrite the file with zeros, flush it to disk, then remove it; its size in bytes.
    (The files are sealed with AES-GCM as well, so what a flash disk's wear levelling keeps
    of the old blocks is still unreadable without the key.)"""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    block = bytes(1 << 16)
    with path.open("r+b") as handle:
        remaining = size
        while remaining > 0:
            step = min(remaining, len(block))
            handle.write(block[:step])
            remaining -= step
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink(missing_ok=True)
    return size


class Retention:
    def __init__(self, database: Database, recordings_root: Path, periods: RetentionPeriods) -> None:
        self.database = database
        self.recordings_root = recordings_root
        self.periods = periods

    # -- legal holds ------------------------------------------------------------------------

    def place_hold(self, session_id: SessionId, *, reason: str, by: str, now: datetime) -> None:
        if not reason.strip():
            raise ReviewError("A legal hold needs a reason.")
        with self.database.session() as session:
            if session.get(ReviewSessionRow, session_id) is None:
                raise NotFound(f"There is no review session {session_id}.")
            if session.get(RetentionDeletion, session_id) is not None:
                raise ReviewError(f"Session {session_id} was already deleted under the retention rules.")
            if session.get(LegalHold, session_id) is not None:
                raise ReviewError(f"Session {session_id} is already on legal hold.")
            session.add(
                LegalHold(session_id=session_id, reason=reason, placed_by=by, placed_at=now.astimezone(UTC))
            )
            append_event(
                session, actor=by, action="retention.hold_placed", subject=f"session:{session_id}",
                details={"reason": reason}, at=now,
            )  # fmt: skip

    def release_hold(self, session_id: SessionId, *, reason: str, by: str, now: datetime) -> None:
        if not reason.strip():
            raise ReviewError("Releasing a legal hold needs a reason.")
        with self.database.session() as session:
            hold = session.get(LegalHold, session_id)
            if hold is None:
                raise NotFound(f"Session {session_id} is not on legal hold.")
            session.delete(hold)
            append_event(
                session, actor=by, action="retention.hold_released", subject=f"session:{session_id}",
                details={"reason": reason}, at=now,
            )  # fmt: skip

    def on_hold(self, session_id: SessionId) -> bool:
        with self.database.session() as session:
            return session.get(LegalHold, session_id) is not None

    # -- deleting what is due ---------------------------------------------------------------

    def apply(self, now: datetime, *, dry_run: bool = False) -> RetentionReport:
        """Delete every session's evidence that is due at `now` (or, dry, say what would go)."""
        due, held = self._due(now)
        deleted: list[DeletedSession] = []
        for item in due:
            directories = self._recording_folders(item.session_id)
            files = [p for folder in directories for p in sorted(folder.rglob("*")) if p.is_file()]
            stored_files, stored_bytes = self._stored_recording(directories)
            photo_bytes = self._photo_bytes_if_erased(item) if item.rule is RetentionRule.DECIDED else None
            nothing = not files and not stored_files and not self._has_recording(item)
            if item.rule is RetentionRule.ABORTED_OR_FAILED and nothing:
                continue  # nothing was recorded: nothing to delete
            count = len(files) + stored_files + (1 if photo_bytes else 0)
            if dry_run:
                size = sum(p.stat().st_size for p in files) + stored_bytes + (photo_bytes or 0)
                deleted.append(DeletedSession(SessionId(item.session_id), item.rule, count, size))
                continue
            # Files first: a run cut short leaves the rows, and the next run finishes the job.
            size = sum(shred_file(p) for p in files) + stored_bytes
            for folder in directories:
                shutil.rmtree(folder, ignore_errors=True)
            size += self._delete_rows(item, now, files=count, file_bytes=size)
            deleted.append(DeletedSession(SessionId(item.session_id), item.rule, count, size))
        return RetentionReport(deleted, held, dry_run)

    def _due(self, now: datetime) -> tuple[list[_Due], int]:
        with self.database.session() as session:
            originals = (
                select(DecisionRow.session_id, DecisionRow.outcome)
                .where(DecisionRow.amends_id.is_(None))
                .subquery()
            )
            rows = session.execute(
                select(
                    ReviewSessionRow.id,
                    ReviewSessionRow.application_id,
                    ReviewSessionRow.state,
                    ReviewSessionRow.ended_at,
                    ReviewSessionRow.queued_at,
                    originals.c.outcome,
                    LegalHold.session_id,
                )
                .outerjoin(originals, originals.c.session_id == ReviewSessionRow.id)
                .outerjoin(LegalHold, LegalHold.session_id == ReviewSessionRow.id)
                .outerjoin(RetentionDeletion, RetentionDeletion.session_id == ReviewSessionRow.id)
                .where(ReviewSessionRow.state.in_(_FINAL), RetentionDeletion.session_id.is_(None))
                .order_by(ReviewSessionRow.id)
            ).all()
        due: list[_Due] = []
        held = 0
        for session_id, application_id, state, ended_at, queued_at, outcome, hold in rows:
            rule = rule_for(state, outcome)
            if rule is None:
                continue
            ended = aware(ended_at or queued_at)
            due_at = self.periods.due_at(rule, ended)
            if due_at > now:
                continue
            if hold is not None:
                held += 1
                continue
            due.append(_Due(int(session_id), int(application_id), rule, ended, due_at))
        return due, held

    def _recording_folders(self, session_id: int) -> list[Path]:
        with self.database.session() as session:
            names = sorted(
                set(
                    session.execute(
                        select(LegRecording.directory).where(LegRecording.session_id == session_id)
                    ).scalars()
                )
            )
        root = self.recordings_root.resolve()
        folders = []
        for name in names:
            folder = (self.recordings_root / name).resolve()
            if folder == root or not folder.is_relative_to(root):
                raise UnsafeRecordingPath(
                    f"Session {session_id}: recording folder {name!r} is outside {root}; nothing deleted."
                )
            folders.append(folder)
        return folders

    def _stored_recording(self, folders: list[Path]) -> tuple[int, int]:
        """Files and bytes the shared recording store holds for these session folders (deleted
        with the rows, in the same transaction)."""
        names = [folder.name for folder in folders]
        with self.database.session() as session:
            count, size = session.execute(
                select(func.count(RecordingFile.id), func.coalesce(func.sum(RecordingFile.size), 0)).where(
                    RecordingFile.directory.in_(names)
                )
            ).one()
        return int(count), int(size)

    def _has_recording(self, item: _Due) -> bool:
        with self.database.session() as session:
            for table in (LegRecording, ScoreSample):
                found = session.execute(
                    select(table.id).where(table.session_id == item.session_id).limit(1)
                ).first()
                if found is not None:
                    return True
        return False

    def _others_need_application(self, session: Session, item: _Due) -> bool:
        """Whether another session of the application still needs the applicant's data: it is
        on hold, not finished, or decided and not yet deleted."""
        others = session.execute(
            select(ReviewSessionRow.id, ReviewSessionRow.state, LegalHold.session_id, RetentionDeletion.rule)
            .outerjoin(LegalHold, LegalHold.session_id == ReviewSessionRow.id)
            .outerjoin(RetentionDeletion, RetentionDeletion.session_id == ReviewSessionRow.id)
            .where(
                ReviewSessionRow.application_id == item.application_id, ReviewSessionRow.id != item.session_id
            )
        ).all()
        for _sid, state, hold, deleted_rule in others:
            if hold is not None or state not in _FINAL:
                return True
            if state == SessionState.DECIDED.value and deleted_rule != RetentionRule.DECIDED.value:
                return True
        return False

    def _photo_bytes_if_erased(self, item: _Due) -> int | None:
        """The ID photo's size when this deletion also erases the applicant's data, else None."""
        with self.database.session() as session:
            if self._others_need_application(session, item):
                return None
            application = session.get(Application, item.application_id)
            if application is None or application.applicant_name == ERASED_NAME:
                return None
            return len(application.reference_photo)

    def _delete_rows(self, item: _Due, now: datetime, *, files: int, file_bytes: int) -> int:
        """Reduce the rows to what the audit chain needs and write the tombstone; the ID photo's
        bytes when it was erased too."""
        erased = ["recording", "face scores", "timeline"]
        photo_bytes = 0
        with self.database.session() as session:
            row = session.get(ReviewSessionRow, item.session_id, with_for_update=True)
            if row is None or session.get(RetentionDeletion, item.session_id) is not None:
                return 0  # another run was first
            sid = item.session_id
            directories = select(LegRecording.directory).where(LegRecording.session_id == sid)
            stored = [Path(name).name for name in session.execute(directories).scalars()]
            session.execute(delete(RecordingFile).where(RecordingFile.directory.in_(stored)))
            session.execute(delete(ScoreSample).where(ScoreSample.session_id == sid))
            session.execute(delete(SessionEvent).where(SessionEvent.session_id == sid))
            session.execute(delete(LegRecording).where(LegRecording.session_id == sid))
            if item.rule is RetentionRule.DECIDED:
                session.execute(delete(AnswerRow).where(AnswerRow.session_id == sid))
                session.execute(
                    update(DecisionRow)
                    .where(DecisionRow.session_id == sid)
                    .values(answers_snapshot={}, note="", override_reason="")
                )
                erased += ["answers", "decision notes"]
                if not self._others_need_application(session, item):
                    application = session.get(Application, item.application_id)
                    if application is not None and application.applicant_name != ERASED_NAME:
                        photo_bytes = len(application.reference_photo)
                        application.applicant_name = ERASED_NAME
                        application.national_id_masked = ""
                        application.phone = ""
                        application.purpose = ""
                        application.reference_photo = b""
                        application.reference_encoding = None
                        erased += ["personal data", "ID photo"]
            session.add(
                RetentionDeletion(
                    session_id=sid,
                    rule=item.rule.value,
                    deleted_at=now.astimezone(UTC),
                    files=files,
                    bytes=file_bytes + photo_bytes,
                )
            )
            append_event(
                session,
                actor="retention",
                action=DELETED,
                subject=f"session:{sid}",
                details={
                    "rule": item.rule.value,
                    "retention_days": self.periods.days(item.rule),
                    "ended_at": item.ended_at.isoformat(),
                    "due_at": item.due_at.isoformat(),
                    "files": files,
                    "bytes": file_bytes + photo_bytes,
                    "erased": erased,
                },
                at=now,
            )
            # The browser's rows of every listed session of the application (its personal data
            # may be gone), in this transaction: never a moment where they show what was erased.
            for listed in session.execute(
                select(ReviewSessionRow.id).where(ReviewSessionRow.application_id == item.application_id)
            ).scalars():
                refresh_if_listed(session, listed, now)
        return photo_bytes


def deletions(database: Database) -> list[dict[str, Any]]:
    """Every retention deletion in the chain: session, rule, when, files and bytes."""
    from storage.models import AuditEventRow

    with database.session() as session:
        rows = session.execute(
            select(AuditEventRow.subject, AuditEventRow.at, AuditEventRow.details)
            .where(AuditEventRow.action == DELETED)
            .order_by(AuditEventRow.seq)
        ).all()
    return [
        {
            "session_id": int(subject.split(":", 1)[1]),
            "at": at,
            "rule": details.get("rule"),
            "files": details.get("files"),
            "bytes": details.get("bytes"),
        }
        for subject, at, details in rows
    ]
