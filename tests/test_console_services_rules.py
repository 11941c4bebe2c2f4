"""The live console's services keep storage's rules on the console's own path: a reviewer's
console records answers, decisions and face attempts only in the sessions its reviewer took
(no network, no media: the call is never opened)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.decisions import DecisionDraft, DecisionSubmission, Outcome
from app.errors import ReviewError
from app.roles import Forbidden
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tests.conftest import live_console_services, taken_session

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_a_reviewers_console_cannot_record_a_decision_or_answer_for_another_reviewers_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with live_console_services(tmp_path, monkeypatch, pending_retry_seconds=60) as services:
        database = services.database
        li = Accounts(database).add("li.na", "password-li-na").id
        Accounts(database).add("wang.wei", "password-wang")
        theirs = taken_session(database, li, NOW)
        wang = services.sign_in("wang.wei", "password-wang")

        with pytest.raises(Forbidden, match="another reviewer"):
            services.save_answer(theirs.session_id, wang, "applied_personally", True)
        with pytest.raises(ReviewError, match="another reviewer"):
            services.save_decision(DecisionSubmission(theirs.session_id, wang, DecisionDraft(Outcome.REJECT)))
        with pytest.raises(Forbidden, match="another reviewer"):
            services.record_face_attempt(theirs.session_id, wang, failed=False)
        # Naming the other reviewer does not help: only the one signed in here records.
        with pytest.raises(Forbidden, match="signed in on this console"):
            services.save_answer(theirs.session_id, li, "applied_personally", True)
        with pytest.raises(Forbidden, match="signed in on this console"):
            services.save_decision(
                DecisionSubmission(theirs.session_id, li, DecisionDraft(Outcome.VERIFY_LATER))
            )

        records = ReviewRecords(database)
        assert records.decisions(theirs.session_id) == [] and records.answers(theirs.session_id) == {}
        assert records.face_attempts(theirs.session_id).used == 0
        assert records.state(theirs.session_id).value == "connected"  # still theirs to decide
        # The refused decision is kept on this workstation and shown, never silently lost.
        [refused] = services.refused_decisions()
        assert refused.session_id == theirs.session_id and "another reviewer" in refused.reason
