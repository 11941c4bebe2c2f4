"""The console window driven through whole reviews, with fake services and a call the test drives."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.console import ConnectionState, HangUp, RecordingState
from app.decisions import DecisionDraft, Outcome, RejectReason
from app.ids import ReviewerId, SessionId
from app.settings import load_settings
from tests.ui_fakes import (
    GOOD_ANSWERS,
    FakeCall,
    FakeConsoleServices,
    applicant,
    grey_frame,
    score,
    type_text,
    when_modal_shows,
)
from ui.decision import DecisionDialog
from ui.face_check import FaceState
from ui.main_window import ConsoleWindow, UnsavedDecisionQuestion
from ui.sign_in import SignedIn

pytestmark = pytest.mark.gui


def from_media_thread(work: Callable[[], None]) -> None:
    """Run the media layer's side of a call on a thread of its own, as the real one does."""
    thread = threading.Thread(target=work, name="fake-media")
    thread.start()
    thread.join()


@pytest.fixture
def services():
    services = FakeConsoleServices()
    yield services
    services.close()


@pytest.fixture
def make_window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(UnsavedDecisionQuestion, "ask", classmethod(lambda cls, parent: True))

    def make(services: FakeConsoleServices, **overrides: object) -> ConsoleWindow:
        settings = load_settings(overrides={"data_dir": str(tmp_path), **overrides}, environ={})
        qsettings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
        window = ConsoleWindow(services, SignedIn(ReviewerId(1), "li.na"), settings, qsettings)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


@pytest.fixture
def window(make_window, services) -> ConsoleWindow:
    return make_window(services)


def take_applicant(
    qtbot, window: ConsoleWindow, services: FakeConsoleServices, name: str = "Wang Fang"
) -> FakeCall:
    services.add_applicant(applicant(name))
    window.poll_queue()
    qtbot.waitUntil(
        lambda: window.queue_panel.summary is not None and window.queue_panel.summary.waiting == 1
    )
    window.activateWindow()
    with qtbot.waitSignal(window.review_started, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(services.fake_calls) >= 1 and window.call is services.fake_calls[-1])
    return services.fake_calls[-1]


def connect_and_match(qtbot, window: ConsoleWindow, call: FakeCall, similarity: float = 84.0) -> None:
    def media() -> None:
        call.events.connection(ConnectionState.CONNECTED, 1)
        for step in range(16):
            t = step * 0.1
            call.events.frame(grey_frame(), t)
            call.events.face_score(score(t, similarity))

    from_media_thread(media)
    qtbot.waitUntil(lambda: window.face_panel.state_text == "Match")


def answer_all(window: ConsoleWindow, answers: dict[str, object] = GOOD_ANSWERS) -> None:
    """Answer the questions on the form (the ones the session asks) from `answers`."""
    for question_id, raw in answers.items():
        if question_id in window.form.question_ids:
            window.form.enter(question_id, raw)


@pytest.fixture
def confirm_in_dialog(monkeypatch, qtbot):
    """Replace DecisionDialog.ask with the real dialog, filled in by the test and confirmed."""
    shown: list[DecisionDialog] = []

    def use(fill: Callable[[DecisionDialog], None] = lambda dialog: None) -> list[DecisionDialog]:
        def ask(cls, parent, outcome, context):
            dialog = DecisionDialog(outcome, context, parent)
            qtbot.addWidget(dialog)
            shown.append(dialog)
            fill(dialog)
            dialog.record_button.click()
            return dialog.draft

        monkeypatch.setattr(DecisionDialog, "ask", classmethod(ask))
        return shown

    return use


def test_a_whole_review_from_queue_to_recorded_approval(qtbot, window, services, confirm_in_dialog):
    shown = confirm_in_dialog()
    call = take_applicant(qtbot, window, services)
    assert window.application_panel.name_label.text() == "Wang Fang"
    assert window.application_panel.id_label.text() == "**************002X"
    assert not window.queue_panel.take_button.isEnabled()  # one call at a time

    connect_and_match(qtbot, window, call)
    assert window.call_status.state is ConnectionState.CONNECTED
    qtbot.waitUntil(lambda: window.video.image is not None)
    assert window.face.state is FaceState.MATCHED

    answer_all(window)
    assert window.form.missing_required() == []
    assert window.figures_panel.ratio_label.text() == "16%"  # (1200.50 + 1776.98) / 18000 = 0.165
    assert window.figures_panel.red_flags == ()
    qtbot.waitUntil(lambda: len(services.answers.get(1, {})) == len(GOOD_ANSWERS))  # saved as they came in

    with qtbot.waitSignal(window.decision_saved, timeout=5000):
        window.decision_bar.buttons[Outcome.APPROVE].click()

    assert "matched" in shown[0].summary_label.text()
    [stored] = services.decisions
    assert stored.draft.outcome is Outcome.APPROVE
    assert stored.overridden == ()
    assert stored.answers["monthly_income"] == Decimal("18000.00")
    assert stored.answers["employment_status"] == "self_employed"
    assert stored.draft.face.matched is True
    assert stored.draft.face.best_similarity == pytest.approx(84.0)
    assert stored.draft.face.attempts_used == 1
    # Ready for the next applicant: call hung up, window cleared, take-next allowed.
    qtbot.waitUntil(call.ended.is_set)
    assert window.applicant is None
    assert window.queue_panel.take_button.isEnabled()
    assert window.banner.state == "saved"
    assert window.application_panel.name_label.text() == "–"
    assert window.form.answers == {}


def test_approval_with_missing_answers_is_refused_without_a_reason(
    qtbot, window, services, confirm_in_dialog
):
    shown = confirm_in_dialog()
    call = take_applicant(qtbot, window, services)
    connect_and_match(qtbot, window, call)
    window.form.enter("identity_name_confirmed", True)

    window.decision_bar.buttons[Outcome.APPROVE].click()

    dialog = shown[0]
    assert dialog.result() != DecisionDialog.DialogCode.Accepted
    assert "refused" in dialog.error_label.text()
    assert dialog.exceptions == ["Required answers are missing"]
    assert services.decisions == []
    # The window itself refuses the same draft, whoever composes it.
    assert not window.record_decision(DecisionDraft(Outcome.APPROVE, face=window.face.summary()))
    assert window.banner.state == "refused"
    assert services.save_attempts == 0
    assert window.applicant is not None


def test_approval_with_missing_answers_is_recorded_with_the_reviewers_reason(
    qtbot, window, services, confirm_in_dialog
):
    def fill(dialog: DecisionDialog) -> None:
        dialog.override_code_combo.setCurrentIndex(dialog.override_code_combo.findData("existing_customer"))
        dialog.override_edit.setText("Applicant is an existing customer; verified by phone")

    confirm_in_dialog(fill)
    call = take_applicant(qtbot, window, services)
    connect_and_match(qtbot, window, call)
    with qtbot.waitSignal(window.decision_saved, timeout=5000):
        window.decision_bar.buttons[Outcome.APPROVE].click()
    [stored] = services.decisions
    assert stored.draft.override_reason.startswith("Applicant is an existing customer")
    assert stored.draft.override_code == "existing_customer"
    assert stored.overridden == ("required_answers_missing",)


def test_rejection_without_a_reason_code_is_refused(qtbot, window, services, confirm_in_dialog):
    shown = confirm_in_dialog()
    take_applicant(qtbot, window, services)
    window.decision_bar.buttons[Outcome.REJECT].click()
    assert shown[0].error_label.text() == "A rejection needs at least one reason code."
    assert services.decisions == []

    confirm_in_dialog(lambda dialog: dialog.reason_boxes[RejectReason.THIRD_PARTY_PRESENT].setChecked(True))
    with qtbot.waitSignal(window.decision_saved, timeout=5000):
        window.decision_bar.buttons[Outcome.REJECT].click()
    assert services.decisions[0].draft.reasons == (RejectReason.THIRD_PARTY_PRESENT,)


def test_a_decision_that_cannot_be_saved_stays_on_screen_until_retried(qtbot, window, services):
    services.fail_next_saves = 1
    take_applicant(qtbot, window, services)
    draft = DecisionDraft(Outcome.VERIFY_LATER, note="Applicant asked to call back")

    assert window.record_decision(draft)
    qtbot.waitUntil(lambda: window.banner.state == "failed")
    assert "database is locked" in window.banner.label.text()
    assert window.pending is not None and window.pending.draft == draft
    assert window.applicant is not None  # nothing cleared
    assert not window.queue_panel.take_button.isEnabled()
    assert not window.decision_bar.buttons[Outcome.APPROVE].isEnabled()

    with qtbot.waitSignal(window.decision_saved, timeout=5000):
        window.banner.retry_button.click()
    assert services.decisions[0].draft == draft
    assert window.pending is None


@pytest.mark.parametrize("styled", [False, True])
def test_the_save_banner_moves_nothing_else_in_the_window(qtbot, make_window, services, styled):
    """From the first "Saving" to "Saved", hidden and a one-line refusal: one height for the
    decision row, so no panel moves or is laid out again at a decision (the whole window was,
    when the row changed). With the console's style sheet and without."""
    from ui.style import STYLE_SHEET

    app = QApplication.instance()
    app.setStyleSheet(STYLE_SHEET if styled else "")
    try:
        window = make_window(services)
        take_applicant(qtbot, window, services)
        panels = [window.form, window.video, window.face_panel, window.decision_bar]
        before = [panel.geometry() for panel in panels]
        banner = window.banner
        for show in (
            lambda: banner.saving(Outcome.APPROVE),
            lambda: banner.saved(Outcome.APPROVE, "Wang Fang"),
            banner.hide_banner,
            lambda: banner.refused("Not recorded: correct the entries marked invalid"),
            lambda: banner.saving(Outcome.REJECT),
            lambda: banner.saved(Outcome.REJECT, "王芳"),  # a Chinese name: a taller line
            lambda: banner.refused("未记录：请先更正标为无效的项目"),
        ):
            show()
            QApplication.processEvents()  # the layouts run
            assert [panel.geometry() for panel in panels] == before, banner.state
    finally:
        app.setStyleSheet("")


def test_a_decision_recorded_as_the_window_closes_is_still_saved(qtbot, window, services):
    """The save is handed to the desk a turn later (after the screen is updated); a window shut
    down in that turn hands it over as it stops, and waits for it."""
    call = take_applicant(qtbot, window, services)
    order: list[str] = []
    save, end = services.save_decision, call.end
    services.save_decision = lambda submission: (order.append("saved"), save(submission))[1]
    call.end = lambda why=HangUp.REVIEWER: (order.append(f"ended: {why.value}"), end(why))[1]
    draft = DecisionDraft(Outcome.VERIFY_LATER, note="Applicant asked to call back")
    assert window.record_decision(draft)
    assert services.decisions == []  # not yet: the next turn
    window.close()  # no turn in between (UnsavedDecisionQuestion answers "close" here)
    assert [saved.draft for saved in services.decisions] == [draft]
    # Stored before the call was ended (ending it first would close the session as abandoned).
    assert order == ["saved", f"ended: {HangUp.CONSOLE_CLOSED.value}"]


def test_a_decision_refused_for_good_is_said_plainly_and_frees_the_window(qtbot, window, services):
    from app.errors import InvalidTransition

    services.refuse_saves = InvalidTransition("Session 1 was already decided.")
    take_applicant(qtbot, window, services)
    assert window.record_decision(DecisionDraft(Outcome.CONNECTION_FAILED))
    qtbot.waitUntil(lambda: window.banner.state == "refused")
    assert "was already decided" in window.banner.label.text()
    assert window.pending is None and window.applicant is None
    assert window.queue_panel.take_button.isEnabled()


def test_the_window_is_not_closed_silently_over_an_unsaved_decision(qtbot, window, services, monkeypatch):
    services.fail_next_saves = 1
    take_applicant(qtbot, window, services)
    window.record_decision(DecisionDraft(Outcome.CONNECTION_FAILED))
    qtbot.waitUntil(lambda: window.banner.state == "failed")
    asked: list[bool] = []
    monkeypatch.setattr(
        UnsavedDecisionQuestion, "ask", classmethod(lambda cls, parent: asked.append(True) or False)
    )
    assert not window.close()
    assert asked == [True] and window.isVisible()
    window.banner.retry_button.click()
    qtbot.waitUntil(lambda: window.pending is None)


def test_a_dropped_applicant_shows_the_grace_countdown_and_a_reconnect_is_a_new_leg(
    qtbot, make_window, services
):
    window = make_window(services, reconnect_grace_seconds=20)
    call = take_applicant(qtbot, window, services)
    from_media_thread(lambda: call.events.connection(ConnectionState.CONNECTED, 1))
    qtbot.waitUntil(lambda: window.call_status.state is ConnectionState.CONNECTED)
    from_media_thread(lambda: call.events.connection(ConnectionState.DROPPED, 1))
    qtbot.waitUntil(lambda: window.call_status.state is ConnectionState.DROPPED)
    assert "waiting 20 s" in window.call_status.state_label.text() or "waiting 19 s" in (
        window.call_status.state_label.text()
    )
    from_media_thread(lambda: call.events.connection(ConnectionState.CONNECTED, 2))
    qtbot.waitUntil(lambda: window.call_status.state is ConnectionState.CONNECTED)
    assert window.session.legs == 2
    assert "reconnect 1" in window.call_status.state_label.text()
    from_media_thread(lambda: call.events.connection(ConnectionState.ENDED, 2))
    qtbot.waitUntil(lambda: window.call_status.state_label.text() == "Call ended")


def test_the_grace_countdown_ends_plainly(qtbot, make_window, services):
    window = make_window(services, reconnect_grace_seconds=0.5)
    call = take_applicant(qtbot, window, services)
    from_media_thread(lambda: call.events.connection(ConnectionState.DROPPED, 1))
    qtbot.waitUntil(
        lambda: window.call_status.state_label.text() == "Applicant dropped: the grace time is over"
    )


def test_face_attempts_run_out_and_approval_is_then_impossible(
    qtbot, make_window, services, confirm_in_dialog
):
    services.face_attempts_limit = 2  # storage counts with the same setting
    window = make_window(services, face_attempt_seconds=1.0, face_attempts_limit=2)
    call = take_applicant(qtbot, window, services)

    def no_match(start: float) -> Callable[[], None]:
        def media() -> None:
            for step in range(12):
                call.events.face_score(score(start + step * 0.1, 41.0))

        return media

    from_media_thread(no_match(0.0))
    qtbot.waitUntil(lambda: window.face.state is FaceState.NOT_MATCHED)
    assert window.face_panel.retry_button.isVisibleTo(window)
    assert window.face_panel.attempts_label.text() == "Attempt 1 of 2"
    window.face_panel.retry_button.click()
    from_media_thread(no_match(2.0))
    qtbot.waitUntil(lambda: window.face.state is FaceState.EXHAUSTED)
    assert not window.face_panel.retry_button.isVisibleTo(window)

    draft = DecisionDraft(
        Outcome.APPROVE,
        override_code="technical_problem",
        override_reason="The camera was poor but the applicant is clearly the person on the ID.",
        face=window.face.summary(),
    )
    assert not window.record_decision(draft)
    assert "Approval is not possible: Every face-recognition attempt failed" in window.banner.label.text()
    assert not window.decision_bar.buttons[Outcome.APPROVE].isEnabled()
    # Rejecting proposes the face-match reason.
    shown = confirm_in_dialog()
    with qtbot.waitSignal(window.decision_saved, timeout=5000):
        window.decision_bar.buttons[Outcome.REJECT].click()
    assert shown[0].reason_boxes[RejectReason.FACE_MATCH_FAILED].isChecked()
    assert services.decisions[0].draft.face.attempts_used == 2


def test_nobody_waiting_is_said_plainly(qtbot, window, services):
    window.take_next()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Nobody is waiting.")
    assert window.applicant is None and window.queue_panel.take_button.isEnabled()


def test_layout_and_audio_output_persist_between_runs(qtbot, make_window, services):
    first = make_window(services)
    first.resize(760, 700)  # the offscreen screen is 800 x 800: a bigger window is clamped on restore
    qtbot.waitUntil(lambda: first.main_splitter.width() < 760)
    first.main_splitter.setSizes([460, 290])
    sizes = first.main_splitter.sizes()
    first.close()
    second = make_window(services)
    assert second.size() == first.size()
    assert second.main_splitter.sizes() == sizes
    assert second.qsettings.value("audio/output", "") == ""  # the default output was chosen


def test_the_console_opens_after_sign_in_and_closes_cleanly(qtbot, qapp, tmp_path, monkeypatch):
    from tools.demo_console import DEMO_REVIEWER, build_demo_services
    from ui.console_app import run_console_app

    services = build_demo_services(load_settings(environ={}), with_applicant=True)
    opened: list[ConsoleWindow] = []

    def on_window(window: ConsoleWindow) -> None:  # called before the event loop runs
        opened.append(window)

        def close_when_the_queue_shows() -> None:
            summary = window.queue_panel.summary
            if summary is not None and summary.waiting == 1:
                window.close()
            else:
                QTimer.singleShot(20, close_when_the_queue_shows)

        QTimer.singleShot(0, close_when_the_queue_shows)

    qsettings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
    try:
        code = run_console_app(
            load_settings(overrides={"data_dir": str(tmp_path)}, environ={}),
            services,
            demo_credentials=DEMO_REVIEWER,
            on_window=on_window,
            qsettings=qsettings,
        )
    finally:
        services.close()
    assert code == 0
    assert opened[0].reviewer.name == DEMO_REVIEWER[0]
    assert qsettings.contains("window/geometry")


def test_a_recording_warning_shows_in_the_call_status_and_the_call_goes_on(qtbot, window, services):
    call = take_applicant(qtbot, window, services)
    assert not window.call_status.recording_label.isVisible()  # nothing said before it records
    from_media_thread(lambda: call.events.connection(ConnectionState.CONNECTED, 1))
    from_media_thread(lambda: call.events.recording(RecordingState.RECORDING, ""))
    qtbot.waitUntil(lambda: window.call_status.recording_label.text() == "● Recording")
    assert window.call_status.recording_label.isVisible()

    def disk_full() -> None:
        call.events.recording(RecordingState.DISK_FULL, "Disk full: recording stopped at 12.3 s")
        call.events.frame(grey_frame(), 1.0)

    from_media_thread(disk_full)
    qtbot.waitUntil(lambda: window.call_status.recording is RecordingState.DISK_FULL)
    label = window.call_status.recording_label
    assert label.text().startswith("Recording stopped: the disk is full. The call goes on")
    assert label.toolTip() == "Disk full: recording stopped at 12.3 s"
    assert window.call_status.state is ConnectionState.CONNECTED and window.applicant is not None
    qtbot.waitUntil(lambda: window.video.frames_shown >= 1)
    window.close_review()
    assert not window.call_status.recording_label.isVisible()


def test_sessions_abandoned_at_sign_in_are_told_once(qtbot, make_window, services):
    services.abandoned = 1
    window = make_window(services)
    qtbot.waitUntil(window.notices.isVisible)
    assert window.notices.abandoned_label.text() == (
        "1 unfinished session from the last run was marked abandoned; its recording is kept."
    )
    assert not window.notices.pending_label.isVisible()
    window.notices.dismiss_button.click()
    assert not window.notices.isVisible()


def test_no_notice_on_a_normal_start(qtbot, window, services):
    window.count_pending_decisions()
    qtbot.wait(100)
    qtbot.waitUntil(lambda: window.desk.pending == 0)
    assert not window.notices.isVisible()


def test_a_decision_waiting_for_the_database_is_shown_until_the_background_retry_stores_it(
    qtbot, window, services
):
    services.fail_next_saves = 1
    take_applicant(qtbot, window, services)
    draft = DecisionDraft(Outcome.VERIFY_LATER, note="Applicant asked to call back")
    services.waiting_decisions = 1  # as PendingDecisions keeps it on the workstation's disk
    assert window.record_decision(draft)
    qtbot.waitUntil(lambda: window.banner.state == "failed")
    qtbot.waitUntil(window.notices.pending_label.isVisible)
    assert window.notices.pending_label.text() == (
        "1 decision waiting for the database: it will be saved automatically."
    )
    # The background retry stores it: the notice goes, and the window's decision is acknowledged
    # without the reviewer pressing Retry.
    services.waiting_decisions = 0
    with qtbot.waitSignal(window.decision_saved, timeout=5000):
        window.count_pending_decisions()
    assert not window.notices.isVisible()
    assert services.decisions[0].draft == draft and window.pending is None
    assert window.banner.state == "saved"


def test_approval_with_failed_liveness_is_impossible_and_said_before_any_dialog(
    qtbot, window, services, confirm_in_dialog
):
    shown = confirm_in_dialog()
    call = take_applicant(qtbot, window, services)

    def media() -> None:
        call.events.connection(ConnectionState.CONNECTED, 1)
        for step in range(16):
            call.events.face_score(score(step * 0.1, 84.0, live=False))

    from_media_thread(media)
    qtbot.waitUntil(lambda: window.face_panel.state_text == "Match")  # a green match, and yet
    answer_all(window)
    conditions = window.approval_conditions
    assert conditions.isVisible()
    assert "Approval blocked" in conditions.text()
    assert (
        "Liveness failed: possibly a photo or a replayed video: <b>blocks approval</b>" in conditions.text()
    )
    approve = window.decision_bar.buttons[Outcome.APPROVE]
    assert not approve.isEnabled()
    assert "Liveness failed" in approve.toolTip()

    window.decide(Outcome.APPROVE)  # as a shortcut would
    assert shown == [] and window.banner.state == "refused"
    draft = DecisionDraft(
        Outcome.APPROVE,
        override_code="technical_problem",
        override_reason="The light was poor; the applicant is clearly the person on the photo.",
        face=window.face.summary(),
    )
    assert not window.record_decision(draft)
    assert services.save_attempts == 0 and services.decisions == []
    assert window.decision_bar.buttons[Outcome.REJECT].isEnabled()


def test_no_match_and_missing_answers_need_a_sentence_and_the_decision_lists_the_overridden_rules(
    qtbot, window, services, confirm_in_dialog
):
    def fill(reason: str) -> Callable[[DecisionDialog], None]:
        def with_reason(dialog: DecisionDialog) -> None:
            dialog.override_code_combo.setCurrentIndex(
                dialog.override_code_combo.findData("identity_verified_otherwise")
            )
            dialog.override_edit.setText(reason)

        return with_reason

    shown = confirm_in_dialog(fill("x"))
    call = take_applicant(qtbot, window, services)

    def media() -> None:
        call.events.connection(ConnectionState.CONNECTED, 1)
        for step in range(8):
            call.events.face_score(score(step * 0.1, 19.0))

    from_media_thread(media)
    qtbot.waitUntil(lambda: window.face.last is not None and window.face.last.frame_time >= 0.7)
    window.form.enter("identity_name_confirmed", False)  # a red flag: warns only
    text = window.approval_conditions.text()
    assert "Approval only with an override" in text
    assert "The face has not matched the ID photo" in text
    assert "Required answers are missing: Ask for the last 4 digits" in text
    assert "Name does not match the application: <b>warning</b>" in text
    assert window.decision_bar.buttons[Outcome.APPROVE].isEnabled()

    window.decision_bar.buttons[Outcome.APPROVE].click()
    assert "at least a sentence" in shown[0].error_label.text()
    assert services.decisions == []

    confirm_in_dialog(fill("Identity confirmed at the branch this morning with the original ID card."))
    with qtbot.waitSignal(window.decision_saved, timeout=5000):
        window.decision_bar.buttons[Outcome.APPROVE].click()
    [stored] = services.decisions
    assert stored.overridden == ("face_not_matched", "required_answers_missing")
    assert stored.draft.override_code == "identity_verified_otherwise"


def test_invalid_money_blocks_the_decision_and_the_figures_say_why_they_are_missing(
    qtbot, window, services, confirm_in_dialog
):
    shown = confirm_in_dialog()
    call = take_applicant(qtbot, window, services)
    connect_and_match(qtbot, window, call)
    answer_all(window)
    income = window.form.editor("monthly_income")
    income.setFocus()
    income.selectAll()
    type_text(income, "1.2万")
    # Read as 12000 while typed: (1200.50 + 1776.98) / 12000 = 24.8%
    assert window.figures_panel.ratio_label.text() == "25%"
    debt = window.form.editor("existing_monthly_debt")
    debt.setFocus()
    debt.selectAll()
    qtbot.keyClicks(debt, "-500")
    assert debt.text() == "-500"
    assert "existing_monthly_debt" not in window.form.answers
    assert window.figures_panel.ratio_label.text() == (
        "not shown: Existing monthly debt payments is not valid"
    )

    window.decision_bar.buttons[Outcome.REJECT].click()
    assert shown == [] and services.save_attempts == 0
    assert window.banner.label.text() == (
        "Not recorded: correct the entries marked invalid first: Existing monthly debt payments"
    )
    debt.selectAll()
    qtbot.keyClicks(debt, "500")
    assert window.form.invalid() == []
    assert window.figures_panel.ratio_label.text() == "19%"  # (500 + 1776.98) / 12000


def test_when_the_service_records_connection_failed_the_console_shows_it_and_offers_no_decision(
    qtbot, window, services
):
    call = take_applicant(qtbot, window, services)
    from_media_thread(lambda: call.events.connection(ConnectionState.CONNECTED, 1))
    window.form.enter("identity_name_confirmed", True)
    from_media_thread(lambda: call.events.connection(ConnectionState.DROPPED, 1))
    # The grace time ran out: the intake service recorded the session as connection failed.
    from_media_thread(lambda: call.events.connection(ConnectionState.FAILED, 1))
    qtbot.waitUntil(lambda: window.banner.state == "ended_by_service")
    assert "the session was recorded as 'Connection failed'" in window.banner.label.text()
    assert window.call_status.state_label.text() == "Call ended: recorded as connection failed"
    assert not any(button.isEnabled() for button in window.decision_bar.buttons.values())
    assert not window.record_decision(DecisionDraft(Outcome.CONNECTION_FAILED))
    assert services.save_attempts == 0
    assert window.form.answers == {"identity_name_confirmed": True}  # what was entered stays
    assert window.banner.close_button.isVisible()

    window.banner.close_button.click()
    qtbot.waitUntil(call.ended.is_set)
    assert window.applicant is None and window.queue_panel.take_button.isEnabled()
    assert not window.banner.isVisible()


def test_closing_the_console_mid_call_asks_and_ends_the_session_as_console_closed(
    qtbot, window, services, monkeypatch
):
    from ui.main_window import EndCallQuestion

    answers = [False, True]
    asked: list[str] = []

    def ask(cls, parent, name):
        asked.append(name)
        return answers.pop(0)

    monkeypatch.setattr(EndCallQuestion, "ask", classmethod(ask))
    call = take_applicant(qtbot, window, services)
    from_media_thread(lambda: call.events.connection(ConnectionState.CONNECTED, 1))
    income = window.form.editor("monthly_income")
    income.setFocus()
    type_text(income, "8000")  # left unfinished in the field as the window closes

    assert not window.close_by_reviewer()
    assert asked == ["Wang Fang"] and window.isVisible() and not call.ended.is_set()

    assert window.close_by_reviewer()
    assert call.ended.is_set() and call.ended_because is HangUp.CONSOLE_CLOSED
    assert not window.isVisible()


@pytest.mark.parametrize("comes_up", ["while the window closes", "before its result is delivered"])
def test_a_call_still_coming_up_when_the_console_closes_is_ended_as_console_closed(
    qtbot, window, services, monkeypatch, comes_up
):
    """Closed (or signed out) just after a take, while the call came up on the worker: the call
    is ended, "console closed", not left running until the program exits."""
    import time

    from ui.main_window import EndCallQuestion

    monkeypatch.setattr(EndCallQuestion, "ask", classmethod(lambda cls, parent, name: True))
    started: list[FakeCall] = []
    release = threading.Event()
    real_start = services.start_call

    def start_call(applicant, events):  # type: ignore[no-untyped-def]
        release.wait(10)
        started.append(real_start(applicant, events))
        return started[-1]

    monkeypatch.setattr(services, "start_call", start_call)
    services.add_applicant(applicant("Wang Fang"))
    window.poll_queue()
    summary = window.queue_panel
    qtbot.waitUntil(lambda: summary.summary is not None and summary.summary.waiting == 1)
    window.activateWindow()
    with qtbot.waitSignal(window.review_started, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.calls.pending == 1)  # the call's start is on the worker

    def until(condition: Callable[[], bool]) -> None:  # without turning the Qt event loop
        deadline = time.monotonic() + 10
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.002)

    if comes_up == "while the window closes":
        # Released as the window shuts its call worker down: the result could reach no one.
        shutdown = window.calls.shutdown

        def release_then_shut_down() -> None:
            release.set()
            shutdown()

        monkeypatch.setattr(window.calls, "shutdown", release_then_shut_down)
    else:
        release.set()
        # Up, and handed over by the worker, its result not yet on the Qt thread (the code before
        # this test had no such hand-over: there, up is all there is to wait for).
        until(lambda: bool(started) and bool(getattr(window, "_calls_undelivered", True)))
    assert window.call is None
    assert window.close_by_reviewer()
    assert len(started) == 1
    assert started[0].ended.is_set() and started[0].ended_because is HangUp.CONSOLE_CLOSED


def test_each_applicant_gets_a_fresh_form_at_the_top_with_no_answer_for_tab_to_land_on(
    qtbot, window, services
):
    take_applicant(qtbot, window, services, "Wang Fang")
    window.form.enter("identity_name_confirmed", False)
    window.form.enter("applied_personally", False)
    window.form_scroll.verticalScrollBar().setValue(window.form_scroll.verticalScrollBar().maximum())
    assert window.record_decision(DecisionDraft(Outcome.VERIFY_LATER))
    qtbot.waitUntil(lambda: window.applicant is None)

    take_applicant(qtbot, window, services, "Zhang Wei")
    assert window.form.answers == {}
    assert window.form_scroll.verticalScrollBar().value() == 0
    pair = window.form.editor("identity_name_confirmed")
    buttons = [child for child in pair.children() if child.metaObject().className() == "QRadioButton"]
    assert buttons and not any(button.isChecked() for button in buttons)
    # Keyboard only: Tab from the top of the form lands on an unchecked Yes; Space answers Yes.
    window.application_panel.setFocus()  # just before the form in the Tab order
    window.form_scroll.setFocus()
    qtbot.keyClick(window.form_scroll, Qt.Key.Key_Tab)
    focused = window.focusWidget()
    assert focused in buttons and not focused.isChecked() and focused.property("answer") is True
    qtbot.keyClick(focused, Qt.Key.Key_Space)
    assert window.form.answers == {"identity_name_confirmed": True}


def test_the_help_menu_lists_every_shortcut_and_the_decision_shortcuts_work(
    qtbot, window, services, monkeypatch, confirm_in_dialog
):
    from ui.main_window import ShortcutsHelp

    listed: list[list[tuple[str, str]]] = []
    monkeypatch.setattr(ShortcutsHelp, "show", classmethod(lambda cls, parent, rows: listed.append(rows)))
    [help_menu] = [action for action in window.menuBar().actions() if action.text() == "&Help"]
    [shortcuts] = help_menu.menu().actions()
    assert shortcuts.shortcut().toString() == "F1"
    shortcuts.trigger()
    keys = [row[0] for row in listed[0]]
    assert {"Ctrl+N", "Ctrl+Shift+A", "Ctrl+Shift+R", "Ctrl+Shift+L", "Ctrl+Shift+F", "F1"} <= set(keys)

    shown = confirm_in_dialog(
        lambda dialog: dialog.reason_boxes[RejectReason.FRAUD_SUSPECTED].setChecked(True)
    )
    take_applicant(qtbot, window, services)
    with qtbot.waitSignal(window.decision_saved, timeout=5000):
        qtbot.keyClick(
            window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        )
    assert shown[0].outcome is Outcome.REJECT
    assert shown[0].note_edit.tabChangesFocus()


@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)])
def test_the_answer_column_stays_in_sight_from_1024x768_up(qtbot, window, services, size):
    window.resize(*size)
    take_applicant(qtbot, window, services)
    qtbot.waitUntil(lambda: window.width() == size[0])
    viewport = window.form_scroll.viewport()
    for question in window.questionnaire:
        editor = window.form.editor(question.id)
        left = editor.mapTo(viewport, editor.rect().topLeft()).x()
        right = editor.mapTo(viewport, editor.rect().topRight()).x()
        assert editor.isVisible() and left >= 0 and right <= viewport.width(), question.id
        assert editor.width() >= 150, question.id


def test_the_reason_other_needs_the_note(qtbot, window, services, confirm_in_dialog):
    shown = confirm_in_dialog(lambda dialog: dialog.reason_boxes[RejectReason.OTHER].setChecked(True))
    take_applicant(qtbot, window, services)
    window.decision_bar.buttons[Outcome.REJECT].click()
    assert shown[0].error_label.text() == "The reason 'Other' needs the note to explain it."
    assert services.decisions == []


def test_face_attempts_of_earlier_sessions_count_from_storage(qtbot, make_window, services):
    window = make_window(services, face_attempt_seconds=1.0)
    earlier = applicant("Wang Fang")
    services.add_applicant(earlier)
    window.poll_queue()
    with qtbot.waitSignal(window.review_started, timeout=5000):
        window.take_next()
    qtbot.waitUntil(lambda: len(services.fake_calls) == 1 and window.call is services.fake_calls[-1])
    # Two attempts of this application failed in an earlier session (storage counts them).
    services.attempts[id(earlier)] = (2, 2)
    window.close_review()
    services.add_applicant(earlier)  # the applicant is back: a new session, same application
    window.poll_queue()
    with qtbot.waitSignal(window.review_started, timeout=5000):
        window.take_next()
    qtbot.waitUntil(lambda: window.face_panel.attempts_label.text() == "Attempt 2 of 3")
    qtbot.waitUntil(lambda: len(services.fake_calls) == 2 and window.call is services.fake_calls[-1])
    call = services.fake_calls[-1]

    def no_match() -> None:
        for step in range(12):
            call.events.face_score(score(step * 0.1, 41.0))

    from_media_thread(no_match)
    # The third attempt, the application's last, failed: no retry, no approval.
    qtbot.waitUntil(lambda: window.face.state is FaceState.EXHAUSTED)
    qtbot.waitUntil(lambda: services.attempts[id(earlier)] == (3, 3))
    assert window.face_panel.attempts_label.text() == "Attempt 3 of 3"
    assert not window.face_panel.retry_button.isVisibleTo(window)
    draft = DecisionDraft(Outcome.APPROVE, override_reason="looks fine to me", face=window.face.summary())
    assert not window.record_decision(draft)


def test_an_application_without_attempts_left_starts_none(qtbot, make_window, services):
    window = make_window(services)
    used_up = applicant("Wang Fang")
    services.add_applicant(used_up)
    services.attempts[id(used_up)] = (3, 2)  # the last attempt never finished (the call dropped)
    window.poll_queue()
    with qtbot.waitSignal(window.review_started, timeout=5000):
        window.take_next()
    qtbot.waitUntil(lambda: window.face is not None and window.face.state is FaceState.EXHAUSTED)
    qtbot.waitUntil(lambda: len(services.fake_calls) == 1)
    from_media_thread(lambda: services.fake_calls[0].events.face_score(score(0.0, 90.0)))
    qtbot.waitUntil(lambda: window.face.last is not None)
    assert window.face.state is FaceState.EXHAUSTED and services.attempts[id(used_up)] == (3, 2)
    assert window.face_panel.state_text == "No match: attempts used up"


def test_refused_decisions_are_shown_with_what_to_do(qtbot, make_window, services, tmp_path):
    from storage.pending import RefusedDecision

    kept = tmp_path / "pending-decisions"
    services.refused = [
        RefusedDecision(
            kept / "a.refused",
            SessionId(17),
            "approve",
            datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
            "Session 17 is abandoned; its decision cannot be recorded.",
        ),
        RefusedDecision(kept / "b.refused", None, None, None, "The saved decision cannot be read."),
    ]
    window = make_window(services)
    qtbot.waitUntil(window.notices.refused_label.isVisible)
    text = window.notices.refused_label.text()
    assert "Session 17: Approve (" in text and "Session 17 is abandoned" in text
    assert f"A kept decision cannot be read: {kept / 'b.refused'}" in text
    assert "What to do: tell your supervisor" in text and str(kept) in text
    window.notices.grab().save(str(tmp_path / "notices.png"))


def test_the_form_shows_exactly_the_questions_drawn_in_their_order(
    qtbot, window, services, confirm_in_dialog
) -> None:
    """The session's draw (storage keeps it; the take-next answer carries it) is the form: those
    questions, numbered in that order; only they count as required; the next applicant's draw
    replaces them; an identity answer that contradicts the application is a red flag."""
    from app.questionnaire import load_questionnaire

    first = ("monthly_income", "identity_amount_applied", "identity_name_confirmed", "identity_id_last4")
    second = ("identity_date_of_birth", "understanding_term_months", "monthly_income")
    draws = iter([first, second])
    services.questionnaire = load_questionnaire(load_settings(environ={}).questionnaire_file)
    services.questionnaire.draw = lambda: next(draws)  # type: ignore[method-assign]

    call = take_applicant(qtbot, window, services)
    assert window.form.question_ids == list(first)
    labels = [window.form._body.layout().itemAtPosition(row, 0).widget().text() for row in range(len(first))]
    assert labels[0].startswith("1. Monthly income") and labels[1].startswith("2. Ask for the amount")
    assert window.form.missing_required() == list(first)  # required: these four, no other
    connect_and_match(qtbot, window, call)
    window.form.enter("identity_amount_applied", "25000")  # applied for 20,000
    qtbot.waitUntil(lambda: "Stated amount differs from the application" in window.figures_panel.red_flags)
    window.form.enter("identity_amount_applied", "20,000")
    window.form.enter("identity_id_last4", "002x")
    answer_all(window)
    assert window.form.missing_required() == [] and window.figures_panel.red_flags == ()
    assert window.figures_panel.missing_label.text() == "All required answers given"
    confirm_in_dialog()
    with qtbot.waitSignal(window.decision_saved, timeout=5000):
        window.decision_bar.buttons[Outcome.APPROVE].click()
    assert set(services.decisions[-1].answers) == set(first)

    take_applicant(qtbot, window, services, "Zhang Wei")
    assert window.form.question_ids == list(second) and window.form.answers == {}
    assert window.form.missing_required() == list(second)


def test_no_decision_until_the_take_has_shown_the_questions_figures_and_conditions(
    qtbot, window, services, monkeypatch
):
    """A take shows its parts one per event-loop turn; until the last (review_started), neither
    the buttons nor the shortcuts open a decision, and the form takes no answers."""
    asked: list[Outcome] = []
    monkeypatch.setattr(
        DecisionDialog, "ask", classmethod(lambda cls, parent, outcome, context: asked.append(outcome))
    )
    services.add_applicant(applicant())
    taken = services.take_next(ReviewerId(1))
    assert taken is not None
    started: list[object] = []
    window.review_started.connect(started.append)
    window.begin_review(taken)
    assert not started and window.applicant is taken  # the first of its turns only
    assert not any(button.isEnabled() for button in window.decision_bar.buttons.values())
    assert not window.form.isEnabled()
    window.decide(Outcome.REJECT)  # as Ctrl+Shift+R would
    assert asked == []
    qtbot.waitUntil(lambda: started == [taken], timeout=5000)
    assert window.decision_bar.buttons[Outcome.REJECT].isEnabled() and window.form.isEnabled()
    window.decide(Outcome.REJECT)
    assert asked == [Outcome.REJECT]


def test_the_close_question_over_an_unsaved_decision_says_what_happens_to_it(qtbot):
    """Not "it will be lost": a save under way is finished as the window closes, and a failed
    one is kept by the live services; the window only stops retrying it. Close answers yes."""
    from PySide6.QtWidgets import QMainWindow, QMessageBox

    parent = QMainWindow()
    qtbot.addWidget(parent)
    seen: list[str] = []

    def answer(box: QMessageBox) -> None:
        seen.append(box.text())
        box.button(QMessageBox.StandardButton.Close).click()

    when_modal_shows(QMessageBox, answer, every_ms=20)
    assert UnsavedDecisionQuestion.ask(parent)
    assert "lost" not in seen[0] and "not retried from this window" in seen[0]
