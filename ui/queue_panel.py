"""The queue: how many applicants wait, the longest wait, and the Take next applicant action."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.queue import QueueSummary

TAKE_NEXT_SHORTCUT = "Ctrl+N"


def duration_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return QCoreApplication.translate("Durations", "{0} s").format(seconds)
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return QCoreApplication.translate("Durations", "{0} min {1} s").format(minutes, seconds)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return QCoreApplication.translate("Durations", "{0} h {1} min").format(hours, minutes)
    return QCoreApplication.translate("Durations", "{0} days").format(hours // 24)


class QueuePanel(QWidget):
    take_next_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.waiting_label = QLabel()
        self.longest_label = QLabel()
        self.longest_label.setObjectName("caption")
        self.take_button = QPushButton(self.tr("Take next applicant") + f"  ({TAKE_NEXT_SHORTCUT})")
        self.take_button.setObjectName("primary")
        self.take_button.clicked.connect(self._take)
        self.shortcut = QShortcut(QKeySequence(TAKE_NEXT_SHORTCUT), self)
        self.shortcut.activated.connect(self._take)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.take_button)
        layout.addWidget(self.waiting_label)
        layout.addWidget(self.longest_label)
        self.summary: QueueSummary | None = None
        self.set_summary(None)

    def _take(self) -> None:
        if self.take_button.isEnabled():
            self.take_next_requested.emit()

    def set_can_take(self, allowed: bool) -> None:
        self.take_button.setEnabled(allowed)

    def set_summary(self, summary: QueueSummary | None) -> None:
        self.summary = summary
        if summary is None:
            self.waiting_label.setText(self.tr("Queue: –"))
            self.longest_label.setText("")
            return
        self.waiting_label.setText(self.tr("Waiting: {0}").format(summary.waiting))
        self.longest_label.setText(
            self.tr("longest wait {0}").format(duration_text(summary.longest_wait_seconds))
            if summary.waiting
            else ""
        )
