"""The decision bar, the confirmation dialog that shows what will be recorded, and the banner
that keeps a decision on screen until it is committed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.approval import ApprovalBlocked, ApprovalPolicy, Condition, Finding, Requirement, ReviewFacts
from app.decisions import DecisionDraft, FaceSummary, Outcome, RejectReason, check_decision
from app.errors import InvalidDecision
from ui import style


def outcome_text(outcome: Outcome) -> str:
    return {
        Outcome.APPROVE: QCoreApplication.translate("Decisions", "Approve"),
        Outcome.REJECT: QCoreApplication.translate("Decisions", "Reject"),
        Outcome.VERIFY_LATER: QCoreApplication.translate("Decisions", "Verify later"),
        Outcome.CONNECTION_FAILED: QCoreApplication.translate("Decisions", "Connection failed"),
    }[outcome]


def reason_text(reason: RejectReason) -> str:
    return {
        RejectReason.IDENTITY_MISMATCH: QCoreApplication.translate("Decisions", "Identity does not match"),
        RejectReason.FACE_MATCH_FAILED: QCoreApplication.translate("Decisions", "Face match failed"),
        RejectReason.LIVENESS_FAILED: QCoreApplication.translate("Decisions", "Liveness check failed"),
        RejectReason.THIRD_PARTY_PRESENT: QCoreApplication.translate("Decisions", "Third party present"),
        RejectReason.INSUFFICIENT_REPAYMENT_ABILITY: QCoreApplication.translate(
            "Decisions", "Insufficient repayment ability"
        ),
        RejectReason.FRAUD_SUSPECTED: QCoreApplication.translate("Decisions", "Fraud suspected"),
        RejectReason.APPLICANT_UNCOOPERATIVE: QCoreApplication.translate(
            "Decisions", "Applicant uncooperative"
        ),
        RejectReason.OTHER: QCoreApplication.translate("Decisions", "Other (explain in the note)"),
    }[reason]


def face_summary_text(face: FaceSummary) -> str:
    def figure(value: float | None) -> str:
        return "–" if value is None else f"{value:.0f}"

    matched = (
        QCoreApplication.translate("Decisions", "matched")
        if face.matched
        else QCoreApplication.translate("Decisions", "not matched")
    )
    liveness = {
        "passed": QCoreApplication.translate("Decisions", "passed"),
        "failed": QCoreApplication.translate("Decisions", "failed"),
    }.get(face.liveness, QCoreApplication.translate("Decisions", "unknown"))
    return QCoreApplication.translate(
        "Decisions", "{0}; best similarity {1}, last {2}; liveness {3}; attempts {4}"
    ).format(
        matched, figure(face.best_similarity), figure(face.last_similarity), liveness, face.attempts_used
    )


def decision_refusal(draft: DecisionDraft, missing_required_answers: list[str], face_matched: bool) -> str:
    """Why app.decisions.check_decision refuses the draft, in the reviewer's language ("" when allowed)."""
    try:
        check_decision(draft, missing_required_answers=missing_required_answers, face_matched=face_matched)
    except InvalidDecision as error:
        if draft.outcome is Outcome.REJECT and not draft.reasons:
            return QCoreApplication.translate("Decisions", "A rejection needs at least one reason code.")
        if RejectReason.OTHER in draft.reasons and not draft.note.strip():
            return QCoreApplication.translate("Decisions", "The reason 'Other' needs the note to explain it.")
        if draft.outcome is Outcome.APPROVE and not draft.override_reason.strip():
            return QCoreApplication.translate(
                "Decisions", "Approval refused: give the reason to approve anyway."
            )
        return str(error)
    return ""


def requirement_text(requirement: Requirement) -> str:
    return {
        Requirement.BLOCK: QCoreApplication.translate("Decisions", "blocks approval"),
        Requirement.OVERRIDE: QCoreApplication.translate(
            "Decisions", "approval needs an override: a reason code and a sentence; a supervisor checks it"
        ),
        Requirement.WARN: QCoreApplication.translate("Decisions", "warning"),
    }[requirement]


def finding_text(finding: Finding, language: str, most: int = 3) -> str:
    """The rule in the reviewer's words, with what it holds for (the first `most` of them)."""
    text = finding.rule.label(language)
    # A face-flag rule's label says it all; its details are flag ids (the face panel words them).
    if finding.details and finding.rule.when is not Condition.FACE_FLAGS:
        shown = "; ".join(finding.details[:most])
        more = len(finding.details) - most
        if more > 0:
            shown += QCoreApplication.translate("Decisions", "; and {0} more").format(more)
        text += ": " + shown
    return text


def approval_refusal(policy: ApprovalPolicy, draft: DecisionDraft, facts: ReviewFacts, language: str) -> str:
    """Why the approval policy refuses the draft, in the reviewer's language ("" when allowed)."""
    try:
        policy.check_approval(draft, facts)
    except ApprovalBlocked:
        blocked = [
            finding.rule.label(language)
            for finding in policy.findings(facts)
            if finding.requires is Requirement.BLOCK
        ]
        return QCoreApplication.translate("Decisions", "Approval is not possible: {0}.").format(
            "; ".join(blocked)
        )
    except InvalidDecision:
        if policy.override_code(draft.override_code) is None:
            return QCoreApplication.translate(
                "Decisions", "Approval refused: choose an override reason code."
            )
        return QCoreApplication.translate(
            "Decisions",
            "Approval refused: explain the override in at least a sentence ({0} words, or {1} Chinese characters).",  # noqa: E501
        ).format(policy.min_reason_words, policy.min_reason_cjk_characters)
    return ""


@dataclass(frozen=True)
class DecisionContext:
    """What the dialog needs to know about the review to check and summarise a decision."""

    applicant_name: str
    missing_required_answers: list[str]  # prompts, in the reviewer's language
    face: FaceSummary
    answers_given: int
    red_flags: tuple[str, ...] = ()
    suggested_reasons: tuple[RejectReason, ...] = field(default_factory=tuple)
    # The approval policy and the facts it judges (None: the dialog checks no approval policy).
    policy: ApprovalPolicy | None = None
    facts: ReviewFacts | None = None
    language: str = "en"
    # The review as it stands now (the window's): the open dialog follows the face panel and
    # the form instead of showing them as they were when it opened. None: a fixed picture.
    current: Callable[[], DecisionContext | None] | None = field(default=None, compare=False)

    def findings(self) -> list[Finding]:
        if self.policy is None or self.facts is None:
            return []
        return self.policy.findings(self.facts)


class DecisionBar(QWidget):
    decision_requested = Signal(object)  # Outcome

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._row = layout
        self.buttons: dict[Outcome, QPushButton] = {}
        names = {Outcome.APPROVE: "approve", Outcome.REJECT: "reject"}
        for outcome in Outcome:
            button = QPushButton(outcome_text(outcome) + "…")
            button.setObjectName(names.get(outcome, ""))
            button.clicked.connect(
                lambda _checked=False, outcome=outcome: self.decision_requested.emit(outcome)
            )
            self.buttons[outcome] = button
            if outcome is Outcome.VERIFY_LATER:
                self._middle = layout.count()
                layout.addStretch(1)
            layout.addWidget(button)
        self.set_enabled(False)
        self._banner: SaveBanner | None = None

        self.approval_blocked = False

    def place_between(self, banner: SaveBanner) -> None:
        """Put the save banner between the approve/reject and the other buttons, where the row
        has room, keeping that room when it is hidden: its appearing then lays out this row
        only, not the whole window (below the form it did, at each decision)."""
        self._row.takeAt(self._middle)  # the stretch it replaces
        self._row.insertWidget(self._middle, banner, 1)
        policy = banner.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        banner.setSizePolicy(policy)
        self._banner = banner
        self._keep_one_height()

    def _keep_one_height(self) -> None:
        """The row as tall as its buttons or a one-line message, whichever is taller, from the
        start: "Saving", "Saved" and hidden then never change its height (a row 1 px taller
        with the first "Saving" moved every panel of the window, laid out and repainted again
        in the decision's turn). Only a longer message, or Retry, makes it taller."""
        banner = self._banner
        if banner is None:
            return
        buttons = max(button.sizeHint().height() for button in self.buttons.values())
        self.setMinimumHeight(max(buttons, banner.one_line_height()))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._keep_one_height()

    def set_enabled(self, enabled: bool) -> None:
        for outcome, button in self.buttons.items():
            button.setEnabled(enabled and not (outcome is Outcome.APPROVE and self.approval_blocked))

    def set_approval_blocked(self, blocked: bool, why: str) -> None:
        """Approve is disabled while the approval policy blocks it; its tooltip says why."""
        self.approval_blocked = blocked
        approve = self.buttons[Outcome.APPROVE]
        approve.setToolTip(why if blocked else "")
        if blocked:
            approve.setEnabled(False)


class ApprovalConditions(QLabel):
    """Before the decision: which conditions of the approval policy hold, and what each requires."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("approvalConditions")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.findings: list[Finding] = []
        self.show_findings([], "en")

    @property
    def blocked(self) -> bool:
        return any(finding.requires is Requirement.BLOCK for finding in self.findings)

    def show_findings(self, findings: list[Finding], language: str) -> None:
        self.findings = list(findings)
        if not findings:  # empty and plain, not hidden: showing it again cost a relayout at each take
            self.setText("")
            style.restyle(self, "")
            return
        if self.blocked:
            heading, colour = self.tr("Approval blocked"), style.BAD
        elif any(finding.requires is Requirement.OVERRIDE for finding in findings):
            heading, colour = self.tr("Approval only with an override"), style.CAUTION
        else:
            heading, colour = self.tr("Warnings"), style.CAUTION
        order = {Requirement.BLOCK: 0, Requirement.OVERRIDE: 1, Requirement.WARN: 2}
        items = "".join(
            f"<li>{finding_text(finding, language)}: <b>{requirement_text(finding.requires)}</b></li>"
            for finding in sorted(findings, key=lambda finding: order[finding.requires])
        )
        # A list indented less than Qt's 40 px, in the narrow column beside the form. (A table
        # for the bullets took twice as long to lay out at each change, 5 ms.)
        self.setText(
            f"<b>{heading}</b><ul style='margin-top: 0; margin-bottom: 0; margin-left: -22px'>{items}</ul>"
        )
        style.restyle(
            self,
            f"QLabel#approvalConditions {{ color: {colour}; background: #fdf6ec; border: 1px solid {colour};"
            " border-radius: 4px; padding: 4px 8px; }",
        )
        self.setVisible(True)

    def plain_text(self) -> str:
        return "\n".join(f"{finding.rule.id}: {finding.requires.value}" for finding in self.findings)


class DecisionDialog(QDialog):
    """Composes a DecisionDraft, shows what will be recorded, and refuses what the bank forbids."""

    def __init__(self, outcome: Outcome, context: DecisionContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outcome = outcome
        self.context = context
        self.draft: DecisionDraft | None = None
        self.setWindowTitle(self.tr("Record decision: {0}").format(outcome_text(outcome)))
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        heading = QLabel(
            self.tr("{0}: the application of {1}").format(outcome_text(outcome), context.applicant_name)
        )
        heading.setStyleSheet("font-size: 16px; font-weight: 600;")
        layout.addWidget(heading)

        self.reason_boxes: dict[RejectReason, QCheckBox] = {}
        if outcome is Outcome.REJECT:
            layout.addWidget(QLabel(self.tr("Reason codes (at least one):")))
            for reason in RejectReason:
                box = QCheckBox(reason_text(reason))
                box.setChecked(reason in context.suggested_reasons)
                box.toggled.connect(self._refresh)
                self.reason_boxes[reason] = box
                layout.addWidget(box)

        self.findings = context.findings() if outcome is Outcome.APPROVE else []
        self.exceptions = self._approval_exceptions()
        self.override_edit = QLineEdit()
        self.override_code_combo = QComboBox()
        if self.findings:
            conditions = QLabel(
                self.tr("Conditions of this review:")
                + "<ul>"
                + "".join(
                    f"<li>{finding_text(finding, context.language)}"
                    f" <i>({requirement_text(finding.requires)})</i></li>"
                    for finding in self.findings
                )
                + "</ul>"
            )
            conditions.setWordWrap(True)
            conditions.setStyleSheet(f"color: {style.BAD};")
            layout.addWidget(conditions)
        elif self.exceptions:
            warning = QLabel(
                self.tr("Approval is normally refused here:")
                + "<ul>"
                + "".join(f"<li>{item}</li>" for item in self.exceptions)
                + "</ul>"
            )
            warning.setWordWrap(True)
            warning.setStyleSheet(f"color: {style.BAD};")
            layout.addWidget(warning)
        if self.exceptions:
            if context.policy is not None:
                layout.addWidget(QLabel(self.tr("Override reason code:")))
                self.override_code_combo.addItem(self.tr("Choose…"), "")
                for code in context.policy.override_codes:
                    self.override_code_combo.addItem(code.label(context.language), code.code)
                self.override_code_combo.currentIndexChanged.connect(self._refresh)
                layout.addWidget(self.override_code_combo)
            layout.addWidget(
                QLabel(
                    self.tr("Reason to approve anyway, at least a sentence (recorded; a supervisor is told):")
                )
            )
            self.override_edit.textChanged.connect(self._refresh)
            layout.addWidget(self.override_edit)

        layout.addWidget(QLabel(self.tr("Note (optional):")))
        self.note_edit = QPlainTextEdit()
        self.note_edit.setFixedHeight(64)
        self.note_edit.setTabChangesFocus(True)  # Tab moves on to the buttons, as everywhere else
        self.note_edit.textChanged.connect(self._refresh)
        layout.addWidget(self.note_edit)

        recorded = QLabel(self.tr("What will be recorded"))
        recorded.setObjectName("caption")
        layout.addWidget(recorded)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setStyleSheet(f"background: {style.PANEL}; padding: 8px; border-radius: 4px;")
        layout.addWidget(self.summary_label)
        self.error_label = QLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        layout.addWidget(self.error_label)

        self.buttons = QDialogButtonBox()
        self.record_button = self.buttons.addButton(
            self.tr("Record decision"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.record_button.setObjectName("primary")
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._record)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(self._record)
        self.follow_timer = QTimer(self)
        self.follow_timer.setInterval(1000)
        self.follow_timer.timeout.connect(self.follow_review)
        if context.current is not None:
            self.follow_timer.start()
        self._refresh()

    def follow_review(self) -> None:
        """The summary follows the review while the dialog is open (scores, answers, flags);
        the window checks the decision against the review as it stands when it is recorded."""
        current = self.context.current
        fresh = current() if current is not None else None
        if fresh is None:  # the review is over
            self.follow_timer.stop()
            return
        self.context = fresh
        self._refresh()

    @classmethod
    def ask(cls, parent: QWidget | None, outcome: Outcome, context: DecisionContext) -> DecisionDraft | None:
        """Show the dialog; the draft the reviewer confirmed, or None. Tests replace this."""
        dialog = cls(outcome, context, parent)
        try:
            return dialog.draft if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    @classmethod
    def warm_up(cls, parent: QWidget, applicant_name: str) -> None:
        """Build and draw one dialog where nobody sees it, at start-up: the first dialog of a
        session took 12-13 ms of the Qt thread to build and show (its widgets' style rules
        and fonts, first used), later ones 4-5 ms (docs/responsiveness.md)."""
        sample = DecisionContext(
            applicant_name=applicant_name,
            missing_required_answers=[],
            face=FaceSummary(best_similarity=80.0, last_similarity=80.0, matched=True, liveness="passed"),
            answers_given=0,
        )
        dialog = cls(Outcome.REJECT, sample, parent)  # the reason codes: every kind of widget
        dialog.grab()
        dialog.deleteLater()

    def _approval_exceptions(self) -> list[str]:
        if self.outcome is not Outcome.APPROVE:
            return []
        if self.context.policy is not None:
            return [
                finding.rule.label(self.context.language)
                for finding in self.findings
                if finding.requires is Requirement.OVERRIDE
            ]
        items = []
        if self.context.missing_required_answers:
            items.append(
                self.tr("Required answers missing: {0}").format(
                    "; ".join(self.context.missing_required_answers)
                )
            )
        if not self.context.face.matched:
            items.append(self.tr("The face has not matched the ID photo"))
        return items

    def current_draft(self) -> DecisionDraft:
        reasons = tuple(reason for reason, box in self.reason_boxes.items() if box.isChecked())
        return DecisionDraft(
            outcome=self.outcome,
            reasons=reasons,
            note=self.note_edit.toPlainText().strip(),
            override_reason=self.override_edit.text().strip() if self.exceptions else "",
            override_code=str(self.override_code_combo.currentData() or "") if self.exceptions else "",
            face=self.context.face,
        )

    def refusal(self, draft: DecisionDraft) -> str:
        """Why the bank's rules refuse the draft, in the reviewer's language ("" when allowed)."""
        policy, facts = self.context.policy, self.context.facts
        if policy is None or facts is None:
            return decision_refusal(draft, self.context.missing_required_answers, self.context.face.matched)
        # The approval policy judges approvals; check_decision the rest (reason codes, the note).
        return decision_refusal(draft, [], True) or approval_refusal(
            policy, draft, facts, self.context.language
        )

    def _refresh(self) -> None:
        draft = self.current_draft()
        rows = [(self.tr("Decision"), outcome_text(draft.outcome))]
        if self.outcome is Outcome.REJECT:
            rows.append(
                (
                    self.tr("Reasons"),
                    ", ".join(reason_text(r) for r in draft.reasons) or self.tr("(none chosen)"),
                )
            )
        if draft.override_reason or draft.override_code:
            rows.append((self.tr("Approved despite"), "; ".join(self.exceptions)))
            if draft.override_code:
                rows.append((self.tr("Reason code"), self.override_code_combo.currentText()))
            rows.append((self.tr("Because"), draft.override_reason or "–"))
        rows.append((self.tr("Note"), draft.note or "–"))
        rows.append((self.tr("Face"), face_summary_text(draft.face)))
        rows.append(
            (
                self.tr("Answers"),
                self.tr("{0} given, {1} required missing").format(
                    self.context.answers_given, len(self.context.missing_required_answers)
                ),
            )
        )
        if self.context.red_flags:
            rows.append((self.tr("Red flags"), "; ".join(self.context.red_flags)))
        self.summary_label.setText("<br>".join(f"<b>{key}:</b> {value}" for key, value in rows))
        self.error_label.setText("")
        self.fit()

    def fit(self) -> None:
        """As tall as its word-wrapped texts need at its width: a top-level window's size hint
        ignores height-for-width, and the summary and the conditions were cut off."""
        layout = self.layout()
        if layout is None:
            return
        width = max(self.width(), self.minimumWidth())
        needed = layout.totalHeightForWidth(width)
        screen = self.screen()
        if screen is not None:
            # On a small screen (1024x768) wider rather than cut: the texts wrap into fewer lines.
            room = screen.availableGeometry()
            while needed > room.height() - 40 and width + 80 <= room.width() - 20:
                width += 80
                needed = layout.totalHeightForWidth(width)
            needed = min(needed, room.height() - 40)
        if needed > self.height() or width > self.width():
            self.resize(width, max(needed, self.height()))

    def _record(self) -> None:
        draft = self.current_draft()
        refusal = self.refusal(draft)
        if refusal:
            self.error_label.setText(refusal)
            return
        self.draft = draft
        self.accept()


class SaveBanner(QFrame):
    """Shows a decision being saved, saved, or not saved (with the error and Retry)."""

    retry_requested = Signal()
    close_requested = Signal()  # the review ended without a decision the window can record

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.retry_button = QPushButton(self.tr("Retry saving"))
        self.retry_button.clicked.connect(self.retry_requested)
        self.close_button = QPushButton(self.tr("Close this review"))
        self.close_button.clicked.connect(self.close_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.close_button)
        # Hidden until a state shows them: the hidden banner keeps its room (DecisionBar), and
        # that room was a button's height, so the first "Saving" (a line of text, shorter)
        # shrank the decision row and every panel of the window moved, laid out and repainted
        # again in the decision's turn (15 ms of the Qt thread).
        self.retry_button.hide()
        self.close_button.hide()
        self.state = "hidden"
        self.hide_banner()

    def one_line_height(self) -> int:
        """The banner's height with a one-line message and no button (DecisionBar keeps its room)."""
        text = self.label.text()
        self.label.setText("Saving 保存 Wang Fang 王芳")  # a Chinese name or text: a taller line
        height = self.sizeHint().height()
        self.label.setText(text)
        return height

    def _show(self, state: str, text: str, colour: str, background: str, retry: bool) -> None:
        self.state = state
        self.label.setText(text)
        style.restyle(self, f"QFrame#banner {{ background: {background}; }} QLabel {{ color: {colour}; }}")
        self.retry_button.setVisible(retry)
        self.close_button.setVisible(state == "ended_by_service")
        self.setVisible(True)

    def hide_banner(self) -> None:
        self.state = "hidden"
        self.label.clear()  # its kept room shrinks back after a message of several lines
        self.setVisible(False)

    def saving(self, outcome: Outcome) -> None:
        self._show(
            "saving",
            self.tr("Saving the decision ({0})…").format(outcome_text(outcome)),
            style.TEXT,
            "#e8eef4",
            False,
        )

    def saved(self, outcome: Outcome, name: str) -> None:
        self._show(
            "saved",
            self.tr("Decision recorded: {0} for {1}. Ready for the next applicant.").format(
                outcome_text(outcome), name
            ),
            style.GOOD,
            "#e9f4ea",
            False,
        )

    def failed(self, outcome: Outcome, error: str) -> None:
        self._show(
            "failed",
            self.tr("The decision ({0}) could not be saved: {1}. It stays here until it is saved.").format(
                outcome_text(outcome), error
            ),
            style.BAD,
            "#fbeaea",
            True,
        )

    def ended_by_service(self, message: str) -> None:
        self._show("ended_by_service", message, style.BAD, "#fbeaea", False)

    def refused(self, message: str) -> None:
        self._show("refused", message, style.BAD, "#fbeaea", False)
