"""Loan applications in the database: registering one (with its reference photo and a
one-time applicant token) and listing them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select

from app.applications import (
    ApplicantCard,
    ApplicationForm,
    ApplicationStatus,
    mask_national_id,
    new_applicant_token,
    token_digest,
)
from app.errors import NotFound
from app.ids import ApplicationId
from storage.audit_log import NewEvent, append_event, append_events
from storage.database import Database, aware
from storage.models import Application
from storage.sealing import SealBroken, Sealer, is_sealed

PHOTO_PURPOSE = "reference-photo"


def open_photo(stored: bytes, sealer: Sealer | None) -> bytes:
    if is_sealed(stored):
        if sealer is None:
            raise SealBroken("The reference photo is encrypted and no key was given.")
        return sealer.open(stored, PHOTO_PURPOSE, what="The reference photo")
    return stored


@dataclass(frozen=True)
class RegisteredApplication:
    id: ApplicationId
    token: str  # shown once; only its digest is stored


@dataclass(frozen=True)
class ApplicationView(ApplicantCard):
    """An application as `applications show` and `applications list` give it: its card and status."""

    status: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.application_id,
            "name": self.applicant_name,
            "national_id": self.masked_national_id,
            "phone": self.phone,
            "amount": str(self.amount),
            "term_months": self.term_months,
            "purpose": self.purpose,
            "applied_at": self.applied_at.isoformat(),
            "status": self.status,
        }


def applicant_card(row: Application) -> ApplicantCard:
    """The applicant's card of an application's row: the one place cards are made from rows
    (the desk's taken applicant, the session's replay, the application book's views)."""
    return ApplicantCard(
        application_id=ApplicationId(row.id),
        applicant_name=row.applicant_name,
        masked_national_id=row.national_id_masked,
        phone=row.phone,
        amount=row.amount,
        term_months=row.term_months,
        purpose=row.purpose,
        applied_at=aware(row.applied_at),
    )


def _view(row: Application) -> ApplicationView:
    return ApplicationView(**applicant_card(row).card_fields(), status=row.status)


def _registered_event(
    application_id: int, form: ApplicationForm, photo: bytes, actor: str, now: datetime
) -> NewEvent:
    return NewEvent(
        actor=actor,
        action="application.registered",
        subject=f"application:{application_id}",
        details={
            "amount": str(form.amount),
            "term_months": form.term_months,
            "applied_at": form.applied_at.isoformat(),
            "photo_sha256": hashlib.sha256(photo).hexdigest(),
        },
        at=now,
    )


class ApplicationBook:
    """The register of loan applications."""

    def __init__(self, database: Database, sealer: Sealer | None = None) -> None:
        """With a sealer, reference photos are stored encrypted (the console always passes one)."""
        self.database = database
        self.sealer = sealer

    def key_problem(self) -> str | None:
        """Whether this book's key opens the newest encrypted photo: None when it does (or
        nothing is encrypted yet), else why not, in words."""
        with self.database.session() as session:
            stored = session.execute(
                select(Application.reference_photo).order_by(Application.id.desc()).limit(1)
            ).scalar_one_or_none()
        if stored is None or not is_sealed(bytes(stored)):
            return None
        try:
            open_photo(bytes(stored), self.sealer)
        except SealBroken as error:
            return str(error)
        return None

    def register(
        self,
        form: ApplicationForm,
        *,
        photo: bytes,
        photo_format: str,
        encoding: list[float] | None,
        actor: str = "system",
    ) -> RegisteredApplication:
        token = new_applicant_token()
        now = datetime.now(UTC)
        with self.database.session() as session:
            row = Application(**self._columns(form, photo, photo_format, encoding, token, now))
            session.add(row)
            session.flush()
            event = _registered_event(row.id, form, photo, actor, now)
            append_event(
                session, actor=event.actor, action=event.action, subject=event.subject,
                details=event.details, at=event.at,
            )  # fmt: skip
            return RegisteredApplication(ApplicationId(row.id), token)

    def register_many(
        self, forms: Sequence[ApplicationForm], *, photo: bytes, photo_format: str, actor: str = "system"
    ) -> list[RegisteredApplication]:
        """Register many applications with one photo in one transaction: one INSERT of many rows
        and their audit events chained at once. For benchmarks that seed thousands of
        applicants (`register` takes a transaction and an audit lock each)."""
        if not forms:
            return []
        now = datetime.now(UTC)
        tokens = [new_applicant_token() for _ in forms]
        rows = [
            self._columns(form, photo, photo_format, None, token, now)
            for form, token in zip(forms, tokens, strict=True)
        ]
        with self.database.session() as session:
            ids = list(
                session.scalars(
                    insert(Application).returning(Application.id, sort_by_parameter_order=True), rows
                )
            )
            pairs = zip(ids, forms, strict=True)
            append_events(session, [_registered_event(i, form, photo, actor, now) for i, form in pairs])
        return [RegisteredApplication(ApplicationId(i), token) for i, token in zip(ids, tokens, strict=True)]

    def _columns(
        self,
        form: ApplicationForm,
        photo: bytes,
        photo_format: str,
        encoding: list[float] | None,
        token: str,
        now: datetime,
    ) -> dict[str, Any]:
        return {
            "applicant_name": form.name,
            "national_id_masked": mask_national_id(form.national_id),
            "national_id_digest": hashlib.sha256(form.national_id.encode()).hexdigest(),
            "phone": form.phone,
            "amount": form.amount,
            "term_months": form.term_months,
            "purpose": form.purpose,
            "applied_at": form.applied_at.astimezone(UTC),
            "status": ApplicationStatus.PENDING_REVIEW.value,
            "reference_photo": self.sealer.seal(photo, PHOTO_PURPOSE) if self.sealer else photo,
            "reference_photo_format": photo_format,
            "reference_encoding": encoding,
            "token_digest": token_digest(token),
            "created_at": now,
        }

    def get(self, application_id: int) -> ApplicationView:
        with self.database.session() as session:
            row = session.get(Application, application_id)
            if row is None:
                raise NotFound(f"There is no application with id {application_id}.")
            return _view(row)

    def reference_photo(self, application_id: int) -> bytes:
        with self.database.session() as session:
            row = session.get(Application, application_id)
            if row is None:
                raise NotFound(f"There is no application with id {application_id}.")
            return open_photo(row.reference_photo, self.sealer)

    def list(self, *, limit: int = 200) -> list[ApplicationView]:
        with self.database.session() as session:
            rows = session.execute(select(Application).order_by(Application.id.desc()).limit(limit)).scalars()
            return [_view(row) for row in rows]

    def count(self) -> int:
        with self.database.session() as session:
            return int(session.execute(select(func.count(Application.id))).scalar_one())
