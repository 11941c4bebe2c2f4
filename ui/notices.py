"""Quiet notices about the workstation itself, not the call: sessions the last run left
unfinished (marked abandoned at sign-in) and decisions waiting for the database."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui import style


class WorkstationNotices(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notices")
        self.abandoned_label = QLabel()
        self.abandoned_label.setWordWrap(True)
        self.dismiss_button = QPushButton(self.tr("OK"))
        self.dismiss_button.setToolTip(self.tr("Hide this notice"))
        self.dismiss_button.clicked.connect(lambda: self.show_abandoned(0))
        self.pending_label = QLabel()
        self.pending_label.setWordWrap(True)
        abandoned_row = QHBoxLayout()
        abandoned_row.setContentsMargins(0, 0, 0, 0)
        abandoned_row.addWidget(self.abandoned_label, 1)
        abandoned_row.addWidget(self.dismiss_button)
        self.abandoned_row = QWidget()
        self.abandoned_row.setLayout(abandoned_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.setSpacing(2)
        layout.addWidget(self.abandoned_row)
        layout.addWidget(self.pending_label)
        for label in (self.abandoned_label, self.pending_label):
            label.setStyleSheet(f"color: {style.NEUTRAL};")
        self.abandoned = 0
        self.pending = 0
        self._update()

    def show_abandoned(self, count: int) -> None:
        self.abandoned = count
        if count == 1:
            text = self.tr(
                "1 unfinished session from the last run was marked abandoned; its recording is kept."
            )
        else:
            text = self.tr(
                "{0} unfinished sessions from the last run were marked abandoned; their recordings are kept."
            ).format(count)
        self.abandoned_label.setText(text if count else "")
        self._update()

    def show_pending(self, count: int) -> None:
        self.pending = count
        if count == 1:
            text = self.tr("1 decision waiting for the database: it will be saved automatically.")
        else:
            text = self.tr(
                "{0} decisions waiting for the database: they will be saved automatically."
            ).format(count)
        self.pending_label.setText(text if count else "")
        self._update()

    def _update(self) -> None:
        self.abandoned_row.setVisible(self.abandoned > 0)
        self.pending_label.setVisible(self.pending > 0)
        self.setVisible(self.abandoned > 0 or self.pending > 0)
