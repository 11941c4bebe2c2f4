"""The console's parts on their own: the thread bridge, the worker, sign-in, the questionnaire
form, the decision dialog and the face check."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt, QThread

from app.console import AudioState, ConnectionState
from app.decisions import FaceSummary, Outcome, RejectReason
from app.questionnaire import load_questionnaire
from app.review import ReviewSession
from app.rules import ReviewRules
from app.settings import load_settings
from tests.ui_fakes import REVIEWER, FakeConsoleServices, grey_frame, score, type_text
from ui.bridge import CallBridge, ServiceWorker
from ui.decision import DecisionContext, DecisionDialog
from ui.face_check import FaceCheck, FaceState
from ui.questionnaire_form import QuestionnaireForm
from ui.sign_in import SignInDialog

pytestmark = pytest.mark.gui

SETTINGS = load_settings(environ={})


@pytest.fixture
def worker():
    worker = ServiceWorker("test-worker")
    yield worker
    worker.shutdown()


def test_the_bridge_hands_over_only_the_newest_frame_on_the_qt_thread(qtbot):
    bridge = CallBridge()
    received: list[tuple[float, bool]] = []
    bridge.frame_ready.connect(
        lambda image, t: received.append(
            (t, QThread.currentThread() is bridge.thread() and image.width() == 640)
        )
    )

    def media() -> None:  # 50 frames while the Qt thread is not looking
        for index in range(50):
            bridge.frame(grey_frame(level=index), index / 30)

    thread = threading.Thread(target=media)
    thread.start()
    thread.join()
    # Queued events run in order: once this marker is delivered, any further frame would have been.
    with qtbot.waitSignal(bridge.audio_changed):
        bridge.audio(AudioState.RECEIVING)
    assert received == [(49 / 30, True)]
    assert bridge.frames_dropped == 49


@pytest.mark.parametrize("height, width, step", [(480, 640, 1), (241, 321, 1), (240, 320, 2)])
def test_a_frame_becomes_an_image_with_every_pixel_in_its_colour(height, width, step):
    """BGR in, the same colours out, at odd sizes and from a strided view of a larger frame."""
    import numpy as np
    from PySide6.QtGui import QColor, QImage

    from ui.bridge import bgr_to_qimage

    rng = np.random.default_rng(height)
    frame = rng.integers(0, 256, (height * step, width * step, 3), dtype=np.uint8)[::step, ::step]
    image = bgr_to_qimage(frame)
    assert (image.width(), image.height(), image.format()) == (width, height, QImage.Format.Format_RGB32)
    for y, x in [(0, 0), (height - 1, width - 1), (height // 2, width // 3), (7, width - 2)]:
        blue, green, red = (int(value) for value in frame[y, x])
        assert QColor(image.pixel(x, y)).getRgb() == (red, green, blue, 255)
    before = QColor(image.pixel(0, 0)).getRgb()
    frame[0, 0] = (255 - frame[0, 0]).astype(np.uint8)  # the image owns its pixels: not changed with it
    assert QColor(image.pixel(0, 0)).getRgb() == before


def test_the_bridge_delivers_call_events_in_order_and_none_after_close(qtbot):
    bridge = CallBridge()
    states: list[tuple[ConnectionState, int]] = []
    bridge.connection_changed.connect(lambda state, leg: states.append((state, leg)))
    bridge.connection(ConnectionState.CONNECTING, 0)
    bridge.connection(ConnectionState.CONNECTED, 1)
    qtbot.waitUntil(lambda: len(states) == 2)
    assert states == [(ConnectionState.CONNECTING, 0), (ConnectionState.CONNECTED, 1)]
    bridge.close()
    bridge.connection(ConnectionState.ENDED, 1)
    bridge.frame(grey_frame(), 1.0)
    marker = CallBridge()
    with qtbot.waitSignal(marker.audio_changed):  # posted after the events above, so delivered after them
        marker.audio(AudioState.NONE)
    assert len(states) == 2


def test_the_worker_runs_blocking_work_off_the_qt_thread_and_answers_on_it(qtbot, worker):
    seen: dict[str, object] = {}

    def work() -> int:
        seen["work_thread"] = threading.current_thread().name
        return 42

    worker.run(
        work,
        lambda result: seen.update(result=result, on_qt=QThread.currentThread() is worker.thread()),
        lambda error: seen.update(error=error),
    )
    qtbot.waitUntil(lambda: "result" in seen)
    assert str(seen["work_thread"]).startswith("test-worker")
    assert seen["result"] == 42 and seen["on_qt"] is True

    def broken() -> int:
        raise OSError("disk full")

    worker.run(broken, lambda result: seen.update(result2=result), lambda error: seen.update(error=error))
    qtbot.waitUntil(lambda: "error" in seen)
    assert str(seen["error"]) == "disk full"


def test_sign_in_refuses_a_wrong_password_in_place_and_accepts_the_right_one(qtbot, worker):
    services = FakeConsoleServices()
    dialog = SignInDialog(services, worker)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText(REVIEWER[0])
    dialog.password_edit.setText("wrong")
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: "refused" in dialog.error_label.text())
    assert dialog.result_reviewer is None and dialog.password_edit.text() == ""

    dialog.password_edit.setText(REVIEWER[1])
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.sign_in_button.click()
    assert dialog.result_reviewer is not None and dialog.result_reviewer.name == REVIEWER[0]


@pytest.fixture
def form(qtbot):
    form = QuestionnaireForm(load_questionnaire(SETTINGS.questionnaire_file), "en")
    qtbot.addWidget(form)
    form.show()
    return form


def test_the_form_is_generated_from_the_questionnaire_file_with_required_answers_marked(form):
    questionnaire = form.questionnaire
    assert len(form._editors) == len(questionnaire)
    assert form.missing_required() == [q.id for q in questionnaire if q.required]
    assert form.missing_required_prompts()[0] == questionnaire.questions[0].text("en")


def test_the_form_shows_each_draw_in_its_order_numbered_and_nothing_else(qtbot, form):
    """Takes one after another with other questions and other orders: the grid's rows are the
    asked questions in the asked order, numbered; the rest hidden (rows are moved, not rebuilt)."""
    import random

    from PySide6.QtWidgets import QApplication

    whole = form.questionnaire
    ids = [question.id for question in whole]
    draws = [ids, ids[::-1], ids[2:7], [ids[5], ids[0], ids[3]], ids[1:], ids]
    draws += [random.Random(seed).sample(ids, len(ids) - seed) for seed in range(4)]
    for drawn in draws:
        form.ask(whole.asked(drawn))
        QApplication.processEvents()
        placed = []
        for index in range(len(drawn)):
            label = form._grid.itemAtPosition(index, 0).widget()
            cell = form._grid.itemAtPosition(index, 1).widget()
            assert label.isVisible() and cell.isVisible()
            placed.append(next(qid for qid, row in form._rows.items() if row == (label, cell)))
            assert label.text().startswith(f"{index + 1}. ")
        assert placed == list(drawn)
        assert form._grid.count() == 2 * len(drawn)
        hidden = [qid for qid, (label, cell) in form._rows.items() if label.isHidden() and cell.isHidden()]
        assert sorted(hidden) == sorted(set(ids) - set(drawn))
        assert form.question_ids == list(drawn)


def test_the_form_refuses_invalid_money_in_place(qtbot, form):
    income = form.editor("monthly_income")
    qtbot.keyClicks(income, "12a3x")  # kept as typed, shown invalid with the reason
    assert income.text() == "12a3x"
    assert form.error_for("monthly_income").startswith("Not valid: only digits")
    assert form.invalid() == ["monthly_income"]
    income.clear()
    form.enter("monthly_income", "20000000")
    assert form.error_for("monthly_income") == "At most 10,000,000.00"
    assert "monthly_income" not in form.answers
    form.enter("monthly_income", "8,500.5")
    assert form.error_for("monthly_income") == ""
    assert form.answers["monthly_income"] == Decimal("8500.50")
    form.enter("monthly_income", "99999999")  # a refused value withdraws the earlier answer
    assert "monthly_income" not in form.answers


def test_the_form_answers_every_type_and_reports_changes(qtbot, form):
    changes: list[tuple[str, object]] = []
    form.answer_changed.connect(lambda qid, value: changes.append((qid, value)))
    form.enter("third_party_present", True)
    form.enter("employment_status", "unemployed")
    form.enter("employer_or_business", "  ")
    form.enter("reviewer_notes", "calm, clear answers")
    assert changes == [
        ("third_party_present", True),
        ("employment_status", "unemployed"),
        ("reviewer_notes", "calm, clear answers"),
    ]
    flags = form.questionnaire.red_flags(form.answers)
    assert flags == ["Third party present", "No employment income"]
    form.reset()
    assert form.answers == {}


def context(**changes) -> DecisionContext:
    values = dict(
        applicant_name="Wang Fang",
        missing_required_answers=[],
        face=FaceSummary(
            best_similarity=83.0, last_similarity=81.0, matched=True, liveness="passed", attempts_used=1
        ),
        answers_given=11,
    )
    values.update(changes)
    return DecisionContext(**values)  # type: ignore[arg-type]


def test_the_decision_dialog_shows_what_will_be_recorded(qtbot):
    dialog = DecisionDialog(Outcome.APPROVE, context(red_flags=("Third party present",)))
    qtbot.addWidget(dialog)
    dialog.note_edit.setPlainText("Documents checked")
    text = dialog.summary_label.text()
    for expected in (
        "Approve",
        "Documents checked",
        "best similarity 83",
        "passed",
        "11 given",
        "Third party present",
    ):
        assert expected in text
    with qtbot.waitSignal(dialog.accepted):
        dialog.record_button.click()
    assert dialog.draft is not None and dialog.draft.note == "Documents checked"


def test_the_decision_dialog_is_warmed_up_where_nobody_sees_it_and_none_is_left(qtbot):
    from PySide6.QtWidgets import QApplication, QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    DecisionDialog.warm_up(parent, "Wang Fang 王芳")
    warmed = parent.findChildren(DecisionDialog)
    assert len(warmed) == 1 and not warmed[0].isVisible()
    assert QApplication.activeModalWidget() is None
    qtbot.waitUntil(lambda: parent.findChildren(DecisionDialog) == [])


def test_the_decision_dialog_refuses_approval_without_match_unless_a_reason_is_given(qtbot):
    dialog = DecisionDialog(Outcome.APPROVE, context(face=FaceSummary(matched=False)))
    qtbot.addWidget(dialog)
    assert dialog.exceptions == ["The face has not matched the ID photo"]
    dialog.record_button.click()
    assert dialog.draft is None
    assert dialog.error_label.text() == "Approval refused: give the reason to approve anyway."
    dialog.override_edit.setText("ID photo is 10 years old; confirmed by branch visit")
    dialog.record_button.click()
    assert dialog.draft is not None and dialog.draft.override_reason.startswith("ID photo is 10 years old")


def test_the_decision_dialog_refuses_a_rejection_without_reason_code(qtbot):
    dialog = DecisionDialog(Outcome.REJECT, context())
    qtbot.addWidget(dialog)
    dialog.record_button.click()
    assert dialog.draft is None
    assert dialog.error_label.text() == "A rejection needs at least one reason code."
    dialog.reason_boxes[RejectReason.FRAUD_SUSPECTED].setChecked(True)
    dialog.record_button.click()
    assert dialog.draft is not None and dialog.draft.reasons == (RejectReason.FRAUD_SUSPECTED,)


def face_check(**settings) -> FaceCheck:
    rules = ReviewRules.from_settings(SETTINGS.replace(**settings))
    return FaceCheck(ReviewSession(rules), sustain_seconds=1.0, attempt_seconds=5.0)


def test_a_match_counts_only_when_sustained():
    check = face_check()
    for t, similarity in [(0.0, 80), (0.5, 80), (0.7, 40), (1.0, 80), (1.9, 80)]:
        check.observe(score(t, similarity))
        assert check.state is FaceState.CHECKING
    check.observe(score(2.0, 80))
    assert check.state is FaceState.MATCHED
    summary = check.summary()
    assert summary.matched and summary.attempts_used == 1 and summary.best_similarity == 80


def test_quality_flags_and_liveness_are_collected_for_the_summary():
    check = face_check()
    check.observe(score(0.0, None, live=None))
    check.observe(score(0.2, 60, flags=("too_dark",), live=False))
    check.observe(score(0.4, 60, live=True))
    assert check.summary().flags_seen == ("no_face", "too_dark")
    assert check.liveness == "passed"
    assert len(check.history) == 3
    check.observe(score(40.0, 60))
    assert len(check.history) == 1  # only the last 30 s are kept


@pytest.mark.slow  # a fresh interpreter
def test_opening_the_console_loads_no_heavy_media_library():
    code = (
        "import sys, cli.console, ui.console_app, ui.main_window, tools.demo_console, ui.bridge\n"
        "names = ('cv2', 'face_recognition', 'dlib', 'aiortc', 'av', 'sqlalchemy')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    import subprocess
    import sys
    from pathlib import Path

    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.stdout.strip() == ""


@pytest.mark.parametrize(
    ("typed", "error", "stored"),
    [
        ("-500", "Not valid: an amount cannot be negative", None),
        ("abc12x", "Not valid: only digits, one decimal point, thousands separators and 千/万/亿", None),
        ("1e9", "Not valid: write the amount in full digits, e.g. 1000000000", None),
        ("12.345", "Not valid: at most two decimals", None),
        ("1,2", "Not valid: thousands separators group three digits, e.g. 12,000", None),
        (
            "一万二",
            "Not valid: write the amount in digits, e.g. 12000 or 1.2万, not in Chinese numerals",
            None,
        ),
        ("1.2万", "", Decimal("12000.00")),
        ("１２０００", "", Decimal("12000.00")),
        ("18,000", "", Decimal("18000.00")),
    ],
)
def test_money_is_never_changed_as_typed_only_understood_or_refused(qtbot, form, typed, error, stored):
    income = form.editor("monthly_income")
    income.setFocus()
    type_text(income, typed)
    assert income.text() == typed  # nothing dropped, nothing reinterpreted in the field
    assert form.error_for("monthly_income") == error
    assert bool(income.property("invalid")) is bool(error)
    qtbot.keyClick(income, Qt.Key.Key_Tab)  # leave the field: the answer is taken or refused
    assert income.text() == typed
    assert form.answers.get("monthly_income") == stored
    if typed == "1.2万":
        assert form._hints["monthly_income"].text() == "= 12,000.00"
