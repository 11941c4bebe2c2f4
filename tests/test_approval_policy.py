"""The approval policy file: what blocks an approval, what needs an override, what warns."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.approval import ApprovalBlocked, ReasonTooShort, Requirement, ReviewFacts, load_approval_policy
from app.decisions import DecisionDraft, FaceSummary, Outcome

POLICY = load_approval_policy()
MATCHED = FaceSummary(best_similarity=84, matched=True, liveness="passed", attempts_used=1)
SENTENCE = "Identity confirmed at the branch this morning with the original ID card."


def facts(face: FaceSummary = MATCHED, **fields: object) -> ReviewFacts:
    values: dict[str, object] = dict(face=face, face_attempts_exhausted=False, answers={})
    values.update(fields)
    return ReviewFacts(**values)  # type: ignore[arg-type]


def requirements(review: ReviewFacts) -> dict[str, Requirement]:
    return {finding.rule.id: finding.requires for finding in POLICY.findings(review)}


def test_the_bank_file_blocks_liveness_injection_exhausted_attempts_and_a_third_party():
    review = facts(
        FaceSummary(matched=True, liveness="failed", flags_seen=("virtual_camera",)),
        face_attempts_exhausted=True,
        answers={"third_party_present": True},
    )
    assert requirements(review) == {
        "liveness_failed": Requirement.BLOCK,
        "injection_suspected": Requirement.BLOCK,
        "face_attempts_exhausted": Requirement.BLOCK,
        "third_party_present": Requirement.BLOCK,
    }
    with pytest.raises(ApprovalBlocked):
        POLICY.check_approval(
            DecisionDraft(Outcome.APPROVE, override_code="existing_customer", override_reason=SENTENCE),
            review,
        )
    # Rejecting is never blocked by the approval policy.
    assert POLICY.check_approval(DecisionDraft(Outcome.VERIFY_LATER), review) == []


def test_no_match_and_missing_answers_need_a_code_and_a_sentence_and_red_flags_warn():
    review = facts(
        FaceSummary(best_similarity=19, matched=False, liveness="passed"),
        missing_required_answers=["Employment status"],
        red_flags=["Name does not match the application"],
    )
    assert requirements(review) == {
        "face_not_matched": Requirement.OVERRIDE,
        "required_answers_missing": Requirement.OVERRIDE,
        "red_flags": Requirement.WARN,
    }
    for code, reason in [("", SENTENCE), ("existing_customer", "x"), ("existing_customer", "ok ok ok ok ok")]:
        with pytest.raises(ReasonTooShort):
            POLICY.check_approval(
                DecisionDraft(Outcome.APPROVE, override_code=code, override_reason=reason), review
            )
    assert POLICY.check_approval(
        DecisionDraft(Outcome.APPROVE, override_code="existing_customer", override_reason=SENTENCE), review
    ) == ["face_not_matched", "required_answers_missing"]
    assert POLICY.is_a_sentence("申请人今天上午已在网点出示身份证原件")


def test_a_mistake_in_the_policy_file_names_the_rule(tmp_path: Path):
    path = tmp_path / "policy.toml"
    path.write_text('[[rule]]\nid = "x"\nwhen = "moon_phase"\nrequires = "block"\nen = "x"\n')
    with pytest.raises(ValueError, match="rule 'x'"):
        load_approval_policy(path)
