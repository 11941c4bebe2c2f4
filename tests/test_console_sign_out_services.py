"""Signing out on the console's services, on the real embedded intake: the next reviewer takes
applicants as themselves (not through the previous reviewer's call), and the previous
reviewer's credential is ended at the intake."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.errors import ReviewError
from app.settings import load_settings
from storage.models import ReviewSessionRow
from tests.conftest import sample_form


def test_after_sign_out_the_next_reviewer_takes_as_themselves_and_the_old_credential_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.console import running_console
    from storage.applications import ApplicationBook
    from storage.database import open_database
    from storage.desk import DatabaseReviewDesk
    from storage.reviewers import Accounts
    from tools.fixtures import scratch_console_settings

    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "photo.key"))
    settings = scratch_console_settings(tmp_path)
    database = open_database(settings.effective_database_url)
    accounts = Accounts(database)
    accounts.add("li.na", "password-li-na")
    accounts.add("wang.wei", "password-wang")
    try:
        with running_console(settings, database, face_matching=False) as services:
            first = services.sign_in("li.na", "password-li-na")
            old_credential = services.intake_credential
            assert old_credential is not None
            assert services.take_next(first) is None  # the call to the intake is open, as li.na
            services.sign_out(first)

            second = services.sign_in("wang.wei", "password-wang")
            now = datetime.now(UTC)
            registered = ApplicationBook(database).register(
                sample_form(applied_at=now - timedelta(minutes=5)),
                photo=b"x",
                photo_format="JPEG",
                encoding=None,
            )
            DatabaseReviewDesk(database, services.desk.rules).join_queue(registered.token, now)
            taken = services.take_next(second)
            assert taken is not None
            with database.session() as session:
                row = session.get(ReviewSessionRow, taken.session_id)
                assert row is not None and row.reviewer_id == second

            request = urllib.request.Request(
                f"{services.intake_url}/api/queue/summary", headers=old_credential.headers
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 401
    finally:
        database.dispose()


def test_signing_in_again_without_signing_out_ends_the_last_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.console import running_console
    from storage.database import open_database
    from storage.reviewers import Accounts
    from tools.processes import free_port

    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "photo.key"))
    settings = load_settings(
        overrides={
            "data_dir": str(tmp_path / "data"),
            "database_url": f"sqlite:///{tmp_path / 'console.db'}",
            "intake_port": free_port(),
        },
        environ={},
    )
    database = open_database(settings.effective_database_url)
    Accounts(database).add("li.na", "password-li-na")
    Accounts(database).add("wang.wei", "password-wang")
    try:
        with running_console(settings, database, face_matching=False) as services:
            first = services.sign_in("li.na", "password-li-na")
            old_credential = services.intake_credential
            assert old_credential is not None
            services.take_next(first)  # the call to the intake is open, as li.na
            second = services.sign_in("wang.wei", "password-wang")
            with pytest.raises(ReviewError, match="signed in"):
                services.take_next(first)
            services.take_next(second)  # wang.wei's own call
            request = urllib.request.Request(
                f"{services.intake_url}/api/queue/summary", headers=old_credential.headers
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 401
    finally:
        database.dispose()
