"""The reviewer console window: queue, live video, face match, application, questionnaire,
decision bar and call state, for one live call at a time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QImage, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.approval import ApprovalPolicy, ReviewFacts, load_approval_policy
from app.camera import CameraVerdict
from app.console import ApplicantCall, ConnectionState, ConsoleServices, HangUp, RefusedDecisionView
from app.decisions import DecisionDraft, DecisionSubmission, Outcome, RejectReason, check_decision
from app.errors import InvalidDecision, InvalidTransition, ReviewError
from app.face import ChallengeKind, ChallengeState, FaceScoreView
from app.ids import DecisionId, SessionId
from app.questionnaire import (
    AnswerValue,
    Questionnaire,
    application_facts,
    load_questionnaire,
    repayment_figures,
)
from app.queue import QueueSummary, TakenApplicant
from app.review import EndedWithoutDecision, FaceAttempts, ReviewSession
from app.rules import ReviewRules
from app.settings import Settings
from ui.application_panel import ApplicationPanel, prepare_photo
from ui.bridge import CallBridge, ServiceWorker
from ui.call_status import CallStatusBar
from ui.decision import (
    ApprovalConditions,
    DecisionBar,
    DecisionContext,
    DecisionDialog,
    SaveBanner,
    approval_refusal,
    decision_refusal,
    outcome_text,
)
from ui.face_check import FaceCheck, FaceState
from ui.face_panel import FacePanel
from ui.languages import add_language_choices, questionnaire_language
from ui.notices import WorkstationNotices
from ui.questionnaire_form import FiguresPanel, QuestionnaireForm
from ui.queue_panel import QueuePanel
from ui.sign_in import SignedIn
from ui.video import VideoView

log = logging.getLogger(__name__)


QUEUE_POLL_MS = 3000
CHALLENGE_SHORTCUT = "Ctrl+Shift+C"
TICK_MS = 250


SIGN_OUT_SHORTCUT = "Ctrl+Shift+O"


@dataclass
class UnsavedDecision:
    """A decision the reviewer confirmed and that is not yet committed: kept until it is."""

    submission: DecisionSubmission
    applicant_name: str
    error: str = ""

    @property
    def draft(self) -> DecisionDraft:
        return self.submission.draft


class UnsavedDecisionQuestion:
    @classmethod
    def ask(cls, parent: QWidget) -> bool:
        """True when the reviewer really wants to close with a decision not saved. Tests replace
        this. (Not "it will be lost": a save under way is finished as the window closes, and the
        live services keep a failed one on the workstation for later; the window only stops
        retrying it.)"""
        answer = QMessageBox.warning(
            parent,
            QCoreApplication.translate("ConsoleWindow", "Decision not saved"),
            QCoreApplication.translate(
                "ConsoleWindow",
                "A decision is not stored yet. Close anyway? A save under way is finished first; "
                "one that failed is not retried from this window.",
            ),
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Close,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Close


class EndCallQuestion:
    @classmethod
    def ask(cls, parent: QWidget, applicant_name: str) -> bool:
        """True when the reviewer really wants to close the console during a call. Tests replace this."""
        answer = QMessageBox.warning(
            parent,
            QCoreApplication.translate("ConsoleWindow", "Call in progress"),
            QCoreApplication.translate(
                "ConsoleWindow",
                "The call with {0} is in progress and no decision is recorded. Close the console? "
                "The session ends as abandoned (console closed); the applicant may come back.",
            ).format(applicant_name),
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Close,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Close


class ShortcutsHelp:
    @classmethod
    def show(cls, parent: QWidget, rows: list[tuple[str, str]]) -> None:
        """The Help menu's list of shortcuts. Tests replace this."""
        table = "".join(f"<tr><td><b>{keys}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>" for keys, what in rows)
        QMessageBox.information(
            parent,
            QCoreApplication.translate("ConsoleWindow", "Keyboard shortcuts"),
            f"<table>{table}</table>",
        )


class ConsoleWindow(QMainWindow):
    review_started = Signal(object)  # TakenApplicant
    decision_saved = Signal(object)  # DecisionId
    review_closed = Signal()
    signed_out = Signal()  # the window closed for a sign-out: the sign-in comes back
    # The reviewer chose another language: the window closed to be opened again in it
    # (console_app), between reviews.
    language_chosen = Signal(str)

    def __init__(
        self,
        services: ConsoleServices,
        reviewer: SignedIn,
        settings: Settings,
        qsettings: QSettings,
        language: str = "en",
        questionnaire: Questionnaire | None = None,
        parent: QWidget | None = None,
        approval_policy: ApprovalPolicy | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.reviewer = reviewer
        self.settings = settings
        self.qsettings = qsettings
        self.language = language
        self.rules = ReviewRules.from_settings(settings)
        self.questionnaire = questionnaire or load_questionnaire(settings.questionnaire_file)
        self.approval_policy = approval_policy or load_approval_policy(settings.approval_policy_file)
        self.desk = ServiceWorker("console-desk", self)  # database: the single writer
        self.calls = ServiceWorker("console-call", self)  # network: connect and hang up
        # A call that came up on the worker but has not reached _call_started yet; a window
        # closing meanwhile ends it (its result would only come once the worker is shut down).
        self._calls_lock = threading.Lock()
        self._calls_closed = False
        self._calls_undelivered: dict[int, ApplicantCall] = {}

        self.applicant: TakenApplicant | None = None
        # The applicant whose review is ready: questions asked, figures and approval conditions shown.
        self._ready_for: TakenApplicant | None = None
        self._asked_for: TakenApplicant | None = None  # whose questions the form shows
        self._shut_down = False
        self.session: ReviewSession | None = None
        self.face: FaceCheck | None = None
        self.bridge: CallBridge | None = None
        self.call: ApplicantCall | None = None
        self.pending: UnsavedDecision | None = None
        self.last_decision_id: DecisionId | None = None
        self.last_decision_session: SessionId | None = None
        self._taking = False
        # The outcome the service recorded for the session in view (it ended the session itself).
        # What the service recorded when it ended the session (an outcome, or abandoned with an
        # end reason): no other decision can be stored.
        self.recorded_by_service: Outcome | EndedWithoutDecision | None = None
        self._reviewer_closing = False
        self._language_waiting: str | None = None  # chosen during a review: applied after it
        self._polling = False
        self._poll_again = False
        self._counting_pending = False
        self._latest_frame_time = 0.0
        self._ticks = 0
        self._splitters_restored = False
        self._warmed_up = False

        self.setWindowTitle(self.tr("Video review console: {0}").format(reviewer.name))
        self._build()
        self._build_menu()
        self._restore_layout()

        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(TICK_MS)
        self.tick_timer.timeout.connect(self._tick)
        self.tick_timer.start()
        self.queue_timer = QTimer(self)
        self.queue_timer.setInterval(QUEUE_POLL_MS)
        self.queue_timer.timeout.connect(self.poll_queue)
        self.queue_timer.start()
        self.poll_queue()
        self._update_actions()
        self.desk.run(
            self.services.abandoned_at_sign_in, self.notices.show_abandoned, self._background_failure
        )

    # --- building ---

    def _build(self) -> None:
        self.queue_panel = QueuePanel()
        self.queue_panel.take_next_requested.connect(self.take_next)
        self.call_status = CallStatusBar(
            self.settings.reconnect_grace_seconds, target_seconds=self.settings.review_target_seconds
        )
        reviewer_label = QLabel(self.tr("Reviewer: {0}").format(self.reviewer.name))
        reviewer_label.setObjectName("caption")
        top = QHBoxLayout()
        top.addWidget(self.queue_panel)
        top.addSpacing(24)
        top.addWidget(self.call_status, 1)
        top.addSpacing(16)
        top.addWidget(reviewer_label)

        self.video = VideoView()
        self.face_panel = FacePanel()
        # app.face.similarity_from_distance puts the calibrated threshold at 50 on its 0-100 scale.
        self.face_panel.similarity_threshold = 50.0
        self.face_panel.retry_requested.connect(self.retry_face)
        self.face_panel.challenge_requested.connect(self.ask_challenge)
        self.left_splitter = QSplitter(Qt.Orientation.Vertical)
        self.left_splitter.addWidget(self.video)
        self.left_splitter.addWidget(self.face_panel)
        self.left_splitter.setStretchFactor(0, 3)
        self.left_splitter.setStretchFactor(1, 1)

        self.application_panel = ApplicationPanel()
        form_scroll = QScrollArea()
        self.form_scroll = form_scroll
        form_scroll.setWidgetResizable(True)
        form_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # Narrower than the form (a very small window): scrolled sideways, never cut off.
        form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.form = QuestionnaireForm(self.questionnaire, questionnaire_language(self.language))
        self.form.answer_changed.connect(self._answer_changed)
        self.form.typed.connect(lambda _qid: self._refresh_figures())
        form_scroll.setWidget(self.form)

        self.figures_panel = FiguresPanel(self.settings.max_debt_to_income)
        self.approval_conditions = ApprovalConditions()
        questions_box = QWidget()
        questions_layout = QHBoxLayout(questions_box)
        questions_layout.setContentsMargins(0, 0, 0, 0)
        questions_layout.addWidget(form_scroll, 1)
        questions_layout.addWidget(self._beside_the_form(self.figures_panel, self.approval_conditions))
        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.addWidget(self.application_panel)
        self.right_splitter.addWidget(questions_box)
        self.right_splitter.setStretchFactor(1, 1)

        self.main_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.main_splitter.addWidget(self.left_splitter)
        self.main_splitter.addWidget(self.right_splitter)
        # The questionnaire side keeps what a narrower window gives up (the video shrinks first).
        self.main_splitter.setStretchFactor(0, 2)
        self.main_splitter.setStretchFactor(1, 5)
        self.main_splitter.setSizes([400, 860])
        self.left_splitter.setSizes([440, 260])

        self.banner = SaveBanner()
        self.banner.retry_requested.connect(self._save_pending)
        self.banner.close_requested.connect(self.close_review)
        self.decision_bar = DecisionBar()
        self.decision_bar.decision_requested.connect(self.decide)

        central = QWidget()
        layout = QVBoxLayout(central)
        self.notices = WorkstationNotices()
        layout.addLayout(top)
        layout.addWidget(self.notices)
        layout.addWidget(self.main_splitter, 1)
        self.decision_bar.place_between(self.banner)
        layout.addWidget(self.decision_bar)
        self.setCentralWidget(central)

        self.audio_combo = QComboBox()
        self.audio_combo.setMinimumWidth(220)
        self.statusBar().addPermanentWidget(QLabel(self.tr("Audio output:")))
        self.statusBar().addPermanentWidget(self.audio_combo)
        self._fill_audio_devices()
        self.audio_combo.currentIndexChanged.connect(self._audio_device_chosen)

    @staticmethod
    def _beside_the_form(figures: FiguresPanel, conditions: ApprovalConditions) -> QScrollArea:
        """The figures and the approval conditions in a column of their own beside the form,
        scrolled when taller than it. Their text changes with every answer and score; here
        that lays out only this column. Below the whole window, as they were, each change in
        the conditions' height laid out and repainted the whole window (about 5 Mpx, 6-8 ms
        of the Qt thread) and moved the form under the reviewer's hands."""
        column = QWidget()
        column.setMaximumWidth(figures.maximumWidth())
        stack = QVBoxLayout(column)
        stack.setContentsMargins(0, 0, 0, 0)
        stack.addWidget(figures)
        stack.addWidget(conditions)
        stack.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # nothing to type or choose: no Tab stop
        scroll.setWidget(column)
        bar = scroll.verticalScrollBar().sizeHint().width()
        scroll.setMinimumWidth(figures.minimumSizeHint().width() + bar)
        scroll.setMaximumWidth(figures.maximumWidth() + bar)
        return scroll

    def _fresh_form(self) -> None:
        """The questionnaire (just asked, with no answers) scrolled to the top, focus out of it:
        nothing of the last applicant's (no radio button Tab would land on, no scroll position)."""
        self.form_scroll.verticalScrollBar().setValue(0)
        focused = self.focusWidget()
        if focused is not None and self.form.isAncestorOf(focused):
            focused.clearFocus()

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&Console"))
        take = QAction(self.tr("Take next applicant"), self)
        take.triggered.connect(self.take_next)
        menu.addAction(take)
        challenge = QAction(self.tr("Ask a liveness challenge"), self)
        challenge.setShortcut(QKeySequence(CHALLENGE_SHORTCUT))
        challenge.triggered.connect(self.ask_challenge)
        menu.addAction(challenge)
        button = self.face_panel.challenge_button
        button.setToolTip(f"{button.toolTip()} ({CHALLENGE_SHORTCUT})")
        menu.addSeparator()
        chosen = str(self.qsettings.value("language", ""))
        add_language_choices(
            menu.addMenu(self.tr("Language")), chosen or self.language, self._choose_language
        )
        menu.addSeparator()
        sign_out = QAction(self.tr("Sign out"), self)
        sign_out.setShortcut(QKeySequence(SIGN_OUT_SHORTCUT))
        sign_out.triggered.connect(lambda _checked=False: self.sign_out())
        menu.addAction(sign_out)
        quit_action = QAction(self.tr("Close"), self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close_by_reviewer)
        menu.addAction(quit_action)

        decision_menu = self.menuBar().addMenu(self.tr("&Decision"))
        self.decision_shortcuts = {
            Outcome.APPROVE: "Ctrl+Shift+A",
            Outcome.REJECT: "Ctrl+Shift+R",
            Outcome.VERIFY_LATER: "Ctrl+Shift+L",
            Outcome.CONNECTION_FAILED: "Ctrl+Shift+F",
        }
        for outcome, keys in self.decision_shortcuts.items():
            action = QAction(outcome_text(outcome) + "…", self)
            action.setShortcut(QKeySequence(keys))
            action.triggered.connect(lambda _checked=False, outcome=outcome: self.decide(outcome))
            decision_menu.addAction(action)
            self.decision_bar.buttons[outcome].setToolTip(keys)

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        shortcuts = QAction(self.tr("Keyboard shortcuts"), self)
        shortcuts.setShortcut(QKeySequence("F1"))
        shortcuts.triggered.connect(lambda: ShortcutsHelp.show(self, self.shortcut_rows()))
        help_menu.addAction(shortcuts)

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """Every keyboard shortcut of the console and what it does, as the Help menu lists them."""
        rows = [("Ctrl+N", self.tr("Take the next applicant"))]
        rows += [(CHALLENGE_SHORTCUT, self.tr("Ask the applicant a liveness challenge, drawn at random"))]
        rows += [(keys, outcome_text(outcome) + "…") for outcome, keys in self.decision_shortcuts.items()]
        rows += [
            ("Tab / Shift+Tab", self.tr("Next / previous question")),
            (self.tr("Arrow keys, Space"), self.tr("Choose Yes or No")),
            ("Ctrl+Enter", self.tr("Record the decision (in the decision dialog)")),
            ("F1", self.tr("This list")),
            (SIGN_OUT_SHORTCUT, self.tr("Sign out (a call in progress is confirmed first)")),
            ("Ctrl+Q", self.tr("Close the console (a call in progress is confirmed first)")),
        ]
        return rows

    def _choose_language(self, code: str) -> None:
        self.qsettings.setValue("language", code)
        if code == self.language:
            self._language_waiting = None
            return
        self._language_waiting = code
        if self.applicant is None:
            self._reopen_in_language()
        else:
            message = self.tr("The console changes to the language chosen when this review ends.")
            self.statusBar().showMessage(message, 8000)

    def _reopen_in_language(self) -> None:
        """Between reviews: close (nothing to confirm) and let console_app open the window again
        in the chosen language, still signed in."""
        code = self._language_waiting
        if code is None or self.applicant is not None or self.pending is not None:
            return
        if self.close():
            self.language_chosen.emit(code)

    def _fill_audio_devices(self) -> None:
        self.audio_combo.addItem(self.tr("System default"), "")
        try:
            from PySide6.QtMultimedia import QMediaDevices

            for device in QMediaDevices.audioOutputs():
                self.audio_combo.addItem(
                    device.description(), bytes(device.id().data()).decode(errors="replace")
                )
        except ImportError:  # QtMultimedia missing: the default output only
            pass
        saved = str(self.qsettings.value("audio/output", ""))
        index = self.audio_combo.findData(saved)
        self.audio_combo.setCurrentIndex(max(0, index))

    @property
    def audio_device(self) -> str:
        return str(self.audio_combo.currentData() or "")

    def _audio_device_chosen(self, _index: int) -> None:
        device = self.audio_device
        self.qsettings.setValue("audio/output", device)
        call = self.call
        if call is not None:
            self.calls.run(lambda: call.use_audio_output(device), lambda _r: None, self._background_failure)

    def _restore_layout(self) -> None:
        geometry = self.qsettings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._warmed_up:
            self._warmed_up = True
            QTimer.singleShot(0, self, self._warm_up)
        if not self._splitters_restored:
            # After the window has its size: a splitter restored earlier is rescaled on first show.
            self._splitters_restored = True
            for key, splitter in self._splitters().items():
                state = self.qsettings.value(f"window/{key}")
                if isinstance(state, QByteArray) and not state.isEmpty():
                    splitter.restoreState(state)

    def _warm_up(self) -> None:
        """What the first take would otherwise do for the first time in its turns, once, at
        start-up (docs/responsiveness.md)."""
        self.video.warm_up(self.tr("Connecting to {0}…").format("Wang Fang 王芳"))
        DecisionDialog.warm_up(self, "Wang Fang 王芳")

    def _splitters(self) -> dict[str, QSplitter]:
        return {"main": self.main_splitter, "left": self.left_splitter, "right": self.right_splitter}

    def save_layout(self) -> None:
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        for key, splitter in self._splitters().items():
            self.qsettings.setValue(f"window/{key}", splitter.saveState())
        self.qsettings.sync()

    # --- the queue ---

    def poll_queue(self) -> None:
        self.count_pending_decisions()
        if self._polling:  # one poll at a time; ask again when it is back
            self._poll_again = True
            return
        self._polling = True
        self._poll_again = False
        self.desk.run(self.services.queue_summary, self._queue_polled, self._queue_poll_failed)

    def count_pending_decisions(self) -> None:
        """Decisions this workstation keeps until the database takes them (a background retry
        stores them): shown while there are any."""
        if self._counting_pending:
            return
        self._counting_pending = True
        self.desk.run(
            lambda: (self.services.pending_decisions(), self.services.refused_decisions()),
            self._pending_looked_at,
            self._pending_not_counted,
        )

    def _pending_looked_at(self, found: tuple[int, Sequence[RefusedDecisionView]]) -> None:
        count, refused = found
        self.notices.show_refused(refused)
        self._pending_counted(count)

    def _pending_counted(self, count: int) -> None:
        self._counting_pending = False
        before = self.notices.pending
        self.notices.show_pending(count)
        pending = self.pending
        if before > 0 and count < before and pending is not None and self.banner.state == "failed":
            # The background retry may have stored the decision this window still holds: saving
            # it again is safe (the request id makes it idempotent) and acknowledges it.
            self._save_pending()

    def _pending_not_counted(self, error: BaseException) -> None:
        self._counting_pending = False
        log.warning("pending decisions not counted: %s", error)

    def _queue_polled(self, summary: QueueSummary) -> None:
        self._polling = False
        self.queue_panel.set_summary(summary)
        if self._poll_again:
            self.poll_queue()

    def _queue_poll_failed(self, error: BaseException) -> None:
        self._polling = False
        self._poll_again = False
        self._counting_pending = False
        self.statusBar().showMessage(self.tr("Queue not available: {0}").format(error), 5000)

    def can_take_next(self) -> bool:
        return self.applicant is None and self.pending is None and not self._taking

    def take_next(self) -> None:
        if not self.can_take_next():
            return
        self._taking = True
        self._update_actions()
        self.statusBar().showMessage(self.tr("Taking the next applicant…"))
        reviewer_id = self.reviewer.reviewer_id

        def take() -> tuple[TakenApplicant | None, QImage | None]:
            applicant = self.services.take_next(reviewer_id)
            photo = prepare_photo(applicant.reference_photo) if applicant is not None else None
            return applicant, photo

        self.desk.run(take, self._taken, self._take_failed)

    def _taken(self, taken: tuple[TakenApplicant | None, QImage | None]) -> None:
        self._taking = False
        applicant, photo = taken
        if applicant is None:
            self.statusBar().showMessage(self.tr("Nobody is waiting."), 5000)
            self._update_actions()
            return
        self.statusBar().clearMessage()
        self.begin_review(applicant, photo)
        self.poll_queue()

    def _take_failed(self, error: BaseException) -> None:
        self._taking = False
        self.statusBar().showMessage(self.tr("Could not take an applicant: {0}").format(error), 8000)
        self._update_actions()

    # --- one review ---

    def begin_review(self, applicant: TakenApplicant, photo: QImage | None = None) -> None:
        """Start the review now; show the applicant, the face panel, the questions, the figures,
        then the approval conditions, each in a turn of the event loop of its own (all in one
        turn held the Qt thread for 44-100 ms; see docs/responsiveness.md), and start the call.
        The decision is enabled once all are shown."""
        self.banner.hide_banner()
        self.applicant = applicant
        self.session = ReviewSession(self.rules)
        self.face = FaceCheck(
            self.session,
            sustain_seconds=self.settings.match_sustain_seconds,
            attempt_seconds=self.settings.face_attempt_seconds,
            challenge_seconds=self.settings.face_challenge_seconds,
        )
        session_id = applicant.session_id
        self.desk.run(
            lambda: self.services.face_attempts(session_id),
            lambda stored: self._attempts_loaded(applicant, stored),
            self._background_failure,
        )
        self.video.clear()
        self.video.set_notice(self.tr("Connecting to {0}…").format(applicant.applicant_name))
        self.call_status.reset()
        self.call_status.set_connection(ConnectionState.CONNECTING, 0)
        self.call_status.start_clock()
        bridge = CallBridge(self)
        bridge.frame_ready.connect(self._frame)
        bridge.score_ready.connect(self._score)
        bridge.connection_changed.connect(self._connection)
        bridge.audio_changed.connect(self.call_status.set_audio)
        bridge.recording_changed.connect(self.call_status.set_recording)
        bridge.queue_changed.connect(self.queue_panel.set_summary)
        bridge.camera_changed.connect(self._camera)
        self.bridge = bridge
        self._update_actions()
        face = self.face
        self._one_per_turn(
            applicant,
            [
                lambda: self.application_panel.show_applicant(applicant, photo),
                lambda: self.face_panel.show_check(face),
                lambda: self._ask_questions(applicant),
                self._show_figures,
                lambda: self._review_ready(applicant),
                lambda: self._start_call(applicant, bridge),
            ],
        )

    def _start_call(self, applicant: TakenApplicant, bridge: CallBridge) -> None:
        """After the take's turns, about 15 ms later: the console's part of the call's start
        (the recording, the face match, their first database rows) keeps other threads busy in
        Python, and the take's turns, each needing the GIL, were two to three times as long
        while it did."""
        services = self.services

        def start() -> ApplicantCall:
            call = services.start_call(applicant, bridge)
            with self._calls_lock:
                closed = self._calls_closed
                if not closed:
                    self._calls_undelivered[id(bridge)] = call
            if closed:  # the window closed while the call came up: nobody will end it later
                call.end(HangUp.CONSOLE_CLOSED)
            return call

        self.calls.run(
            start,
            lambda call: self._call_started(bridge, call),
            lambda error: self._call_failed(bridge, error),
        )

    def _one_per_turn(self, applicant: TakenApplicant, steps: list[Callable[[], None]]) -> None:
        """Run the steps one per turn of the event loop, in separate dispatches of a 1 ms timer
        (a zero timer is a posted event, handled in the same turn), while this applicant's review
        lasts and the window is open. A step that fails is logged and the next still runs (the
        one that enables the decision, the one that starts the call)."""

        def run_next() -> None:
            if applicant is not self.applicant or self._shut_down:
                return
            try:
                steps.pop(0)()
            except Exception:
                log.exception("a step of the take failed")
            finally:
                if steps:
                    QTimer.singleShot(1, self, run_next)

        QTimer.singleShot(1, self, run_next)

    def _ask_questions(self, applicant: TakenApplicant) -> None:
        # Exactly the questions drawn for this session, in the order drawn (storage keeps them).
        # Those the file still has (storage refuses an approval when one is gone from it).
        self.form.ask(self.questionnaire.asked(applicant.questions, leave_out_unknown=True))
        self._asked_for = applicant
        self._fresh_form()
        self._update_actions()

    def _review_ready(self, applicant: TakenApplicant) -> None:
        if self.face is not None:  # with the attempts stored earlier, if they came during the take
            self.face_panel.show_check(self.face)
        self._refresh_approval_conditions()
        self._ready_for = applicant
        self._update_actions()
        self.review_started.emit(applicant)

    def _call_started(self, bridge: CallBridge, call: ApplicantCall) -> None:
        with self._calls_lock:
            self._calls_undelivered.pop(id(bridge), None)
        if bridge is not self.bridge:  # the review ended before the call came up
            self._retire(bridge, call)
            return
        self.call = call
        device = self.audio_device
        if device:
            self.calls.run(lambda: call.use_audio_output(device), lambda _r: None, self._background_failure)
        if self.face is not None and self.face.matched and self.face.challenge is None:
            self.ask_challenge()  # the face matched before the call was handed over

    def _call_failed(self, bridge: CallBridge, error: BaseException) -> None:
        if bridge is not self.bridge:
            return
        self.call_status.set_connection(ConnectionState.ENDED, 0)
        self.video.set_notice(
            self.tr("Could not connect: {0}. Record 'Connection failed' or try later.").format(error)
        )

    def _frame(self, image: QImage, frame_time: float) -> None:
        self.video.set_frame(image, frame_time)
        self._latest_frame_time = frame_time

    def _score(self, score: FaceScoreView) -> None:
        face = self.face
        if face is None:
            return
        before = self._attempts_now()
        was_matched = face.matched
        try:
            face.observe(score)
        except InvalidTransition as error:  # e.g. a score after the session was decided
            log.debug("score ignored: %s", error)
            return
        self._count_attempts(before)
        if score.challenge is not None and score.challenge.state is ChallengeState.FAILED:
            self._reload_attempts()  # the services stored it as a failed attempt: show their count
        self.face_panel.show_check(face)
        self.video.set_face_box(score.box, score.frame_time, face.matched)
        self._refresh_approval_conditions()
        if face.matched and not was_matched:
            self.ask_challenge()  # each match is put to a liveness challenge at once

    def ask_challenge(self) -> None:
        """A liveness challenge, drawn at random by the services (never chosen here)."""
        face, call, applicant = self.face, self.call, self.applicant
        if face is None or call is None or applicant is None or face.challenge_running:
            return
        face.challenge_requested()
        self.face_panel.show_check(face)
        self.calls.run(
            call.ask_challenge,
            lambda kind: self._challenge_asked(applicant, kind),
            lambda error: self._challenge_not_asked(applicant, error),
        )

    def _challenge_asked(self, applicant: TakenApplicant, kind: ChallengeKind | None) -> None:
        face = self.face
        if applicant is not self.applicant or face is None:
            return
        if kind is None:
            self._challenge_not_asked(applicant, self.tr("face matching is not running in this call"))
            return
        if face.challenge_pending:  # the scores may carry it already
            face.challenge_requested(kind)
        self.face_panel.show_check(face)

    def _challenge_not_asked(self, applicant: TakenApplicant, error: object) -> None:
        face = self.face
        if applicant is not self.applicant or face is None:
            return
        face.challenge_not_asked()
        self.face_panel.show_check(face)
        self.statusBar().showMessage(self.tr("No challenge was asked: {0}").format(error), 8000)

    def _camera(self, verdict: CameraVerdict) -> None:
        if self.face is not None:
            self.face.observe_camera(verdict)
            self.face_panel.show_check(self.face)
            self._refresh_approval_conditions()

    def _connection(self, state: ConnectionState, leg: int) -> None:
        session = self.session
        if session is None:
            return
        self.call_status.set_connection(state, leg)
        if state is ConnectionState.CONNECTED:
            if not session.state.is_final and (session.legs == 0 or leg > session.legs):
                session.connect()
            self.video.set_notice("")
        elif state is ConnectionState.DROPPED:
            self.video.set_notice(self.tr("The applicant dropped: waiting for a reconnect"))
        elif state is ConnectionState.ENDED:
            self.video.set_notice(self.tr("The call has ended. Record the decision."))
        elif state is ConnectionState.FAILED:
            # The service has decided: no other decision can be stored, so none is offered.
            self.recorded_by_service = Outcome.CONNECTION_FAILED
            message = self.tr(
                "The applicant did not come back within the grace time: the session was recorded as "
                "'{0}'. Your answers so far are saved with the session; no other decision can be recorded."
            ).format(outcome_text(Outcome.CONNECTION_FAILED))
            self.video.set_notice(message)
            self.banner.ended_by_service(message)
            self._update_actions()
        elif state is ConnectionState.APPLICANT_HUNG_UP:
            self.recorded_by_service = EndedWithoutDecision.APPLICANT_HUNG_UP
            message = self.tr(
                "The applicant hung up: the session was recorded as '{0}'. Your answers so far are saved "
                "with the session; no decision can be recorded. The applicant may open their link again."
            ).format(self._recorded_text())
            self.video.set_notice(self.tr("The applicant hung up."))  # one line over the video
            self.banner.ended_by_service(message)
            self._update_actions()

    def retry_face(self) -> None:
        if self.face is not None and self.face.can_retry:
            before = self._attempts_now()
            self.face.retry(self._latest_frame_time)
            self._count_attempts(before)
            self.face_panel.show_check(self.face)
            self._refresh_approval_conditions()

    # --- face attempts, counted by storage per application ---

    def _attempts_loaded(self, applicant: TakenApplicant, stored: FaceAttempts) -> None:
        """Attempts of this application in earlier sessions count against the same limit."""
        session, face = self.session, self.face
        if applicant is not self.applicant or session is None or face is None:
            return
        # Attempts started here before the count came back are stored after it (one worker).
        session.attempts.limit = stored.limit
        session.attempts.used += stored.used
        session.attempts.failed += stored.failed
        if session.attempts.used >= session.attempts.limit:
            face.attempts_used_up()
        if self._ready_for is applicant:
            self.face_panel.show_check(face)
            self._refresh_approval_conditions()  # attempts used up block approval
        # Otherwise the take's last turn shows them: here, between two of its turns, they
        # filled the approval conditions for the first time in a turn of their own (5 ms).

    def _attempts_now(self) -> tuple[int, int]:
        """The attempts this window stores: all but those of failed challenges (the services')."""
        session, face = self.session, self.face
        if session is None or face is None:
            return (0, 0)
        by_services = face.attempts_by_challenges
        return (session.attempts.used - by_services[0], session.attempts.failed - by_services[1])

    def _reload_attempts(self) -> None:
        applicant = self.applicant
        if applicant is not None:
            session_id = applicant.session_id
            self.desk.run(
                lambda: self.services.face_attempts(session_id),
                lambda stored: self._attempt_counted(applicant, stored),
                self._background_failure,
            )

    def _count_attempts(self, before: tuple[int, int]) -> None:
        """Store the attempts the face check started or failed since `before`."""
        applicant, (used, failed) = self.applicant, self._attempts_now()
        if applicant is None:
            return
        session_id, reviewer_id = applicant.session_id, self.reviewer.reviewer_id
        for failing in [False] * (used - before[0]) + [True] * (failed - before[1]):
            self.desk.run(
                partial(self.services.record_face_attempt, session_id, reviewer_id, failed=failing),
                lambda stored: self._attempt_counted(applicant, stored),
                lambda error: self._attempt_not_counted(applicant, error),
            )

    def _attempt_counted(self, applicant: TakenApplicant, stored: FaceAttempts) -> None:
        session, face = self.session, self.face
        if applicant is not self.applicant or session is None or face is None:
            return
        # Counts only grow: an answer for an earlier attempt (the worker stores them in order)
        # does not take back one counted here since; approval follows the count.
        session.attempts.used = max(session.attempts.used, stored.used)
        session.attempts.failed = max(session.attempts.failed, stored.failed)
        self.face_panel.show_check(face)
        self._refresh_approval_conditions()

    def _attempt_not_counted(self, applicant: TakenApplicant, error: BaseException) -> None:
        face = self.face
        if applicant is not self.applicant or face is None:
            return
        if isinstance(error, ReviewError):  # refused: no attempt left for this application
            face.attempts_used_up()
            self.face_panel.show_check(face)
        self.statusBar().showMessage(self.tr("The face attempt was not counted: {0}").format(error), 8000)

    def _answer_changed(self, question_id: str, value: AnswerValue | None) -> None:
        self._refresh_figures()
        if value is None or self.applicant is None:
            return
        session_id = self.applicant.session_id
        reviewer_id = self.reviewer.reviewer_id
        self.desk.run_after_this_turn(
            lambda: self.services.save_answer(session_id, reviewer_id, question_id, value),
            lambda _r: None,
            lambda error: self.statusBar().showMessage(
                self.tr("An answer is not saved yet ({0}); it is saved with the decision.").format(error),
                8000,
            ),
        )

    def review_facts(self) -> ReviewFacts | None:
        """What the approval policy judges: the face panel's summary, the attempts, the form."""
        if self.applicant is None or self.face is None or self.session is None:
            return None
        return ReviewFacts(
            face=self.face.summary(),
            face_attempts_exhausted=self.session.attempts.exhausted,
            answers=dict(self.form.answers),
            missing_required_answers=self.form.missing_required_prompts(),
            red_flags=self.figures_panel.red_flags,
        )

    def _refresh_approval_conditions(self) -> None:
        facts = self.review_facts()
        language = questionnaire_language(self.language)
        findings = [] if facts is None else self.approval_policy.findings(facts)
        self.approval_conditions.show_findings(findings, language)
        why = ""
        if facts is not None and self.approval_conditions.blocked:
            why = approval_refusal(self.approval_policy, DecisionDraft(Outcome.APPROVE), facts, language)
        self.decision_bar.set_approval_blocked(self.approval_conditions.blocked, why)
        self._update_actions()

    def _refresh_figures(self) -> None:
        self._show_figures()
        self._refresh_approval_conditions()

    def _show_figures(self) -> None:
        if self.applicant is None:
            self.figures_panel.clear()
            return
        figures = repayment_figures(
            self.form.questionnaire,
            self.form.current_answers(),
            amount=self.applicant.amount,
            term_months=self.applicant.term_months,
            annual_rate=self.settings.annual_interest_rate,
            max_debt_to_income=self.settings.max_debt_to_income,
            language=questionnaire_language(self.language),
            facts=application_facts(
                masked_national_id=self.applicant.masked_national_id,
                amount=self.applicant.amount,
                term_months=self.applicant.term_months,
            ),
        )
        self.figures_panel.show_figures(
            figures, len(self.form.missing_required()), self.form.invalid_prompts(feeding_figures=True)
        )

    # --- deciding ---

    def decision_context(self) -> DecisionContext:
        assert self.applicant is not None and self.face is not None
        suggested: tuple[RejectReason, ...] = ()
        if self.face.state is FaceState.EXHAUSTED:
            suggested = (RejectReason.FACE_MATCH_FAILED,)
        return DecisionContext(
            applicant_name=self.applicant.applicant_name,
            missing_required_answers=self.form.missing_required_prompts(),
            face=self.face.summary(),
            answers_given=len(self.form.answers),
            red_flags=self.figures_panel.red_flags,
            suggested_reasons=suggested,
            policy=self.approval_policy,
            facts=self.review_facts(),
            language=questionnaire_language(self.language),
            current=self._current_decision_context,
        )

    def _current_decision_context(self) -> DecisionContext | None:
        """For an open decision dialog: the review as it stands now, None once it is over."""
        if self.applicant is None or self.face is None:
            return None
        return self.decision_context()

    def decide(self, outcome: Outcome) -> None:
        if self.applicant is None or self.pending is not None or self.recorded_by_service is not None:
            return
        if self._ready_for is not self.applicant:  # the take's turns are not all done (shortcuts)
            return
        if self._refused_for_invalid_entries():
            return
        facts = self.review_facts()
        if outcome is Outcome.APPROVE and facts is not None:
            blocked = approval_refusal(
                self.approval_policy,
                DecisionDraft(Outcome.APPROVE),
                facts,
                questionnaire_language(self.language),
            )
            if self.approval_conditions.blocked and blocked:
                self.banner.refused(self.tr("Not recorded: {0}").format(blocked))
                return
        draft = DecisionDialog.ask(self, outcome, self.decision_context())
        if draft is not None:
            self.record_decision(draft)

    def _recorded_text(self) -> str:
        recorded = self.recorded_by_service
        if isinstance(recorded, Outcome):
            return outcome_text(recorded)
        return self.tr("abandoned: the applicant hung up")

    def record_decision(self, draft: DecisionDraft) -> bool:
        """Check the draft against the bank's rules and save it; False (with the reason on screen)
        when it is refused."""
        if self.applicant is None or self.face is None or self.session is None or self.pending is not None:
            return False
        if self.recorded_by_service is not None:
            self.banner.ended_by_service(
                self.tr("Not recorded: the session was already recorded as '{0}'.").format(
                    self._recorded_text()
                )
            )
            return False
        if self._refused_for_invalid_entries():
            return False
        facts = self.review_facts()
        assert facts is not None
        # check_decision: reason codes and the note; the approval policy: what an approval needs.
        refusal = decision_refusal(draft, [], True) or approval_refusal(
            self.approval_policy, draft, facts, questionnaire_language(self.language)
        )
        if refusal:
            self.banner.refused(self.tr("Not recorded: {0}").format(refusal))
            return False
        try:
            check_decision(draft, missing_required_answers=[], face_matched=True)
            overridden = self.approval_policy.check_approval(draft, facts)
        except InvalidDecision as error:  # the refusal above said yes: only if the two disagree
            self.banner.refused(str(error))
            return False
        submission = DecisionSubmission(
            session_id=self.applicant.session_id,
            reviewer_id=self.reviewer.reviewer_id,
            draft=draft,
            overridden=tuple(overridden),
            answers=dict(self.form.answers),
        )
        self.pending = UnsavedDecision(submission, self.applicant.applicant_name)
        self._save_pending()
        return True

    def _refused_for_invalid_entries(self) -> bool:
        """A decision waits while an entry is shown invalid: nothing typed is silently dropped."""
        invalid = self.form.invalid_prompts()
        if invalid:
            message = self.tr("Not recorded: correct the entries marked invalid first: {0}")
            self.banner.refused(message.format("; ".join(invalid)))
        return bool(invalid)

    def _save_pending(self) -> None:
        pending = self.pending
        if pending is None:
            return
        self.banner.saving(pending.draft.outcome)
        self._update_actions()
        self.desk.run_after_this_turn(
            lambda: self.services.save_decision(pending.submission),
            self._decision_saved,
            self._decision_not_saved,
        )

    def _decision_saved(self, decision_id: DecisionId) -> None:
        pending = self.pending
        assert pending is not None
        self.pending = None
        self.last_decision_id = decision_id
        self.last_decision_session = pending.submission.session_id
        if self.session is not None:
            try:
                self.session.decide(pending.draft.outcome)
            except InvalidTransition as error:
                log.warning("session state after a saved decision: %s", error)
        self.banner.saved(pending.draft.outcome, pending.applicant_name)
        self.close_review()
        self.decision_saved.emit(decision_id)

    def _decision_not_saved(self, error: BaseException) -> None:
        pending = self.pending
        assert pending is not None
        if isinstance(error, InvalidDecision | InvalidTransition):
            # Refused for good, not "not yet": e.g. the session was already decided (the
            # applicant's grace time ran out and it closed as connection failed). Retrying
            # cannot help; say so and free the window.
            self.pending = None
            self.close_review()
            self.banner.refused(
                self.tr("The decision ({0}) was not recorded: {1}. The review is closed.").format(
                    outcome_text(pending.draft.outcome), error
                )
            )
            return
        pending.error = str(error) if isinstance(error, ReviewError) else f"{type(error).__name__}: {error}"
        self.banner.failed(pending.draft.outcome, pending.error)
        self._update_actions()
        self.count_pending_decisions()

    def close_review(self) -> None:
        """Hang up and clear the window for the next applicant."""
        bridge, self.bridge = self.bridge, None
        call, self.call = self.call, None
        if bridge is not None:
            self._retire(bridge, call)
        self.applicant = None
        self.session = None
        self.face = None
        self._ready_for = self._asked_for = None
        if self.recorded_by_service is not None:
            self.recorded_by_service = None
            self.banner.hide_banner()
        self.video.clear()
        self.video.set_notice("")
        self.face_panel.clear()
        self.application_panel.clear()
        self.form.reset()
        self.figures_panel.clear()
        self._refresh_approval_conditions()
        self.call_status.reset()
        self._update_actions()
        self.review_closed.emit()
        if self._language_waiting is not None:
            QTimer.singleShot(0, self._reopen_in_language)
        self.poll_queue()

    def _retire(self, bridge: CallBridge, call: ApplicantCall | None) -> None:
        """Stop listening to a call; free its bridge once the call has ended (after ApplicantCall.end
        returns, the media layer makes no more calls to it). A call still starting is ended by
        _call_started (or, when the window closes first, by _start_call's job or shutdown); a
        bridge whose call could not be ended is left alive, never freed under it."""
        bridge.close()
        if call is not None:
            self.calls.run(call.end, lambda _r: bridge.deleteLater(), self._background_failure)

    def _background_failure(self, error: BaseException) -> None:
        self.statusBar().showMessage(str(error), 8000)

    def _update_actions(self) -> None:
        self.queue_panel.set_can_take(self.can_take_next())
        ready = self.applicant is not None and self._ready_for is self.applicant
        self.decision_bar.set_enabled(ready and self.pending is None and self.recorded_by_service is None)
        if self.pending is None:  # answers only to this applicant's questions
            self.form.setEnabled(self.applicant is not None and self._asked_for is self.applicant)

    def _tick(self) -> None:
        self._ticks += 1
        self.call_status.refresh()
        if self._ticks % 2 == 0 and self.applicant is not None:
            self.application_panel.show_live_face(self.video.live_face_crop())
        if self._ticks % 20 == 0:
            self.application_panel.refresh_times(datetime.now(UTC))

    # --- closing ---

    def sign_out(self) -> bool:
        """Close as the reviewer does, then forget the credential and ask for a sign-in again
        (console_app). False when the reviewer kept the window (a call they did not end)."""
        if not self.close_by_reviewer():
            return False
        self.services.sign_out(self.reviewer.reviewer_id)
        self.signed_out.emit()
        return True

    def close_by_reviewer(self) -> bool:
        """Close as the reviewer does (menu, window frame): a call in progress is confirmed first."""
        self._reviewer_closing = True
        try:
            return self.close()
        finally:
            self._reviewer_closing = False

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.pending is not None and not UnsavedDecisionQuestion.ask(self):
            event.ignore()
            return
        applicant = self.applicant
        in_call = applicant is not None and self.pending is None and self.recorded_by_service is None
        # Asked when the reviewer closes (the frame's close button, the menu), not when a program does.
        asked = event.spontaneous() or self._reviewer_closing
        if (
            asked
            and in_call
            and applicant is not None
            and not EndCallQuestion.ask(self, applicant.applicant_name)
        ):
            event.ignore()
            return
        self.save_layout()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop timers, store what is being saved (a decision in flight finishes), then hang up
        and wait for the workers."""
        # A field losing focus as the window closes would still save its answer: no more work.
        self.form.blockSignals(True)
        self._shut_down = True  # no more steps of a take either
        self.tick_timer.stop()
        self.queue_timer.stop()
        bridge, self.bridge = self.bridge, None
        call, self.call = self.call, None
        if bridge is not None:
            bridge.close()
        self.desk.run_waiting()  # saves asked in the last turn too
        if self.pending is not None:
            # A decision being saved is stored before the call ends: ended first, the session
            # would close abandoned and the decision be refused. (Otherwise the call is not kept
            # waiting for the database.)
            self.desk.shutdown()
        with self._calls_lock:  # a call starting now ends itself as it comes up (_start_call)
            self._calls_closed = True
            undelivered = [late for late in self._calls_undelivered.values() if late is not call]
            self._calls_undelivered.clear()
        for ending in [*([call] if call is not None else []), *undelivered]:
            # Not decided: the session ends abandoned, "console closed" (storage keeps the reason).
            self.calls.run(partial(ending.end, HangUp.CONSOLE_CLOSED), lambda _r: None, lambda _e: None)
        self.calls.shutdown()
        self.desk.shutdown()
