"""The questionnaire form, generated from the questionnaire file: required answers marked,
invalid values refused in place, and the derived figures and red flags beside it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.errors import InvalidAnswer
from app.money import InvalidMoney, MoneyProblem, parse_money
from app.questionnaire import AnswerValue, Question, Questionnaire, QuestionType, RepaymentFigures
from ui import style
from ui.application_panel import money_text


class WholeChoiceCombo(QComboBox):
    """A drop-down never narrower than its longest choice (in the font it is shown in): the
    labels' column gives way and wraps instead."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(max(160, hint.width()), hint.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self.sizeHint().width(), super().minimumSizeHint().height())


class QuestionnaireForm(QWidget):
    """Emits answer_changed(question_id, value) for every accepted answer; value None when cleared.
    A money field is checked as it is typed (typed() then; the answer is taken when it is left);
    what was typed is never changed: invalid text stays, marked invalid, with the reason."""

    answer_changed = Signal(str, object)
    typed = Signal(str)  # a money field now holds a valid amount (not yet taken as the answer)

    def __init__(self, questionnaire: Questionnaire, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.questionnaire = questionnaire
        self.language = language
        self.answers: dict[str, AnswerValue] = {}
        self._editors: dict[str, QWidget] = {}
        self._errors: dict[str, QLabel] = {}
        self._yes_no: dict[str, QButtonGroup] = {}
        self._hints: dict[str, QLabel] = {}
        # Money as currently typed and valid (None: the field is empty), until the field is left.
        self._typed: dict[str, Decimal | None] = {}
        # Each question's row (its label, and the cell with its editor, error and hint), made
        # the first time the question is asked and kept: making and styling a whole form's
        # widgets each time an applicant was taken held the Qt thread for 30-70 ms.
        self._rows: dict[str, tuple[QLabel, QWidget]] = {}
        self._placed: list[str] = []  # the questions in the grid's rows, top to bottom
        self._row_stops: dict[str, list[QWidget]] = {}  # each row's Tab stops, in order
        # The Tab stops just before and after the form in its window: found once, when the form
        # is first shown (walking the focus chain at each take took about 10 ms).
        self._leader: QWidget | None = None
        self._followers: list[QWidget] | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self._body = QWidget()
        outer.addWidget(self._body)
        self._grid = QGridLayout(self._body)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setVerticalSpacing(6)
        self._grid.setHorizontalSpacing(12)
        self._grid.setColumnStretch(0, 3)
        self._grid.setColumnStretch(1, 2)
        # The answers always keep room: at 1024x768 the column used to be pushed out of sight.
        self._grid.setColumnMinimumWidth(1, 160)
        self._place_rows()

    def _place_rows(self) -> None:
        """Lay out exactly this questionnaire's questions, numbered in its order; the rows of
        questions not asked now stay hidden. Only rows whose place changed are moved: putting
        every row back into the grid at each take re-showed and re-measured each of them (their
        rich-text labels anew), 3-4 ms of the take's busiest turn."""
        grid = self._grid
        wanted = [question.id for question in self.questionnaire]
        for index, question in enumerate(self.questionnaire):
            label, cell = self._row(question)
            text = self._label_text(index + 1, question)
            if label.text() != text:
                label.setText(text)
            if index < len(self._placed) and self._placed[index] == question.id:
                continue
            grid.removeWidget(label)
            grid.removeWidget(cell)
            grid.addWidget(label, index, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(cell, index, 1, Qt.AlignmentFlag.AlignTop)
        for qid in set(self._placed) - set(wanted):
            label, cell = self._rows[qid]
            grid.removeWidget(label)
            grid.removeWidget(cell)
        self._placed = wanted
        for qid, (label, cell) in self._rows.items():
            # Only what changes: each setVisible on a row costs a show or hide event and a relayout.
            if label.isHidden() == (qid in wanted):
                label.setVisible(qid in wanted)
                cell.setVisible(qid in wanted)

    def _row(self, question: Question) -> tuple[QLabel, QWidget]:
        row = self._rows.get(question.id)
        if row is None:
            label = QLabel(self._body)
            label.setWordWrap(True)
            label.setMinimumWidth(110)  # wraps: the answers keep their whole width
            if question.required:
                label.setToolTip(self.tr("Required before approval"))
            editor = self._make_editor(question)
            error = QLabel()
            error.setObjectName("fieldError")
            error.setVisible(False)
            error.setWordWrap(True)
            hint = QLabel()
            hint.setObjectName("caption")
            hint.setVisible(False)
            self._hints[question.id] = hint
            cell = QWidget(self._body)
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(editor)
            column.addWidget(error)
            column.addWidget(hint)
            self._editors[question.id] = editor
            self._errors[question.id] = error
            # Not the children of a drop-down's list, which is a window of its own.
            inside = [w for w in editor.findChildren(QWidget) if w.window() is editor.window()]
            self._row_stops[question.id] = self._tab_stops([editor, *inside])
            row = self._rows[question.id] = (label, cell)
        return row

    def ask(self, questionnaire: Questionnaire) -> None:
        """Show exactly these questions, in this order (the ones drawn for the session), with no
        answers; Tab goes from what precedes the form through them in that order, then on to
        what follows the form."""
        self._find_neighbours()
        self.questionnaire = questionnaire
        self._place_rows()
        self.reset()
        previous = self._leader
        for question in questionnaire:
            for widget in self._row_stops[question.id]:
                if previous is not None:
                    QWidget.setTabOrder(previous, widget)
                previous = widget
        if previous is not None:
            for widget in self._followers or []:
                QWidget.setTabOrder(previous, widget)
                previous = widget

    def _tab_stops(self, widgets: list[QWidget]) -> list[QWidget]:
        return [w for w in widgets if w.focusPolicy() & Qt.FocusPolicy.TabFocus]

    def _tab_followers(self) -> list[QWidget]:
        """The Tab stops after the form in its window, in order."""
        followers: list[QWidget] = []
        widget = self.nextInFocusChain()
        window = self.window()
        while widget is not None and widget is not window and widget is not self:
            if not self.isAncestorOf(widget):
                followers.append(widget)
            widget = widget.nextInFocusChain()
        return self._tab_stops(followers)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._find_neighbours()  # before the first applicant is taken

    def _find_neighbours(self) -> None:
        """The Tab stops before and after the form; the rows stay where they are in the chain."""
        if self._followers is None:
            self._leader, self._followers = self._tab_leader(), self._tab_followers()

    def _tab_leader(self) -> QWidget | None:
        """The last Tab stop before the form in its window."""
        widget = self.previousInFocusChain()
        window = self.window()
        while widget is not None and widget is not window and widget is not self:
            if not self.isAncestorOf(widget) and self._tab_stops([widget]):
                return widget
            widget = widget.previousInFocusChain()
        return None

    @property
    def question_ids(self) -> list[str]:
        """The questions on the form, in the order asked."""
        return [question.id for question in self.questionnaire]

    def _label_text(self, number: int, question: Question) -> str:
        text = f"{number}. {question.text(self.language)}"
        if question.required:
            return f"{text} <span style='color:{style.BAD}'>*</span>"
        return self.tr("{0} (optional)").format(text)

    def _make_editor(self, question: Question) -> QWidget:
        qid = question.id
        if question.type is QuestionType.YES_NO:
            box = QWidget()
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            group = QButtonGroup(box)
            for value, text in ((True, self.tr("Yes")), (False, self.tr("No"))):
                button = QRadioButton(text)
                button.setProperty("answer", value)
                group.addButton(button)
                row.addWidget(button)
            row.addStretch(1)
            group.buttonClicked.connect(lambda button, qid=qid: self._accept(qid, button.property("answer")))
            self._yes_no[qid] = group
            return box
        if question.type is QuestionType.CHOICE:
            combo = WholeChoiceCombo()
            # As wide as its longest choice ("Self-employed / business owner" was cut at the
            # right edge); the form scrolls sideways in a window too narrow for it.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.addItem(self.tr("Choose…"), "")
            for choice in question.choices:
                label = choice.label.get(self.language) or choice.label.get("en") or choice.value
                combo.addItem(label, choice.value)
            combo.currentIndexChanged.connect(lambda _index, qid=qid, combo=combo: self._choice(qid, combo))
            return combo
        line = QLineEdit()
        if question.type is QuestionType.MONEY:
            line.setPlaceholderText(self.tr("amount, e.g. 8500.00 or 1.2万"))
            # No validator: it would drop what the reviewer typed ("-500" as 500). Checked as typed.
            line.textChanged.connect(lambda text, qid=qid: self._money_typed(qid, text))
            line.editingFinished.connect(lambda qid=qid, line=line: self._money(qid, line.text()))
        else:
            line.setMaxLength(question.max_length)
            line.editingFinished.connect(lambda qid=qid, line=line: self._text(qid, line.text()))
        return line

    # --- answers coming in ---

    def _choice(self, qid: str, combo: QComboBox) -> None:
        value = combo.currentData()
        if value:
            self._accept(qid, value)
        else:
            self._clear(qid)

    def _money_problem(self, problem: MoneyProblem) -> str:
        return {
            MoneyProblem.EMPTY: self.tr("Enter an amount of money, e.g. 8500.00"),
            MoneyProblem.NEGATIVE: self.tr("Not valid: an amount cannot be negative"),
            MoneyProblem.EXPONENT: self.tr("Not valid: write the amount in full digits, e.g. 1000000000"),
            MoneyProblem.CHINESE_NUMERALS: self.tr(
                "Not valid: write the amount in digits, e.g. 12000 or 1.2万, not in Chinese numerals"
            ),
            MoneyProblem.GROUPING: self.tr("Not valid: thousands separators group three digits, e.g. 12,000"),
            MoneyProblem.TOO_MANY_DECIMALS: self.tr("Not valid: at most two decimals"),
            MoneyProblem.NOT_AN_AMOUNT: self.tr(
                "Not valid: only digits, one decimal point, thousands separators and 千/万/亿"
            ),
        }[problem]

    def _check_money(self, qid: str, text: str) -> Decimal | str:
        """The amount the text says, or why it is refused (in the reviewer's language)."""
        question = self.questionnaire.question(qid)
        try:
            amount = parse_money(text)
        except InvalidMoney as error:
            return self._money_problem(error.problem)
        if question.minimum is not None and amount < question.minimum:
            return self.tr("At least {0}").format(money_text(question.minimum))
        if question.maximum is not None and amount > question.maximum:
            return self.tr("At most {0}").format(money_text(question.maximum))
        return amount

    def _show_hint(self, qid: str, text: str, amount: Decimal | None) -> None:
        """How an amount in another form was read ("1.2万" = 12,000.00), under the field."""
        hint = self._hints[qid]
        plain = amount is None or all(char in "0123456789.," for char in text.strip())
        hint.setText("" if plain or amount is None else self.tr("= {0}").format(money_text(amount)))
        hint.setVisible(bool(hint.text()))

    def _money_typed(self, qid: str, text: str) -> None:
        if not text.strip():
            self._typed[qid] = None
            self._show_error(qid, "")
            self._show_hint(qid, text, None)
            self.typed.emit(qid)
            return
        checked = self._check_money(qid, text)
        if isinstance(checked, str):
            self._typed.pop(qid, None)
            self._show_hint(qid, text, None)
            self._refuse(qid, checked)
            self.typed.emit(qid)
            return
        self._typed[qid] = checked
        self._show_error(qid, "")
        self._show_hint(qid, text, checked)
        self.typed.emit(qid)

    def _money(self, qid: str, text: str) -> None:
        self._typed.pop(qid, None)
        if not text.strip():
            self._clear(qid)
            return
        checked = self._check_money(qid, text)
        if isinstance(checked, str):
            self._refuse(qid, checked)
            return
        self._accept(qid, checked)

    def _text(self, qid: str, text: str) -> None:
        if not text.strip():
            self._clear(qid)
        else:
            self._accept(qid, text)

    def _accept(self, qid: str, raw: object) -> None:
        try:
            value = self.questionnaire.parse_answer(qid, raw)
        except InvalidAnswer as error:
            self._refuse(qid, str(error))
            return
        self._show_error(qid, "")
        if self.answers.get(qid) != value or qid not in self.answers:
            self.answers[qid] = value
            self.answer_changed.emit(qid, value)

    def _clear(self, qid: str) -> None:
        self._show_error(qid, "")
        if qid in self.answers:
            del self.answers[qid]
            self.answer_changed.emit(qid, None)

    def _refuse(self, qid: str, message: str) -> None:
        """The value is not taken: the previous answer (if any) is withdrawn, the field says why."""
        self._show_error(qid, message)
        if qid in self.answers:
            del self.answers[qid]
            self.answer_changed.emit(qid, None)

    def _show_error(self, qid: str, message: str) -> None:
        label = self._errors[qid]
        label.setText(message)
        label.setVisible(bool(message))
        editor = self._editors[qid]
        if isinstance(editor, QLineEdit) and bool(editor.property("invalid")) != bool(message):
            editor.setProperty("invalid", bool(message))
            editor.style().unpolish(editor)  # the style sheet's [invalid="true"] rule
            editor.style().polish(editor)

    # --- for the window and for tests ---

    def error_for(self, qid: str) -> str:
        return self._errors[qid].text()

    def editor(self, qid: str) -> QWidget:
        return self._editors[qid]

    def enter(self, qid: str, raw: object) -> None:
        """Answer as a reviewer would: click the radio button, pick the choice, type and leave the field."""
        if qid not in self.question_ids:
            raise ValueError(f"{qid!r} is not asked in this session: its row is hidden")
        editor = self._editors[qid]
        if qid in self._yes_no:
            for button in self._yes_no[qid].buttons():
                if button.property("answer") == raw:
                    button.click()
            return
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(raw)))
            return
        assert isinstance(editor, QLineEdit)
        editor.setText(str(raw))
        editor.editingFinished.emit()

    def current_answers(self) -> dict[str, AnswerValue]:
        """The answers with money as currently typed (valid only): what derived figures use."""
        answers = dict(self.answers)
        for qid, amount in self._typed.items():
            if amount is None:
                answers.pop(qid, None)
            else:
                answers[qid] = amount
        return answers

    def invalid(self) -> list[str]:
        """The questions whose field shows invalid text (a decision waits until it is corrected)."""
        return [qid for qid, label in self._errors.items() if label.text()]

    def invalid_prompts(self, *, feeding_figures: bool = False) -> list[str]:
        questions = [self.questionnaire.question(qid) for qid in self.invalid()]
        return [q.text(self.language) for q in questions if q.figure or not feeding_figures]

    def missing_required(self) -> list[str]:
        return self.questionnaire.missing_required(self.answers)

    def missing_required_prompts(self) -> list[str]:
        return [self.questionnaire.question(qid).text(self.language) for qid in self.missing_required()]

    def reset(self) -> None:
        self.answers.clear()
        for qid, editor in self._editors.items():
            self._show_error(qid, "")
            self._show_hint(qid, "", None)
            if qid in self._yes_no:
                group = self._yes_no[qid]
                group.setExclusive(False)
                for button in group.buttons():
                    button.setChecked(False)
                group.setExclusive(True)
            elif isinstance(editor, QComboBox):
                editor.blockSignals(True)
                editor.setCurrentIndex(0)
                editor.blockSignals(False)
            elif isinstance(editor, QLineEdit):
                editor.blockSignals(True)
                editor.clear()
                editor.blockSignals(False)
        self._typed.clear()


class FiguresPanel(QGroupBox):
    """Instalment, debt-to-income after the new loan, answers still missing, and red flags."""

    def __init__(self, max_debt_to_income: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Repayment figures and red flags"))
        self.setMaximumWidth(300)
        self.max_debt_to_income = max_debt_to_income
        self.instalment_label = QLabel()
        self.income_label = QLabel()
        self.ratio_label = QLabel()
        self.missing_label = QLabel()
        self.missing_label.setWordWrap(True)
        self.flags_label = QLabel()
        self.flags_label.setWordWrap(True)
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # narrow windows: value below
        for text, value in (
            (self.tr("Monthly instalment"), self.instalment_label),
            (self.tr("Monthly income"), self.income_label),
            (self.tr("Debt-to-income after this loan"), self.ratio_label),
        ):
            # The names wrap, the figures never: "18,000.00" was cut at the panel's edge.
            name = QLabel(text)
            name.setWordWrap(True)
            value.setMinimumWidth(value.fontMetrics().horizontalAdvance("999,999.99"))
            form.addRow(name, value)
        form.addRow(self.missing_label)
        form.addRow(self.flags_label)
        self.red_flags: tuple[str, ...] = ()
        self.clear()

    def clear(self) -> None:
        for label in (self.instalment_label, self.income_label, self.ratio_label):
            label.setText("–")
            style.restyle(label, "")
        self.missing_label.setText("")
        self.flags_label.setText("")
        self.red_flags = ()

    def show_figures(
        self, figures: RepaymentFigures, missing: int, invalid_inputs: Sequence[str] = ()
    ) -> None:
        """invalid_inputs: the prompts of inputs to the figures whose text is not valid: the
        figures they feed are not shown, and the panel says why."""
        self.instalment_label.setText(money_text(figures.monthly_instalment))
        self.income_label.setText(
            "–" if figures.monthly_income is None else money_text(figures.monthly_income)
        )
        style.restyle(self.income_label, "")
        if invalid_inputs:
            why = self.tr("not shown: {0} is not valid").format("; ".join(invalid_inputs))
            for label in (self.income_label, self.ratio_label):
                label.setText(why)
                label.setWordWrap(True)
                style.restyle(label, f"color: {style.BAD};")
        elif figures.debt_to_income is None:
            self.ratio_label.setText("–")
            style.restyle(self.ratio_label, "")
        else:
            over = figures.debt_to_income > Decimal(str(self.max_debt_to_income))
            self.ratio_label.setText(f"{figures.debt_to_income:.0%}")
            style.restyle(self.ratio_label, f"color: {style.BAD if over else style.GOOD}; font-weight: 600;")
        self.missing_label.setText(
            self.tr("Required answers missing: {0}").format(missing)
            if missing
            else self.tr("All required answers given")
        )
        style.restyle(self.missing_label, f"color: {style.CAUTION if missing else style.GOOD};")
        self.red_flags = figures.red_flags
        if figures.red_flags:
            self.flags_label.setText(
                "<b>"
                + self.tr("Red flags")
                + "</b><br>"
                + "<br>".join("⚑ " + flag for flag in figures.red_flags)
            )
            style.restyle(self.flags_label, f"color: {style.BAD};")
        else:
            self.flags_label.setText(self.tr("No red flags"))
            style.restyle(self.flags_label, f"color: {style.NEUTRAL};")
