"""Retention with the clock set forward: due recordings, scores and photos are gone from disk and
database, held sessions are kept, and the audit chain verifies before and after and names
every deletion."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.decisions import DecisionSubmission
from app.four_eyes import NO_CHECKS
from app.ids import SessionId
from app.retention import RetentionPeriods, RetentionRule
from storage.audit_log import verify_audit_chain
from storage.database import Database
from storage.evidence import coverage_problems
from storage.models import AnswerRow, Application, LegRecording, ScoreSample
from storage.recordings import RecordingRecords, TimelineSample
from storage.retention import Retention, deletions
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tests.conftest import taken_session
from tools.fixtures import approval, complete_answers

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PERIODS = RetentionPeriods(decided_days=1827, aborted_days=30)


def recorded_session(
    database: Database, root: Path, reviewer_id: int, *, decide: bool
) -> tuple[SessionId, Path]:
    """A session with a one-leg recording on disk, face scores and an answer; decided (approved)
    or left abandoned by a console that stopped."""
    taken = taken_session(database, reviewer_id, NOW)  # type: ignore[arg-type]
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    records.start_leg(taken.session_id, NOW)
    name = f"session-{taken.session_id}"
    folder = root / name / "leg-01"
    folder.mkdir(parents=True)
    (folder / "seg-000000.ts").write_bytes(b"sealed video" * 100)
    (folder / "manifest.jsonl").write_text('{"segment": 0}\n')
    recordings = RecordingRecords(database, root)
    recordings.leg_started(taken.session_id, 1, name, NOW)
    recordings.save_samples(taken.session_id, [TimelineSample(t=0.5, faces=1, similarity=0.9, matched=True)])
    records.save_answer(taken.session_id, "monthly_income", "8000", reviewer_id=reviewer_id, now=NOW)  # type: ignore[arg-type]
    if decide:
        finish_leg(recordings, taken.session_id)
        records.record_decision(
            DecisionSubmission(
                taken.session_id,
                reviewer_id,
                approval(note="income confirmed by payslip"),
                answers=complete_answers(taken.questions),
            ),
            actor="li",
            now=NOW,
        )
    else:
        records.abandon_unfinished(NOW, reviewer_id=reviewer_id)  # type: ignore[arg-type]
        finish_leg(recordings, taken.session_id)
    return taken.session_id, root / name


def finish_leg(recordings: RecordingRecords, session_id: SessionId) -> None:
    recordings.leg_finished(
        session_id, 1, state="closed", duration=1.0, segments=1, bytes_written=1200, frames_dropped=0
    )


def chain_ok(database: Database, root: Path) -> None:
    with database.session() as session:
        assert verify_audit_chain(session)[1] is None
    assert coverage_problems(database, root) == []


def count(database: Database, table: type, session_id: int) -> int:
    with database.session() as session:
        return int(
            session.execute(
                select(func.count()).select_from(table).where(table.session_id == session_id)  # type: ignore[attr-defined]
            ).scalar_one()
        )


def test_due_sessions_deleted_held_kept_chain_intact(database: Database, tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    reviewer = Accounts(database).add("li", "password1")
    decided, decided_folder = recorded_session(database, root, reviewer.id, decide=True)
    aborted, aborted_folder = recorded_session(database, root, reviewer.id, decide=False)
    held, held_folder = recorded_session(database, root, reviewer.id, decide=True)
    retention = Retention(database, root, PERIODS)
    retention.place_hold(held, reason="court order 2026/17", by="legal", now=NOW)
    chain_ok(database, root)

    # Ten days on: nothing is due.
    assert retention.apply(NOW + timedelta(days=10)).deleted == []

    # 31 days on: the aborted session's recording is due; a dry run only says so.
    month = NOW + timedelta(days=31)
    dry = retention.apply(month, dry_run=True)
    assert [(d.session_id, d.rule) for d in dry.deleted] == [(aborted, RetentionRule.ABORTED_OR_FAILED)]
    assert dry.dry_run and aborted_folder.is_dir()
    report = retention.apply(month)
    assert report.as_dict() == {
        "deleted": [
            {"session_id": aborted, "rule": "aborted_or_failed", "files": 2, "bytes": dry.deleted[0].bytes}
        ],
        "kept_on_hold": 0,
        "dry_run": False,
    }
    assert dry.deleted[0].bytes == 1200 + len('{"segment": 0}\n')
    assert not aborted_folder.exists() and decided_folder.is_dir()
    assert count(database, LegRecording, aborted) == 0 and count(database, ScoreSample, aborted) == 0
    chain_ok(database, root)
    assert retention.apply(month).deleted == []  # done once

    # Five years on: the decided session goes, personal data and ID photo with it; the held one stays.
    later = NOW + timedelta(days=1828)
    report = retention.apply(later)
    assert [(d.session_id, d.rule, d.files) for d in report.deleted] == [(decided, RetentionRule.DECIDED, 3)]
    assert report.kept_on_hold == 1
    assert not decided_folder.exists() and held_folder.is_dir()
    for table in (LegRecording, ScoreSample, AnswerRow):
        assert count(database, table, decided) == 0
        assert count(database, table, held) > 0
    [stored] = ReviewRecords(database, check_policy=NO_CHECKS).decisions(decided)
    assert stored.outcome == "approve" and stored.note == "" and stored.answers == {}
    with database.session() as session:
        names = dict(
            session.execute(select(Application.applicant_name, Application.reference_photo)).tuples().all()
        )
    assert names == {"(erased)": b"", "Wang Fang": b"x"}
    chain_ok(database, root)
    named = [(d["session_id"], d["rule"]) for d in deletions(database)]
    assert named == [(aborted, "aborted_or_failed"), (decided, "decided")]

    # Released from hold, it goes at the next run.
    retention.release_hold(held, reason="case closed", by="legal", now=later)
    assert [d.session_id for d in retention.apply(later).deleted] == [held]
    assert not held_folder.exists()
    chain_ok(database, root)
    with database.session() as session:
        assert verify_audit_chain(session)[0] > 0


def test_hold_needs_reason_and_session(database: Database, tmp_path: Path) -> None:
    from app.errors import NotFound, ReviewError

    retention = Retention(database, tmp_path, PERIODS)
    with pytest.raises(NotFound):
        retention.place_hold(SessionId(99), reason="order", by="legal", now=NOW)
    with pytest.raises(ReviewError, match="needs a reason"):
        retention.place_hold(SessionId(1), reason=" ", by="legal", now=NOW)


def test_folder_outside_recordings_is_refused(database: Database, tmp_path: Path) -> None:
    from storage.retention import UnsafeRecordingPath

    root = tmp_path / "recordings"
    reviewer = Accounts(database).add("li", "password1")
    session_id, _ = recorded_session(database, root, reviewer.id, decide=False)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep.txt").write_text("not a recording")
    with database.session() as session:
        session.query(LegRecording).filter_by(session_id=session_id).update({"directory": "../elsewhere"})
    with pytest.raises(UnsafeRecordingPath, match="outside"):
        Retention(database, root, PERIODS).apply(NOW + timedelta(days=31))
    assert (outside / "keep.txt").is_file()


def test_retention_and_audit_commands(command_database: Database, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from cli import main

    data = tmp_path / "data"
    database = command_database
    reviewer = Accounts(database).add("li", "password1")
    session_id, folder = recorded_session(database, data / "recordings", reviewer.id, decide=False)

    at = (NOW + timedelta(days=31)).isoformat()
    assert main(["retention", "apply", "--dry-run", "--json", "--now", at]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True and [d["session_id"] for d in dry["deleted"]] == [session_id]
    assert folder.is_dir()
    assert main(["retention", "apply", "--json", "--now", at]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done == {**dry, "dry_run": False}
    assert not folder.exists()
    assert main(["audit", "verify", "--json"]) == 0
    verified = json.loads(capsys.readouterr().out)
    assert verified["ok"] is True
    assert [(d["session_id"], d["rule"], d["files"]) for d in verified["deleted"]] == [
        (session_id, "aborted_or_failed", 2)
    ]
    assert main(["audit", "verify"]) == 0
    assert f"session {session_id} (2 files" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["retention", "apply", "--now", "yesterday"])
    assert "not an ISO 8601 time" in capsys.readouterr().err


def test_due_recordings_go_from_the_shared_store_too(database: Database, tmp_path: Path) -> None:
    from media.recording.upload import upload_folder
    from storage.evidence import store_digest
    from storage.models import RecordingFile
    from storage.recording_store import DatabaseRecordingStore

    root = tmp_path / "recordings"
    store = DatabaseRecordingStore(database)
    reviewer = Accounts(database).add("li", "password1")
    aborted, folder = recorded_session(database, root, reviewer.id, decide=False)
    _kept, kept_folder = recorded_session(database, root, reviewer.id, decide=True)
    for uploaded in (folder, kept_folder):
        assert upload_folder(uploaded, store).uploaded == 2
    assert coverage_problems(database, root, store) == []

    report = Retention(database, root, PERIODS).apply(NOW + timedelta(days=31))
    # Counted once each, whether on this workstation's disk or in the store.
    assert [(d.session_id, d.files) for d in report.deleted] == [(aborted, 4)]
    assert store.listing(folder.name) == {} and not folder.exists()
    assert store_digest(store, kept_folder.name).files == 2
    with database.session() as session:
        assert session.execute(select(func.count()).select_from(RecordingFile)).scalar_one() == 2
    assert coverage_problems(database, root, store) == []


def test_the_browser_rows_change_in_the_deleting_transaction(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session browser's rows are rebuilt in the transaction that erases: after a run, the
    row names nobody; a run whose refresh fails leaves everything as it was (never the rows
    erased but the browser still showing the applicant, nor the other way round)."""
    import storage.retention
    from storage.models import SessionSummary

    root = tmp_path / "recordings"
    reviewer = Accounts(database).add("li", "password1")
    decided, _folder = recorded_session(database, root, reviewer.id, decide=True)
    retention = Retention(database, root, PERIODS)
    later = NOW + timedelta(days=1828)

    def listed_name() -> str:
        with database.session() as session:
            return str(
                session.execute(
                    select(SessionSummary.applicant_name).where(SessionSummary.session_id == decided)
                ).scalar_one()
            )

    assert listed_name() == "Wang Fang"

    def broken(*_args: object) -> None:
        raise RuntimeError("the summary could not be rebuilt")

    with monkeypatch.context() as patch:
        patch.setattr(storage.retention, "refresh_if_listed", broken)
        with pytest.raises(RuntimeError, match="could not be rebuilt"):
            retention.apply(later)
    assert listed_name() == "Wang Fang" and count(database, AnswerRow, decided) > 0
    assert deletions(database) == []  # no tombstone either

    assert [d.session_id for d in retention.apply(later).deleted] == [decided]
    assert listed_name() == "(erased)"
    chain_ok(database, root)
