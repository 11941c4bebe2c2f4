"""Storage keeps its rules on every path that decides: a supervisor's amendment to approve passes
the same checks on record as a reviewer's approval (approval policy, face-attempt limit,
four-eyes); the four-eyes selection and the stored face summary use the face on record, not
only the window's; a "nothing changes" amendment is refused also as a checker's send-back; the
deployment's settings (not class defaults) apply on the intake's and the replay's paths."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app.approval import ApprovalBlocked, ReasonTooShort
from app.decisions import DecisionDraft, DecisionSubmission, FaceSummary, Outcome, RejectReason
from app.errors import InvalidDecision
from app.four_eyes import NO_CHECKS, CheckPolicy, FourEyesRefused, SendBack
from app.ids import SessionId
from app.roles import Role
from app.settings import load_settings
from storage.database import Database
from storage.four_eyes import FourEyesChecks
from storage.models import EventKind
from storage.recordings import RecordingRecords, TimelineSample
from storage.reviewers import Accounts
from storage.reviews import FaceAttemptsUsedUp, ReviewRecords
from tests.conftest import taken_session
from tools.fixtures import complete_answers

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
NO_MATCH = FaceSummary(best_similarity=19.0, last_similarity=19.0, matched=False, liveness="passed")
REJECTED = DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,), note="face did not match")
SENTENCE = "The applicant's identity was confirmed at the branch with the original ID card."


def _rejected(database: Database, *, face: FaceSummary = NO_MATCH, live: bool | None = True) -> SessionId:
    """A session taken by a reviewer, a score on its timeline, then rejected (no check)."""
    reviewer = Accounts(database).add("li.reviewer", "password1")
    taken = taken_session(database, reviewer.id, NOW)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    records.start_leg(taken.session_id, NOW)
    RecordingRecords(database).save_samples(
        taken.session_id,
        [TimelineSample(t=1.0, faces=1, similarity=face.best_similarity, matched=face.matched, live=live)],
    )
    records.record_decision(
        DecisionSubmission(
            taken.session_id,
            reviewer.id,
            replace(REJECTED, face=face),
            answers=complete_answers(taken.questions),
        ),
        actor="li.reviewer",
        now=NOW + timedelta(minutes=1),
    )
    return taken.session_id


def _amend(records: ReviewRecords, session_id: SessionId, draft: DecisionDraft, supervisor: int):  # type: ignore[no-untyped-def]
    [original] = records.decisions(session_id)[:1]
    return records.amend_decision(
        original.id,
        draft,
        reason=SENTENCE,
        supervisor_id=supervisor,
        actor="zhang",
        now=NOW + timedelta(hours=1),
    )


def test_an_amendment_to_approve_is_refused_when_the_policy_blocks_it(database: Database) -> None:
    session_id = _rejected(
        database, face=FaceSummary(best_similarity=84.0, matched=True, liveness="passed"), live=False
    )
    supervisor = Accounts(database).add("zhang", "password1", Role.SUPERVISOR).id
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    with pytest.raises(ApprovalBlocked):  # the timeline says liveness failed
        _amend(records, session_id, DecisionDraft(Outcome.APPROVE), supervisor)
    assert [d.outcome for d in records.decisions(session_id)] == ["reject"]


def test_an_amendment_to_approve_overriding_a_refusal_needs_a_code_and_a_sentence(database: Database) -> None:
    session_id = _rejected(database)
    supervisor = Accounts(database).add("zhang", "password1", Role.SUPERVISOR).id
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    with pytest.raises(ReasonTooShort, match="reason code"):
        _amend(records, session_id, DecisionDraft(Outcome.APPROVE), supervisor)
    amended = _amend(
        records,
        session_id,
        DecisionDraft(Outcome.APPROVE, override_code="identity_verified_otherwise"),
        supervisor,
    )
    assert amended.outcome == "approve" and amended.overridden
    assert amended.override_reason.startswith("[identity_verified_otherwise]")


def test_an_amendment_to_approve_opens_a_check_the_amending_supervisor_cannot_make(
    database: Database,
) -> None:
    session_id = _rejected(database)
    supervisor = Accounts(database).add("zhang", "password1", Role.SUPERVISOR).id
    other = Accounts(database).add("zhao", "password1", Role.SUPERVISOR).id
    records = ReviewRecords(database, check_policy=CheckPolicy(approvals_above=Decimal("1000")))
    amended = _amend(
        records,
        session_id,
        DecisionDraft(Outcome.APPROVE, override_code="identity_verified_otherwise"),
        supervisor,
    )
    checks = FourEyesChecks(database)
    [item] = checks.queue()
    assert (item.decision_id, item.maker_id) == (amended.id, supervisor)
    with pytest.raises(FourEyesRefused, match="different supervisor"):
        checks.confirm(item.check_id, checker_id=supervisor, now=NOW + timedelta(hours=2))
    checks.confirm(item.check_id, checker_id=other, now=NOW + timedelta(hours=2))


def test_a_send_back_that_changes_nothing_is_refused(database: Database) -> None:
    reviewer = Accounts(database).add("li.reviewer", "password1")
    checker = Accounts(database).add("zhang", "password1", Role.SUPERVISOR)
    taken = taken_session(database, reviewer.id, NOW)
    ReviewRecords(database, check_policy=CheckPolicy(sample_rate=1.0)).record_decision(
        DecisionSubmission(
            taken.session_id, reviewer.id, DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,))
        ),
        actor="li.reviewer",
        now=NOW,
    )
    checks = FourEyesChecks(database)
    [item] = checks.queue()
    with pytest.raises(InvalidDecision, match="Nothing changes"):
        checks.send_back(item.check_id, checker_id=checker.id, reason="no", action=SendBack.REJECT, now=NOW)


def test_the_check_and_the_stored_face_summary_use_the_face_on_record(database: Database) -> None:
    """A reject whose window saw no flag, on a session whose timeline has an injection flag:
    the four-eyes policy selects it, and the stored summary carries the flag."""
    reviewer = Accounts(database).add("li.reviewer", "password1")
    taken = taken_session(database, reviewer.id, NOW)
    policy = CheckPolicy(face_flags=frozenset({"injection_suspected"}), sample_rate=0.0)
    records = ReviewRecords(database, check_policy=policy)
    records.start_leg(taken.session_id, NOW)
    RecordingRecords(database).add_event(
        taken.session_id, EventKind.INJECTION_SUSPECTED, t=0.5, details={"problem": "frame_rate"}
    )
    stored = records.record_decision(
        DecisionSubmission(taken.session_id, reviewer.id, REJECTED), actor="li.reviewer", now=NOW
    )
    assert "injection_suspected" in stored.face_summary["flags_seen"]
    [item] = FourEyesChecks(database).queue()
    assert item.decision_id == stored.id


def test_the_deployments_face_attempt_limit_applies_on_the_amendment_path(
    tmp_path: Path, database: Database
) -> None:
    """One failed attempt with a limit of 1 (the default is 3): the replay's amendment to
    approve is refused, because the replay's records take the deployment's settings."""
    from services.replay import LiveReplayServices

    session_id = _rejected(database)
    Accounts(database).add("zhang", "password1", Role.SUPERVISOR)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    settings = load_settings({"data_dir": tmp_path / "data", "face_attempts_limit": 1}, environ={})
    with database.session() as session:  # the attempt counted before the reject
        from storage.models import ReviewSessionRow

        row = session.get(ReviewSessionRow, session_id)
        assert row is not None
        row.face_attempts_used = row.face_attempts_failed = 1
    replay = LiveReplayServices(settings, database, None, key_problem="no key in this test")
    replay.sign_in("zhang", "password1")
    [original] = records.decisions(session_id)
    draft = DecisionDraft(Outcome.APPROVE, override_code="identity_verified_otherwise")
    with pytest.raises(FaceAttemptsUsedUp):
        replay.amend_decision(session_id, original.id, draft, reason=SENTENCE, in_force_seen=original.id)
    assert [d.outcome for d in records.decisions(session_id)] == ["reject"]


def test_the_embedded_intake_records_with_the_deployments_settings(tmp_path: Path) -> None:
    from services.intake import start_embedded_intake
    from storage.database import open_database

    settings = load_settings({"data_dir": tmp_path, "intake_port": 0, "face_attempts_limit": 5}, environ={})
    database = open_database(settings.effective_database_url)
    try:
        server, _url = start_embedded_intake(settings, database)
        assert server is not None
        try:
            assert server.service.legs.face_attempts_limit == 5  # type: ignore[attr-defined]
        finally:
            server.stop()
    finally:
        database.dispose()


def test_an_approval_is_refused_when_a_question_asked_is_gone_from_the_file(database: Database) -> None:
    """The questionnaire file was edited after the draw: storage cannot tell which required
    answers are missing, so it refuses the approval with a message that names the question."""
    from app.questionnaire import QuestionsNoLongerInFile
    from storage.models import ReviewSessionRow
    from tools.fixtures import approval

    reviewer = Accounts(database).add("li.reviewer", "password1")
    taken = taken_session(database, reviewer.id, NOW)
    with database.session() as session:
        row = session.get(ReviewSessionRow, taken.session_id)
        assert row is not None
        row.questions_asked = ["question_removed_from_the_file"]
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    with pytest.raises(QuestionsNoLongerInFile, match="question_removed_from_the_file"):
        records.record_decision(
            DecisionSubmission(taken.session_id, reviewer.id, approval()), actor="li.reviewer", now=NOW
        )
    assert records.decisions(taken.session_id) == []


def test_records_built_without_settings_take_the_deployments_not_class_defaults(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDIT_FACE_ATTEMPTS_LIMIT", "2")
    assert ReviewRecords(database, check_policy=NO_CHECKS).face_attempts_limit == 2
    assert ReviewRecords(database, face_attempts_limit=4).face_attempts_limit == 4
