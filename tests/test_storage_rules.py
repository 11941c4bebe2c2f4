"""Rules storage keeps whoever calls it: only the reviewer who took a session answers and decides
in it; an application's face attempts are limited across its sessions; a call that ends without
a decision ends abandoned and is listed; the browser's row follows every change in the same
transaction; pending decisions survive a damaged file; the demo session is covered by the chain."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.decisions import DecisionDraft, DecisionSubmission, FaceSummary, Outcome, RejectReason
from app.four_eyes import NO_CHECKS
from app.ids import SessionId
from app.roles import Forbidden, Role
from app.rules import ReviewRules
from app.settings import load_settings
from storage.applications import ApplicationBook
from storage.desk import DatabaseReviewDesk
from storage.pending import PendingDecisions
from storage.replay import ReplayRecords, SessionFilter
from storage.reviewers import Accounts
from storage.reviews import FaceAttemptsUsedUp, ReviewRecords
from tests.conftest import sample_form, taken_session

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ALL_DAY = ReviewRules.from_settings(
    load_settings({"review_opens": "00:00", "review_closes": "00:00"}, environ={})
)


def test_a_reviewer_cannot_answer_decide_or_count_attempts_in_another_reviewers_session(database) -> None:  # type: ignore[no-untyped-def]
    li = Accounts(database).add("li.reviewer", "password1")
    wang = Accounts(database).add("wang.reviewer", "password2")
    boss = Accounts(database).add("zhang.supervisor", "password3", Role.SUPERVISOR)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    taken = taken_session(database, li.id, NOW)
    for intruder in (wang.id, boss.id):
        with pytest.raises(Forbidden):
            records.save_answer(taken.session_id, "applied_personally", True, reviewer_id=intruder, now=NOW)
        with pytest.raises(Forbidden):
            records.record_decision(
                DecisionSubmission(
                    taken.session_id, intruder, DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,))
                ),
                actor="intruder",
                now=NOW,
            )
        with pytest.raises(Forbidden):
            records.record_face_attempt(
                taken.session_id, failed=False, now=NOW, reviewer_id=intruder, actor="x"
            )
    assert records.answers(taken.session_id) == {}
    assert records.decisions(taken.session_id) == []
    # The reviewer who took it may.
    records.save_answer(taken.session_id, "applied_personally", True, reviewer_id=li.id, now=NOW)
    stored = records.record_decision(
        DecisionSubmission(taken.session_id, li.id, DecisionDraft(Outcome.VERIFY_LATER)), actor="li", now=NOW
    )
    assert stored.decided_by == li.id


def test_the_fourth_face_attempt_of_an_application_is_refused_across_two_sessions(database) -> None:  # type: ignore[no-untyped-def]
    li = Accounts(database).add("li.reviewer", "password1")
    records = ReviewRecords(database, face_attempts_limit=3, check_policy=NO_CHECKS)
    desk = DatabaseReviewDesk(database, ALL_DAY)
    registered = ApplicationBook(database).register(
        sample_form(), photo=b"x", photo_format="jpeg", encoding=None
    )

    def attempt(session_id: SessionId, *, failed: bool) -> Any:
        return records.record_face_attempt(session_id, failed=failed, now=NOW, reviewer_id=li.id, actor="li")

    desk.join_queue(registered.token, NOW)
    first = desk.take_next(li.id, NOW)
    assert first is not None
    for _ in range(2):
        attempt(first.session_id, failed=False)
        count = attempt(first.session_id, failed=True)
    assert (count.used, count.failed, count.limit) == (2, 2, 3)
    # The call drops for good; the applicant comes back later: a new session, same application.
    assert records.end_without_decision(first.session_id, NOW + timedelta(minutes=1), "hung_up")
    desk.join_queue(registered.token, NOW + timedelta(minutes=5))
    second = desk.take_next(li.id, NOW + timedelta(minutes=5))
    assert second is not None and second.session_id != first.session_id
    assert records.face_attempts(second.session_id).used == 2
    attempt(second.session_id, failed=False)
    count = attempt(second.session_id, failed=True)
    assert count.exhausted and count.used == 3
    with pytest.raises(FaceAttemptsUsedUp, match="attempts of this application are used"):
        attempt(second.session_id, failed=False)
    # No approval once every attempt failed, also with the face check overridden.
    approve = DecisionDraft(
        Outcome.APPROVE,
        face=FaceSummary(matched=True),
        override_reason="I know this person",
        request_id="a" * 32,
    )
    with pytest.raises(FaceAttemptsUsedUp, match="Approval is not possible"):
        records.record_decision(
            DecisionSubmission(second.session_id, li.id, approve, overridden=("face",)), actor="li", now=NOW
        )
    stored = records.record_decision(
        DecisionSubmission(
            second.session_id, li.id, DecisionDraft(Outcome.REJECT, reasons=(RejectReason.FACE_MATCH_FAILED,))
        ),
        actor="li",
        now=NOW + timedelta(minutes=7),
    )
    assert stored.outcome == "reject"


@pytest.mark.parametrize(("sent", "stored"), [("hang_up", "hung_up"), ("console_closed", "console_closed")])
def test_a_hung_up_call_without_a_decision_ends_abandoned_and_is_listed_by_sessions_list(  # type: ignore[no-untyped-def]
    database,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sent: str,
    stored: str,
) -> None:
    """Through the intake service, as a console's hang-up (or its window closing) reaches it."""
    from cli import main
    from media.intake import IntakeServer
    from storage.console_credentials import ConsoleCredentials

    Accounts(database).add("li.reviewer", "password1")
    registered = ApplicationBook(database).register(
        sample_form(), photo=b"x", photo_format="jpeg", encoding=None
    )
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    credentials = ConsoleCredentials(database)
    token = credentials.sign_in("li.reviewer", "password1", "127.0.0.1", datetime.now(UTC)).token
    signed_in = {"Authorization": f"Bearer {token}"}
    with IntakeServer(DatabaseReviewDesk(database, ALL_DAY), records, console_access=credentials) as server:

        async def scenario() -> int:
            async with aiohttp.ClientSession() as http:
                applicant = await http.ws_connect(
                    f"{server.url.replace('http', 'ws')}/ws/applicant?t={registered.token}"
                )
                await applicant.send_json({"type": "join"})
                await _receive(applicant, "queued")
                async with http.post(f"{server.url}/api/console/take-next", headers=signed_in) as response:
                    assert response.status == 200
                    session_id = int((await response.json())["session_id"])
                console = await http.ws_connect(
                    f"{server.url.replace('http', 'ws')}/ws/console/sessions/{session_id}", headers=signed_in
                )
                await console.send_json({"type": "end", "reason": sent})
                assert (await _receive(applicant, "ended"))["reason"] == "hang_up"
                await console.close()
                await applicant.close()
                return session_id

        session_id = SessionId(asyncio.run(scenario()))
    assert records.state(session_id).value == "abandoned"
    [item] = ReplayRecords(database).browse(SessionFilter(outcome="abandoned")).items
    assert (item.session_id, item.reason_codes) == (session_id, [stored])

    monkeypatch.setenv("AUDIT_DATABASE_URL", database_url)
    capsys.readouterr()
    assert main(["sessions", "list", "--outcome", "abandoned"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    listed = json.loads(line)
    assert (listed["id"], listed["state"], listed["outcome"], listed["reasons"]) == (
        session_id,
        "abandoned",
        "abandoned",
        [stored],
    )


async def _receive(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            message = await ws.receive()
            assert message.type is aiohttp.WSMsgType.TEXT, f"closed while waiting for {kind!r}"
            body: dict[str, Any] = json.loads(message.data)
            if body["type"] == kind:
                return body


def test_the_browser_row_follows_decisions_and_amendments_in_their_transaction(database) -> None:  # type: ignore[no-untyped-def]
    li = Accounts(database).add("li.reviewer", "password1")
    boss = Accounts(database).add("zhang.supervisor", "password3", Role.SUPERVISOR)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    browser = ReplayRecords(database)
    taken = taken_session(database, li.id, NOW)
    records.start_leg(taken.session_id, NOW)
    assert browser.browse().items == []  # in the call: not listed
    decision = records.record_decision(
        DecisionSubmission(taken.session_id, li.id, DecisionDraft(Outcome.VERIFY_LATER)), actor="li", now=NOW
    )
    [item] = browser.browse().items  # nobody refreshed it
    assert (item.outcome, item.amended, item.legs) == ("verify_later", False, 1)
    records.amend_decision(
        decision.id,
        DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,)),
        reason="checked after the call",
        supervisor_id=boss.id,
        actor="zhang",
        now=NOW + timedelta(minutes=3),
    )
    [item] = browser.browse().items
    assert (item.outcome, item.amended, item.reason_codes) == ("reject", True, ["other"])
    assert browser.refresh_missing() == 0


def test_a_corrupt_pending_file_does_not_stop_the_others(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    li = Accounts(database).add("li.reviewer", "password1")
    taken = taken_session(database, li.id, NOW)
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    outbox = PendingDecisions(tmp_path / "pending", records)
    good = DecisionDraft(Outcome.VERIFY_LATER, request_id="f" * 32)
    outbox._write(DecisionSubmission(taken.session_id, li.id, good), "li", NOW)
    # Damaged files sort first: cut short by a full disk, and valid JSON of the wrong shape.
    (tmp_path / "pending" / f"{'0' * 32}.json").write_text('{"session_id": 1, "dra', encoding="utf-8")
    (tmp_path / "pending" / f"{'1' * 32}.json").write_text('["not", "a", "decision"]', encoding="utf-8")
    results = outbox.retry()
    assert [r.stored.outcome for r in results if r.stored is not None] == ["verify_later"]
    assert outbox.pending() == [] and outbox.retry() == []
    refused = outbox.refused()
    assert [r.path.name for r in refused] == [f"{'0' * 32}.refused", f"{'1' * 32}.refused"]
    assert all(r.session_id is None and "cannot be read" in r.reason for r in refused)
    # Kept as they were, for whoever looks into it.
    assert refused[0].path.read_text(encoding="utf-8") == '{"session_id": 1, "dra'


def test_a_refused_pending_decision_says_why(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    li = Accounts(database).add("li.reviewer", "password1")
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    taken = taken_session(database, li.id, NOW)
    records.end_without_decision(taken.session_id, NOW, "console_lost")
    outbox = PendingDecisions(tmp_path / "pending", records)
    outbox.submit(
        DecisionSubmission(taken.session_id, li.id, DecisionDraft(Outcome.VERIFY_LATER)), actor="li", now=NOW
    )
    [refused] = outbox.refused()
    assert (refused.session_id, refused.outcome, refused.decided_at) == (
        taken.session_id,
        "verify_later",
        NOW,
    )
    assert "abandoned" in refused.reason


def test_sessions_demo_then_audit_verify_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    from cli import main

    monkeypatch.setenv("AUDIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AUDIT_DATABASE_URL", f"sqlite:///{tmp_path / 'console.db'}")
    monkeypatch.setenv("AUDIT_SHARED_DATA_DIR", str(shared_data))
    assert main(["init-db"]) == 0
    assert main(["sessions", "demo", "--fast-faces", "--seconds", "1", "1"]) == 0
    capsys.readouterr()
    verified = main(["audit", "verify"])
    out, err = capsys.readouterr()
    assert verified == 0, err
    assert "NOT COVERED" not in err and "every decision, amendment and recording is covered" in out
