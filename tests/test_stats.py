"""A day's figures, counted in the bank's time zone (storage.stats and `stats --json`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.decisions import DecisionDraft, DecisionSubmission, Outcome, RejectReason
from app.four_eyes import NO_CHECKS
from storage.database import Database
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from storage.stats import day_figures
from tests.conftest import taken_session
from tools.fixtures import approval_with_override

SHANGHAI = ZoneInfo("Asia/Shanghai")


def three_sessions(database: Database) -> None:
    """Taken at 10:00, 10:30 and 13:00 Shanghai time on 23 November; handled in 60, 120, 180 s."""
    reviewer = Accounts(database).add("li", "password1")
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    for minute, seconds, draft in [
        (0, 60, approval_with_override()),
        (30, 120, DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,))),
        (180, 180, DecisionDraft(Outcome.VERIFY_LATER)),
    ]:
        taken_at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC) + timedelta(minutes=minute)
        taken = taken_session(database, reviewer.id, taken_at)
        records.record_decision(
            DecisionSubmission(taken.session_id, reviewer.id, draft),
            actor="li",
            now=taken_at + timedelta(seconds=seconds),
        )


def test_day_figures_in_the_banks_time_zone(database: Database) -> None:
    three_sessions(database)
    figures = day_figures(database, date(2026, 11, 23), SHANGHAI).as_dict()
    by_hour = {h["hour"]: h["sessions"] for h in figures.pop("by_hour") if h["sessions"]}
    assert figures == {
        "sessions": 3,
        "approved": 1,
        "rejected": 1,
        "verify_later": 1,
        "awaiting_check": 0,
        "median_handle_seconds": 120.0,
    }
    assert by_hour == {10: 2, 13: 1}
    # In New York the first two were taken on the 22nd (21:00), the third at midnight.
    new_york = ZoneInfo("America/New_York")
    assert day_figures(database, date(2026, 11, 22), new_york).sessions == 2
    assert [h.hour for h in day_figures(database, date(2026, 11, 23), new_york).by_hour if h.sessions] == [0]
    assert day_figures(database, date(2026, 11, 24), SHANGHAI).as_dict()["median_handle_seconds"] is None


def test_stats_command(command_database: Database, capsys) -> None:  # type: ignore[no-untyped-def]
    from cli import main

    database = command_database
    three_sessions(database)
    assert main(["stats", "--json", "--day", "2026-11-23"]) == 0
    figures = json.loads(capsys.readouterr().out)
    keys = "sessions approved rejected verify_later awaiting_check median_handle_seconds by_hour"
    assert set(figures) == set(keys.split())
    assert figures["sessions"] == 3 and len(figures["by_hour"]) == 24
    assert figures["by_hour"][10] == {"hour": 10, "sessions": 2}
    with pytest.raises(SystemExit):
        main(["stats", "--json", "--day", "23/11/2026"])
    assert "is not a day" in capsys.readouterr().err
