"""The supervisors' replay window: the session browser on the left; on the right the player
(video with the face box, play/pause/seek/speed/frame step, audio), the similarity chart with
its markers, the answers, the decisions (original and amendments) and the audit events, all
in sync with the playhead. Amend a decision; export the PDF report with a progress bar.

The window reaches storage and media only through app.replay.ReplayServices: queries and the
amendment run on one worker thread, decoding on another, the report on a third; the Qt thread
only shows results. A missing or wrong encryption key is said on screen.
"""

from __future__ import annotations

import logging
import time
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.approval import load_approval_policy
from app.face import similarity_from_distance
from app.ids import DecisionId, SessionId
from app.replay import ReplayServices, SessionFilter, SessionReplay, SortKey
from app.roles import Account, Action, may
from app.settings import Settings
from ui.bridge import ServiceWorker
from ui.languages import LANGUAGES, add_language_choices, questionnaire_language
from ui.replay.amend import AmendDialog
from ui.replay.browser import SessionBrowser
from ui.replay.player import AudioOut, DecoderThread, PlayClock, RecordingView
from ui.replay.texts import (
    answer_text,
    consent_text,
    face_flag_name,
    face_summary_name,
    liveness_name,
    outcome_name,
    overridden_text,
    question_prompts,
    reasons_text,
    state_name,
    when_text,
)
from ui.replay.timeline import TimelineChart, answer_label, markers_of

log = logging.getLogger(__name__)
SPEEDS = (0.5, 0.75, 1.0, 1.5, 2.0)
BOX_WITHIN = 0.35  # seconds: a score sample this close to the frame gives its face box


class ReplayWindow(QMainWindow):
    export_progress = Signal(int, int, str)
    # The supervisor chose another language: the window closed, to be opened again in it
    # (ui.console_app) on the session and at the moment it showed (reopen_at).
    language_chosen = Signal(str)

    def __init__(
        self,
        services: ReplayServices,
        settings: Settings,
        supervisor: Account,
        *,
        language: str = "en",
        qsettings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`services` are signed in as `supervisor` (storage enforces the role on every read
        and write); the window uses the role only to offer what it allows. `qsettings` keeps
        the language chosen in the window's menu for the next start."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Session replay — video audit console"))
        self.services = services
        self.settings = settings
        self.language = language  # the questionnaire's prompts follow it
        self.qsettings = qsettings
        self._language_waiting: str | None = None  # chosen during an export: applied after it
        self._closing_for_language = False
        self._shut_down = False
        self.reopen_at: tuple[int | None, float | None] = (None, None)  # set when closed for a language
        self.last_saved: Path | None = None  # the last report saved from this window
        self._browser_choices: dict[str, object] | None = None  # carried over (carry_over)
        self.supervisor = supervisor
        self.database_worker = ServiceWorker("replay-db", self)
        self.export_worker = ServiceWorker("replay-pdf", self)
        self.decoder = DecoderThread(services.open_recording, self)
        self.clock = PlayClock(self)
        self.audio = AudioOut(self)
        self.replay: SessionReplay | None = None
        self.duration = 0.0
        self.spans: list[Any] = []
        self._last_serial = 0
        self._shown_serial = 0
        self._audio_cursor = 0.0
        self._pending_open: int | None = None
        self._opening: int | None = None  # asked of the database, not shown yet
        self._start_at: float | None = None
        self._prompts: dict[str, str] | None = None
        self.last_export_folder: Path | None = None
        self.threshold = similarity_from_distance(
            settings.face_match_threshold, settings.face_match_threshold
        )

        self.browser = SessionBrowser()
        self.key_warning = QLabel("")
        self.key_warning.setObjectName("fieldError")
        self.key_warning.setWordWrap(True)
        self.key_warning.setVisible(False)
        self.header = QLabel(self.tr("Choose a session on the left."))
        self.header.setWordWrap(True)
        self.header.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.video = RecordingView()
        self.state_line = QLabel("")
        self.state_line.setObjectName("caption")
        self.state_line.setWordWrap(True)

        self.play_button = QPushButton(self.tr("▶ Play"))
        self.play_button.setObjectName("primary")
        self.play_button.setToolTip(self.tr("Play or pause the recording"))
        self.back_button = QPushButton(self.tr("◀| Frame"))
        self.back_button.setToolTip(self.tr("One frame back"))
        self.forward_button = QPushButton(self.tr("Frame |▶"))
        self.forward_button.setToolTip(self.tr("One frame forward"))
        self.speed = QComboBox()
        for speed in SPEEDS:
            self.speed.addItem(f"{speed:g}×", speed)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.setToolTip(self.tr("Playback speed (sound plays at 1× only)"))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.position_label = QLabel(self.tr("{0} / {1} s").format("0.0", "0.0"))
        self.audio_label = QLabel(self.audio.message)
        self.audio_label.setObjectName("caption")
        self.audio_label.setWordWrap(True)
        controls = QHBoxLayout()
        for widget in (self.back_button, self.play_button, self.forward_button, self.speed):
            controls.addWidget(widget)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.position_label)

        self.chart = TimelineChart()
        self.chart.set_threshold(self.threshold)

        self.asked = self._table(
            (self.tr("#"), self.tr("Question asked"), self.tr("Answer"), self.tr("t (s)"))
        )
        # The question wraps so that the answer stays in sight in a narrow tab.
        self.asked.setWordWrap(True)
        asked_header = self.asked.horizontalHeader()
        asked_header.setStretchLastSection(False)
        asked_header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        asked_header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        self.asked.setColumnWidth(2, 110)
        asked_header.sectionResized.connect(lambda *_sizes: self.asked.resizeRowsToContents())
        self.answers = self._table((self.tr("t (s)"), self.tr("Question"), self.tr("Answer"), self.tr("By")))
        self.events = self._table((self.tr("t (s)"), self.tr("What")))
        self.audit = self._table((self.tr("Seq"), self.tr("At (UTC)"), self.tr("Who: what"), self.tr("Hash")))
        self.audit.setWordWrap(True)
        audit_header = self.audit.horizontalHeader()
        audit_header.setStretchLastSection(False)
        audit_header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        audit_header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 34), (1, 66), (3, 76)):
            self.audit.setColumnWidth(column, width)
        self.decision_view = QTextBrowser()
        self.amend_button = QPushButton(self.tr("Amend decision…"))
        self.amend_button.setEnabled(False)
        decision_tab = QWidget()
        decision_layout = QVBoxLayout(decision_tab)
        decision_layout.addWidget(self.decision_view, 1)
        decision_layout.addWidget(self.amend_button)
        self.tabs = QTabWidget()
        self.tabs.addTab(decision_tab, self.tr("Decision"))
        self.tabs.addTab(self.asked, self.tr("Questions asked"))
        self.tabs.addTab(self.answers, self.tr("Answers"))
        self.tabs.addTab(self.events, self.tr("Timeline"))
        self.tabs.addTab(self.audit, self.tr("Audit"))

        self.export_button = QPushButton(self.tr("Export PDF…"))
        self.export_button.setEnabled(False)
        self.export_bar = QProgressBar()
        self.export_bar.setVisible(False)
        self.export_label = QLabel("")
        self.export_label.setObjectName("caption")

        top = QSplitter(Qt.Orientation.Horizontal)
        video_box = QWidget()
        video_layout = QVBoxLayout(video_box)
        video_layout.setContentsMargins(0, 0, 0, 0)
        video_layout.addWidget(self.video, 1)
        video_layout.addWidget(self.state_line)
        top.addWidget(video_box)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.tabs, 1)
        export_row = QHBoxLayout()
        export_row.addWidget(self.export_button)
        export_row.addWidget(self.export_bar, 1)
        side_layout.addLayout(export_row)
        side_layout.addWidget(self.export_label)
        top.addWidget(side)
        side.setMinimumWidth(280)  # the four tabs side by side; the video shrinks first
        top.setSizes([560, 380])

        player = QWidget()
        player_layout = QVBoxLayout(player)
        player_layout.addWidget(self.key_warning)
        player_layout.addWidget(self.header)
        player_layout.addWidget(top, 3)
        player_layout.addLayout(controls)
        player_layout.addWidget(self.audio_label)
        self.chart.setMaximumHeight(300)  # the decision and the video get the height first
        player_layout.addWidget(self.chart, 2)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.browser)
        splitter.addWidget(player)
        splitter.setSizes([400, 900])  # the browser: its filters and a readable applicant column
        self.setCentralWidget(splitter)
        self.resize(1400, 900)

        self.browser.query_changed.connect(self._query)
        self.browser.session_chosen.connect(self.open_session)
        self.decoder.opened.connect(self._opened)
        self.decoder.frame_ready.connect(self._frame_ready)
        self.decoder.audio_ready.connect(self._audio_ready)
        self.decoder.failed.connect(self._damaged)
        self.clock.tick.connect(self._tick)
        self.play_button.clicked.connect(self.toggle_play)
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.forward_button.clicked.connect(lambda: self.step(1))
        self.speed.currentIndexChanged.connect(lambda: self.set_speed(float(self.speed.currentData())))
        self.slider.sliderMoved.connect(lambda value: self.seek(value / 1000))
        self.slider.sliderReleased.connect(lambda: self.seek(self.slider.value() / 1000))
        self.chart.seek_requested.connect(self.seek)
        self.answers.cellClicked.connect(lambda row, _col: self._seek_row(self.answers, row))
        self.asked.cellClicked.connect(lambda row, _col: self._seek_row(self.asked, row))
        self.events.cellClicked.connect(lambda row, _col: self._seek_row(self.events, row))
        self.amend_button.clicked.connect(self.amend)
        self.export_button.clicked.connect(self.export_pdf)
        self.export_progress.connect(self._export_progress)
        self._add_menu()

    def _add_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&Replay"))
        language_menu = menu.addMenu(self.tr("Language"))
        self.language_actions = add_language_choices(language_menu, self.language, self.choose_language)
        menu.addSeparator()
        close = QAction(self.tr("Close"), self)
        close.setShortcut(QKeySequence("Ctrl+Q"))
        close.triggered.connect(self.close)
        menu.addAction(close)

    def choose_language(self, code: str) -> None:
        """Open the window again in another language, on the session and at the moment it shows,
        once nothing is under way (a report being made, an amendment, an open dialog)."""
        if code not in LANGUAGES:
            raise ValueError(f"no such language: {code!r}")
        if code == self.language:
            self._language_waiting = None
            self._keep_language(code)
            return
        self._language_waiting = code
        if self.export_worker.pending:
            message = self.tr("The window changes to the language chosen once the report is saved.")
            self.statusBar().showMessage(message, 8000)
        self._reopen_in_language()

    def _keep_language(self, code: str) -> None:
        """For the next start (the settings file's language, when set, still wins)."""
        if self.qsettings is not None:
            self.qsettings.setValue("language", code)

    def _busy(self) -> bool:
        return bool(
            self.export_worker.pending or self.database_worker.pending or QApplication.activeModalWidget()
        )

    def _reopen_in_language(self) -> None:
        code = self._language_waiting
        if code is None or self._shut_down:
            return
        if self._busy():  # a report, an amendment being stored, a dialog open: look again shortly
            QTimer.singleShot(250, self, self._reopen_in_language)
            return
        self.pause()
        self.reopen_at = self._where()
        self._keep_language(code)
        self._closing_for_language = True
        try:
            closed = self.close()
        finally:
            self._closing_for_language = False
        if closed:
            self.language_chosen.emit(code)

    def _where(self) -> tuple[int | None, float | None]:
        """The session shown or being opened, and the moment shown or asked for."""
        shown = int(self.replay.session_id) if self.replay is not None else None
        session = next((s for s in (self._opening, self._pending_open, shown) if s is not None), None)
        if session is None:
            return None, None
        if self._start_at is not None:
            return session, self._start_at
        return session, (self.clock.position() if session == shown and self.spans else None)

    def carry_over(self, before: ReplayWindow) -> None:
        """From the window this one replaces (another language): its place and size on the
        screen, the browser's filters and sort, the export folder, and the last report saved,
        said in this window's language."""
        self.restoreGeometry(before.saveGeometry())
        # Set once the reviewers are listed (what the window before carried, if it never got there).
        self._browser_choices = before._browser_choices or before.browser.choices()
        self.last_export_folder = before.last_export_folder
        if before.last_saved is not None:
            self.export_label.setText(self.tr("Saved {0}").format(before.last_saved))

    # -- loading ------------------------------------------------------------------------------

    @staticmethod
    def _table(headers: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(list(headers))
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.setWordWrap(True)  # long answers and labels wrap instead of ending in "…"
        return table

    def start(self, session_id: int | None = None, *, at: float | None = None) -> None:
        """Build missing summaries, fill the reviewer filter, run the first query; then open
        `session_id` (at `at` seconds) when given."""
        self._pending_open = session_id
        self._start_at = at

        services = self.services

        def prepare() -> tuple[list[tuple[int, str]], str | None]:
            return services.reviewers(), services.key_problem()

        def ready(answer: tuple[list[tuple[int, str]], str | None]) -> None:
            reviewers, key_problem = answer
            self.show_key_problem(key_problem)
            self.browser.set_reviewers(reviewers)
            if self._browser_choices is not None:
                self.browser.restore(self._browser_choices)
                self._browser_choices = None
            self.browser.refresh_first_page()
            if self._pending_open is not None:
                self.open_session(self._pending_open)
                self._pending_open = None

        self.database_worker.run(prepare, ready, lambda error: self.browser.show_error(str(error)))

    def show_key_problem(self, problem: str | None) -> None:
        """Photos and recordings encrypted at rest cannot be opened here: say it, do not hide it."""
        self.key_warning.setVisible(problem is not None)
        if problem is not None:
            self.key_warning.setText(
                self.tr("Encrypted photos and recordings cannot be opened: {0}").format(problem)
            )

    def _query(self, spec: SessionFilter, sort: SortKey, descending: bool, page: int) -> None:
        services = self.services

        def work() -> tuple[Any, float]:
            begin = time.perf_counter()
            result = services.browse(spec, sort=sort, descending=descending, page=page)
            return result, (time.perf_counter() - begin) * 1000

        def failed(error: BaseException) -> None:
            self.browser.show_error(self.tr("The search failed: {0}").format(error))

        self.database_worker.run(work, lambda answer: self.browser.show_page(*answer), failed)

    def open_session(self, session_id: int) -> None:
        self.pause()
        self.browser.select_session(session_id)
        self.header.setText(self.tr("Opening session {0}…").format(session_id))
        self._opening = session_id

        def failed(error: BaseException) -> None:
            if self._opening == session_id:
                self._opening = None
            self.header.setText(self.tr("Session {0} cannot be opened: {1}").format(session_id, error))

        services = self.services
        self.database_worker.run(
            lambda: services.session_replay(SessionId(session_id)), self._show_session, failed
        )

    def _show_session(self, replay: SessionReplay) -> None:
        if self._opening == int(replay.session_id):
            self._opening = None
        self.replay = replay
        self.browser.selected_id = int(replay.session_id)
        self._show_header(replay)
        self._fill_details(replay)
        self.export_button.setEnabled(self._may(Action.EXPORT_SESSION))
        if replay.recording_directory is None:
            self.video.show_frame(None, None, "", self.tr("This session has no recording."))
            self.duration = max([0.0, *[m.t for m in markers_of(replay)]])
            self.chart.show_session(replay, self.duration, [])
            return
        self.video.show_frame(None, None, "", self.tr("Opening the recording…"))
        self.decoder.open_session(replay)

    def _show_header(self, replay: SessionReplay) -> None:
        """The session line, with the outcome in force (after any amendment)."""
        decision = replay.decision_in_force
        outcome = outcome_name(decision.outcome) if decision else state_name(replay.state)
        if decision is not None and decision.amends_id is not None:
            outcome = self.tr("{0} (amended)").format(outcome)
        check = {
            "awaiting": self.tr("awaiting its four-eyes check"),
            "confirmed": self.tr("four-eyes check confirmed"),
            "sent_back": self.tr("sent back by the four-eyes check"),
        }.get(replay.four_eyes_check)
        if check:
            outcome = f"{outcome} ({check})"
        header = self.tr("Session {0} · {1} · {2} / {3} months · reviewer {4} · {5} · {6}")
        self.header.setText(
            header.format(
                replay.session_id,
                replay.applicant_name,
                replay.amount,
                replay.term_months,
                replay.reviewer_name or "—",
                when_text(replay.taken_at),
                outcome,
            )
            + "\n"
            + self.tr("Consent: {0}").format(consent_text(replay.consent))
        )

    def _may(self, action: Action) -> bool:
        return may(self.supervisor.role, action)

    def _fill_details(self, replay: SessionReplay) -> None:
        if self._prompts is None:
            self._prompts = question_prompts(
                self.settings.questionnaire_file, questionnaire_language(self.language)
            )
        prompts = self._prompts
        # The questions in the order they were asked, each with its answer as it last stood.
        self.asked.setRowCount(0)
        latest = replay.latest_answers()
        for number, question_id in enumerate(replay.questions_asked, start=1):
            answer = latest.get(question_id)
            t = answer.t if answer is not None else None
            self._add_row(self.asked, t, [
                str(number),
                prompts.get(question_id, question_id),
                answer_text(answer.value) if answer is not None else self.tr("not answered"),
                "—" if t is None else f"{t:.1f}",
            ])  # fmt: skip
        if not replay.questions_asked:
            before = self.tr("Not recorded: the session is from before questions were drawn.")
            self._add_row(self.asked, None, ["—", before, "", ""])
        self.asked.resizeRowsToContents()
        self.answers.setRowCount(0)
        for answer in replay.answers:
            self._add_row(self.answers, answer.t, [
                "—" if answer.t is None else f"{answer.t:.1f}",
                prompts.get(answer.question_id, answer.question_id),
                answer_text(answer.value),
                answer.answered_by,
            ])  # fmt: skip
        self.events.setRowCount(0)
        for marker in markers_of(replay):
            label = marker.label
            if marker.kind == "answer":
                label = answer_label(prompts.get(marker.subject, marker.subject))
            self._add_row(self.events, marker.t, [f"{marker.t:.1f}", label])
        self.audit.setRowCount(0)
        for event in replay.audit:
            row = self._add_row(
                self.audit,
                None,
                [
                    str(event.seq),
                    event.at[11:19],
                    f"{event.actor}: {event.action}",
                    event.hash[:8] + "…",
                ],
            )
            hash_item = self.audit.item(row, 3)
            if hash_item is not None:
                hash_item.setToolTip(self.tr("hash {0}\nprevious {1}").format(event.hash, event.prev_hash))
        self.audit.resizeRowsToContents()
        self.answers.resizeRowsToContents()
        self.events.resizeRowsToContents()
        self.decision_view.setHtml(self._decisions_html(replay))
        # A decision awaiting its four-eyes check is not in force yet: the checker's queue
        # confirms it or sends it back; storage refuses an amendment meanwhile.
        awaiting = replay.four_eyes_check == "awaiting"
        self.amend_button.setEnabled(
            bool(replay.decisions) and self._may(Action.AMEND_DECISION) and not awaiting
        )
        if not self._may(Action.AMEND_DECISION):
            self.amend_button.setToolTip(self.tr("Only a supervisor may amend a decision."))
        elif awaiting:
            self.amend_button.setToolTip(
                self.tr(
                    "The decision awaits its four-eyes check: a checker confirms it or sends it "
                    "back in the checks queue; it can be amended after that."
                )
            )
        else:
            self.amend_button.setToolTip("")

    def _decisions_html(self, replay: SessionReplay) -> str:
        if not replay.decisions:
            return "<p>" + self.tr("No decision was recorded.") + "</p>"
        parts = []
        in_force = replay.decision_in_force
        for decision in replay.decisions:
            if decision.amends_id is None:
                title = self.tr("Original decision #{0}").format(decision.id)
            else:
                title = self.tr("Amendment of #{0} #{1}").format(decision.amends_id, decision.id)
            badge = (
                " <b style='color:#2e7d32'>" + self.tr("(in force)") + "</b>" if decision is in_force else ""
            )
            outcome = escape(outcome_name(decision.outcome))
            lines = [f"<b>{escape(title)}</b>{badge}", f"<span style='font-size:16px'>{outcome}</span>"]
            if decision.reasons:
                lines.append(self.tr("Reasons: {0}").format(reasons_text(decision.reasons)))
            if decision.note:
                lines.append(self.tr("Note: {0}").format(escape(decision.note)))
            if decision.override_reason:
                if decision.amends_id:
                    label = self.tr("Reason for the amendment: {0}")
                else:
                    label = self.tr("Override reason: {0}")
                lines.append(label.format(escape(decision.override_reason)))
            if decision.overridden:
                overrode = self.tr("Approved against the approval policy: {0}")
                lines.append(
                    "<b style='color:#b71c1c'>"
                    + escape(overrode.format(overridden_text(decision.overridden)))
                    + "</b>"
                )
            if decision.t is not None:
                by = self.tr("by {0}, {1} at t = {2} s").format(
                    escape(decision.decided_by), when_text(decision.decided_at), f"{decision.t:.1f}"
                )
            else:
                by = self.tr("by {0}, {1}").format(
                    escape(decision.decided_by), when_text(decision.decided_at)
                )
            lines.append(f"<span style='color:#5f6b76'>{by}</span>")
            if decision.amends_id is None and decision.face_summary:
                face = self.tr("Face panel at the decision: {0}").format(
                    face_summary_name(decision.face_summary)
                )
                lines.append(f"<span style='color:#5f6b76'>{escape(face)}</span>")
            parts.append("<br>".join(lines))
        return "<hr>".join(parts)

    @staticmethod
    def _add_row(table: QTableWidget, t: float | None, values: list[str]) -> int:
        row = table.rowCount()
        table.insertRow(row)
        for column, value in enumerate(values):
            item = QTableWidgetItem(value)
            item.setToolTip(value)  # the whole text where a narrow column ends it in "…"
            if column == 0 and t is not None:
                item.setData(Qt.ItemDataRole.UserRole, t)
            table.setItem(row, column, item)
        return row

    def _seek_row(self, table: QTableWidget, row: int) -> None:
        item = table.item(row, 0)
        t = item.data(Qt.ItemDataRole.UserRole) if item else None
        if t is not None:
            self.seek(float(t))

    def _opened(self, result: Any) -> None:
        if isinstance(result, Exception) or self.replay is None:
            self.video.show_frame(None, None, "", self.tr("The recording cannot be read: {0}").format(result))
            return
        duration, spans = result
        self.spans = spans
        self.duration = max([duration, *[m.t for m in markers_of(self.replay)]])
        self.slider.setRange(0, int(self.duration * 1000))
        self.chart.show_session(self.replay, self.duration, spans)
        start_at, self._start_at = self._start_at, None
        self.seek(start_at if start_at is not None else (spans[0].start if spans else 0.0))

    # -- playing --------------------------------------------------------------------------------

    def toggle_play(self) -> None:
        if self.clock.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if self.replay is None:
            return
        if self.clock.position() >= self.duration - 0.05:
            self.clock.set_position(0.0)
        self.clock.play()
        self.play_button.setText(self.tr("❚❚ Pause"))
        self._audio_cursor = self.clock.position()
        if self.audio.available and self.clock.speed == 1.0:
            self.audio.start()

    def pause(self) -> None:
        self.clock.pause()
        self.play_button.setText(self.tr("▶ Play"))
        self.audio.stop()

    def set_speed(self, speed: float) -> None:
        self.clock.set_speed(speed)
        # Audio plays at normal speed only (no pitch correction): silent otherwise.
        if speed != 1.0:
            self.audio.stop()
            self.audio_label.setText(self.audio.message or self.tr("Sound off at {0}×.").format(f"{speed:g}"))
        else:
            self.audio_label.setText(self.audio.message)
            if self.clock.playing and self.audio.available:
                self._audio_cursor = self.clock.position()
                self.audio.start()

    def seek(self, t: float) -> None:
        t = max(0.0, min(t, self.duration))
        self.clock.set_position(t)
        self._audio_cursor = t
        if self.clock.playing and self.audio.available and self.clock.speed == 1.0:
            self.audio.stop()
            self.audio.start()
        self._request("seek", t)

    def step(self, direction: int) -> None:
        self.pause()
        self._request("next" if direction > 0 else "previous", self.clock.position())

    def _request(self, kind: str, t: float) -> None:
        self._last_serial = self.decoder.request(kind, t)
        self._show_position(t)

    def _tick(self, position: float) -> None:
        if position >= self.duration:
            self.pause()
            position = self.duration
            self.clock.set_position(position)
        self._request("seek", position)
        if self.audio.available and self.clock.speed == 1.0 and self.clock.playing:
            while self._audio_cursor < position + 0.4:
                self.decoder.request_audio(self._audio_cursor, self._audio_cursor + 0.2)
                self._audio_cursor += 0.2

    def _audio_ready(self, pcm: bytes, _t: float) -> None:
        if self.clock.playing:
            self.audio.write(pcm)

    def _frame_ready(self, image: QImage | None, t: float, leg: int, serial: int) -> None:
        if serial < self._shown_serial:
            return  # an older request finished after a newer one
        self._shown_serial = serial
        if image is None:
            gap = self._between_legs(self.clock.position())
            self.video.show_frame(None, None, "", gap)
            return
        if serial == self._last_serial and not self.clock.playing:
            # Frame steps land exactly on a frame: the playhead follows it.
            self.clock.set_position(t)
            self._show_position(t)
        sample = self._sample_near(t)
        box = sample.box if sample is not None else None
        similarity = None if sample is None else sample.similarity
        label = "" if similarity is None else f"{similarity:.0f}"
        matched = None if similarity is None else similarity >= self.threshold
        self.video.show_frame(image, box, label, matched=matched)
        self._show_state(t, leg, sample)

    def _between_legs(self, t: float) -> str:
        for before, after in zip(self.spans, self.spans[1:], strict=False):
            if before.end <= t < after.start:
                return self.tr("No video: the applicant was disconnected (leg {0} → leg {1}).").format(
                    before.leg, after.leg
                )
        if self.spans and t > self.spans[-1].end:
            if self.spans[-1].crashed:
                return self.tr("End of the recording (the recording stopped here: the console closed).")
            return self.tr("End of the recording.")
        return self.tr("No video at this moment.")

    def _sample_near(self, t: float) -> Any:
        if self.replay is None:
            return None
        best = None
        for sample in self.replay.scores:
            distance = abs(sample.t - t)
            if distance <= BOX_WITHIN and (best is None or distance < abs(best.t - t)):
                best = sample
        return best

    def _show_position(self, t: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(int(t * 1000))
        self.slider.blockSignals(False)
        self.chart.set_position(t)
        self.position_label.setText(self.tr("{0} / {1} s").format(f"{t:6.1f}", f"{self.duration:.1f}"))

    def _show_state(self, t: float, leg: int, sample: Any) -> None:
        parts = [self.tr("t = {0} s").format(f"{t:.2f}"), self.tr("leg {0}").format(leg)]
        if sample is not None:
            if sample.similarity is not None:
                state = self.tr("match") if sample.similarity >= self.threshold else self.tr("no match")
                parts.append(self.tr("similarity {0} ({1})").format(f"{sample.similarity:.0f}", state))
            parts.append(self.tr("faces {0}").format(sample.faces))
            if sample.flags:
                flags = QCoreApplication.translate("ReplayTexts", ", ").join(
                    map(face_flag_name, sample.flags)
                )
                parts.append(self.tr("flags: {0}").format(flags))
            if sample.live is not None:
                parts.append(self.tr("liveness {0}").format(liveness_name(sample.live)))
        self.state_line.setText(" · ".join(parts))

    def _damaged(self, message: str) -> None:
        """A part of the recording cannot be shown; the message (from media) names the part."""
        self.video.show_frame(
            None, None, "", self.tr("This part of the recording cannot be shown: {0}").format(message)
        )

    # -- amend and export ---------------------------------------------------------------------

    def amend(self) -> None:
        replay = self.replay
        if replay is None or replay.original_decision is None:
            return
        original = replay.original_decision
        try:  # the policy's override codes, for an approval that overrides one of its rules
            codes = load_approval_policy(self.settings.approval_policy_file).override_codes
        except ValueError:
            codes = ()  # storage refuses such an approval with the file's problem
        answer = AmendDialog.ask(
            original, self, in_force=replay.decision_in_force, override_codes=codes, language=self.language
        )
        if answer is None:
            return
        draft, reason = answer
        session_id = replay.session_id
        in_force = replay.decision_in_force
        seen = DecisionId(in_force.id) if in_force is not None else None

        services = self.services

        def work() -> SessionReplay:
            return services.amend_decision(
                session_id, DecisionId(original.id), draft, reason=reason, in_force_seen=seen
            )

        def done(updated: SessionReplay) -> None:
            self.replay = updated
            self._show_header(updated)
            self._fill_details(updated)
            self.chart.show_session(updated, self.duration, self.spans)
            self.tabs.setCurrentIndex(0)
            self.browser.go_to(self.browser.page)

        self.amend_button.setEnabled(False)
        self.database_worker.run(work, done, self._amend_failed)

    def _amend_failed(self, error: BaseException) -> None:
        self.amend_button.setEnabled(True)
        QMessageBox.warning(self, self.tr("Amendment not saved"), str(error))

    @staticmethod
    def export_dialog(parent: QWidget | None, suggested: Path) -> QFileDialog:
        """Qt's own save dialog (not the desktop's), so it speaks the window's language with
        Qt's translations (qtbase_zh_CN), opening in `suggested`'s folder."""
        dialog = QFileDialog(
            parent,
            QCoreApplication.translate("ReplayWindow", "Export the session report"),
            str(suggested.parent),
            QCoreApplication.translate("ReplayWindow", "PDF files (*.pdf)"),
        )
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setDefaultSuffix("pdf")
        dialog.selectFile(suggested.name)
        # Qt 6 renamed these two labels ("&Look in:", "Files of &type:") and its Chinese
        # catalogue (qtbase_zh_CN) has not caught up: they are ours, translated with the rest.
        translate = QCoreApplication.translate
        dialog.setLabelText(QFileDialog.DialogLabel.LookIn, translate("ReplayWindow", "Look in:"))
        dialog.setLabelText(QFileDialog.DialogLabel.FileType, translate("ReplayWindow", "Files of type:"))
        return dialog

    @classmethod
    def ask_pdf_path(cls, parent: QWidget, suggested: Path) -> Path | None:
        dialog = cls.export_dialog(parent, suggested)
        if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return None
        return Path(dialog.selectedFiles()[0])

    def export_folder(self) -> Path:
        """Where the export dialog opens: the folder last exported to, else the documents folder."""
        if self.last_export_folder is not None and self.last_export_folder.is_dir():
            return self.last_export_folder
        documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        return Path(documents) if documents and Path(documents).is_dir() else Path.home()

    def export_pdf(self, path: Path | None = None) -> None:
        replay = self.replay
        if replay is None:
            return
        target = path or self.ask_pdf_path(self, self.export_folder() / f"session-{replay.session_id}.pdf")
        if target is None:
            return
        self.last_export_folder = target.parent
        from ui.replay.report import write_report

        settings = self.settings
        prompts = self._prompts
        services = self.services
        self.export_button.setEnabled(False)
        self.export_bar.setVisible(True)
        self.export_bar.setValue(0)
        self.export_label.setText(self.tr("Making the report…"))

        def work() -> Path:
            return write_report(
                replay,
                target,
                settings=settings,
                progress=self.export_progress.emit,
                question_prompts=prompts,
                recording=lambda: services.open_recording(replay),
            )

        def done(written: Path) -> None:
            self.export_button.setEnabled(True)
            self.export_bar.setValue(self.export_bar.maximum())
            self.export_label.setText(self.tr("Saved {0}").format(written))
            self.last_saved = written

        def failed(error: BaseException) -> None:
            self.export_button.setEnabled(True)
            self.export_bar.setVisible(False)
            self.export_label.setText(self.tr("The report could not be made: {0}").format(error))
            if self._language_waiting is not None:  # the failure stays in sight; choose again
                self._language_waiting = None
                self.language_actions[self.language].setChecked(True)
                self.statusBar().clearMessage()

        self.export_worker.run(work, done, failed)

    def _export_progress(self, done: int, total: int, what: str) -> None:
        self.export_bar.setMaximum(total)
        self.export_bar.setValue(done)
        self.export_label.setText(self.tr("Making the report: {0}…").format(what))

    def closeEvent(self, event: Any) -> None:
        if not self._closing_for_language:  # closed by the supervisor: not opened again
            self._language_waiting = None
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self._shut_down = True
        self.pause()
        self.decoder.stop()
        self.database_worker.shutdown()
        self.export_worker.shutdown()
