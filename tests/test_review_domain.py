"""The review session state machine, decisions and application checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.applications import make_application_form, mask_national_id, new_applicant_token, token_digest
from app.decisions import DecisionDraft, Outcome, RejectReason, check_decision
from app.errors import InvalidApplication, InvalidDecision, InvalidTransition
from app.review import ReviewSession, SessionState
from app.rules import ReviewRules
from app.settings import load_settings


@pytest.fixture
def session() -> ReviewSession:
    return ReviewSession(ReviewRules.from_settings(load_settings(environ={})))


def test_a_whole_review(session: ReviewSession) -> None:
    seen: list[SessionState] = []
    session.changed.connect(lambda s: seen.append(s.state))
    session.connect()
    assert session.start_face_attempt() == 1
    session.face_verified()
    session.decide(Outcome.APPROVE)
    assert session.state is SessionState.DECIDED
    assert seen == [
        SessionState.CONNECTED,
        SessionState.VERIFYING,
        SessionState.QUESTIONING,
        SessionState.DECIDED,
    ]


def test_reconnect_is_a_new_leg(session: ReviewSession) -> None:
    session.connect()
    session.connect()
    assert session.legs == 2
    assert session.state is SessionState.CONNECTED


def test_final_states_do_not_move(session: ReviewSession) -> None:
    session.connect()
    session.abandon()
    for action in (session.connect, session.start_questions, session.abandon):
        with pytest.raises(InvalidTransition):
            action()


def test_waiting_cannot_start_face_attempt(session: ReviewSession) -> None:
    with pytest.raises(InvalidTransition, match="waiting"):
        session.start_face_attempt()


def test_face_attempt_limit_proposes_rejection(session: ReviewSession) -> None:
    session.connect()
    proposals = []
    for _ in range(3):
        session.start_face_attempt()
        proposals.append(session.face_attempt_failed())
        session.start_questions()
    assert proposals == [None, None, RejectReason.FACE_MATCH_FAILED]
    with pytest.raises(InvalidTransition):
        session.start_face_attempt()
    with pytest.raises(InvalidTransition, match="attempts are used up"):
        session.decide(Outcome.APPROVE)
    session.decide(Outcome.REJECT)
    assert session.state is SessionState.DECIDED


def test_reject_needs_a_reason() -> None:
    with pytest.raises(InvalidDecision, match="reason code"):
        check_decision(DecisionDraft(Outcome.REJECT), missing_required_answers=[], face_matched=True)
    assert (
        check_decision(
            DecisionDraft(Outcome.REJECT, reasons=(RejectReason.FRAUD_SUSPECTED,)),
            missing_required_answers=["x"],
            face_matched=False,
        )
        == []
    )


def test_approve_refused_without_answers_or_match_unless_a_reason_is_given() -> None:
    with pytest.raises(InvalidDecision, match="missing answers: monthly_income"):
        check_decision(
            DecisionDraft(Outcome.APPROVE), missing_required_answers=["monthly_income"], face_matched=True
        )
    with pytest.raises(InvalidDecision, match="face not matched"):
        check_decision(DecisionDraft(Outcome.APPROVE), missing_required_answers=[], face_matched=False)
    overridden = check_decision(
        DecisionDraft(Outcome.APPROVE, override_reason="ID checked in branch by manager"),
        missing_required_answers=[],
        face_matched=False,
    )
    assert overridden == ["face not matched"]
    assert (
        check_decision(DecisionDraft(Outcome.APPROVE), missing_required_answers=[], face_matched=True) == []
    )


def test_reason_codes_only_on_rejections() -> None:
    with pytest.raises(InvalidDecision, match="rejections only"):
        check_decision(
            DecisionDraft(Outcome.VERIFY_LATER, reasons=(RejectReason.OTHER,)),
            missing_required_answers=[],
            face_matched=True,
        )


def test_every_reason_code_of_the_bank_exists() -> None:
    assert {r.value for r in RejectReason} == {
        "identity_mismatch",
        "face_match_failed",
        "liveness_failed",
        "third_party_present",
        "insufficient_repayment_ability",
        "fraud_suspected",
        "applicant_uncooperative",
        "other",
    }
    assert {o.value for o in Outcome} == {"approve", "reject", "verify_later", "connection_failed"}


def test_application_form_checks() -> None:
    now = datetime.now(UTC)
    good = dict(
        name="Li Lei",
        national_id="110101199001011234",
        phone="+86 138 0013 8000",
        amount="5000",
        term_months=12,
        purpose="Shop stock",
        applied_at=now,
    )
    assert make_application_form(**good).amount == 5000
    for field, bad, message in [
        ("amount", "-5", "greater than zero"),
        ("amount", "abc", "not a number"),
        ("amount", "10.001", "two decimals"),
        ("term_months", "0", "Term must be"),
        ("term_months", "x", "whole number"),
        ("phone", "call me", "not valid"),
        ("name", "  ", "Name"),
        ("national_id", "12", "National ID"),
    ]:
        with pytest.raises(InvalidApplication, match=message):
            make_application_form(**{**good, field: bad})
    with pytest.raises(InvalidApplication, match="time zone"):
        make_application_form(**{**good, "applied_at": datetime(2026, 1, 1)})


def test_masking_and_tokens() -> None:
    assert mask_national_id("110101199001011234") == "**************1234"
    first, second = new_applicant_token(), new_applicant_token()
    assert first != second and len(first) >= 40
    assert token_digest(first) != first and len(token_digest(first)) == 64
