"""The supervisors' window on stand-in services (checks, confirm, send back, the live view), and
its services on a real database (a maker never sees their own decision in the queue)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from app.four_eyes import FourEyesRefused
from app.ids import SessionId
from app.supervision import CheckEntry, DayFigures, HourFigures, ReviewerNow, TeamNow
from ui.supervisor_window import SendBackDialog, SupervisorWindow

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


class StandInSupervision:
    def __init__(self) -> None:
        self.entries = [
            CheckEntry(1, SessionId(11), "Wang Fang", "25000.00", "approve", "li", ["amount"], NOW),
            CheckEntry(2, SessionId(12), "Zhang Wei", "3000.00", "approve", "chen", ["sample"], NOW),
        ]
        self.confirmed: list[int] = []
        self.sent_back: list[tuple[int, str, bool]] = []
        self.refuse = False
        self.threads: set[str] = set()

    def checks(self) -> list[CheckEntry]:
        self.threads.add(threading.current_thread().name)
        return list(self.entries)

    def confirm(self, check_id: int) -> None:
        if self.refuse:
            raise FourEyesRefused("li made decision 1; a different supervisor must check it.")
        self.confirmed.append(check_id)
        self.entries = [e for e in self.entries if e.check_id != check_id]

    def send_back(self, check_id: int, reason: str, *, reopen: bool) -> None:
        self.sent_back.append((check_id, reason, reopen))
        self.entries = [e for e in self.entries if e.check_id != check_id]

    def team_now(self, now: datetime) -> TeamNow:
        in_call = ReviewerNow("li", True, SessionId(20), now - timedelta(seconds=70))
        team = [in_call, ReviewerNow("chen", True), ReviewerNow("wu", False)]
        return TeamNow(waiting=3, longest_wait_seconds=95, left_today=1, reviewers=team)

    def day(self, day: date | None = None) -> DayFigures:
        hours = [HourFigures(h) for h in range(24)]
        hours[10] = HourFigures(
            10, sessions=4, approved=2, rejected=1, verify_later=1, median_handle_seconds=62,
            face_match_failed=3, connection_failed=1,
        )  # fmt: skip
        hours[11] = HourFigures(11, sessions=1, connection_failed=1, median_handle_seconds=40)
        return DayFigures(date(2026, 11, 23), 4, 2, 1, 1, 2, 62.0, hours)


@pytest.fixture
def window(qtbot) -> tuple[SupervisorWindow, StandInSupervision]:  # type: ignore[no-untyped-def]
    services = StandInSupervision()
    shown = SupervisorWindow(services, refresh_seconds=3600, clock=lambda: NOW)
    qtbot.addWidget(shown)
    qtbot.waitUntil(lambda: shown.checks.rowCount() == 2)
    return shown, services


def test_checks_are_listed_confirmed_and_sent_back(window, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shown, services = window
    assert shown.checks.item(0, 0).text() == "Wang Fang"
    assert shown.checks.item(0, 4).text() == "amount above the limit"
    assert threading.main_thread().name not in services.threads  # read on the worker
    assert not shown.confirm_button.isEnabled()
    shown.checks.selectRow(0)
    shown.confirm_button.click()
    qtbot.waitUntil(lambda: shown.checks.rowCount() == 1)
    assert services.confirmed == [1]
    monkeypatch.setattr(
        SendBackDialog, "ask", classmethod(lambda cls, entry, parent=None: ("income not asked", False))
    )
    shown.checks.selectRow(0)
    shown.send_back_button.click()
    qtbot.waitUntil(lambda: shown.checks.rowCount() == 0)
    assert services.sent_back == [(2, "income not asked", False)]
    assert "0 decisions" in shown.checks_title.text()


def test_a_refused_check_says_why(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    shown, services = window
    services.refuse = True
    shown.checks.selectRow(0)
    shown.confirm_button.click()
    qtbot.waitUntil(lambda: "different supervisor" in shown.message.text())
    assert shown.checks.rowCount() == 2


def test_live_view_shows_queue_team_and_hours(window) -> None:  # type: ignore[no-untyped-def]
    shown, _ = window
    assert shown.queue_line.text() == "Queue now: 3 waiting, longest wait 1:35; 1 left without a review today"
    states = [shown.team.item(row, 1).text() for row in range(3)]
    assert states == ["in a call (session 20)", "idle", "signed out"]
    assert shown.team.item(0, 2).text() == "1:10"
    assert "approved 50%" in shown.today_line.text() and "2 awaiting check" in shown.today_line.text()
    assert "face-match failures 3; connection failures 2" in shown.today_line.text()


def test_the_live_view_charts_each_figure_per_hour(window) -> None:  # type: ignore[no-untyped-def]
    """Sessions (by outcome), the outcome rates among the decided, the median handle time, and
    face-match and connection failures: one chart each, every hour of the review day."""
    shown, _ = window
    charts = {
        "sessions": shown.sessions_chart,
        "rates": shown.rates_chart,
        "handle": shown.handle_chart,
        "failures": shown.failures_chart,
    }
    hours = {name: dict(chart.values()) for name, chart in charts.items()}
    assert all(sorted(h) == list(range(8, 24)) for h in hours.values())  # 08:00 to 24:00
    assert hours["sessions"][10] == [2, 1, 1, 0] and hours["sessions"][11] == [0, 0, 0, 1]
    assert hours["rates"][10] == [50, 25, 25] and hours["rates"][11] == [None, None, None]
    assert hours["handle"][10] == [62] and hours["handle"][11] == [40] and hours["handle"][9] == [None]
    assert hours["failures"][10] == [3, 1] and hours["failures"][11] == [0, 1]
    assert [s.label for s in shown.failures_chart.series] == ["face-match failures", "connection failures"]


def test_services_on_the_database_keep_the_makers_own_decision_out(database) -> None:  # type: ignore[no-untyped-def]
    from app.roles import Role
    from app.settings import load_settings
    from services.supervision import DatabaseSupervision
    from storage.reviewers import Accounts
    from tests.test_four_eyes import approved

    settings = load_settings(environ={})
    accounts = Accounts(database)
    reviewer = accounts.add("li", "password1")
    supervisor = accounts.add("zhang", "password1", Role.SUPERVISOR)
    _, session_id, _ = approved(database, reviewer.id)
    services = DatabaseSupervision(database, settings, supervisor)
    [entry] = services.checks()
    assert (entry.session_id, entry.maker, entry.because) == (session_id, "li", ["amount"])
    team = services.team_now(datetime.now(UTC))
    assert [(r.name, r.session_id) for r in team.reviewers] == [("li", None)]
    services.confirm(entry.check_id)
    assert services.checks() == []
