"""Storage keeps the bank's approval policy whatever the window did: an approval the policy
blocks is refused, an override needs a reason code and a real reason, and the stored timeline
counts (a window that says "liveness passed" or "matched" against it is not believed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.approval import ApprovalBlocked, ReasonTooShort
from app.decisions import DecisionDraft, DecisionSubmission, FaceSummary, Outcome
from app.face import Liveness, LivenessRecord
from app.four_eyes import NO_CHECKS
from app.review import SessionState
from storage.recordings import RecordingRecords, TimelineSample
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tests.conftest import taken_session
from tests.ui_fakes import GOOD_ANSWERS

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
MATCHED = FaceSummary(best_similarity=84.0, last_similarity=82.0, matched=True, liveness="passed")
REASON = "The applicant came to the branch with the original ID card on 23 November."


def _session(database):  # type: ignore[no-untyped-def]
    reviewer = Accounts(database).add("li.reviewer", "password1")
    taken = taken_session(database, reviewer.id, NOW)
    return ReviewRecords(database, check_policy=NO_CHECKS), taken.session_id, reviewer.id


def _approve(records, session_id, reviewer_id, draft, answers=GOOD_ANSWERS):  # type: ignore[no-untyped-def]
    asked = records.questions_asked(session_id)  # the session's draw: answers to those only
    answers = {q: v for q, v in answers.items() if asked is None or q in asked}
    return records.record_decision(
        DecisionSubmission(session_id, reviewer_id, draft, answers=answers), actor="li", now=NOW
    )


def test_storage_refuses_an_approval_the_policy_blocks(database) -> None:  # type: ignore[no-untyped-def]
    records, session_id, reviewer_id = _session(database)
    for face in (
        FaceSummary(best_similarity=84.0, matched=True, liveness="failed"),
        FaceSummary(best_similarity=84.0, matched=True, liveness="passed", flags_seen=("virtual_camera",)),
    ):
        with pytest.raises(ApprovalBlocked):
            _approve(records, session_id, reviewer_id, DecisionDraft(Outcome.APPROVE, face=face))
    # A third party present blocks, even with an override reason.
    with pytest.raises(ApprovalBlocked):
        _approve(
            records,
            session_id,
            reviewer_id,
            DecisionDraft(
                Outcome.APPROVE, face=MATCHED, override_code="existing_customer", override_reason=REASON
            ),
            answers={**GOOD_ANSWERS, "third_party_present": True},
        )
    assert records.decisions(session_id) == []
    assert records.state(session_id) is not SessionState.DECIDED
    # Nothing of the refused decision's answers was kept either (one transaction).
    assert records.answers(session_id) == {}


def test_storage_refuses_an_override_without_a_code_or_a_real_reason(database) -> None:  # type: ignore[no-untyped-def]
    records, session_id, reviewer_id = _session(database)
    no_match = FaceSummary(best_similarity=19.0, matched=False, liveness="passed")
    for code, reason in (("", REASON), ("existing_customer", "x"), ("made_up_code", REASON)):
        draft = DecisionDraft(Outcome.APPROVE, face=no_match, override_code=code, override_reason=reason)
        with pytest.raises(ReasonTooShort):
            _approve(records, session_id, reviewer_id, draft)
    # Missing required answers need an override too, though the window sent none.
    with pytest.raises(ReasonTooShort):
        _approve(records, session_id, reviewer_id, DecisionDraft(Outcome.APPROVE, face=MATCHED), answers={})
    assert records.decisions(session_id) == []
    draft = DecisionDraft(
        Outcome.APPROVE, face=no_match, override_code="identity_verified_otherwise", override_reason=REASON
    )
    stored = _approve(records, session_id, reviewer_id, draft)
    assert stored.overridden == ["face_not_matched"]
    assert stored.override_reason == f"[identity_verified_otherwise] {REASON}"


def test_the_stored_timeline_outweighs_what_the_window_says(database) -> None:  # type: ignore[no-untyped-def]
    records, session_id, reviewer_id = _session(database)
    records.start_leg(session_id, NOW)
    timeline = RecordingRecords(database)
    # The recording says: liveness failed, and never a matching score.
    timeline.save_samples(
        session_id,
        [
            TimelineSample(t=1.0 + i, faces=1, similarity=30.0, matched=False, live=None if i < 8 else False)
            for i in range(12)
        ],
    )
    with pytest.raises(ApprovalBlocked):
        _approve(records, session_id, reviewer_id, DecisionDraft(Outcome.APPROVE, face=MATCHED))
    # Liveness passed later on the timeline: not blocked now, but the face never matched there.
    timeline.save_samples(session_id, [TimelineSample(t=20.0, faces=1, similarity=31.0, live=True)])
    with pytest.raises(ReasonTooShort):
        _approve(records, session_id, reviewer_id, DecisionDraft(Outcome.APPROVE, face=MATCHED))
    draft = DecisionDraft(
        Outcome.APPROVE, face=MATCHED, override_code="identity_verified_otherwise", override_reason=REASON
    )
    assert _approve(records, session_id, reviewer_id, draft).overridden == ["face_not_matched"]


def test_liveness_failed_then_passed_reads_as_passed_after_failing() -> None:
    record = LivenessRecord.of([(0.0, None), (8.0, False), (9.0, False), (12.0, None), (14.0, True)])
    assert record.verdict is Liveness.PASSED
    assert record.failed_earlier and record.ever_failed
    assert record.turns == [(8.0, Liveness.FAILED), (14.0, Liveness.PASSED)]
    assert LivenessRecord.of([(1.0, True), (5.0, False)]).verdict is Liveness.FAILED


def test_a_virtual_camera_on_the_timeline_blocks_approval_whatever_the_window_says(database) -> None:  # type: ignore[no-untyped-def]
    """The applicant's camera findings (app.camera) are timeline events: storage counts them as
    seen face flags, so a window that lost them cannot approve; a camera reported without a
    finding blocks nothing."""
    from storage.models import EventKind

    records = ReviewRecords(database, check_policy=NO_CHECKS)
    timeline = RecordingRecords(database)
    outcomes = []
    for name, finding in (("li.reviewer", False), ("wang.reviewer", True)):
        reviewer = Accounts(database).add(name, "password1")
        session_id = taken_session(database, reviewer.id, NOW).session_id
        records.start_leg(session_id, NOW)
        timeline.save_samples(
            session_id, [TimelineSample(t=1.0, faces=1, similarity=84.0, matched=True, live=True)]
        )
        timeline.add_event(session_id, EventKind.CAMERA_REPORTED, t=0.5, details={"label": "fake_device_0"})
        if finding:
            details = {"problem": "virtual_camera", "flag": "virtual_camera", "detail": "fake_device_0"}
            timeline.add_event(session_id, EventKind.VIRTUAL_CAMERA, t=0.5, details=details)
        draft = DecisionDraft(Outcome.APPROVE, face=MATCHED)  # the window saw no camera flag
        try:
            outcomes.append(_approve(records, session_id, reviewer.id, draft).outcome)
        except ApprovalBlocked as blocked:
            outcomes.append(str(blocked))
            assert records.decisions(session_id) == []
    assert outcomes[0] == "approve"
    assert "injection_suspected" in outcomes[1]


def test_an_amendment_cannot_approve_what_the_policy_blocks(database) -> None:  # type: ignore[no-untyped-def]
    from app.decisions import RejectReason
    from app.roles import Role

    records, session_id, reviewer_id = _session(database)
    boss = Accounts(database).add("zhang", "password2", Role.SUPERVISOR)
    records.start_leg(session_id, NOW)
    RecordingRecords(database).save_samples(
        session_id, [TimelineSample(t=9.0, faces=1, similarity=80.0, matched=True, live=False)]
    )
    asked = records.questions_asked(session_id)
    answers = {q: v for q, v in GOOD_ANSWERS.items() if asked is None or q in asked}
    draft = DecisionDraft(Outcome.REJECT, reasons=(RejectReason.LIVENESS_FAILED,), face=MATCHED)
    rejected = records.record_decision(
        DecisionSubmission(session_id, reviewer_id, draft, answers=answers), actor="li", now=NOW
    )
    with pytest.raises(ApprovalBlocked, match="amendment cannot approve"):
        records.amend_decision(rejected.id, DecisionDraft(Outcome.APPROVE), reason="Looked fine to me",
                               supervisor_id=boss.id, actor="zhang", now=NOW)  # fmt: skip
    assert len(records.decisions(session_id)) == 1
    # Another outcome stays open to the supervisor.
    records.amend_decision(rejected.id, DecisionDraft(Outcome.VERIFY_LATER), reason="Branch visit",
                           supervisor_id=boss.id, actor="zhang", now=NOW)  # fmt: skip
    assert len(records.decisions(session_id)) == 2


def test_a_challenge_not_judged_on_the_timeline_needs_an_override(database) -> None:  # type: ignore[no-untyped-def]
    """A liveness challenge of the call could not be judged (the face worker fell behind):
    approving needs an override with a reason, whatever the window said and whatever passed
    after it."""
    from storage.models import EventKind

    records, session_id, reviewer_id = _session(database)
    records.start_leg(session_id, NOW)
    timeline = RecordingRecords(database)
    timeline.save_samples(
        session_id,
        [TimelineSample(t=1.0 + i, faces=1, similarity=84.0, matched=True, live=True) for i in range(5)],
    )
    turn = {"kind": "turn_left", "asked_t": 2.0, "met_t": None}
    timeline.add_event(session_id, EventKind.CHALLENGE_ASKED, t=2.0, details={"kind": "turn_left"})
    timeline.add_event(session_id, EventKind.CHALLENGE_NOT_JUDGED, t=7.2, details=turn)
    timeline.add_event(session_id, EventKind.CHALLENGE_ASKED, t=8.0, details={"kind": "open_mouth"})
    passed = {"kind": "open_mouth", "asked_t": 8.0, "met_t": 9.1, "frame": 273}
    timeline.add_event(session_id, EventKind.CHALLENGE_PASSED, t=9.1, details=passed)
    with pytest.raises(ReasonTooShort, match="challenge_not_judged"):  # the window sent no such thing
        _approve(records, session_id, reviewer_id, DecisionDraft(Outcome.APPROVE, face=MATCHED))
    assert records.decisions(session_id) == []
    draft = DecisionDraft(
        Outcome.APPROVE, face=MATCHED, override_code="technical_problem", override_reason=REASON
    )
    assert _approve(records, session_id, reviewer_id, draft).overridden == ["challenge_not_judged"]


def test_a_challenge_not_judged_needs_an_override_in_the_policy() -> None:
    from app.approval import Requirement, load_approval_policy
    from app.approval import ReviewFacts as Facts

    policy = load_approval_policy()
    face = FaceSummary(best_similarity=84.0, matched=True, liveness="passed", challenge_not_judged=True)
    findings = policy.findings(Facts(face=face, face_attempts_exhausted=False, answers=GOOD_ANSWERS))
    assert [(f.rule.id, f.requires) for f in findings] == [("challenge_not_judged", Requirement.OVERRIDE)]
    assert FaceSummary.from_dict(face.as_dict()) == face
    assert not policy.findings(Facts(face=MATCHED, face_attempts_exhausted=False, answers=GOOD_ANSWERS))
