"""Retention as the settings say: how long decided and aborted sessions are kept, and where
their recordings are (storage.retention does the deleting and keeps legal holds)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.settings import Settings

if TYPE_CHECKING:
    from storage.database import Database
    from storage.retention import Retention


def configured_retention(settings: Settings, database: Database) -> Retention:
    """ValueError in words when the settings' periods cannot work."""
    from app.retention import RetentionPeriods
    from storage.retention import Retention

    periods = RetentionPeriods(settings.retention_decided_days, settings.retention_aborted_days)
    return Retention(database, settings.recordings_dir, periods)
