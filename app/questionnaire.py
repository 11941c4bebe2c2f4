"""The repayment-ability questionnaire: loaded from a data file, answers checked, figures derived."""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.errors import InvalidAnswer
from app.money import parse_money

AnswerValue = bool | str | Decimal


class QuestionType(enum.Enum):
    YES_NO = "yes_no"
    CHOICE = "choice"
    MONEY = "money"
    TEXT = "text"


@dataclass(frozen=True)
class Choice:
    value: str
    label: Mapping[str, str]


@dataclass(frozen=True)
class RedFlagRule:
    equals: AnswerValue
    message: Mapping[str, str]


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    required: bool
    prompt: Mapping[str, str]
    choices: tuple[Choice, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    max_length: int = 500
    red_flag: RedFlagRule | None = None
    figure: str | None = None

    def text(self, language: str) -> str:
        return _localised(self.prompt, language)

    def parse(self, raw: Any) -> AnswerValue:
        """Turn what the reviewer entered into a stored value, or raise InvalidAnswer."""
        if self.type is QuestionType.YES_NO:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"yes", "y", "true", "1", "是"}:
                return True
            if text in {"no", "n", "false", "0", "否"}:
                return False
            raise InvalidAnswer(f"{self.id}: answer yes or no, not {raw!r}.")
        if self.type is QuestionType.CHOICE:
            text = str(raw).strip()
            if text not in {choice.value for choice in self.choices}:
                allowed = ", ".join(choice.value for choice in self.choices)
                raise InvalidAnswer(f"{self.id}: {raw!r} is not one of {allowed}.")
            return text
        if self.type is QuestionType.MONEY:
            if isinstance(raw, bool):
                raise InvalidAnswer(f"{self.id}: {raw!r} is not an amount of money.")
            # Exactly what was typed, or refused with the reason (app.money): never rounded.
            amount = parse_money(str(raw))
            if self.minimum is not None and amount < self.minimum:
                raise InvalidAnswer(f"{self.id}: must be at least {self.minimum}, not {amount}.")
            if self.maximum is not None and amount > self.maximum:
                raise InvalidAnswer(f"{self.id}: must be at most {self.maximum}, not {amount}.")
            return amount
        text = str(raw).strip()
        if len(text) > self.max_length:
            raise InvalidAnswer(f"{self.id}: at most {self.max_length} characters.")
        if self.required and not text:
            raise InvalidAnswer(f"{self.id}: an answer is required.")
        return text


def _localised(texts: Mapping[str, str], language: str) -> str:
    return (
        texts.get(language)
        or texts.get(language.split("_", maxsplit=1)[0])
        or texts.get("en")
        or next(iter(texts.values()))
    )


_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Questionnaire:
    def __init__(self, questions: list[Question]) -> None:
        ids = [question.id for question in questions]
        duplicates = {qid for qid in ids if ids.count(qid) > 1}
        if duplicates:
            raise ValueError(f"questionnaire: duplicate question ids {sorted(duplicates)}")
        self.questions = questions
        self._by_id = {question.id: question for question in questions}

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)

    def question(self, question_id: str) -> Question:
        try:
            return self._by_id[question_id]
        except KeyError:
            raise InvalidAnswer(f"Unknown question id {question_id!r}.") from None

    def parse_answer(self, question_id: str, raw: Any) -> AnswerValue:
        return self.question(question_id).parse(raw)

    def missing_required(self, answers: Mapping[str, AnswerValue]) -> list[str]:
        return [q.id for q in self.questions if q.required and (q.id not in answers or answers[q.id] == "")]

    def red_flags(self, answers: Mapping[str, AnswerValue], language: str = "en") -> list[str]:
        flags = []
        for question in self.questions:
            rule = question.red_flag
            if rule is not None and question.id in answers and answers[question.id] == rule.equals:
                flags.append(_localised(rule.message, language))
        return flags

    def figure(self, answers: Mapping[str, AnswerValue], name: str) -> Decimal | None:
        for question in self.questions:
            if question.figure == name and question.id in answers:
                value = answers[question.id]
                if isinstance(value, Decimal):
                    return value
        return None


@dataclass(frozen=True)
class RepaymentFigures:
    monthly_instalment: Decimal
    monthly_income: Decimal | None
    debt_to_income: Decimal | None  # existing debt plus the new instalment, over income
    red_flags: tuple[str, ...]


def monthly_instalment(amount: Decimal, term_months: int, annual_rate: float) -> Decimal:
    """The annuity payment for the loan: equal monthly instalments over the term."""
    if term_months < 1:
        raise ValueError("term_months must be at least 1")
    rate = Decimal(str(annual_rate)) / 12
    if rate == 0:
        payment = amount / term_months
    else:
        growth = (1 + rate) ** term_months
        payment = amount * rate * growth / (growth - 1)
    return payment.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def repayment_figures(
    questionnaire: Questionnaire,
    answers: Mapping[str, AnswerValue],
    *,
    amount: Decimal,
    term_months: int,
    annual_rate: float,
    max_debt_to_income: float,
    language: str = "en",
) -> RepaymentFigures:
    instalment = monthly_instalment(amount, term_months, annual_rate)
    income = questionnaire.figure(answers, "monthly_income")
    debt = questionnaire.figure(answers, "monthly_debt")
    flags = questionnaire.red_flags(answers, language)
    ratio: Decimal | None = None
    if income is not None:
        if income == 0:
            flags.append("No income" if language.startswith("en") else "无收入")
        else:
            ratio = ((debt or Decimal(0)) + instalment) / income
            ratio = ratio.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
            if ratio > Decimal(str(max_debt_to_income)):
                limit = f"{max_debt_to_income:.0%}"
                flags.append(
                    f"Debt-to-income {ratio:.0%} above {limit}"
                    if not language.startswith("zh")
                    else f"负债收入比 {ratio:.0%} 超过 {limit}"
                )
    return RepaymentFigures(instalment, income, ratio, tuple(flags))


def _decimal_or_none(raw: Any, where: str) -> Decimal | None:
    if raw is None:
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        raise ValueError(f"{where}: {raw!r} is not a number") from None


def load_questionnaire(path: Path) -> Questionnaire:
    """Read and check the questionnaire file; a mistake in it names the question and the field."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    questions = []
    for index, entry in enumerate(data.get("question", []), start=1):
        where = f"{path.name}: question {index}"
        qid = entry.get("id", "")
        if not _ID.match(str(qid)):
            raise ValueError(f"{where}: id {qid!r} must be lower-case letters, digits and underscores")
        where = f"{path.name}: question {qid!r}"
        try:
            qtype = QuestionType(entry["type"])
        except (KeyError, ValueError):
            raise ValueError(f"{where}: type must be one of {[t.value for t in QuestionType]}") from None
        prompt = entry.get("prompt")
        if not isinstance(prompt, dict) or "en" not in prompt:
            raise ValueError(f"{where}: prompt needs at least an 'en' text")
        choices = tuple(
            Choice(str(c["value"]), {k: str(v) for k, v in c.items() if k != "value"})
            for c in entry.get("choices", [])
        )
        if qtype is QuestionType.CHOICE and not choices:
            raise ValueError(f"{where}: a choice question needs choices")
        question = Question(
            id=qid,
            type=qtype,
            required=bool(entry.get("required", False)),
            prompt=prompt,
            choices=choices,
            minimum=_decimal_or_none(entry.get("min"), where),
            maximum=_decimal_or_none(entry.get("max"), where),
            max_length=int(entry.get("max_length", 500)),
            figure=entry.get("figure"),
        )
        flag = entry.get("red_flag")
        if flag is not None:
            equals = question.parse(flag["equals"])
            question = Question(**{**question.__dict__, "red_flag": RedFlagRule(equals, flag["message"])})
        questions.append(question)
    if not questions:
        raise ValueError(f"{path.name}: no questions")
    return Questionnaire(questions)
