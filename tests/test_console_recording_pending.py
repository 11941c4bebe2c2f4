"""The live console's services with a decision kept pending through a database outage: counted
for the window while it waits, stored by the background retry, and its session's summary built
for the supervisors' browser (no network, no media: the call is never opened)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.decisions import DecisionDraft, DecisionSubmission, Outcome
from app.errors import ReviewError
from storage.database import DatabaseUnavailable
from storage.replay import ReplayRecords
from storage.reviewers import Accounts
from tests.conftest import live_console_services, taken_session
from tests.waiting import wait_until

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_pending_decision_is_counted_until_the_background_retry_stores_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live_console_services(tmp_path, monkeypatch, pending_retry_seconds=0.2) as services:
        database = services.database
        Accounts(database).add("li.na", "password-li-na")
        reviewer = services.sign_in("li.na", "password-li-na")
        taken = taken_session(database, reviewer, NOW)
        assert services.pending_decisions() == 0

        down = [True]
        tried: list[str] = []

        def outage(method: Any) -> Any:
            def call(*args: Any, **kwargs: Any) -> Any:
                tried.append(method.__name__)
                if down[0]:
                    raise DatabaseUnavailable("the database server is not answering")
                return method(*args, **kwargs)

            return call

        for name in ("answers", "save_answer", "record_decision"):
            monkeypatch.setattr(services.records, name, outage(getattr(services.records, name)))
        confirmed = {"applied_personally": True, "monthly_income": Decimal("8000.00")}
        with pytest.raises(ReviewError, match="kept on this workstation"):
            services.save_decision(
                DecisionSubmission(
                    taken.session_id, reviewer, DecisionDraft(Outcome.VERIFY_LATER), (), confirmed
                )
            )
        assert services.pending_decisions() == 1
        # The background retry tries again (twice, so one try ended before this look), still down.
        tries = tried.count("record_decision")
        wait_until(lambda: tried.count("record_decision") >= tries + 2, 10, "the background retry")
        assert services.pending_decisions() == 1

        down[0] = False
        wait_until(lambda: services.pending_decisions() == 0, 10, "the decision stored")
        [decision] = services.records.decisions(taken.session_id)
        assert decision.outcome == "verify_later"
        # The answers confirmed in the window came through the outage with the decision.
        assert decision.answers == {"applied_personally": True, "monthly_income": "8000.00"}
        # Its row in the supervisors' browser was built with it.
        [item] = [i for i in ReplayRecords(database).browse().items if i.session_id == taken.session_id]
        assert item.outcome == "verify_later"
