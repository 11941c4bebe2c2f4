"""A whole review in the console on the real layers: SQLite, the embedded intake service, the
applicant simulator streaming obama_weekly_address.mp4 over WebRTC, the FaceWorker matching it
against obama.jpg. Take the applicant, see "Match", answer, approve, and find the decision with
its answers and face summary in the database; and the longest event-loop gap, printed."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import contextlib
import subprocess
from collections.abc import Callable
from datetime import time

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.decisions import Outcome
from app.settings import load_settings
from tests.ui_fakes import GOOD_ANSWERS, OBAMA_VIDEO
from ui.decision import DecisionDialog
from ui.face_check import FaceState
from ui.main_window import ConsoleWindow, UnsavedDecisionQuestion
from ui.responsiveness import EventLoopGapMeter
from ui.sign_in import SignedIn

pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.skipif(not OBAMA_VIDEO.is_file(), reason="shared data video missing"),
]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def live_console(qtbot, tmp_path, monkeypatch):
    from cli.call import free_port
    from cli.console import LiveConsoleServices, queue_demo_applicant, start_console_intake
    from storage.database import open_database
    from storage.reviewers import Accounts

    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "photo.key"))
    monkeypatch.setattr(UnsavedDecisionQuestion, "ask", classmethod(lambda cls, parent: True))
    settings = load_settings(
        overrides={
            "data_dir": str(tmp_path / "data"),
            "database_url": f"sqlite:///{tmp_path / 'console.db'}",
            "review_opens": time(0, 0),
            "review_closes": time(0, 0),
            "intake_port": free_port(),
        },
        environ={},
    )
    database = open_database(settings.effective_database_url)
    Accounts(database).add("li.na", PASSWORD)
    server, url = start_console_intake(settings, database)
    simulator = queue_demo_applicant(database, settings, url)
    services = LiveConsoleServices(settings, database, url)
    window = None
    try:
        reviewer_id = services.sign_in("li.na", PASSWORD)
        qsettings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
        window = ConsoleWindow(services, SignedIn(reviewer_id, "li.na"), settings, qsettings)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        yield window, services
    finally:
        if window is not None:
            window.close()
        services.close()
        simulator.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            simulator.wait(timeout=5)
        if server is not None:
            server.stop()
        database.dispose()


def one_action_per_turn(actions: list[Callable[[], None]], pause_ms: int = 40) -> None:
    """Do the reviewer's actions one per event-loop turn, as a person does, not in one go."""

    def next_action() -> None:
        actions.pop(0)()
        if actions:
            QTimer.singleShot(pause_ms, next_action)

    QTimer.singleShot(0, next_action)


def click_record_when_the_dialog_shows(qtbot) -> None:
    def click() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, DecisionDialog):
            dialog.record_button.click()
        else:
            QTimer.singleShot(50, click)

    QTimer.singleShot(300, click)


def test_a_whole_review_on_the_real_layers(qtbot, live_console, capsys):
    window, services = live_console

    qtbot.waitUntil(
        lambda: window.queue_panel.summary is not None and window.queue_panel.summary.waiting == 1,
        timeout=30000,
    )
    meter = EventLoopGapMeter(interval_ms=5)
    meter.start()
    window.activateWindow()
    with qtbot.waitSignal(window.review_started, timeout=30000):
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.video.frames_shown > 30, timeout=30000)
    qtbot.waitUntil(lambda: window.face is not None and window.face.state is FaceState.MATCHED, timeout=60000)
    assert window.face_panel.state_text == "Match"
    qtbot.waitUntil(lambda: window.video.frames_shown > 120, timeout=30000)
    bridge = window.bridge
    assert bridge is not None
    shown_fps = window.video.frames_per_second()
    frames = (
        f"video at {shown_fps:.1f} frames/s "
        f"({bridge.frames_received} received, {bridge.frames_dropped} dropped)"
    )
    one_action_per_turn(
        [lambda qid=qid, raw=raw: window.form.enter(qid, raw) for qid, raw in GOOD_ANSWERS.items()]
    )
    qtbot.waitUntil(lambda: window.form.missing_required() == [], timeout=10000)
    click_record_when_the_dialog_shows(qtbot)  # the real DecisionDialog.ask, modal
    with qtbot.waitSignal(window.decision_saved, timeout=30000):
        QTimer.singleShot(0, window.decision_bar.buttons[Outcome.APPROVE].click)
    meter.stop()
    limit, why = EventLoopGapMeter.limit_for_this_machine(50.0)
    with capsys.disabled():
        print(f"\nlive call on the real layers: {meter.report()}; {frames}; {why}")
    # 24-33 ms measured on a quiet 2-core machine, with the simulator and the face worker on it too.
    assert meter.max_gap_ms < limit, meter.report()
    assert shown_fps > (20 if limit == 50.0 else 10)  # 30 sent; fewer shown only when overloaded

    [decision] = services.records.decisions(window.last_decision_session)
    assert decision.outcome == "approve"
    assert decision.overridden == []
    assert decision.answers["monthly_income"] == "18000.00"
    assert decision.answers["employment_status"] == "self_employed"
    assert decision.face_summary["matched"] is True
    assert decision.face_summary["best_similarity"] > 50
    assert decision.face_summary["attempts_used"] == 1
    # The call is hung up and its score samples are stored.
    qtbot.waitUntil(lambda: len(services.records.scores(window.last_decision_session)) > 5, timeout=15000)
    assert window.applicant is None and window.queue_panel.take_button.isEnabled()
