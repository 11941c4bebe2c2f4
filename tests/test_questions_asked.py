"""Varied questions in storage: each session draws N of each pool of the questionnaire, in a
random order, when a reviewer first takes it; the draw is stored with the session and does not
change on a reconnect or when the same session is taken again; answers are taken only to the
questions asked; the replay has them in the order asked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from app.decisions import DecisionDraft, DecisionSubmission, Outcome
from app.errors import ReviewError
from app.four_eyes import NO_CHECKS
from app.ids import SessionId
from app.questionnaire import load_questionnaire
from app.queue import TakenApplicant
from app.rules import ReviewRules
from app.settings import load_settings
from storage.applications import ApplicationBook
from storage.database import Database
from storage.desk import DatabaseReviewDesk
from storage.models import ReviewSessionRow
from storage.replay import ReplayRecords
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tests.conftest import sample_form

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SETTINGS = load_settings(environ={})
QUESTIONNAIRE = load_questionnaire(SETTINGS.questionnaire_file)
POOLED = {q.id: q.pool for q in QUESTIONNAIRE if q.pool is not None}


@pytest.fixture
def desk(database: Database) -> Iterator[DatabaseReviewDesk]:
    yield DatabaseReviewDesk(database, ReviewRules.from_settings(SETTINGS), questionnaire=QUESTIONNAIRE)


def take(
    database: Database, desk: DatabaseReviewDesk, reviewer_id: int, name: str = "Wang Fang"
) -> tuple[str, TakenApplicant]:
    registered = ApplicationBook(database).register(
        sample_form(name, NOW - timedelta(hours=1)), photo=b"x", photo_format="JPEG", encoding=None
    )
    desk.join_queue(registered.token, NOW)
    taken = desk.take_next(reviewer_id, NOW)  # type: ignore[arg-type]
    assert taken is not None
    return registered.token, taken


def test_a_taken_session_asks_n_of_each_pool_and_keeps_them(
    database: Database, desk: DatabaseReviewDesk
) -> None:
    reviewer = Accounts(database).add("li", "password1")
    token, taken = take(database, desk, reviewer.id)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    asked = list(taken.questions)
    assert records.questions_asked(taken.session_id) == asked  # stored as handed to the console
    for pool in QUESTIONNAIRE.pools.values():
        assert sum(POOLED.get(qid) == pool.id for qid in asked) == pool.ask
    assert [qid for qid in asked if qid not in POOLED] == [q.id for q in QUESTIONNAIRE if q.pool is None]
    # The console's answer crosses the intake with the questions, in order.
    assert TakenApplicant.from_json(taken.as_json()).questions == taken.questions

    # A reconnect: the applicant's page opens the link again, a new leg starts. Same questions.
    records.start_leg(taken.session_id, NOW)
    records.end_leg(taken.session_id, NOW + timedelta(seconds=20), "dropped")
    assert desk.check_token(token, NOW + timedelta(seconds=25)).session_id == taken.session_id
    assert desk.join_queue(token, NOW + timedelta(seconds=25)).session_id == taken.session_id
    records.start_leg(taken.session_id, NOW + timedelta(seconds=30))
    assert records.questions_asked(taken.session_id) == asked
    # The same session taken again (put back in the queue): still the first draw.
    with database.session() as session:
        session.execute(
            update(ReviewSessionRow).where(ReviewSessionRow.id == taken.session_id).values(state="waiting")
        )
    again = desk.take_next(reviewer.id, NOW + timedelta(minutes=1))  # type: ignore[arg-type]
    assert again is not None and again.session_id == taken.session_id
    assert list(again.questions) == asked
    assert records.questions_asked(taken.session_id) == asked


def test_the_draw_varies_from_session_to_session(database: Database, desk: DatabaseReviewDesk) -> None:
    reviewer = Accounts(database).add("li", "password1")
    draws = {take(database, desk, reviewer.id, f"Applicant {n}")[1].questions for n in range(12)}
    # Two pools of three, two asked from each in order: 36 possible draws. Twelve sessions all
    # drawing the same one happens once in 36**11.
    assert len(draws) > 1
    identity_orders = {tuple(q for q in draw if POOLED.get(q) == "identity") for draw in draws}
    assert len(identity_orders) > 1


def test_only_the_questions_asked_take_answers(database: Database, desk: DatabaseReviewDesk) -> None:
    reviewer = Accounts(database).add("li", "password1")
    _, taken = take(database, desk, reviewer.id)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    not_asked = next(qid for qid in POOLED if qid not in taken.questions)
    with pytest.raises(ReviewError, match=f"does not ask {not_asked}"):
        records.save_answer(taken.session_id, not_asked, True, reviewer_id=reviewer.id, now=NOW)
    with pytest.raises(ReviewError, match="does not ask"):
        records.record_decision(
            DecisionSubmission(
                taken.session_id, reviewer.id, DecisionDraft(Outcome.VERIFY_LATER),
                answers={"monthly_income": "9000", not_asked: True},
            ),
            actor="li", now=NOW,
        )  # fmt: skip
    records.save_answer(taken.session_id, "monthly_income", "9000", reviewer_id=reviewer.id, now=NOW)
    assert records.answers(taken.session_id) == {"monthly_income": "9000"}


def test_the_replay_has_the_questions_in_the_order_asked(
    database: Database, desk: DatabaseReviewDesk
) -> None:
    reviewer = Accounts(database).add("li", "password1")
    _, taken = take(database, desk, reviewer.id)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    # Answered in another order than asked (the last question first).
    for offset, qid in enumerate(
        reversed([q for q in taken.questions if q == "monthly_income" or q in POOLED])
    ):
        value = "9000" if qid == "monthly_income" else True
        if qid in {"identity_id_last4"}:
            value = "1234"
        elif qid in {"identity_date_of_birth"}:
            value = "1990-01-01"
        elif qid in {"identity_amount_applied"}:
            value = "5000"
        elif qid == "understanding_term_months":
            value = "12"
        records.save_answer(
            taken.session_id, qid, value, reviewer_id=reviewer.id, now=NOW + timedelta(seconds=offset)
        )
    records.record_decision(
        DecisionSubmission(taken.session_id, reviewer.id, DecisionDraft(Outcome.VERIFY_LATER)),
        actor="li",
        now=NOW + timedelta(minutes=1),
    )
    replay = ReplayRecords(database).session_replay(SessionId(taken.session_id))
    assert replay.questions_asked == list(taken.questions)
    assert set(replay.latest_answers()) <= set(replay.questions_asked)


def test_storage_counts_as_missing_only_the_questions_asked(
    database: Database, desk: DatabaseReviewDesk
) -> None:
    """The approval policy's 'required answers missing', as storage checks it: every question
    the session asks answered is complete, whatever the pools' other questions."""
    from tools.fixtures import approval, complete_answers

    reviewer = Accounts(database).add("li", "password1")
    _, taken = take(database, desk, reviewer.id)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    answers = complete_answers(taken.questions)
    assert set(answers) == set(taken.questions) - {"reviewer_notes"}  # the pools' others unanswered
    stored = records.record_decision(
        DecisionSubmission(taken.session_id, reviewer.id, approval(), answers=answers), actor="li", now=NOW
    )
    assert stored.overridden == []  # nothing missing: no override needed

    _, second = take(database, desk, reviewer.id, "Zhang Wei")
    one_short = complete_answers(second.questions)
    asked_from_pool = next(qid for qid in second.questions if qid in POOLED)
    del one_short[asked_from_pool]
    with pytest.raises(ReviewError, match="override"):
        records.record_decision(
            DecisionSubmission(second.session_id, reviewer.id, approval(), answers=one_short),
            actor="li",
            now=NOW,
        )
