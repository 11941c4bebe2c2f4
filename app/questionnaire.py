"""The repayment-ability questionnaire: loaded from a data file, answers checked, figures derived."""

from __future__ import annotations

import enum
import random
import re
import secrets
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.errors import InvalidAnswer, InvalidDecision
from app.money import parse_money

AnswerValue = bool | str | Decimal

# What the application holds that an identity question's answer is checked against
# (ApplicationFacts): the last 4 characters of the ID number, the amount and the term applied for.
FACTS = ("national_id_last4", "amount", "term_months", "date_of_birth")
ApplicationFacts = Mapping[str, object]

_DRAW = secrets.SystemRandom()


def application_facts(
    *, masked_national_id: str, amount: Decimal, term_months: int, date_of_birth: date | None = None
) -> dict[str, object]:
    """The facts of an application as the identity questions compare them; absent: not on file."""
    facts: dict[str, object] = {"amount": amount, "term_months": term_months}
    last4 = masked_national_id.strip()[-4:]
    if len(last4) == 4 and "*" not in last4:
        facts["national_id_last4"] = last4.upper()
    if date_of_birth is not None:
        facts["date_of_birth"] = date_of_birth
    return facts


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
    # The pool it belongs to: a session asks only some of a pool's questions (Pool.ask).
    pool: str | None = None
    # An identity question: the answer is what the applicant said, compared with this fact of
    # the application (FACTS) where the application has it; a difference is a red flag.
    expects: str | None = None
    mismatch: Mapping[str, str] = field(default_factory=dict)

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

    def differs_from(self, value: AnswerValue, facts: ApplicationFacts) -> bool:
        """True when the answer contradicts the application's fact; False when it agrees or the
        application does not have that fact."""
        if self.expects is None or facts.get(self.expects) is None:
            return False
        fact = facts[self.expects]
        if isinstance(fact, Decimal):
            try:
                return parse_money(str(value)) != fact
            except ValueError:
                return True
        if isinstance(fact, date):
            return _date_said(str(value)) != fact
        if isinstance(fact, int):
            return [int(n) for n in re.findall(r"\d+", str(value))] != [fact]
        said = re.sub(r"[\s\-/.]", "", str(value)).upper()
        return said != str(fact).upper()


def _date_said(text: str) -> date | None:
    """A date as a reviewer types it: 1990-01-31, 1990/1/31, 19900131, 1990年1月31日."""
    digits = [int(part) for part in re.findall(r"\d+", text)]
    try:
        if len(digits) == 1 and len(str(digits[0])) == 8:
            whole = str(digits[0])
            return date(int(whole[:4]), int(whole[4:6]), int(whole[6:]))
        if len(digits) == 3:
            return date(digits[0], digits[1], digits[2])
    except ValueError:
        return None
    return None


@dataclass(frozen=True)
class Pool:
    """Questions of which each session asks `ask`, drawn at random, in a random order."""

    id: str
    ask: int


def _localised(texts: Mapping[str, str], language: str) -> str:
    return (
        texts.get(language)
        or texts.get(language.split("_", maxsplit=1)[0])
        or texts.get("en")
        or next(iter(texts.values()))
    )


_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class QuestionsNoLongerInFile(InvalidDecision):
    """A session was asked questions the questionnaire file no longer has."""


class Questionnaire:
    def __init__(self, questions: list[Question], pools: Sequence[Pool] = ()) -> None:
        ids = [question.id for question in questions]
        duplicates = {qid for qid in ids if ids.count(qid) > 1}
        if duplicates:
            raise ValueError(f"questionnaire: duplicate question ids {sorted(duplicates)}")
        self.questions = questions
        self.pools = {pool.id: pool for pool in pools}
        self._by_id = {question.id: question for question in questions}
        for pool in pools:
            members = [q for q in questions if q.pool == pool.id]
            if not 1 <= pool.ask <= len(members):
                raise ValueError(
                    f"questionnaire: pool {pool.id!r} asks {pool.ask} of its {len(members)} questions"
                )
        unknown = {q.pool for q in questions if q.pool is not None} - set(self.pools)
        if unknown:
            raise ValueError(f"questionnaire: questions name pools that are not defined: {sorted(unknown)}")

    def draw(self, rng: random.Random = _DRAW) -> tuple[str, ...]:
        """The questions one session asks, in the order asked: every question outside a pool in
        the file's order; where a pool's first question stands, `ask` of its questions drawn
        with the operating system's randomness, in a random order (no reviewer can predict them)."""
        asked: list[str] = []
        drawn: set[str] = set()
        for question in self.questions:
            if question.pool is None:
                asked.append(question.id)
            elif question.pool not in drawn:
                drawn.add(question.pool)
                members = [q.id for q in self.questions if q.pool == question.pool]
                asked.extend(rng.sample(members, self.pools[question.pool].ask))
        return tuple(asked)

    def asked(self, question_ids: Sequence[str], *, leave_out_unknown: bool = False) -> Questionnaire:
        """The questions a session was asked, in that order; empty: every question (a session
        from before questions were drawn). An id this file does not know (the file was edited
        after the draw) raises QuestionsNoLongerInFile: what was asked cannot be checked, and
        leaving it out would drop its requirement silently. `leave_out_unknown`: only to show
        the questions that can still be shown (the window; storage then refuses the approval)."""
        if not question_ids:
            return self
        unknown = [qid for qid in question_ids if qid not in self._by_id]
        if unknown and not leave_out_unknown:
            raise QuestionsNoLongerInFile(
                f"The questionnaire file no longer has the question(s) {', '.join(unknown)} this session "
                "was asked (it was edited after the questions were drawn); put them back in the file to "
                "approve, or decide otherwise."
            )
        # What was drawn is fixed: no pool is left to draw from.
        return Questionnaire(
            [replace(self._by_id[qid], pool=None) for qid in question_ids if qid in self._by_id]
        )

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

    def red_flags(
        self,
        answers: Mapping[str, AnswerValue],
        language: str = "en",
        facts: ApplicationFacts | None = None,
    ) -> list[str]:
        """The red flags of these answers; with the application's facts, also every identity
        answer that contradicts them."""
        flags = []
        for question in self.questions:
            rule = question.red_flag
            if rule is not None and question.id in answers and answers[question.id] == rule.equals:
                flags.append(_localised(rule.message, language))
            if facts and question.id in answers and question.differs_from(answers[question.id], facts):
                flags.append(
                    _localised(question.mismatch, language)
                    if question.mismatch
                    else f"{question.text(language)}: "
                    + ("与申请不一致" if language.startswith("zh") else "differs from the application")
                )
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
    facts: ApplicationFacts | None = None,
) -> RepaymentFigures:
    instalment = monthly_instalment(amount, term_months, annual_rate)
    income = questionnaire.figure(answers, "monthly_income")
    debt = questionnaire.figure(answers, "monthly_debt")
    flags = questionnaire.red_flags(answers, language, facts)
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
    pools = []
    for index, entry in enumerate(data.get("pool", []), start=1):
        pid = str(entry.get("id", ""))
        if not _ID.match(pid):
            raise ValueError(
                f"{path.name}: pool {index}: id {pid!r} must be lower-case letters, digits and underscores"
            )
        ask = entry.get("ask")
        if not isinstance(ask, int) or isinstance(ask, bool):
            raise ValueError(f"{path.name}: pool {pid!r}: ask must be a whole number of questions")
        pools.append(Pool(pid, ask))
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
            pool=entry.get("pool"),
            expects=entry.get("expects"),
            mismatch=dict(entry.get("mismatch", {})),
        )
        if question.expects is not None and question.expects not in FACTS:
            raise ValueError(f"{where}: expects must be one of {list(FACTS)}, not {question.expects!r}")
        flag = entry.get("red_flag")
        if flag is not None:
            equals = question.parse(flag["equals"])
            question = Question(**{**question.__dict__, "red_flag": RedFlagRule(equals, flag["message"])})
        questions.append(question)
    if not questions:
        raise ValueError(f"{path.name}: no questions")
    try:
        return Questionnaire(questions, pools)
    except ValueError as error:
        raise ValueError(f"{path.name}: {error}") from None
