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
    ten = figures["by_hour"][10]
    assert {"hour": 10, "sessions": 2}.items() <= ten.items()  # the contract's keys, and more:
    assert (ten["approved"], ten["rejected"], ten["median_handle_seconds"]) == (1, 1, 90.0)
    assert (ten["face_match_failed"], ten["connection_failed"]) == (0, 0)
    with pytest.raises(SystemExit):
        main(["stats", "--json", "--day", "23/11/2026"])
    assert "is not a day" in capsys.readouterr().err


def test_each_hour_has_its_outcomes_failures_and_handle_time(database: Database) -> None:
    """Per hour of the day (by when a session was taken): sessions, outcome rates among the
    decided, median handle time, failed face-match attempts and connection failures (the
    applicant did not come back, or the console's connection was lost)."""
    reviewer = Accounts(database).add("li", "password1")
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    at_ten = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai

    def session(minutes: int):  # type: ignore[no-untyped-def]
        taken_at = at_ten + timedelta(minutes=minutes)
        taken = taken_session(database, reviewer.id, taken_at)
        records.start_leg(taken.session_id, taken_at)
        return taken.session_id, taken_at

    def fail_face(session_id, at) -> None:  # type: ignore[no-untyped-def]
        records.record_face_attempt(session_id, failed=False, now=at, reviewer_id=reviewer.id, actor="li")
        records.record_face_attempt(session_id, failed=True, now=at, reviewer_id=reviewer.id, actor="li")

    def decide(session_id, at, draft) -> None:  # type: ignore[no-untyped-def]
        records.record_decision(DecisionSubmission(session_id, reviewer.id, draft), actor="li", now=at)

    reject = DecisionDraft(Outcome.REJECT, reasons=(RejectReason.FACE_MATCH_FAILED,))
    # 10:00-11:00: two failed face attempts then a rejection (240 s); a verify-later (60 s); an
    # applicant who never came back (connection failed, 100 s).
    first, at = session(5)
    fail_face(first, at + timedelta(seconds=30))
    fail_face(first, at + timedelta(seconds=90))
    decide(first, at + timedelta(seconds=240), reject)
    second, at = session(20)
    decide(second, at + timedelta(seconds=60), DecisionDraft(Outcome.VERIFY_LATER))
    third, at = session(40)
    records.end_connection_failed(third, at + timedelta(seconds=100), details={})
    # 11:00-12:00: the console lost its connection mid-call (30 s), and one rejection (120 s).
    fourth, at = session(65)
    records.end_without_decision(fourth, at + timedelta(seconds=30), "console_lost")
    fifth, at = session(70)
    decide(fifth, at + timedelta(seconds=120), DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,)))

    figures = day_figures(database, date(2026, 11, 23), SHANGHAI)
    ten, eleven = figures.by_hour[10], figures.by_hour[11]
    assert (ten.sessions, ten.rejected, ten.verify_later, ten.approved) == (3, 1, 1, 0)
    assert (ten.face_match_failed, ten.connection_failed, ten.median_handle_seconds) == (2, 1, 100.0)
    assert (ten.rate(ten.rejected), ten.rate(ten.verify_later), ten.rate(ten.approved)) == (0.5, 0.5, 0.0)
    assert (eleven.sessions, eleven.rejected, eleven.face_match_failed, eleven.connection_failed) == (
        2,
        1,
        0,
        1,
    )
    assert eleven.median_handle_seconds == 75.0 and eleven.rate(eleven.rejected) == 1.0
    assert figures.by_hour[12].rate(0) is None and figures.by_hour[12].median_handle_seconds is None
    assert sum(h.face_match_failed for h in figures.by_hour) == 2
    assert figures.as_dict()["by_hour"][10]["connection_failed"] == 1
