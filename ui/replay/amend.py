"""The supervisor's amendment: a new decision that points to the original, with a reason."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.approval import OverrideCode
from app.decisions import DecisionDraft, Outcome, RejectReason
from app.replay import DecisionEntry
from ui.decision import decision_refusal, outcome_text, reason_text
from ui.replay.texts import outcome_name, when_text


def changes_nothing(draft: DecisionDraft, in_force: DecisionEntry) -> bool:
    """The amendment would record the decision in force again (same outcome, reasons, note)."""
    return (
        draft.outcome.value == in_force.outcome
        and sorted(reason.value for reason in draft.reasons) == sorted(in_force.reasons)
        and draft.note.strip() == in_force.note.strip()
    )


class AmendDialog(QDialog):
    """A new decision that points to the original, with the supervisor's reason (required)."""

    def __init__(
        self,
        original: DecisionEntry,
        parent: QWidget | None = None,
        *,
        in_force: DecisionEntry | None = None,
        override_codes: Sequence[OverrideCode] = (),
        language: str = "en",
    ) -> None:
        """`override_codes`: the approval policy's, for an approval that overrides one of its
        rules (storage checks the approval as it checks a reviewer's; the amendment's reason
        is the override's sentence)."""
        super().__init__(parent)
        self.in_force = in_force or original
        self.setWindowTitle(self.tr("Amend decision #{0}").format(original.id))
        self.outcome = QComboBox()
        for outcome in (Outcome.APPROVE, Outcome.REJECT, Outcome.VERIFY_LATER):
            self.outcome.addItem(outcome_text(outcome), outcome)
        self.reasons = {reason: QCheckBox(reason_text(reason)) for reason in RejectReason}
        reasons = QWidget()
        reasons_layout = QVBoxLayout(reasons)
        reasons_layout.setContentsMargins(0, 0, 0, 0)
        for box in self.reasons.values():
            reasons_layout.addWidget(box)
        self.override_code = QComboBox()
        self.override_code.addItem(self.tr("None"), "")
        for code in override_codes:
            self.override_code.addItem(code.label(language), code.code)
        self.note = QLineEdit()
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(self.tr("Why the decision changes (kept in the audit log)"))
        self.reason.setFixedHeight(70)
        self.error = QLabel("")
        self.error.setObjectName("fieldError")
        form = QFormLayout(self)
        was = self.tr("Original: {0} by {1}, {2}. It stays on record.")
        form.addRow(
            QLabel(
                was.format(
                    outcome_name(original.outcome), original.decided_by, when_text(original.decided_at)
                )
            )
        )
        form.addRow(self.tr("New decision"), self.outcome)
        form.addRow(self.tr("Reason codes"), reasons)
        form.addRow(self.tr("Override reason code (an approval the policy refuses)"), self.override_code)
        form.addRow(self.tr("Note"), self.note)
        form.addRow(self.tr("Reason for the amendment"), self.reason)
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.outcome.currentIndexChanged.connect(self._outcome_changed)
        self._outcome_changed()
        self.result_value: tuple[DecisionDraft, str] | None = None

    def _outcome_changed(self) -> None:
        rejecting = self.outcome.currentData() is Outcome.REJECT
        approving = self.outcome.currentData() is Outcome.APPROVE
        self.override_code.setEnabled(approving)
        if not approving:
            self.override_code.setCurrentIndex(0)
        for box in self.reasons.values():
            box.setEnabled(rejecting)
            if not rejecting:
                box.setChecked(False)

    def draft(self) -> DecisionDraft:
        reasons = tuple(reason for reason, box in self.reasons.items() if box.isChecked())
        return DecisionDraft(
            self.outcome.currentData(),
            reasons=reasons,
            note=self.note.text().strip(),
            override_code=str(self.override_code.currentData() or ""),
        )

    def submit(self) -> None:
        reason = self.reason.toPlainText().strip()
        draft = self.draft()
        refusal = decision_refusal(draft, missing_required_answers=[], face_matched=True)
        if not refusal and not reason:
            refusal = self.tr("An amendment needs a reason.")
        if not refusal and changes_nothing(draft, self.in_force):
            refusal = self.tr(
                "Nothing changes: the decision in force is already '{0}' with these reason codes and "
                "this note. Change the decision, its reasons or the note, or cancel."
            ).format(outcome_name(self.in_force.outcome))
        if refusal:
            self.error.setText(refusal)
            return
        self.result_value = (draft, reason)
        self.accept()

    @classmethod
    def ask(
        cls,
        original: DecisionEntry,
        parent: QWidget | None = None,
        *,
        in_force: DecisionEntry | None = None,
        override_codes: Sequence[OverrideCode] = (),
        language: str = "en",
    ) -> tuple[DecisionDraft, str] | None:
        dialog = cls(original, parent, in_force=in_force, override_codes=override_codes, language=language)
        return dialog.result_value if dialog.exec() == QDialog.DialogCode.Accepted else None
