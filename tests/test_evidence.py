"""audit verify also checks that every decision, amendment and recording file is covered by
the audit chain, and still matches what the chain recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from app.decisions import DecisionDraft, DecisionSubmission, Outcome, RejectReason
from app.four_eyes import NO_CHECKS
from app.roles import Role
from storage.audit_log import verify_audit_chain
from storage.evidence import coverage_problems
from storage.recordings import RecordingRecords
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tests.conftest import taken_session
from tools.fixtures import approval, complete_answers

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def decided_session_with_recording(database, root: Path):  # type: ignore[no-untyped-def]
    reviewer = Accounts(database).add("li", "password1")
    taken = taken_session(database, reviewer.id, NOW)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    records.start_leg(taken.session_id, NOW)
    folder = root / "session-1" / "leg-01"
    folder.mkdir(parents=True)
    (folder / "seg-000000.ts").write_bytes(b"video" * 100)
    (folder / "manifest.jsonl").write_text('{"segment": 0}\n')
    recordings = RecordingRecords(database, root)
    recordings.leg_started(taken.session_id, 1, "session-1", NOW)
    recordings.leg_finished(taken.session_id, 1, state="closed", duration=1.0, segments=1, bytes_written=500,
                            frames_dropped=0)  # fmt: skip
    decision = records.record_decision(
        DecisionSubmission(
            taken.session_id, reviewer.id, approval(), answers=complete_answers(taken.questions)
        ),
        actor="li",
        now=NOW,
    )
    supervisor = Accounts(database).add("zhang", "password1", Role.SUPERVISOR)
    records.amend_decision(
        decision.id, DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,)), reason="late evidence",
        supervisor_id=supervisor.id, actor="zhang", now=NOW,
    )  # fmt: skip
    return taken.session_id, folder


def test_everything_covered(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    decided_session_with_recording(database, tmp_path)
    assert coverage_problems(database, tmp_path) == []


def test_changed_decision_is_caught(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    decided_session_with_recording(database, tmp_path)
    with database.engine.begin() as connection:
        connection.execute(text("update decisions set outcome = 'reject' where amends_id is null"))
    assert coverage_problems(database, tmp_path) == [
        "decision 1 differs from its audit event (outcome or session changed)"
    ]
    with database.session() as session:
        assert verify_audit_chain(session)[1] is None  # the chain itself is intact: coverage is what shows it


def test_decision_without_event_is_caught(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    session_id, _ = decided_session_with_recording(database, tmp_path)
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "insert into decisions (session_id, outcome, reasons, note, override_reason, overridden,"
                " face_summary, answers_snapshot, decided_at, amends_id, request_id)"
                " values (:s, 'approve', '[]', '', 'forged', '[]', '{}', '{}', :at, 1, 'forged-request')"
            ),
            {"s": session_id, "at": NOW},
        )
    problems = coverage_problems(database, tmp_path)
    assert problems == [f"amendment 3 (session {session_id}) has no audit event"]


def test_changed_or_missing_recording_file_is_caught(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, folder = decided_session_with_recording(database, tmp_path)
    segment = folder / "seg-000000.ts"
    segment.write_bytes(b"VIDEO" + segment.read_bytes()[5:])
    [problem] = coverage_problems(database, tmp_path)
    assert "changed after it was covered" in problem
    segment.write_bytes(b"video" * 100)
    assert coverage_problems(database, tmp_path) == []
    segment.unlink()
    [problem] = coverage_problems(database, tmp_path)
    assert "(2 files then, 1 now)" in problem
