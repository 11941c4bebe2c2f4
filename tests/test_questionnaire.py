"""The questionnaire file, answer checks, derived figures and red flags."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.errors import InvalidAnswer
from app.money import InvalidMoney, MoneyProblem, parse_money
from app.questionnaire import (
    QuestionsNoLongerInFile,
    load_questionnaire,
    monthly_instalment,
    repayment_figures,
)
from app.settings import load_settings

SETTINGS = load_settings(environ={})


@pytest.fixture(scope="module")
def questionnaire():  # type: ignore[no-untyped-def]
    return load_questionnaire(SETTINGS.questionnaire_file)


def test_the_minimum_question_set_is_there(questionnaire) -> None:  # type: ignore[no-untyped-def]
    ids = {q.id for q in questionnaire}
    for required in [
        "identity_name_confirmed",
        "identity_id_last4",
        "applied_personally",
        "third_party_present",
        "employment_status",
        "employer_or_business",
        "monthly_income",
        "existing_monthly_debt",
        "loan_purpose_confirmed",
        "repayment_source",
        "understands_terms",
    ]:
        assert required in ids
    assert all(q.text("zh") and q.text("en") for q in questionnaire)


def test_bad_answers_are_refused(questionnaire) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidAnswer, match="cannot be negative"):
        questionnaire.parse_answer("monthly_income", "-100")
    with pytest.raises(InvalidAnswer, match="not an amount"):
        questionnaire.parse_answer("monthly_income", "lots")
    with pytest.raises(InvalidAnswer, match="Unknown question id 'favourite_colour'"):
        questionnaire.parse_answer("favourite_colour", "blue")
    with pytest.raises(InvalidAnswer, match="yes or no"):
        questionnaire.parse_answer("applied_personally", "maybe")
    with pytest.raises(InvalidAnswer, match="not one of"):
        questionnaire.parse_answer("employment_status", "astronaut")
    assert questionnaire.parse_answer("monthly_income", "12,000.5") == Decimal("12000.50")
    assert questionnaire.parse_answer("applied_personally", "是") is True


def test_instalment_is_an_annuity() -> None:
    # 12,000 over 12 months at 12 % a year: 1,066.19 a month (standard annuity table).
    assert monthly_instalment(Decimal("12000"), 12, 0.12) == Decimal("1066.19")
    assert monthly_instalment(Decimal("1200"), 12, 0.0) == Decimal("100.00")


def test_figures_and_red_flags(questionnaire) -> None:  # type: ignore[no-untyped-def]
    answers = {
        "monthly_income": questionnaire.parse_answer("monthly_income", "4000"),
        "existing_monthly_debt": questionnaire.parse_answer("existing_monthly_debt", "1500"),
        "third_party_present": True,
        "repayment_source": "other_loan",
    }
    figures = repayment_figures(
        questionnaire,
        answers,
        amount=Decimal("12000"),
        term_months=12,
        annual_rate=0.12,
        max_debt_to_income=0.5,
    )
    assert figures.monthly_instalment == Decimal("1066.19")
    assert figures.debt_to_income == Decimal("0.642")
    assert "Third party present" in figures.red_flags
    assert "Repays with another loan" in figures.red_flags
    assert any("Debt-to-income 64%" in flag for flag in figures.red_flags)
    missing = questionnaire.missing_required(answers)
    assert "applied_personally" in missing and "monthly_income" not in missing
    calm = repayment_figures(
        questionnaire,
        {"monthly_income": Decimal("20000")},
        amount=Decimal("12000"),
        term_months=12,
        annual_rate=0.12,
        max_debt_to_income=0.5,
    )
    assert calm.red_flags == ()


def test_a_broken_questionnaire_file_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "q.toml"
    path.write_text('[[question]]\nid = "x"\ntype = "slider"\nprompt = { en = "X" }\n')
    with pytest.raises(ValueError, match="question 'x': type must be"):
        load_questionnaire(path)
    path.write_text('[[question]]\nid = "x"\ntype = "choice"\nprompt = { en = "X" }\n')
    with pytest.raises(ValueError, match="needs choices"):
        load_questionnaire(path)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1.2万", "12000.00"),
        ("１２０００", "12000.00"),
        ("12,000.5", "12000.50"),
        ("¥8500元", "8500.00"),
        ("3千", "3000.00"),
        ("0.5亿", "50000000.00"),
    ],
)
def test_money_in_chinese_forms_is_understood_exactly(typed: str, amount: str) -> None:
    assert parse_money(typed) == Decimal(amount)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("-500", MoneyProblem.NEGATIVE),
        ("abc12x", MoneyProblem.NOT_AN_AMOUNT),
        ("1e9", MoneyProblem.EXPONENT),
        ("一万二", MoneyProblem.CHINESE_NUMERALS),
        ("12.345", MoneyProblem.TOO_MANY_DECIMALS),
        ("1,2", MoneyProblem.GROUPING),
        ("", MoneyProblem.EMPTY),
    ],
)
def test_money_that_says_no_clear_amount_is_refused_with_the_reason(
    typed: str, problem: MoneyProblem
) -> None:
    with pytest.raises(InvalidMoney) as refused:
        parse_money(typed)
    assert refused.value.problem is problem


# -- questions drawn from pools ---------------------------------------------------------------

POOLED = """
[[pool]]
id = "identity"
ask = 2

[[question]]
id = "name"
type = "yes_no"
required = true
prompt = { en = "Name matches" }

[[question]]
id = "last4"
pool = "identity"
type = "text"
required = true
expects = "national_id_last4"
prompt = { en = "Last 4 of the ID" }

[[question]]
id = "born"
pool = "identity"
type = "text"
required = true
expects = "date_of_birth"
prompt = { en = "Date of birth" }

[[question]]
id = "amount"
pool = "identity"
type = "money"
required = true
expects = "amount"
prompt = { en = "Amount applied for" }

[[question]]
id = "income"
type = "money"
required = true
prompt = { en = "Income" }
"""


@pytest.fixture
def pooled(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "pooled.toml"
    path.write_text(POOLED, encoding="utf-8")
    return load_questionnaire(path)


def test_a_session_asks_n_of_a_pool_where_the_pool_stands(pooled) -> None:  # type: ignore[no-untyped-def]
    for _ in range(50):
        asked = pooled.draw()
        assert len(asked) == 4
        assert asked[0] == "name" and asked[-1] == "income"
        assert set(asked[1:3]) <= {"last4", "born", "amount"} and len(set(asked[1:3])) == 2


def test_the_draw_varies_in_choice_and_order(pooled) -> None:  # type: ignore[no-untyped-def]
    # 3 questions, 2 asked: 6 ordered pairs, each drawn with p = 1/6. In 600 draws each one
    # comes up (missing one has p < 1e-40) and none dominates (each between 50 and 150).
    draws = [pooled.draw()[1:3] for _ in range(600)]
    counts = {pair: draws.count(pair) for pair in set(draws)}
    assert len(counts) == 6
    assert all(50 <= n <= 150 for n in counts.values()), counts
    assert ("last4", "born") in counts and ("born", "last4") in counts  # the order varies too


def test_only_the_questions_asked_are_required(pooled) -> None:  # type: ignore[no-untyped-def]
    asked = pooled.asked(["name", "amount", "last4", "income"])
    assert [q.id for q in asked] == ["name", "amount", "last4", "income"]
    assert asked.missing_required({"name": True, "amount": Decimal(1), "last4": "1234"}) == ["income"]
    assert pooled.asked([]) is pooled  # nothing drawn (older sessions): every question
    # A question drawn, then removed from the file: an error that names it, never dropped silently
    # (an empty questionnaire would have no required answer missing); the window may show the rest.
    for drawn in (["name", "gone_from_the_file"], ["gone_from_the_file"]):
        with pytest.raises(QuestionsNoLongerInFile, match="gone_from_the_file"):
            pooled.asked(drawn)
    assert [q.id for q in pooled.asked(["name", "gone_from_the_file"], leave_out_unknown=True)] == ["name"]


def test_identity_answers_are_checked_against_the_application(pooled) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from app.questionnaire import application_facts

    facts = application_facts(masked_national_id="**************123X", amount=Decimal("5000"), term_months=12)
    assert pooled.red_flags({"last4": "123x", "amount": Decimal("5000.00")}, facts=facts) == []
    flags = pooled.red_flags({"last4": "1234", "amount": Decimal("6000")}, facts=facts)
    assert flags == [
        "Last 4 of the ID: differs from the application",
        "Amount applied for: differs from the application",
    ]
    # The application has no date of birth: whatever is said is stored, not flagged.
    assert pooled.red_flags({"born": "1990-01-31"}, facts=facts) == []
    with_birth = {**facts, "date_of_birth": date(1990, 1, 31)}
    assert pooled.red_flags({"born": "1990年1月31日"}, facts=with_birth) == []
    assert pooled.red_flags({"born": "19900131"}, facts=with_birth) == []
    assert len(pooled.red_flags({"born": "1990-01-30"}, facts=with_birth)) == 1
    # Without the facts (a replay of old answers), only the file's own red-flag rules apply.
    assert pooled.red_flags({"last4": "0000"}) == []


def test_a_pool_must_be_able_to_ask_what_it_says(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(POOLED.replace("ask = 2", "ask = 4"), encoding="utf-8")
    with pytest.raises(ValueError, match="pool 'identity' asks 4 of its 3 questions"):
        load_questionnaire(path)
    path.write_text(POOLED.replace('pool = "identity"\ntype = "money"', 'pool = "idenity"\ntype = "money"'))
    with pytest.raises(ValueError, match="pools that are not defined"):
        load_questionnaire(path)
    path.write_text(POOLED.replace('expects = "amount"', 'expects = "salary"'))
    with pytest.raises(ValueError, match="expects must be one of"):
        load_questionnaire(path)


def test_the_banks_file_draws_from_its_pools(questionnaire) -> None:  # type: ignore[no-untyped-def]
    asked = questionnaire.draw()
    pooled_ids = {q.id for q in questionnaire if q.pool is not None}
    fixed = [q.id for q in questionnaire if q.pool is None]
    assert [qid for qid in asked if qid not in pooled_ids] == fixed
    assert len(asked) == len(fixed) + sum(pool.ask for pool in questionnaire.pools.values())
    assert {q.expects for q in questionnaire if q.expects} >= {"national_id_last4", "amount", "date_of_birth"}
