"""Consents in the database: one per session, written when the applicant joins, and audited."""

from __future__ import annotations

from datetime import UTC, datetime

from app.consent import ConsentText, GivenConsent
from app.errors import NotFound
from app.ids import SessionId
from storage.audit_log import append_event
from storage.database import Database, aware
from storage.models import ReviewSessionRow, SessionConsent


class ConsentRecords:
    """Implements app.consent.ConsentBook."""

    def __init__(self, database: Database, text: ConsentText) -> None:
        self.database = database
        self.text = text

    def record(self, session_id: SessionId, version: str, language: str, now: datetime) -> None:
        """Store the consent (a rejoin of the same session keeps the first one)."""
        with self.database.session() as session:
            if session.get(ReviewSessionRow, session_id) is None:
                raise NotFound(f"There is no review session {session_id}.")
            if session.get(SessionConsent, session_id) is not None:
                return
            digest = self.text.digest(language)
            session.add(
                SessionConsent(
                    session_id=session_id, version=version, language=language, text_sha256=digest,
                    given_at=now.astimezone(UTC),
                )
            )  # fmt: skip
            append_event(
                session, actor="applicant", action="consent.given", subject=f"session:{session_id}",
                details={"version": version, "language": language, "text_sha256": digest}, at=now,
            )  # fmt: skip


def consent_of(database: Database, session_id: SessionId) -> GivenConsent | None:
    with database.session() as session:
        row = session.get(SessionConsent, session_id)
        if row is None:
            return None
        return GivenConsent(
            SessionId(row.session_id), row.version, row.language, row.text_sha256, aware(row.given_at)
        )
