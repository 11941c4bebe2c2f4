"""Storage on SQLite and on PostgreSQL: applications, the queue, sessions, decisions, the audit chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.decisions import DecisionDraft, DecisionSubmission, FaceSummary, Outcome, RejectReason
from app.errors import InvalidTransition, NotFound, ReviewError
from app.four_eyes import NO_CHECKS
from app.ids import ReviewerId
from app.queue import TokenStatus
from app.review import SessionState
from app.roles import Role
from app.rules import ReviewRules
from app.settings import load_settings
from storage.applications import ApplicationBook
from storage.audit_log import verify_audit_chain
from storage.database import MIGRATIONS_DIR
from storage.desk import DatabaseReviewDesk
from storage.recordings import RecordingRecords, TimelineSample
from storage.reviewers import Accounts, SignInFailed
from storage.reviews import DecisionAlreadyRecorded, ReviewRecords
from tests.conftest import sample_form, taken_session
from tools.fixtures import approval, approval_with_override, complete_answers

MIGRATIONS = MIGRATIONS_DIR / "versions"
RULES = ReviewRules.from_settings(load_settings(environ={}))
# 10:00 in Shanghai: inside review hours.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def register(database, name: str = "Wang Fang", applied_at: datetime | None = None):  # type: ignore[no-untyped-def]
    return ApplicationBook(database).register(
        sample_form(name, applied_at or NOW - timedelta(hours=1)),
        photo=b"jpeg-bytes",
        photo_format="JPEG",
        encoding=[0.1] * 128,
    )


def test_migrate_twice_is_harmless(database) -> None:  # type: ignore[no-untyped-def]
    first = database.migrate()
    assert first == database.migrate()
    assert first.startswith(max(p.name[:4] for p in MIGRATIONS.glob("[0-9]*.py")))


def test_register_and_read_an_application(database) -> None:  # type: ignore[no-untyped-def]
    book = ApplicationBook(database)
    registered = register(database)
    view = book.get(registered.id)
    assert view.applicant_name == "Wang Fang"
    assert view.masked_national_id.endswith("1234") and "110101" not in view.masked_national_id
    assert view.amount == Decimal("5000.00")
    assert view.status == "pending_review"
    assert book.reference_photo(registered.id) == b"jpeg-bytes"
    with pytest.raises(NotFound, match="no application with id 999"):
        book.get(999)


def test_many_registered_at_once_join_the_queue_with_the_audit_chain_intact(database) -> None:  # type: ignore[no-untyped-def]
    """The bench's bulk path: one transaction, every token valid, one audit event each, in order."""
    book = ApplicationBook(database)
    single = register(database, "Before The Batch")
    forms = [sample_form(f"Batch Applicant {i}", NOW - timedelta(hours=1)) for i in range(25)]
    batch = book.register_many(forms, photo=b"jpeg-bytes", photo_format="JPEG", actor="bench")
    assert len(batch) == 25 and len({r.token for r in batch}) == 25
    assert [r.id for r in batch] == sorted(r.id for r in batch) and batch[0].id > single.id
    assert [book.get(r.id).applicant_name for r in batch[:3]] == [f"Batch Applicant {i}" for i in range(3)]
    assert book.reference_photo(batch[-1].id) == b"jpeg-bytes"
    register(database, "After The Batch")  # the chain goes on from the batch's last event
    with database.session() as session:
        assert verify_audit_chain(session) == (27, None)
        subjects = session.execute(
            text("SELECT subject FROM audit_events WHERE actor = 'bench' ORDER BY seq")
        ).scalars().all()  # fmt: skip
    assert subjects == [f"application:{r.id}" for r in batch]
    desk = DatabaseReviewDesk(database, RULES)
    assert desk.join_queue(batch[7].token, NOW).position == 1
    assert book.register_many([], photo=b"x", photo_format="JPEG") == []


def test_tokens(database) -> None:  # type: ignore[no-untyped-def]
    desk = DatabaseReviewDesk(database, RULES)
    registered = register(database)
    assert desk.check_token(registered.token, NOW).status is TokenStatus.VALID
    assert desk.check_token("not-a-token", NOW).status is TokenStatus.UNKNOWN
    assert desk.check_token("", NOW).status is TokenStatus.UNKNOWN
    # 23:30 UTC is 07:30 in Shanghai.
    outside = desk.check_token(registered.token, datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    assert outside.status is TokenStatus.OUTSIDE_HOURS and outside.next_opening is not None
    assert desk.check_token(registered.token, NOW + timedelta(hours=47)).status is TokenStatus.EXPIRED
    with pytest.raises(ReviewError, match="48-hour"):
        desk.join_queue(registered.token, NOW + timedelta(hours=48))


def test_queue_order_and_take_next_exactly_once(database) -> None:  # type: ignore[no-untyped-def]
    desk = DatabaseReviewDesk(database, RULES)
    reviewer = Accounts(database).add("li.reviewer", "correct horse", Role.REVIEWER)
    tokens = [register(database, f"Applicant {i}").token for i in range(3)]
    tickets = [desk.join_queue(token, NOW + timedelta(seconds=i)) for i, token in enumerate(tokens)]
    assert [t.position for t in tickets] == [1, 2, 3]
    assert desk.join_queue(tokens[1], NOW + timedelta(seconds=10)).session_id == tickets[1].session_id
    summary = desk.summary(NOW + timedelta(seconds=60))
    assert summary.waiting == 3 and summary.longest_wait_seconds == pytest.approx(60)

    desk.leave_queue(tickets[1].session_id, NOW, verify_later=True)
    assert desk.ticket(tickets[2].session_id).position == 2

    first = desk.take_next(reviewer.id, NOW)
    second = desk.take_next(reviewer.id, NOW)
    assert first is not None and second is not None
    assert [first.session_id, second.session_id] == [tickets[0].session_id, tickets[2].session_id]
    assert first.reference_photo == b"jpeg-bytes"
    assert desk.take_next(reviewer.id, NOW) is None
    assert desk.ticket(first.session_id).position == 0
    # The applicant who chose "verify later" can come back.
    assert desk.check_token(tokens[1], NOW).status is TokenStatus.VALID


def test_decision_is_final_and_exactly_once(database) -> None:  # type: ignore[no-untyped-def]
    desk = DatabaseReviewDesk(database, RULES)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    reviewer = Accounts(database).add("li.reviewer", "correct horse")
    registered = register(database)
    desk.join_queue(registered.token, NOW)
    taken = desk.take_next(reviewer.id, NOW)
    assert taken is not None
    assert records.start_leg(taken.session_id, NOW) == 1
    records.save_answer(taken.session_id, "monthly_income", Decimal("8000"), reviewer_id=reviewer.id, now=NOW)
    records.save_answer(taken.session_id, "monthly_income", Decimal("9000"), reviewer_id=reviewer.id, now=NOW)
    RecordingRecords(database).save_samples(
        taken.session_id,
        [TimelineSample(0.5, 1, similarity=80.0, distance=0.35, matched=True, flags=["too_dark"])],
    )
    draft = approval_with_override(face=FaceSummary(best_similarity=80.0, matched=True))
    stored = records.record_decision(
        DecisionSubmission(taken.session_id, reviewer.id, draft), actor="li.reviewer", now=NOW
    )
    assert stored.answers == {"monthly_income": "9000"}
    assert stored.face_summary["best_similarity"] == 80.0
    assert records.state(taken.session_id) is SessionState.DECIDED
    assert ApplicationBook(database).get(registered.id).status == "approved"
    assert records.legs(taken.session_id)[0][3] == "decided"
    # The same confirmation saved again (a retry) is stored once; another decision is refused.
    retried = records.record_decision(
        DecisionSubmission(taken.session_id, reviewer.id, draft), actor="li.reviewer", now=NOW
    )
    assert retried.id == stored.id
    other = DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,))
    with pytest.raises(DecisionAlreadyRecorded):
        records.record_decision(DecisionSubmission(taken.session_id, reviewer.id, other), actor="x", now=NOW)
    with pytest.raises(ReviewError, match="answers are closed"):
        records.save_answer(taken.session_id, "monthly_income", "1", reviewer_id=reviewer.id, now=NOW)
    assert desk.check_token(registered.token, NOW).status is TokenStatus.USED

    supervisor = Accounts(database).add("zhang.supervisor", "correct horse", Role.SUPERVISOR)
    amendment = records.amend_decision(
        stored.id,
        DecisionDraft(Outcome.REJECT, reasons=(RejectReason.FRAUD_SUSPECTED,)),
        reason="Forged payslip found after the call",
        supervisor_id=supervisor.id,
        actor="zhang.supervisor",
        now=NOW,
    )
    history = records.decisions(taken.session_id)
    assert [d.id for d in history] == [stored.id, amendment.id]
    assert history[0].outcome == "approve" and history[1].amends_id == stored.id
    assert ApplicationBook(database).get(registered.id).status == "rejected"


def test_connection_failed_lets_the_applicant_retry(database) -> None:  # type: ignore[no-untyped-def]
    desk = DatabaseReviewDesk(database, RULES)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    registered = register(database)
    desk.join_queue(registered.token, NOW)
    taken = desk.take_next(ReviewerId(Accounts(database).add("r1", "password1").id), NOW)
    assert taken is not None
    records.start_leg(taken.session_id, NOW)
    records.end_leg(taken.session_id, NOW, "applicant_dropped")
    assert records.start_leg(taken.session_id, NOW + timedelta(seconds=5)) == 2
    records.end_connection_failed(taken.session_id, NOW + timedelta(seconds=60), details={})
    assert records.decisions(taken.session_id)[0].outcome == "connection_failed"
    assert desk.check_token(registered.token, NOW).status is TokenStatus.VALID
    again = desk.join_queue(registered.token, NOW + timedelta(minutes=5))
    assert again.session_id != taken.session_id and again.position == 1


def test_abandoned_on_restart(database) -> None:  # type: ignore[no-untyped-def]
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    taken = taken_session(database, ReviewerId(Accounts(database).add("r1", "password1").id), NOW)
    records.start_leg(taken.session_id, NOW)
    assert records.abandon_unfinished(NOW) == [taken.session_id]
    assert records.state(taken.session_id) is SessionState.ABANDONED
    with pytest.raises(InvalidTransition):
        records.move(taken.session_id, SessionState.QUESTIONING, NOW, actor="x")


def test_accounts_hash_passwords(database) -> None:  # type: ignore[no-untyped-def]
    accounts = Accounts(database)
    accounts.add("li.reviewer", "correct horse")
    with database.session() as session:
        stored = session.execute(text("select password_hash from reviewers")).scalar_one()
    assert stored.startswith("$argon2") and "correct horse" not in stored
    assert accounts.sign_in("li.reviewer", "correct horse").role is Role.REVIEWER
    with pytest.raises(SignInFailed):
        accounts.sign_in("li.reviewer", "wrong")
    with pytest.raises(SignInFailed):
        accounts.sign_in("nobody", "correct horse")
    with pytest.raises(ReviewError, match="already exists"):
        accounts.add("li.reviewer", "another one")
    with pytest.raises(ReviewError, match="at least 8"):
        accounts.add("short", "pw")


def _chain(database):  # type: ignore[no-untyped-def]
    with database.session() as session:
        return verify_audit_chain(session)


def test_audit_chain_catches_an_update(database) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        register(database, f"Applicant {i}")
    count, problem = _chain(database)
    assert count == 3 and problem is None
    with database.engine.begin() as connection:
        connection.execute(text("update audit_events set actor = 'mallory' where seq = 2"))
    count, problem = _chain(database)
    assert problem is not None and problem.seq == 2 and "changed" in problem.problem


@pytest.mark.parametrize("seq", [1, 2, 3])
def test_audit_chain_catches_a_delete(database, seq: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        register(database, f"Applicant {i}")
    with database.engine.begin() as connection:
        connection.execute(text("delete from audit_events where seq = :seq"), {"seq": seq})
    _, problem = _chain(database)
    assert problem is not None and problem.seq == seq


@pytest.mark.postgres
def test_many_consoles_take_each_applicant_once_and_decide_once(postgres_url: str) -> None:
    """Threads stand in for consoles here; the multi-process test is in the intake tests."""
    from concurrent.futures import ThreadPoolExecutor

    from storage.database import open_database

    database = open_database(postgres_url)
    desk = DatabaseReviewDesk(database, RULES)
    reviewers = [Accounts(database).add(f"r{i}", "password1").id for i in range(4)]
    for i in range(20):
        desk.join_queue(register(database, f"Applicant {i}").token, NOW + timedelta(milliseconds=i))

    def drain(reviewer_id: ReviewerId) -> list[int]:
        taken = []
        while (applicant := desk.take_next(reviewer_id, NOW)) is not None:
            taken.append(applicant.session_id)
        return taken

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(drain, reviewers))
    everything = [sid for result in results for sid in result]
    assert len(everything) == 20 and len(set(everything)) == 20

    records = ReviewRecords(database, check_policy=NO_CHECKS)
    owner, target = next((reviewers[i], result[0]) for i, result in enumerate(results) if result)

    def decide(reviewer_id: ReviewerId) -> str:
        # Each try its own request (the owner's console and its retries of a pending decision).
        draft = DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,))
        try:
            records.record_decision(DecisionSubmission(target, reviewer_id, draft), actor="r", now=NOW)
            return "stored"
        except DecisionAlreadyRecorded:
            return "refused"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(decide, [owner] * 4))
    assert sorted(outcomes) == ["refused", "refused", "refused", "stored"]
    assert len(records.decisions(target)) == 1
    assert _chain(database)[1] is None
    database.dispose()


def test_decision_snapshot_is_the_form_as_confirmed(database) -> None:  # type: ignore[no-untyped-def]
    desk = DatabaseReviewDesk(database, RULES)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    reviewer = Accounts(database).add("li.reviewer", "correct horse")
    desk.join_queue(register(database).token, NOW)
    taken = desk.take_next(reviewer.id, NOW)
    assert taken is not None
    records.save_answer(taken.session_id, "monthly_income", "8000", reviewer_id=reviewer.id, now=NOW)
    records.save_answer(taken.session_id, "employer_or_business", "Acme", reviewer_id=reviewer.id, now=NOW)
    # The reviewer cleared the employer and changed the income before confirming.
    stored = records.record_decision(
        DecisionSubmission(
            taken.session_id,
            reviewer.id,
            DecisionDraft(Outcome.VERIFY_LATER),
            answers={
                "monthly_income": Decimal("9000.00"),
                "employer_or_business": "",
                "applied_personally": False,
            },
        ),
        actor="li",
        now=NOW,
    )
    assert stored.answers == {"monthly_income": "9000.00", "applied_personally": False}
    assert records.answers(taken.session_id) == stored.answers


def test_an_unreadable_photo_does_not_block_the_queue(database) -> None:  # type: ignore[no-untyped-def]
    import os

    from storage.sealing import Sealer

    ours, other = Sealer(os.urandom(32)), Sealer(os.urandom(32))
    bad = ApplicationBook(database, other).register(
        sample_form("Wrong Key", NOW - timedelta(hours=1)), photo=b"photo", photo_format="JPEG", encoding=None
    )
    good = ApplicationBook(database, ours).register(
        sample_form("Right Key", NOW - timedelta(hours=1)), photo=b"photo", photo_format="JPEG", encoding=None
    )
    desk = DatabaseReviewDesk(database, RULES, ours)
    first = desk.join_queue(bad.token, NOW)
    desk.join_queue(good.token, NOW + timedelta(seconds=1))
    reviewer = Accounts(database).add("li.reviewer", "correct horse")
    taken = desk.take_next(reviewer.id, NOW)
    assert taken is not None and taken.applicant_name == "Right Key" and taken.reference_photo == b"photo"
    assert ReviewRecords(database, check_policy=NO_CHECKS).state(first.session_id) is SessionState.ABANDONED
    assert desk.summary(NOW).waiting == 0
    with database.session() as session:
        assert verify_audit_chain(session)[1] is None
        actions = [r[0] for r in session.execute(text("select action from audit_events order by seq"))]
    assert "queue.photo_unreadable" in actions


def test_a_restarted_intake_clears_ghosts_from_the_queue(database) -> None:  # type: ignore[no-untyped-def]
    desk = DatabaseReviewDesk(database, RULES)
    registered = register(database)
    ghost = desk.join_queue(registered.token, NOW)
    assert desk.clear_stale_queue(NOW + timedelta(minutes=1)) == 1
    assert desk.summary(NOW).waiting == 0
    assert ReviewRecords(database, check_policy=NO_CHECKS).state(ghost.session_id) is SessionState.ABANDONED
    # The applicant's link still works: they join again.
    assert desk.check_token(registered.token, NOW).status is TokenStatus.VALID
    assert desk.join_queue(registered.token, NOW + timedelta(minutes=2)).position == 1
    assert desk.clear_stale_queue(NOW) == 0  # nobody queued before that moment any more


def test_two_supervisors_amending_at_once_do_not_overwrite_each_other(database) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import taken_session

    reviewer = Accounts(database).add("li.reviewer", "correct horse")
    taken = taken_session(database, reviewer.id, NOW)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    original = records.record_decision(
        DecisionSubmission(
            taken.session_id, reviewer.id, approval(), answers=complete_answers(taken.questions)
        ),
        actor="li",
        now=NOW,
    )
    zhang = Accounts(database).add("zhang", "correct horse", Role.SUPERVISOR)
    wang = Accounts(database).add("wang", "correct horse", Role.SUPERVISOR)
    # Both opened the session while the original decision was in force.
    first = records.amend_decision(
        original.id, DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,)), reason="payslip forged",
        supervisor_id=zhang.id, actor="zhang", now=NOW, in_force_seen=original.id,
    )  # fmt: skip
    with pytest.raises(DecisionAlreadyRecorded, match=f"amended meanwhile \\(now decision {first.id}\\)"):
        records.amend_decision(
            original.id, DecisionDraft(Outcome.VERIFY_LATER), reason="call again",
            supervisor_id=wang.id, actor="wang", now=NOW, in_force_seen=original.id,
        )  # fmt: skip
    assert [d.id for d in records.decisions(taken.session_id)] == [original.id, first.id]
    # Having seen the amendment, the second supervisor may amend again.
    records.amend_decision(
        original.id, DecisionDraft(Outcome.VERIFY_LATER), reason="call again",
        supervisor_id=wang.id, actor="wang", now=NOW, in_force_seen=first.id,
    )  # fmt: skip
    assert len(records.decisions(taken.session_id)) == 3
