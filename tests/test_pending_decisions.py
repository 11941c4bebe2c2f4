"""A decision saved while the database is unreachable is kept, retried, and stored exactly once."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.decisions import DecisionDraft, DecisionSubmission, FaceSummary, Outcome
from app.four_eyes import NO_CHECKS
from app.ids import SessionId
from storage.database import open_database
from storage.pending import PendingDecisions
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tests.conftest import taken_session
from tests.tcp_cut import CuttableLink
from tools.fixtures import approval_with_override

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.mark.postgres
def test_decision_survives_a_database_outage(postgres_url: str, tmp_path: Path) -> None:
    url = make_url(postgres_url)
    link = CuttableLink(url.host or "127.0.0.1", url.port or 5432)
    database = open_database(url.set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False))
    try:
        reviewer = Accounts(database).add("li.reviewer", "password1")
        taken = taken_session(database, reviewer.id, NOW)
        records = ReviewRecords(database, check_policy=NO_CHECKS)
        outbox = PendingDecisions(tmp_path / "pending", records)
        draft = approval_with_override(face=FaceSummary(best_similarity=77.0, matched=True))

        link.cut()
        answers = {"monthly_income": Decimal("8000.00"), "applied_personally": True}
        result = outbox.submit(
            DecisionSubmission(taken.session_id, reviewer.id, draft, answers=answers), actor="li", now=NOW
        )
        assert result.pending and result.stored is None and "cannot be reached" in result.error
        assert [p.submission.draft.request_id for p in outbox.pending()] == [draft.request_id]
        assert outbox.retry()[0].pending  # still down

        link.restore()
        saved = outbox.retry()
        assert saved[0].stored is not None and saved[0].stored.outcome == "approve"
        assert outbox.pending() == [] and outbox.retry() == []
        decisions = records.decisions(taken.session_id)
        assert len(decisions) == 1 and decisions[0].face_summary["best_similarity"] == 77.0
        # The answers confirmed with the decision were kept with it through the outage.
        assert decisions[0].answers == {"monthly_income": "8000.00", "applied_personally": True}
        assert records.answers(taken.session_id) == decisions[0].answers
    finally:
        database.dispose()
        link.close()


def test_a_retry_after_a_lost_acknowledgement_stores_once(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reviewer = Accounts(database).add("li.reviewer", "password1")
    taken = taken_session(database, reviewer.id, NOW)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    draft = DecisionDraft(Outcome.VERIFY_LATER)
    # The database committed, but the console never heard back and kept the decision pending.
    first = records.record_decision(
        DecisionSubmission(taken.session_id, reviewer.id, draft), actor="li", now=NOW
    )
    outbox = PendingDecisions(tmp_path / "pending", records)
    again = outbox.submit(DecisionSubmission(taken.session_id, reviewer.id, draft), actor="li", now=NOW)
    assert again.stored is not None and again.stored.id == first.id
    assert len(records.decisions(taken.session_id)) == 1
    assert outbox.pending() == []


def test_a_refused_pending_decision_is_kept_and_does_not_hold_back_the_others(  # type: ignore[no-untyped-def]
    database, tmp_path: Path
) -> None:
    reviewer = Accounts(database).add("li.reviewer", "password1")
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    closed = taken_session(database, reviewer.id, NOW)
    # Its console was restarted before the decision could be stored: the session was closed.
    records.abandon_unfinished(NOW, reviewer_id=reviewer.id)
    later = taken_session(database, reviewer.id, NOW)
    outbox = PendingDecisions(tmp_path / "pending", records)
    # Two decisions kept on disk during an outage, written the way submit writes them.
    approve = DecisionDraft(Outcome.APPROVE, request_id="0" * 32)  # sorts first
    later_draft = DecisionDraft(Outcome.VERIFY_LATER, request_id="f" * 32)
    outbox._write(DecisionSubmission(closed.session_id, reviewer.id, approve), "li", NOW)
    outbox._write(DecisionSubmission(later.session_id, reviewer.id, later_draft), "li", NOW)
    results = outbox.retry()
    assert results[0].stored is None and "cannot go from 'abandoned'" in results[0].error
    assert results[1].stored is not None and results[1].stored.outcome == "verify_later"
    assert outbox.pending() == []
    assert [p.path.name for p in outbox.refused()] == [f"{'0' * 32}.refused"]  # kept, never deleted
    assert records.decisions(closed.session_id) == []


def test_one_bad_pending_file_does_not_stop_the_retry(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reviewer = Accounts(database).add("li.reviewer", "password1")
    taken = taken_session(database, reviewer.id, NOW)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    outbox = PendingDecisions(tmp_path / "pending", records)
    good = DecisionDraft(Outcome.VERIFY_LATER, request_id="f" * 32)
    outbox._write(DecisionSubmission(taken.session_id, reviewer.id, good), "li", NOW)
    # A decision for a session that does not exist sorts first.
    missing = DecisionDraft(Outcome.APPROVE, request_id="0" * 32)
    outbox._write(DecisionSubmission(SessionId(99999), reviewer.id, missing), "li", NOW)
    results = outbox.retry()
    assert results[1].stored is not None and results[1].stored.outcome == "verify_later"
    assert len(records.decisions(taken.session_id)) == 1
