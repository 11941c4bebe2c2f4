"""The live console's services with a decision kept pending through a database outage: counted
for the window while it waits, stored by the background retry, and its session's summary built
for the supervisors' browser (no network, no media: the call is never opened)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.decisions import DecisionDraft, Outcome
from app.errors import ReviewError
from app.settings import load_settings
from storage.database import DatabaseUnavailable, open_database
from storage.replay import ReplayRecords
from storage.reviewers import Accounts
from tests.conftest import taken_session

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_pending_decision_is_counted_until_the_background_retry_stores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.console import LiveConsoleServices

    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "photo.key"))
    settings = load_settings(overrides={"data_dir": str(tmp_path / "data")}, environ={})
    database = open_database(f"sqlite:///{tmp_path / 'console.db'}")
    services = LiveConsoleServices(settings, database, "http://127.0.0.1:9", pending_retry_seconds=0.2)
    try:
        Accounts(database).add("li.na", "password-li-na")
        reviewer = services.sign_in("li.na", "password-li-na")
        taken = taken_session(database, reviewer, NOW)
        assert services.pending_decisions() == 0

        down = [True]

        def outage(method: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                if down[0]:
                    raise DatabaseUnavailable("the database server is not answering")
                return method(*args, **kwargs)

            return call

        for name in ("answers", "save_answer", "record_decision"):
            monkeypatch.setattr(services.records, name, outage(getattr(services.records, name)))
        confirmed = {"applied_personally": True, "monthly_income": Decimal("8000.00")}
        with pytest.raises(ReviewError, match="kept on this workstation"):
            services.save_decision(
                taken.session_id, reviewer, DecisionDraft(Outcome.VERIFY_LATER), [], confirmed
            )
        assert services.pending_decisions() == 1
        time.sleep(0.5)
        assert services.pending_decisions() == 1  # retried, still down

        down[0] = False
        deadline = time.monotonic() + 10
        while services.pending_decisions() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert services.pending_decisions() == 0
        [decision] = services.records.decisions(taken.session_id)
        assert decision.outcome == "verify_later"
        # The answers confirmed in the window came through the outage with the decision.
        assert decision.answers == {"applied_personally": True, "monthly_income": "8000.00"}
        deadline = time.monotonic() + 5
        items: list[Any] = []
        while not items and time.monotonic() < deadline:
            items = [i for i in ReplayRecords(database).browse().items if i.session_id == taken.session_id]
            time.sleep(0.1)
        assert items and items[0].outcome == "verify_later"
    finally:
        services.close()
        database.dispose()
