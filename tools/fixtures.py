"""Made-up applications for benchmarks and load runs, and the settings of a scratch console."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from app.applications import ApplicationForm, make_application_form
from app.decisions import DecisionDraft, FaceSummary, Outcome
from app.questionnaire import AnswerValue
from app.settings import Settings, load_settings


def scratch_console_settings(folder: Path, **overrides: Any) -> Settings:
    """Settings of a console and its embedded intake kept in `folder` (SQLite and the data
    there), open for review all day, the intake on a free port; `overrides` on top. Nothing is
    read from the environment."""
    from tools.processes import free_port

    values: dict[str, Any] = {
        "data_dir": str(folder / "data"),
        "database_url": f"sqlite:///{folder / 'console.db'}",
        "review_opens": time(0, 0),
        "review_closes": time(0, 0),
        "intake_port": free_port(),
    }
    return load_settings(overrides=values | overrides, environ={})


def bench_application_form(name: str) -> ApplicationForm:
    """An application with made-up details under `name`, applied now."""
    return make_application_form(
        name=name,
        national_id="110101199001011234",
        phone="+86 138 0013 8000",
        amount="5000",
        term_months=12,
        purpose="Shop stock",
        applied_at=datetime.now(UTC),
    )


# A review the approval policy (app/approval_policy.toml) lets through without an override:
# every required question answered, nobody else present, and a face that matched and passed
# liveness. Storage checks approvals against the policy, so made-up approvals need these.
COMPLETE_ANSWERS: dict[str, AnswerValue] = {
    "identity_name_confirmed": True,
    # The identity questions drawn from the pool, as the applicant of tests.conftest.sample_form says.
    "identity_id_last4": "1234",
    "identity_date_of_birth": "1990-01-01",
    "identity_amount_applied": "5000",
    "applied_personally": True,
    "third_party_present": False,
    "employment_status": "self_employed",
    "employer_or_business": "Corner grocery, Chaoyang",
    "monthly_income": "18000",
    "existing_monthly_debt": "1200.50",
    "loan_purpose_confirmed": True,
    "repayment_source": "business_income",
    "understands_terms": True,
    "understanding_term_months": "12",
    "understanding_late_payment": True,
}


def complete_answers(questions: Sequence[str]) -> dict[str, AnswerValue]:
    """COMPLETE_ANSWERS to the questions a session asks (its draw; empty: every question)."""
    if not questions:
        return dict(COMPLETE_ANSWERS)
    return {qid: value for qid, value in COMPLETE_ANSWERS.items() if qid in questions}


def matched_face(similarity: float = 84.0) -> FaceSummary:
    """The face panel's summary of a face that matched and passed liveness."""
    return FaceSummary(
        best_similarity=similarity,
        last_similarity=similarity,
        matched=True,
        liveness="passed",
        attempts_used=1,
    )


def approval(**fields: Any) -> DecisionDraft:
    """An approval with a matched face (submit it with `answers=COMPLETE_ANSWERS`, or
    the policy asks for an override of the missing answers)."""
    fields.setdefault("face", matched_face())
    return DecisionDraft(Outcome.APPROVE, **fields)


def approval_with_override(**fields: Any) -> DecisionDraft:
    """An approval that overrides what the policy lets a reviewer override (missing answers, a
    face that did not match), with a reason code from the list and a sentence."""
    fields.setdefault("override_code", "answers_given_outside_the_form")
    fields.setdefault("override_reason", "The applicant answered the remaining questions on the phone.")
    return approval(**fields)
