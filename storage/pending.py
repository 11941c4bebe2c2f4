"""Decisions that could not be saved yet: kept on the workstation's disk until the database
takes them, and saved exactly once (the decision's request id makes a retry idempotent).

A decision is written to the pending folder (fsync'd) before the database is tried, so a
database outage, or the console dying right then, loses nothing.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError

from app.decisions import DecisionDraft, DecisionSubmission
from app.errors import ReviewError
from app.ids import ReviewerId, SessionId
from storage.database import DatabaseUnavailable
from storage.reviews import ReviewRecords, StoredDecision

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingDecision:
    """A decision kept in `path` until the database takes it: the reviewer's submission, who
    made it (for the audit log) and when."""

    path: Path
    submission: DecisionSubmission
    actor: str
    decided_at: datetime

    @property
    def session_id(self) -> SessionId:
        return self.submission.session_id


@dataclass(frozen=True)
class RefusedDecision:
    """A decision kept on this workstation that will never be stored as it is: the session was
    decided or closed meanwhile, or the file is damaged (then only `path` and `reason`)."""

    path: Path
    session_id: SessionId | None
    outcome: str | None
    decided_at: datetime | None
    reason: str


_REFUSED_BECAUSE = "refused_because"


@dataclass(frozen=True)
class SaveResult:
    """What happened to one decision: stored, pending (database unreachable), or refused."""

    stored: StoredDecision | None = None
    pending: bool = False
    error: str = ""


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _is_outage(error: BaseException) -> bool:
    if isinstance(error, IntegrityError):
        return False
    return isinstance(error, DBAPIError | DatabaseUnavailable | ConnectionError | TimeoutError)


class PendingDecisions:
    def __init__(self, directory: Path, records: ReviewRecords) -> None:
        self.directory = directory
        self.records = records
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def _write(self, submission: DecisionSubmission, actor: str, now: datetime) -> Path:
        path = self.directory / f"{submission.draft.request_id}.json"
        answers = submission.answers
        payload: dict[str, Any] = {
            "session_id": submission.session_id,
            "draft": submission.draft.as_dict(),
            "overridden": list(submission.overridden),
            "reviewer_id": submission.reviewer_id,
            "actor": actor,
            "decided_at": now.isoformat(),
            "answers": None if answers is None else {k: _plain(v) for k, v in answers.items()},
        }
        temporary = path.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        return path

    def submit(self, submission: DecisionSubmission, *, actor: str, now: datetime) -> SaveResult:
        """Keep the decision (and the answers as confirmed) on disk, then try the database."""
        with self._lock:
            path = self._write(submission, actor, now)
            return self._try(self._load(path))

    def _load(self, path: Path) -> PendingDecision:
        data = json.loads(path.read_text(encoding="utf-8"))
        answers = data.get("answers")
        submission = DecisionSubmission(
            session_id=SessionId(int(data["session_id"])),
            reviewer_id=ReviewerId(int(data["reviewer_id"])),  # the console's: never the system's
            draft=DecisionDraft.from_dict(data["draft"]),
            overridden=tuple(str(rule) for rule in data["overridden"]),
            answers=None if answers is None else dict(answers),
        )
        return PendingDecision(
            path, submission, actor=str(data["actor"]), decided_at=datetime.fromisoformat(data["decided_at"])
        )

    def _try(self, item: PendingDecision) -> SaveResult:
        try:
            stored = self.records.record_decision(item.submission, actor=item.actor, now=item.decided_at)
        except ReviewError as error:
            # Refused for good (decided by someone else, or the session was closed meanwhile):
            # kept beside the pending ones as .refused, with why, for the reviewer to act on.
            self._refuse(item.path, str(error))
            log.error(
                "decision for session %s refused: %s (kept in %s)", item.session_id, error, item.path.name
            )
            return SaveResult(error=str(error))
        except Exception as error:
            if _is_outage(error):
                log.warning("decision for session %s kept pending: %s", item.session_id, error)
                return SaveResult(
                    pending=True, error=f"The database cannot be reached: {type(error).__name__}"
                )
            raise
        item.path.unlink(missing_ok=True)
        return SaveResult(stored=stored)

    def _refuse(self, path: Path, reason: str) -> None:
        """Keep the file as .refused, with the reason inside when the file can be read."""
        target = path.with_suffix(".refused")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError):
            os.replace(path, target)  # damaged: kept exactly as it is
            return
        data[_REFUSED_BECAUSE] = reason
        temporary = path.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        path.unlink(missing_ok=True)

    def _readable(self) -> list[PendingDecision]:
        """The pending decisions; a file that cannot be read is set aside as .refused."""
        items = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                items.append(self._load(path))
            except Exception as error:  # damaged on disk, or written by another version
                log.error("pending decision %s cannot be read (%s): kept as .refused", path.name, error)
                self._refuse(path, f"The saved decision cannot be read ({type(error).__name__}).")
        return items

    def pending(self) -> list[PendingDecision]:
        with self._lock:
            return self._readable()

    def retry(self) -> list[SaveResult]:
        """Try every pending decision once more; call it on a timer off the GUI thread. No file
        stops the others: an unreadable one is set aside as .refused, a failing one stays."""
        with self._lock:
            results = []
            for item in self._readable():
                try:
                    results.append(self._try(item))
                except Exception as error:  # one bad file must not hold back the others
                    log.exception("pending decision %s not retried", item.path.name)
                    results.append(SaveResult(pending=True, error=str(error)))
            return results

    def refused(self) -> list[RefusedDecision]:
        """Decisions the database refused for good, or that cannot be read: shown to the
        reviewer, never deleted."""
        found = []
        for path in sorted(self.directory.glob("*.refused")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                found.append(
                    RefusedDecision(
                        path=path,
                        session_id=SessionId(int(data["session_id"])),
                        outcome=str(data["draft"]["outcome"]),
                        decided_at=datetime.fromisoformat(data["decided_at"]),
                        reason=str(data.get(_REFUSED_BECAUSE) or "The database refused it."),
                    )
                )
            except Exception:
                found.append(RefusedDecision(path, None, None, None, "The saved decision cannot be read."))
        return found
