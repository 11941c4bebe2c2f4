"""The language changes without a restart: chosen between reviews, the console opens again in
it at once, still signed in; chosen during a review, when the review ends."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings, QTimer

from app.ids import ReviewerId
from app.settings import load_settings
from tests.test_ui_console import make_window, services, take_applicant  # noqa: F401 (fixtures)
from ui.main_window import ConsoleWindow
from ui.sign_in import SignedIn

pytestmark = pytest.mark.gui


def test_a_language_chosen_during_a_review_applies_when_it_ends(qtbot, make_window, services) -> None:  # noqa: F811
    window: ConsoleWindow = make_window(services)
    take_applicant(qtbot, window, services)
    chosen: list[str] = []
    window.language_chosen.connect(chosen.append)
    window._choose_language("zh_CN")
    assert chosen == [] and window.isVisible()
    assert "when this review ends" in window.statusBar().currentMessage()
    with qtbot.waitSignal(window.language_chosen, timeout=3000):
        window.close_review()
    assert chosen == ["zh_CN"] and not window.isVisible()


def test_the_console_opens_again_in_the_chosen_language(qtbot, services, tmp_path) -> None:  # noqa: F811
    from ui.console_app import _Started

    settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={})
    qsettings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
    qsettings.setValue("language", "en")
    switch_interval = sys.getswitchinterval()
    started = _Started(settings, qsettings)
    windows: list[ConsoleWindow] = []

    def opened(window: ConsoleWindow) -> None:
        windows.append(window)
        if len(windows) == 1:
            QTimer.singleShot(100, lambda: window._choose_language("zh_CN"))
        else:
            QTimer.singleShot(100, window.close)

    try:
        _code, signed_out = started.run_console_window(
            services, SignedIn(ReviewerId(1), "li.na"), settings, opened
        )
    finally:
        started.use_language("en")
        started.app.setStyleSheet("")  # as the other tests found the application
        sys.setswitchinterval(switch_interval)
    assert not signed_out and len(windows) == 2
    assert windows[1].language == "zh_CN"
    assert windows[1].menuBar().actions()[0].text().startswith("审核台")
