"""Registering a loan application: the fields and the ID photo are checked first (media's face
check), then the application is stored (storage), its photo encrypted at rest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.applications import ApplicationForm
from app.errors import ReviewError
from app.ids import ApplicationId
from app.settings import Settings
from services import configured_sealer

if TYPE_CHECKING:
    from storage.database import Database


@dataclass(frozen=True)
class Registration:
    """A registered application and what the bank hands on to the applicant (the token is shown
    once; only its digest is stored)."""

    id: ApplicationId
    token: str
    applicant_url: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "token": self.token, "applicant_url": self.applicant_url}


def applicant_url(settings: Settings, token: str) -> str:
    from services.intake import intake_base_url

    return f"{intake_base_url(settings).rstrip('/')}/a/{token}"


def register_application(
    database: Database, settings: Settings, form: ApplicationForm, photo: Path
) -> Registration:
    """The form was checked when made (app.applications.make_application_form); the photo is
    checked here; the application is stored only when both are right."""
    from media.face.quality import QualityLimits
    from media.face.reference import check_reference_photo
    from storage.applications import ApplicationBook

    try:
        photo_bytes = photo.read_bytes()
    except OSError as error:
        raise ReviewError(f"cannot read the photo {photo}: {error.strerror}") from None
    report = check_reference_photo(photo_bytes, limits=QualityLimits.from_settings(settings))
    if not report.ok:
        raise ReviewError(f"the photo {photo} cannot be used: " + "; ".join(report.problems))
    registered = ApplicationBook(database, configured_sealer()).register(
        form, photo=photo_bytes, photo_format=report.image_format or "unknown", encoding=report.encoding
    )
    return Registration(
        ApplicationId(registered.id), registered.token, applicant_url(settings, registered.token)
    )
