"""The supervisors' window: the four-eyes checks waiting for them (confirm or send back), and a
live view of the queue, the team and today's figures per hour, refreshed every few seconds on
a worker thread (app.supervision.SupervisionServices)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.supervision import CheckEntry, DayFigures, SupervisionServices, TeamNow
from ui.bridge import ServiceWorker
from ui.replay.texts import outcome_name

CENTRE = Qt.AlignmentFlag.AlignCenter
FIRST_HOUR = 8  # the chart shows the review day (08:00-24:00 by default)


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


class HourChart(QWidget):
    """Sessions per hour as bars, the approved share of each bar in green, rejected in red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.figures: DayFigures | None = None
        self.setMinimumHeight(220)

    def show_figures(self, figures: DayFigures) -> None:
        self.figures = figures
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        if self.figures is None:
            return
        hours = [h for h in self.figures.by_hour if h.hour >= FIRST_HOUR]
        top = max([1, *[h.sessions for h in hours]])
        left, bottom, height = 36.0, self.height() - 24.0, self.height() - 44.0
        width = (self.width() - left - 8) / len(hours)
        painter.setPen(QColor("#5f6b76"))
        painter.drawText(QRectF(0, 4, left - 4, 16), Qt.AlignmentFlag.AlignRight, str(top))
        painter.drawLine(int(left), int(bottom), self.width() - 8, int(bottom))
        legend = [
            (self.tr("approved"), "#2e7d32"),
            (self.tr("rejected"), "#c62828"),
            (self.tr("other"), "#90a4ae"),
        ]
        x_legend = self.width() - 8.0 - 110 * len(legend)
        for label, colour in legend:
            painter.fillRect(QRectF(x_legend, 6, 12, 12), QColor(colour))
            painter.drawText(QRectF(x_legend + 16, 4, 90, 16), Qt.AlignmentFlag.AlignLeft, label)
            x_legend += 110
        for index, hour in enumerate(hours):
            x = left + index * width
            scale = height / top
            parts = [
                (hour.approved, "#2e7d32"),
                (hour.rejected, "#c62828"),
                (hour.sessions - hour.approved - hour.rejected, "#90a4ae"),
            ]
            y = bottom
            for count, colour in parts:
                if count <= 0:
                    continue
                bar = QRectF(x + 3, y - count * scale, width - 6, count * scale)
                painter.fillRect(bar, QColor(colour))
                y -= count * scale
            if hour.sessions:
                painter.setPen(QColor("#17212b"))
                painter.drawText(
                    QRectF(x, y - 16, width, 14), Qt.AlignmentFlag.AlignCenter, str(hour.sessions)
                )
            painter.setPen(QColor("#5f6b76"))
            painter.drawText(
                QRectF(x, bottom + 4, width, 16), Qt.AlignmentFlag.AlignCenter, f"{hour.hour:02d}"
            )
        painter.end()


class SendBackDialog(QDialog):
    """Why the decision goes back, and whether the applicant gets a new review or a rejection."""

    def __init__(self, entry: CheckEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Send back"))
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Session {0}: {1}").format(entry.session_id, entry.applicant)))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("Reason (required)"))
        layout.addWidget(self.reason)
        self.reopen = QRadioButton(self.tr("Reopen: a new video review within the application's window"))
        self.reject_choice = QRadioButton(self.tr("Reject the application"))
        self.reopen.setChecked(True)
        layout.addWidget(self.reopen)
        layout.addWidget(self.reject_choice)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    @classmethod
    def ask(cls, entry: CheckEntry, parent: QWidget | None = None) -> tuple[str, bool] | None:
        """(reason, reopen), or None when cancelled. Tests replace this."""
        dialog = cls(entry, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.reason.text().strip():
            return None
        return dialog.reason.text().strip(), dialog.reopen.isChecked()


class SupervisorWindow(QMainWindow):
    def __init__(
        self,
        services: SupervisionServices,
        *,
        refresh_seconds: float = 5.0,
        clock: Callable[[], datetime] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.clock = clock or (lambda: datetime.now(UTC))
        self.entries: list[CheckEntry] = []
        self.worker = ServiceWorker("supervision", self)
        self.setWindowTitle(self.tr("Supervision: checks and live view"))
        self.tabs = QTabWidget()
        self.setCentralWidget(self.tabs)
        self.tabs.addTab(self._checks_tab(), self.tr("Four-eyes checks"))
        self.tabs.addTab(self._live_tab(), self.tr("Live view"))
        self.timer = QTimer(self)
        self.timer.setInterval(int(refresh_seconds * 1000))
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.resize(1000, 640)
        self.refresh()

    # -- building -----------------------------------------------------------------------------

    def _checks_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.checks_title = QLabel()
        layout.addWidget(self.checks_title)
        self.checks = QTableWidget(0, 6)
        self.checks.setHorizontalHeaderLabels(
            [
                self.tr("Applicant"),
                self.tr("Amount"),
                self.tr("Decision"),
                self.tr("Reviewer"),
                self.tr("Why"),
                self.tr("Waiting since"),
            ]
        )
        self.checks.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.checks.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.checks.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.checks.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.checks.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.checks)
        buttons = QHBoxLayout()
        self.confirm_button = QPushButton(self.tr("Confirm"))
        self.send_back_button = QPushButton(self.tr("Send back…"))
        self.confirm_button.clicked.connect(self.confirm_selected)
        self.send_back_button.clicked.connect(self.send_back_selected)
        buttons.addStretch(1)
        buttons.addWidget(self.send_back_button)
        buttons.addWidget(self.confirm_button)
        layout.addLayout(buttons)
        self.message = QLabel()
        layout.addWidget(self.message)
        self._selection_changed()
        return page

    def _live_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.queue_line = QLabel()
        self.queue_line.setObjectName("queueLine")
        layout.addWidget(self.queue_line)
        self.team = QTableWidget(0, 3)
        self.team.setHorizontalHeaderLabels([self.tr("Reviewer"), self.tr("State"), self.tr("For")])
        self.team.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.team.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.team.setMaximumHeight(180)
        layout.addWidget(self.team)
        self.today_line = QLabel()
        self.today_line.setWordWrap(True)
        layout.addWidget(self.today_line)
        self.chart = HourChart()
        layout.addWidget(self.chart, 1)
        return page

    # -- refreshing (off the Qt thread) -----------------------------------------------------------

    def refresh(self) -> None:
        if self.worker.pending:
            return  # the last refresh is still running: never pile up
        now = self.clock()
        services = self.services

        def read() -> tuple[list[CheckEntry], TeamNow, DayFigures]:
            return services.checks(), services.team_now(now), services.day()

        self.worker.run(read, self._show, self._failed)

    def _show(self, result: tuple[list[CheckEntry], TeamNow, DayFigures]) -> None:
        checks, team, figures = result
        self._show_checks(checks)
        self._show_team(team)
        self._show_day(figures)

    def _failed(self, error: BaseException) -> None:
        self.message.setText(self.tr("Could not refresh: {0}").format(error))

    def _show_checks(self, entries: list[CheckEntry]) -> None:
        selected = self.selected()
        self.entries = entries
        self.checks_title.setText(self.tr("{0} decisions await your check").format(len(entries)))
        self.checks.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            cells = [
                entry.applicant,
                entry.amount,
                outcome_name(entry.outcome),
                entry.maker,
                ", ".join(self._because_text(b) for b in entry.because),
                entry.selected_at.astimezone().strftime("%H:%M"),
            ]
            for column, text in enumerate(cells):
                self.checks.setItem(row, column, QTableWidgetItem(text))
            if selected is not None and entry.check_id == selected.check_id:
                self.checks.selectRow(row)
        self._selection_changed()

    def _because_text(self, because: str) -> str:
        texts = {
            "amount": self.tr("amount above the limit"),
            "override": self.tr("refusal overridden"),
            "red_flag": self.tr("red flag"),
            "face_flag": self.tr("liveness or face flag"),
            "sample": self.tr("random sample"),
        }
        return texts.get(because, because)

    def _show_team(self, team: TeamNow) -> None:
        now = self.clock()
        self.queue_line.setText(
            self.tr("Queue now: {0} waiting, longest wait {1}; {2} left without a review today").format(
                team.waiting, _minutes(team.longest_wait_seconds), team.left_today
            )
        )
        self.team.setRowCount(len(team.reviewers))
        for row, reviewer in enumerate(team.reviewers):
            if reviewer.session_id is not None and reviewer.in_call_since is not None:
                state = self.tr("in a call (session {0})").format(reviewer.session_id)
                since = _minutes((now - reviewer.in_call_since).total_seconds())
            elif reviewer.signed_in:
                state, since = self.tr("idle"), ""
            else:
                state, since = self.tr("signed out"), ""
            for column, text in enumerate([reviewer.name, state, since]):
                self.team.setItem(row, column, QTableWidgetItem(text))

    def _show_day(self, figures: DayFigures) -> None:
        decided = max(1, figures.approved + figures.rejected + figures.verify_later)
        median = "—" if figures.median_handle_seconds is None else _minutes(figures.median_handle_seconds)
        failed_faces = sum(h.face_match_failed for h in figures.by_hour)
        failed_connections = sum(h.connection_failed for h in figures.by_hour)
        self.today_line.setText(
            self.tr(
                "Today: {0} sessions; approved {1}%, rejected {2}%, verify later {3}%; {4} awaiting check; "
                "median handle time {5}; face-match failures {6}; connection failures {7}"
            ).format(
                figures.sessions,
                round(100 * figures.approved / decided),
                round(100 * figures.rejected / decided),
                round(100 * figures.verify_later / decided),
                figures.awaiting_check,
                median,
                failed_faces,
                failed_connections,
            )
        )
        self.chart.show_figures(figures)

    # -- checking ---------------------------------------------------------------------------------

    def selected(self) -> CheckEntry | None:
        rows = self.checks.selectionModel().selectedRows() if self.checks.selectionModel() else []
        if not rows or rows[0].row() >= len(self.entries):
            return None
        return self.entries[rows[0].row()]

    def _selection_changed(self) -> None:
        chosen = self.selected() is not None
        self.confirm_button.setEnabled(chosen)
        self.send_back_button.setEnabled(chosen)

    def confirm_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        services = self.services
        self._act(lambda: services.confirm(entry.check_id), self.tr("Confirmed: {0}").format(entry.applicant))

    def send_back_selected(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        answer = SendBackDialog.ask(entry, self)
        if answer is None:
            return
        reason, reopen = answer
        services = self.services
        self._act(
            lambda: services.send_back(entry.check_id, reason, reopen=reopen),
            self.tr("Sent back: {0}").format(entry.applicant),
        )

    def _act(self, work: Callable[[], None], done: str) -> None:
        self.confirm_button.setEnabled(False)
        self.send_back_button.setEnabled(False)

        def succeeded(_result: None) -> None:
            self.message.setText(done)
            self.refresh()

        def refused(error: BaseException) -> None:
            self.message.setText(self.tr("Not done: {0}").format(error))
            self.refresh()

        self.worker.run(work, succeeded, refused)

    def closeEvent(self, event: object) -> None:
        self.timer.stop()
        self.worker.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]


def run_supervisor_window(
    services: SupervisionServices, *, language: str, screenshot: Path | None = None
) -> int:
    """Open the window (the command `supervise`); with a screenshot path, save it once the first
    refresh has shown and quit."""
    from PySide6.QtWidgets import QApplication

    from ui.languages import install_translators
    from ui.style import STYLE_SHEET

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    translators = install_translators(app, language)
    app.setStyleSheet(STYLE_SHEET)
    window = SupervisorWindow(services)
    window.show()
    if screenshot is not None:
        tab = 1 if "live" in screenshot.name else 0

        def shoot() -> None:
            if window.worker.pending:
                QTimer.singleShot(100, shoot)
                return
            window.tabs.setCurrentIndex(tab)
            if tab == 0 and window.entries:
                window.checks.selectRow(0)
            QTimer.singleShot(300, lambda: (window.grab().save(str(screenshot)), app.quit()))

        QTimer.singleShot(500, shoot)
    code = app.exec()
    window.close()
    del translators
    return int(code)
