"""`demo-data`: a few applications with ID photos from the shared data, for trying the console."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from app.settings import Settings

if TYPE_CHECKING:
    from services.applications import Registration
    from storage.database import Database

# name, national ID, phone, amount, term in months, purpose, photo under the shared data
DEMO_APPLICANTS = [
    ("Barack Obama", "110101196108040011", "+86 138 0000 0001", "8000", 12, "Small shop stock",
     "faces/face_recognition/obama.jpg"),
    ("Joe Biden", "110101194211200022", "+86 138 0000 0002", "5000", 6, "Home repair",
     "faces/face_recognition/biden.jpg"),
    ("Lin-Manuel Miranda", "110101198001160033", "+86 138 0000 0003", "12000", 24, "Studio equipment",
     "faces/face_recognition/lin-manuel-miranda.png"),
]  # fmt: skip


def register_demo_applications(
    database: Database, settings: Settings, *, skipped: Callable[[str], None]
) -> Iterator[tuple[str, Registration]]:
    """Register each demo applicant whose photo is in the shared data, applied 30, 60, 90
    minutes ago; yields each one's name and registration. `skipped` hears of those whose photo
    is missing."""
    from app.applications import make_application_form
    from services.applications import register_application

    now = datetime.now(UTC)
    for index, (name, national_id, phone, amount, term, purpose, photo) in enumerate(DEMO_APPLICANTS):
        path = settings.shared_data_dir / photo
        if not path.is_file():
            skipped(f"skipped {name}: {path} is missing")
            continue
        yield (
            name,
            register_application(
                database,
                settings,
                make_application_form(
                    name=name,
                    national_id=national_id,
                    phone=phone,
                    amount=amount,
                    term_months=term,
                    purpose=purpose,
                    applied_at=now - timedelta(minutes=30 * (index + 1)),
                ),
                path,
            ),
        )
