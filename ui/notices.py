"""Quiet notices about the workstation itself, not the call: sessions the last run left
unfinished (marked abandoned at sign-in), decisions waiting for the database, and decisions the
database refused for good (with what to do about them)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.console import RefusedDecisionView
from app.decisions import Outcome
from ui import style
from ui.decision import outcome_text

SHOWN_REFUSED = 3  # the others are counted
_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse  # the folder can be copied


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
        self.refused_label = QLabel()
        self.refused_label.setWordWrap(True)
        self.refused_label.setObjectName("refused")
        self.refused_label.setStyleSheet(f"color: {style.BAD};")
        self.refused_label.setTextInteractionFlags(self.refused_label.textInteractionFlags() | _SELECTABLE)
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
        layout.addWidget(self.refused_label)
        for label in (self.abandoned_label, self.pending_label):
            label.setStyleSheet(f"color: {style.NEUTRAL};")
        self.abandoned = 0
        self.pending = 0
        self.refused: list[RefusedDecisionView] = []
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

    def show_refused(self, refused: Sequence[RefusedDecisionView]) -> None:
        """Decisions kept here that will never be stored as they are, and what to do."""
        self.refused = list(refused)
        lines = []
        for item in self.refused[:SHOWN_REFUSED]:
            if item.session_id is None:
                lines.append(self.tr("A kept decision cannot be read: {0}").format(item.path))
                continue
            when = item.decided_at.astimezone().strftime("%Y-%m-%d %H:%M") if item.decided_at else "?"
            lines.append(
                self.tr("Session {0}: {1} ({2}) was refused: {3}").format(
                    item.session_id, _outcome(item.outcome), when, item.reason
                )
            )
        if len(self.refused) > SHOWN_REFUSED:
            lines.append(self.tr("…and {0} more.").format(len(self.refused) - SHOWN_REFUSED))
        if lines:
            lines.insert(0, self.tr("Decisions that could not be recorded:"))
            lines.append(
                self.tr(
                    "What to do: tell your supervisor. A decided session can be amended in the replay window; one that ended without a decision is reviewed again when the applicant returns."  # noqa: E501
                )
            )
            lines.append(self.tr("The files are kept in {0}.").format(self.refused[0].path.parent))
        self.refused_label.setText("\n".join(lines))
        self._update()

    def _update(self) -> None:
        self.abandoned_row.setVisible(self.abandoned > 0)
        self.pending_label.setVisible(self.pending > 0)
        self.refused_label.setVisible(bool(self.refused))
        self.setVisible(self.abandoned > 0 or self.pending > 0 or bool(self.refused))


def _outcome(code: str | None) -> str:
    try:
        return outcome_text(Outcome(code))
    except ValueError:
        return code or "?"
