"""The supervisors' window: the four-eyes checks waiting for them (confirm or send back), and a
live view of the queue, the team and today's figures per hour, refreshed every few seconds on
a worker thread (app.supervision.SupervisionServices)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
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

from app.supervision import CheckEntry, DayFigures, HourFigures, SupervisionServices, TeamNow
from ui.bridge import ServiceWorker
from ui.replay.texts import outcome_name

CENTRE = Qt.AlignmentFlag.AlignCenter
FIRST_HOUR = 8  # the chart shows the review day (08:00-24:00 by default)


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    value: Callable[[HourFigures], float | None]


class HourChart(QWidget):
    """One figure per hour of the review day as bars: `stacked` series pile up in one bar (the
    total written on top), otherwise they stand side by side. `text` writes a bar's value."""

    def __init__(
        self,
        title: str,
        series: list[Series],
        *,
        stacked: bool = True,
        top: float | None = None,
        text: Callable[[float], str] = lambda value: f"{value:g}",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.title = title
        self.series = series
        self.stacked = stacked
        self.fixed_top = top
        self.text = text
        self.figures: DayFigures | None = None
        self.setMinimumHeight(150)

    def show_figures(self, figures: DayFigures) -> None:
        self.figures = figures
        self.update()

    def values(self) -> list[tuple[int, list[float | None]]]:
        """(hour, the value of each series) for the hours the chart shows."""
        if self.figures is None:
            return []
        hours = [h for h in self.figures.by_hour if h.hour >= FIRST_HOUR]
        return [(h.hour, [series.value(h) for series in self.series]) for h in hours]

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        painter.setPen(QColor("#17212b"))
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.drawText(QRectF(8, 2, self.width() - 16, 18), Qt.AlignmentFlag.AlignLeft, self.title)
        painter.setFont(self.font())
        x_legend = 8.0
        for series in self.series:
            width = painter.fontMetrics().horizontalAdvance(series.label) + 28
            painter.fillRect(QRectF(x_legend, 24, 10, 10), QColor(series.colour))
            painter.setPen(QColor("#5f6b76"))
            painter.drawText(QRectF(x_legend + 14, 21, width, 16), Qt.AlignmentFlag.AlignLeft, series.label)
            x_legend += width
        rows = self.values()
        if not rows:
            painter.end()
            return

        def total(values: list[float | None]) -> float:
            known = [v for v in values if v is not None]
            return sum(known) if self.stacked else max(known, default=0.0)

        top = self.fixed_top or max([1.0, *[total(values) for _hour, values in rows]])
        metrics = painter.fontMetrics()
        left, bottom = metrics.horizontalAdvance(self.text(top)) + 10.0, self.height() - 20.0
        height = bottom - 58.0
        slot = (self.width() - left - 8) / len(rows)
        scale = height / top
        painter.setPen(QColor("#5f6b76"))
        painter.drawText(
            QRectF(0, bottom - height - 7, left - 4, 14), Qt.AlignmentFlag.AlignRight, self.text(top)
        )
        painter.drawLine(int(left), int(bottom), self.width() - 8, int(bottom))
        for index, (hour, values) in enumerate(rows):
            x = left + index * slot
            y = bottom
            bars = len(self.series) if not self.stacked else 1
            bar_width = max(2.0, (slot - 6) / bars)
            for number, (series, value) in enumerate(zip(self.series, values, strict=True)):
                if not value:
                    continue
                if self.stacked:
                    bar = QRectF(x + 3, y - value * scale, slot - 6, value * scale)
                    y -= value * scale
                else:
                    bar = QRectF(x + 3 + number * bar_width, bottom - value * scale, bar_width, value * scale)
                painter.fillRect(bar, QColor(series.colour))
            shown = total(values)
            label = self.text(shown)
            # The bar's value on top, where it fits (narrow windows: the axis says the scale).
            if shown and metrics.horizontalAdvance(label) <= slot:
                painter.setPen(QColor("#17212b"))
                y_text = bottom - shown * scale
                painter.drawText(QRectF(x, y_text - 15, slot, 14), Qt.AlignmentFlag.AlignCenter, label)
            painter.setPen(QColor("#5f6b76"))
            painter.drawText(QRectF(x, bottom + 3, slot, 16), Qt.AlignmentFlag.AlignCenter, f"{hour:02d}")
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
        self.team.setMaximumHeight(130)
        layout.addWidget(self.team)
        self.today_line = QLabel()
        self.today_line.setWordWrap(True)
        layout.addWidget(self.today_line)
        approved, rejected, later = "#2e7d32", "#c62828", "#f9a825"
        self.sessions_chart = HourChart(
            self.tr("Sessions per hour"),
            [
                Series(self.tr("approved"), approved, lambda h: h.approved),
                Series(self.tr("rejected"), rejected, lambda h: h.rejected),
                Series(self.tr("verify later"), later, lambda h: h.verify_later),
                Series(self.tr("other"), "#90a4ae", lambda h: h.sessions - h.decided),
            ],
        )
        percent = 100.0

        def rate(count: Callable[[HourFigures], int]) -> Callable[[HourFigures], float | None]:
            def value(hour: HourFigures) -> float | None:
                share = hour.rate(count(hour))
                return None if share is None else round(percent * share)

            return value

        self.rates_chart = HourChart(
            self.tr("Outcome rates per hour (% of decided)"),
            [
                Series(self.tr("approved"), approved, rate(lambda h: h.approved)),
                Series(self.tr("rejected"), rejected, rate(lambda h: h.rejected)),
                Series(self.tr("verify later"), later, rate(lambda h: h.verify_later)),
            ],
            stacked=False,
            top=percent,
            text=lambda value: f"{value:.0f}%",
        )
        self.handle_chart = HourChart(
            self.tr("Median handle time per hour (min:s)"),
            [Series(self.tr("median handle time"), "#1565c0", lambda h: h.median_handle_seconds)],
            text=_minutes,
        )
        self.failures_chart = HourChart(
            self.tr("Failures per hour"),
            [
                Series(self.tr("face-match failures"), "#6a1b9a", lambda h: h.face_match_failed),
                Series(self.tr("connection failures"), "#ef6c00", lambda h: h.connection_failed),
            ],
            stacked=False,
        )
        self.charts = [self.sessions_chart, self.rates_chart, self.handle_chart, self.failures_chart]
        grid = QGridLayout()
        for index, chart in enumerate(self.charts):
            grid.addWidget(chart, index // 2, index % 2)
        layout.addLayout(grid, 1)
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
        for chart in self.charts:
            chart.show_figures(figures)

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
    if screenshot is not None:
        size = re.search(r"-(\d+)x(\d+)\.png$", screenshot.name)  # e.g. live-view-1280x800.png
        if size is not None:
            window.resize(int(size.group(1)), int(size.group(2)))
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
