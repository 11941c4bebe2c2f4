"""`audit verify`: the audit chain checked event by event, what the chain does not cover (every
decision, amendment and recording must be), and the retention deletions it records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.settings import Settings

if TYPE_CHECKING:
    from app.audit import ChainBreak
    from storage.database import Database


@dataclass(frozen=True)
class AuditReport:
    events: int
    broken: ChainBreak | None  # the first event that breaks the chain
    uncovered: list[str]  # in words, one line each
    deleted: list[dict[str, Any]]  # session, rule, when, files and bytes

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.uncovered

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "broken_at": self.broken.seq if self.broken else None,
            "problem": self.broken.problem if self.broken else None,
            "uncovered": self.uncovered,
            "deleted": self.deleted,
        }


def audit_report(settings: Settings, database: Database) -> AuditReport:
    from storage.audit_log import verify_audit_chain
    from storage.evidence import coverage_problems
    from storage.recording_store import recording_store_for
    from storage.retention import deletions

    with database.session() as session:
        count, problem = verify_audit_chain(session)
    store = recording_store_for(settings, database)
    uncovered = coverage_problems(database, settings.recordings_dir, store)
    return AuditReport(count, problem, uncovered, deletions(database))
