"""A whole review with the keyboard alone, and focus that shows everywhere: take the next
applicant (Ctrl+N), answer every question by Tab, Space, arrow keys and typing, open the
approval (Ctrl+Shift+A), choose the override's reason code and explain it, record (Ctrl+Enter).
No mouse click and no call into the window's methods on the reviewer's side."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re

import pytest
from PySide6.QtCore import Qt as QtNs
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QWidget,
)

from app.console import ConnectionState
from app.decisions import Outcome
from tests.test_ui_console import from_media_thread, make_window, services  # noqa: F401 (fixtures)
from tests.ui_fakes import GOOD_ANSWERS, applicant, grey_frame, score, when_modal_shows
from ui.decision import DecisionDialog
from ui.main_window import ConsoleWindow
from ui.style import STYLE_SHEET

pytestmark = pytest.mark.gui
Key = QtNs.Key
CTRL, SHIFT = QtNs.KeyboardModifier.ControlModifier, QtNs.KeyboardModifier.ShiftModifier
ANSWERS = {**GOOD_ANSWERS, "reviewer_notes": "Answered calmly, ID card held to the camera."}
REASON = "The applicant showed the original ID card at the branch on 23 November."


def inside(widget: QWidget | None, editor: QWidget) -> bool:
    while widget is not None:
        if widget is editor:
            return True
        widget = widget.parentWidget()
    return False


def tab_to(qtbot, window: QWidget, editor: QWidget, limit: int = 8) -> QWidget:  # type: ignore[no-untyped-def]
    """Press Tab until the focus is in `editor`; it must get there within `limit` presses."""
    path = []
    for _ in range(limit):
        focused = QApplication.focusWidget()
        path.append(f"{type(focused).__name__}:{getattr(focused, 'text', lambda: '')()!s:.20}")
        if inside(focused, editor):
            return focused  # type: ignore[return-value]
        qtbot.keyClick(focused or window, Key.Key_Tab)
    raise AssertionError(f"Tab never reached {editor!r}; the focus went {path}")


def choose_by_arrows(qtbot, combo: QComboBox, value: object) -> None:  # type: ignore[no-untyped-def]
    for _ in range(combo.count()):
        if combo.currentData() == value:
            return
        qtbot.keyClick(combo, Key.Key_Down)
    assert combo.currentData() == value


def test_a_whole_review_with_the_keyboard_alone(qtbot, make_window, services) -> None:  # noqa: F811
    window: ConsoleWindow = make_window(services)
    services.add_applicant(applicant("Wang Fang"))
    window.poll_queue()
    qtbot.waitUntil(
        lambda: window.queue_panel.summary is not None and window.queue_panel.summary.waiting == 1
    )
    window.activateWindow()
    with qtbot.waitSignal(window.review_started, timeout=5000):
        qtbot.keyClick(window, Key.Key_N, CTRL)
    qtbot.waitUntil(lambda: len(services.fake_calls) == 1 and window.call is services.fake_calls[-1])
    call = services.fake_calls[-1]

    def media() -> None:  # the applicant's side: connected, a face that does not match (yet)
        call.events.connection(ConnectionState.CONNECTED, 1)
        for step in range(5):
            call.events.frame(grey_frame(), step * 0.1)
            call.events.face_score(score(step * 0.1, 30.0))

    from_media_thread(media)
    qtbot.waitUntil(lambda: window.face is not None and window.face.last is not None)

    # Every question, in the form's order, reached with Tab from the top of the form.
    window.application_panel.setFocus()
    for question in window.questionnaire:
        raw = ANSWERS[question.id]
        focused = tab_to(qtbot, window, window.form.editor(question.id))
        if isinstance(focused, QRadioButton):
            assert not focused.isChecked()  # nothing of an earlier applicant to land on
            if focused.property("answer") != raw:
                qtbot.keyClick(focused, Key.Key_Right)
                focused = QApplication.focusWidget()
            assert focused.property("answer") == raw
            qtbot.keyClick(focused, Key.Key_Space)
        elif isinstance(focused, QComboBox):
            choose_by_arrows(qtbot, focused, raw)
        else:
            assert isinstance(focused, QLineEdit)
            qtbot.keyClicks(focused, str(raw))
            qtbot.keyClick(focused, Key.Key_Tab)  # leaving the field takes the answer
        qtbot.waitUntil(lambda question=question: question.id in window.form.answers, timeout=2000)
    assert window.form.missing_required() == []
    assert window.form.answers["third_party_present"] is False

    # The approval needs an override (the face has not matched): chosen and explained by keys.
    seen: list[DecisionDialog] = []
    failures: list[BaseException] = []

    def in_the_dialog(dialog: DecisionDialog) -> None:
        seen.append(dialog)
        try:
            fill(dialog)
        except BaseException as error:
            failures.append(error)
            dialog.reject()

    def fill(dialog: DecisionDialog) -> None:
        # The window system activates a dialog as it opens; the offscreen platform needs asking.
        dialog.activateWindow()
        qtbot.waitUntil(lambda: inside(QApplication.focusWidget(), dialog), timeout=3000)
        combo = tab_to(qtbot, dialog, dialog.override_code_combo, limit=12)
        choose_by_arrows(qtbot, combo, "identity_verified_otherwise")
        override = tab_to(qtbot, dialog, dialog.override_edit, limit=12)
        qtbot.keyClicks(override, REASON)
        note = tab_to(qtbot, dialog, dialog.note_edit, limit=12)
        qtbot.keyClicks(note, "Calm answers.")
        qtbot.keyClick(note, Key.Key_Tab)  # Tab leaves the note instead of typing into it
        assert isinstance(note, QPlainTextEdit) and "\t" not in note.toPlainText()
        assert QApplication.focusWidget() is not note
        qtbot.keyClick(QApplication.focusWidget(), Key.Key_Return, CTRL)

    when_modal_shows(DecisionDialog, in_the_dialog)
    with qtbot.waitSignal(window.decision_saved, timeout=10000, raising=False) as saved:
        qtbot.keyClick(window, Key.Key_A, CTRL | SHIFT)
    if failures:
        raise failures[0]
    assert saved.signal_triggered, window.banner.label.text()
    assert seen and seen[0].outcome is Outcome.APPROVE
    [stored] = services.decisions
    assert stored.draft.outcome is Outcome.APPROVE
    assert stored.draft.override_code == "identity_verified_otherwise"
    assert stored.draft.override_reason == REASON and stored.draft.note == "Calm answers."
    assert "face_not_matched" in stored.overridden
    assert set(stored.answers) == set(ANSWERS)


def _focus_rule_for(widget: QWidget) -> bool:
    """The style sheet draws the focus of this kind of control (a ':focus' rule for its class
    or one of its bases)."""
    rules = re.findall(r"([A-Za-z, #:\-\[\]=\"]+)\{", STYLE_SHEET)
    focused = {part.strip().split(":")[0] for rule in rules for part in rule.split(",") if ":focus" in part}
    meta = widget.metaObject()
    while meta is not None:
        if meta.className() in focused:
            return True
        meta = meta.superClass()
    return False


def test_every_control_that_takes_the_focus_shows_it(qtbot, make_window, services) -> None:  # noqa: F811
    from tests.test_ui_console import take_applicant

    window: ConsoleWindow = make_window(services)
    take_applicant(qtbot, window, services)
    dialog = DecisionDialog(Outcome.APPROVE, window.decision_context(), window)
    qtbot.addWidget(dialog)
    missing = []
    for top in (window, dialog):
        for widget in top.findChildren(QWidget):
            takes_focus = bool(widget.focusPolicy() & QtNs.FocusPolicy.TabFocus) and widget.isVisibleTo(top)
            if takes_focus and widget.focusProxy() is None and not _focus_rule_for(widget):
                missing.append(widget.metaObject().className())
    # Scroll areas and viewports pass the focus on; what is left must draw it.
    allowed = {"QScrollArea", "QWidget", "QAbstractScrollArea"}
    assert sorted(set(missing) - allowed) == []


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)])
def test_drop_downs_show_their_whole_choice(qtbot, make_window, services, size) -> None:  # noqa: F811
    """'Self-employed / business owner' and the like are not cut at the right edge."""
    from tests.test_ui_console import take_applicant

    window: ConsoleWindow = make_window(services)
    window.setStyleSheet(STYLE_SHEET)  # the console's padding and borders, as it runs
    window.resize(*size)
    take_applicant(qtbot, window, services)
    qtbot.waitUntil(lambda: window.width() == size[0])
    for question in window.questionnaire:
        combo = window.form.editor(question.id)
        if not isinstance(combo, QComboBox):
            continue
        for index in range(combo.count()):
            combo.setCurrentIndex(index)
            text = combo.currentText()
            room = (
                combo.style()
                .subControlRect(
                    combo.style().ComplexControl.CC_ComboBox,
                    _combo_option(combo),
                    combo.style().SubControl.SC_ComboBoxEditField,
                    combo,
                )
                .width()
            )
            assert combo.fontMetrics().horizontalAdvance(text) <= room, (question.id, text, room, size)


def _combo_option(combo: QComboBox):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QStyleOptionComboBox

    option = QStyleOptionComboBox()
    option.initFrom(combo)
    option.currentText = combo.currentText()
    return option
