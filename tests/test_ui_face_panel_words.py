"""The face panel's words: "No face found" when no face was ever compared (it said "No match"),
and the similarity's scale and match level next to the figure."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtWidgets import QLabel

from app.review import ReviewSession
from app.rules import ReviewRules
from app.settings import load_settings
from tests.test_ui_console import make_window, services  # noqa: F401 (fixtures)
from tests.ui_fakes import score
from ui.face_check import FaceCheck, FaceState
from ui.face_panel import FacePanel

pytestmark = pytest.mark.gui


def _check() -> FaceCheck:
    rules = ReviewRules.from_settings(load_settings(environ={}))
    return FaceCheck(ReviewSession(rules), sustain_seconds=1.0, attempt_seconds=2.0)


def test_no_face_ever_is_not_called_no_match(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = FacePanel()
    qtbot.addWidget(panel)
    check = _check()
    for step in range(30):
        check.observe(score(step * 0.1, None))
    assert check.state is FaceState.NOT_MATCHED
    panel.show_check(check)
    assert panel.state_text == "No face found"

    compared = _check()
    for step in range(30):
        compared.observe(score(step * 0.1, 21.0))
    panel.show_check(compared)
    assert panel.state_text == "No match"


def test_the_figure_says_its_scale_and_where_a_match_starts(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = FacePanel()
    qtbot.addWidget(panel)
    captions = [label.text() for label in panel.findChildren(QLabel)]
    assert any("out of 100" in text and "50" in text for text in captions), captions


def test_the_open_decision_dialog_follows_the_review(qtbot, make_window, services) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from app.decisions import Outcome
    from tests.test_ui_console import take_applicant
    from ui.decision import DecisionDialog

    window = make_window(services)
    take_applicant(qtbot, window, services)
    dialog = DecisionDialog(Outcome.VERIFY_LATER, window.decision_context(), window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "0 given" in dialog.summary_label.text()
    window.form.enter("applied_personally", True)  # the reviewer goes on while it is open
    window.form.enter("third_party_present", False)
    qtbot.waitUntil(lambda: "2 given" in dialog.summary_label.text(), timeout=3000)
    window.close_review()
    qtbot.waitUntil(lambda: not dialog.follow_timer.isActive(), timeout=3000)
