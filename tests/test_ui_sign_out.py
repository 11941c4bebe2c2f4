"""Sign-out: from the Console menu or Ctrl+Shift+O; a call in progress is confirmed first (as
closing is), the credential is forgotten and the window says the sign-in should come back."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt

from tests.test_ui_console import make_window, services, take_applicant  # noqa: F401 (fixtures)
from ui.main_window import SIGN_OUT_SHORTCUT, ConsoleWindow, EndCallQuestion

pytestmark = pytest.mark.gui


def test_sign_out_with_the_keyboard_when_no_call_runs(qtbot, make_window, services) -> None:  # noqa: F811
    window: ConsoleWindow = make_window(services)
    assert SIGN_OUT_SHORTCUT == "Ctrl+Shift+O"
    assert any(keys == SIGN_OUT_SHORTCUT for keys, _what in window.shortcut_rows())
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    with qtbot.waitSignal(window.signed_out, timeout=3000):
        qtbot.keyClick(
            window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )
    assert not window.isVisible()
    assert services.signed_out == [window.reviewer.reviewer_id]


def test_sign_out_during_a_call_is_confirmed_first(qtbot, make_window, services, monkeypatch) -> None:  # noqa: F811
    window: ConsoleWindow = make_window(services)
    take_applicant(qtbot, window, services)
    asked: list[str] = []
    monkeypatch.setattr(
        EndCallQuestion, "ask", classmethod(lambda cls, parent, name: asked.append(name) or False)
    )
    assert not window.sign_out()
    assert asked == ["Wang Fang"] and window.isVisible() and services.signed_out == []
    monkeypatch.setattr(EndCallQuestion, "ask", classmethod(lambda cls, parent, name: True))
    with qtbot.waitSignal(window.signed_out, timeout=3000):
        assert window.sign_out()
    assert services.signed_out == [window.reviewer.reviewer_id]
