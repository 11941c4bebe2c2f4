"""The questionnaire file, answer checks, derived figures and red flags."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.errors import InvalidAnswer
from app.money import InvalidMoney, MoneyProblem, parse_money
from app.questionnaire import load_questionnaire, monthly_instalment, repayment_figures
from app.settings import load_settings

SETTINGS = load_settings(environ={})


@pytest.fixture(scope="module")
def questionnaire():  # type: ignore[no-untyped-def]
    return load_questionnaire(SETTINGS.questionnaire_file)


def test_the_minimum_question_set_is_there(questionnaire) -> None:  # type: ignore[no-untyped-def]
    ids = {q.id for q in questionnaire}
    for required in [
        "identity_name_confirmed",
        "identity_id_last4_confirmed",
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
