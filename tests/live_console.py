"""The live console on its real layers for a test: a SQLite database with one reviewer
account, the embedded intake service, the demo applicant queued on it (a simulator process)
and LiveConsoleServices; all stopped afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from services.console import LiveConsoleServices


@contextlib.contextmanager
def live_console_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str, *, face_matching: bool = True
) -> Iterator[LiveConsoleServices]:
    """Services for the reviewer "li.na" (signing in with `password`), review hours all day."""
    from services.console import running_console
    from storage.database import open_database
    from storage.reviewers import Accounts
    from tools.demo_console import demo_applicant_waiting
    from tools.fixtures import scratch_console_settings

    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "photo.key"))
    settings = scratch_console_settings(tmp_path)
    database = open_database(settings.effective_database_url)
    Accounts(database).add("li.na", password)
    try:
        with (
            running_console(settings, database, face_matching=face_matching) as services,
            demo_applicant_waiting(database, settings, services.intake_url),
        ):
            yield services
    finally:
        database.dispose()
