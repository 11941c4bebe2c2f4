"""The four-eyes check: a selected decision waits until a different supervisor confirms it;
storage refuses the maker as checker; a send-back reopens or rejects; the random sample holds
its rate; every step is in the audit chain."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.decisions import DecisionDraft, DecisionSubmission, FaceSummary, Outcome, RejectReason
from app.four_eyes import CheckPolicy, CheckState, FourEyesRefused, SelectedBecause, SendBack
from app.queue import TokenStatus
from app.roles import Role
from app.rules import ReviewRules
from app.settings import PROJECT_ROOT, load_settings
from storage.applications import ApplicationBook
from storage.audit_log import events_for, verify_audit_chain
from storage.database import Database
from storage.desk import DatabaseReviewDesk
from storage.evidence import coverage_problems
from storage.four_eyes import FourEyesChecks
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tests.conftest import sample_form
from tools.fixtures import approval, complete_answers

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, within review hours
ABOVE_1000 = CheckPolicy(approvals_above=Decimal("1000"), sample_rate=0.0)


def approved(database: Database, reviewer_id: int, policy: CheckPolicy = ABOVE_1000):  # type: ignore[no-untyped-def]
    """An application for 5000 taken and approved by `reviewer_id`; (token, session id)."""
    registered = ApplicationBook(database).register(
        sample_form(applied_at=NOW - timedelta(hours=1)), photo=b"x", photo_format="JPEG", encoding=None
    )
    desk = DatabaseReviewDesk(database, ReviewRules.from_settings(load_settings(environ={})))
    desk.join_queue(registered.token, NOW)
    taken = desk.take_next(reviewer_id, NOW)  # type: ignore[arg-type]
    assert taken is not None
    ReviewRecords(database, check_policy=policy).record_decision(
        DecisionSubmission(
            taken.session_id, reviewer_id, approval(), answers=complete_answers(taken.questions)
        ),
        actor="maker",
        now=NOW + timedelta(minutes=1),
    )
    return registered.token, taken.session_id, registered.id


def status(database: Database, application_id: int) -> str:
    return ApplicationBook(database).get(application_id).status


def chain_ok(database: Database) -> None:
    with database.session() as session:
        assert verify_audit_chain(session)[1] is None
    assert coverage_problems(database, None) == []


def test_selected_approval_awaits_until_a_different_supervisor_confirms(database: Database) -> None:
    accounts = Accounts(database)
    reviewer = accounts.add("li", "password1")
    supervisor = accounts.add("zhang", "password1", Role.SUPERVISOR)
    token, session_id, application_id = approved(database, reviewer.id)
    checks = FourEyesChecks(database)
    assert status(database, application_id) == "awaiting_check"
    [item] = checks.queue(checker_id=supervisor.id)
    assert (item.session_id, item.outcome, item.because, item.maker_name) == (
        session_id,
        "approve",
        ["amount"],
        "li",
    )
    assert checks.states([session_id]) == {session_id: CheckState.AWAITING}
    desk = DatabaseReviewDesk(database, ReviewRules.from_settings(load_settings(environ={})))
    # While it waits, the link says the decision is being checked (not "already reviewed").
    assert desk.check_token(token, NOW + timedelta(minutes=2)).status is TokenStatus.BEING_CHECKED
    # A reviewer is no checker.
    with pytest.raises(FourEyesRefused, match="reviewer may not check"):
        checks.confirm(item.check_id, checker_id=reviewer.id, now=NOW + timedelta(minutes=3))
    assert status(database, application_id) == "awaiting_check"

    checks.confirm(item.check_id, checker_id=supervisor.id, now=NOW + timedelta(minutes=5))
    assert status(database, application_id) == "approved"
    assert checks.states([session_id]) == {session_id: CheckState.CONFIRMED}
    assert checks.queue() == []
    with pytest.raises(FourEyesRefused, match="already confirmed"):
        checks.confirm(item.check_id, checker_id=supervisor.id, now=NOW + timedelta(minutes=6))
    with database.session() as session:
        actions = [e.action for e in events_for(session, f"session:{session_id}")]
    assert actions[-3:] == ["check.selected", "decision.recorded", "check.confirmed"]
    chain_ok(database)


def test_unselected_approval_takes_effect_at_once(database: Database) -> None:
    reviewer = Accounts(database).add("li", "password1")
    policy = CheckPolicy(approvals_above=Decimal("9000"), sample_rate=0.0)
    _, session_id, application_id = approved(database, reviewer.id, policy)
    assert status(database, application_id) == "approved"
    assert FourEyesChecks(database).states([session_id]) == {}


def test_maker_cannot_check_own_decision(database: Database) -> None:
    maker = Accounts(database).add("wu", "password1")
    _, _, application_id = approved(database, maker.id)
    # Promoted to supervisor after deciding: still not the checker of their own decision.
    with database.engine.begin() as connection:
        connection.execute(text("update reviewers set role = 'supervisor' where name = 'wu'"))
    checks = FourEyesChecks(database)
    [item] = checks.queue()
    assert checks.queue(checker_id=maker.id) == []  # not in their own queue
    with pytest.raises(FourEyesRefused, match="a different supervisor must check it"):
        checks.confirm(item.check_id, checker_id=maker.id, now=NOW + timedelta(minutes=5))
    with pytest.raises(FourEyesRefused, match="a different supervisor"):
        checks.send_back(item.check_id, checker_id=maker.id, reason="x", action=SendBack.REJECT, now=NOW)
    assert status(database, application_id) == "awaiting_check"
    # Below the code, the table itself refuses it.
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        connection.execute(text("update decision_checks set checker_id = maker_id, state = 'confirmed'"))
    assert checks.queue()[0].state is CheckState.AWAITING


def test_send_back_reopens_the_application(database: Database) -> None:
    accounts = Accounts(database)
    reviewer = accounts.add("li", "password1")
    supervisor = accounts.add("zhang", "password1", Role.SUPERVISOR)
    token, session_id, application_id = approved(database, reviewer.id)
    checks = FourEyesChecks(database)
    [item] = checks.queue()
    with pytest.raises(FourEyesRefused, match="needs a reason"):
        checks.send_back(item.check_id, checker_id=supervisor.id, reason=" ", action=SendBack.REOPEN, now=NOW)
    checks.send_back(
        item.check_id, checker_id=supervisor.id, reason="income not asked", action=SendBack.REOPEN,
        now=NOW + timedelta(minutes=10),
    )  # fmt: skip
    assert status(database, application_id) == "pending_review"
    assert checks.states([session_id]) == {session_id: CheckState.SENT_BACK}
    # The applicant can start a new review, which another reviewer takes.
    desk = DatabaseReviewDesk(database, ReviewRules.from_settings(load_settings(environ={})))
    later = NOW + timedelta(minutes=20)
    assert desk.check_token(token, later).status is TokenStatus.VALID
    desk.join_queue(token, later)
    again = desk.take_next(accounts.add("chen", "password1").id, later)
    assert again is not None and again.session_id != session_id
    chain_ok(database)


def test_send_back_after_the_window_rejects(database: Database) -> None:
    accounts = Accounts(database)
    reviewer = accounts.add("li", "password1")
    supervisor = accounts.add("zhang", "password1", Role.SUPERVISOR)
    _, session_id, application_id = approved(database, reviewer.id)
    checks = FourEyesChecks(database)
    [item] = checks.queue()
    too_late = NOW + timedelta(hours=48)
    with pytest.raises(FourEyesRefused, match="cannot be reopened"):
        checks.send_back(
            item.check_id, checker_id=supervisor.id, reason="late", action=SendBack.REOPEN, now=too_late
        )
    checks.send_back(
        item.check_id, checker_id=supervisor.id, reason="late", action=SendBack.REJECT, now=too_late
    )
    assert status(database, application_id) == "rejected"
    decisions = ReviewRecords(database).decisions(session_id)
    assert [(d.outcome, d.amends_id) for d in decisions] == [("approve", None), ("reject", decisions[0].id)]
    chain_ok(database)


def test_policy_rules() -> None:
    policy = CheckPolicy(
        approvals_above=Decimal("1000"), overridden_refusals=True, red_flags=True, liveness_failed=True,
        face_flags=frozenset({"several_faces"}),
        red_flag_rules=lambda answers, _facts: ["not alone"] if answers.get("alone") is False else [],
    )  # fmt: skip

    def selects(outcome: Outcome = Outcome.REJECT, **kwargs) -> list[SelectedBecause]:  # type: ignore[no-untyped-def]
        args = {"amount": Decimal("500"), "overridden": [], "answers": {}, "face": FaceSummary()} | kwargs
        return policy.selects(outcome=outcome, draw=lambda: 0.99, **args)

    assert selects() == []
    assert selects(Outcome.APPROVE, amount=Decimal("1000.01")) == [SelectedBecause.AMOUNT]
    assert selects(Outcome.REJECT, amount=Decimal("5000")) == []
    assert selects(Outcome.APPROVE, overridden=["face not matched"]) == [SelectedBecause.OVERRIDE]
    assert selects(answers={"alone": False}) == [SelectedBecause.RED_FLAG]
    assert selects(face=FaceSummary(liveness="failed")) == [SelectedBecause.FACE_FLAG]
    assert selects(face=FaceSummary(flags_seen=("several_faces",))) == [SelectedBecause.FACE_FLAG]
    assert selects(Outcome.CONNECTION_FAILED, face=FaceSummary(liveness="failed")) == []


def test_sample_rate_holds_over_1000_decisions() -> None:
    policy = CheckPolicy.from_file(
        PROJECT_ROOT / "app" / "four_eyes.toml", approvals_above=Decimal("1000000")
    )
    assert policy.sample_rate == 0.10
    plain = {
        "amount": Decimal("500"),
        "overridden": [],
        "answers": {},
        "face": FaceSummary(liveness="passed"),
    }
    sampled = sum(bool(policy.selects(outcome=Outcome.APPROVE, **plain)) for _ in range(1000))  # type: ignore[arg-type]
    # 1,000 draws at 10%: a standard deviation of 9.5, so 60-140 fails about once in 30,000 runs.
    assert 60 <= sampled <= 140
    never = CheckPolicy(sample_rate=0.0)
    assert not any(never.selects(outcome=Outcome.APPROVE, **plain) for _ in range(200))  # type: ignore[arg-type]


def test_policy_file_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text("sample_rate = 1.5\n")
    with pytest.raises(ValueError, match="between 0 and 1"):
        CheckPolicy.from_file(bad, approvals_above=Decimal(1))
    bad.write_text("samples = 0.1\n")
    with pytest.raises(ValueError, match="unknown entries"):
        CheckPolicy.from_file(bad, approvals_above=Decimal(1))
    with pytest.raises(ValueError, match="four-eyes policy"):
        CheckPolicy.from_file(tmp_path / "missing.toml", approvals_above=Decimal(1))


def test_checks_and_sessions_list_commands(
    command_database: Database, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    import io

    from cli import main

    database = command_database
    accounts = Accounts(database)
    reviewer = accounts.add("li", "password1")
    accounts.add("zhang", "password1", Role.SUPERVISOR)
    _, session_id, _ = approved(database, reviewer.id)

    assert main(["checks", "list"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    item = json.loads(line)
    assert (item["session_id"], item["because"], item["maker"]) == (session_id, ["amount"], "li")
    assert main(["sessions", "list"]) == 0
    assert json.loads(capsys.readouterr().out)["check"] == "awaiting"

    monkeypatch.setattr("sys.stdin", io.StringIO("password1\n"))
    assert main(["checks", "confirm", "--id", str(item["id"]), "--checker", "li", "--password-stdin"]) == 1
    assert "may not check" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("password1\n"))
    assert main(["checks", "confirm", "--id", str(item["id"]), "--checker", "zhang", "--password-stdin"]) == 0
    capsys.readouterr()
    assert main(["sessions", "list"]) == 0
    assert json.loads(capsys.readouterr().out)["check"] == "confirmed"


def test_an_amendment_waits_for_the_open_check(database: Database) -> None:
    """A decision awaiting its check is not in force yet: a supervisor's amendment is refused
    until the check is made (confirm, or send back: a rejection there is the amendment)."""
    accounts = Accounts(database)
    reviewer = accounts.add("li", "password1")
    checker = accounts.add("zhang", "password1", Role.SUPERVISOR)
    amender = accounts.add("zhao", "password1", Role.SUPERVISOR)
    _, session_id, application_id = approved(database, reviewer.id)
    records = ReviewRecords(database, check_policy=ABOVE_1000)
    [original] = records.decisions(session_id)
    draft = DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,), note="income overstated")
    with pytest.raises(FourEyesRefused, match="awaits its four-eyes check"):
        records.amend_decision(
            original.id, draft, reason="payslip", supervisor_id=amender.id, actor="zhao", now=NOW
        )
    assert status(database, application_id) == "awaiting_check"
    assert len(records.decisions(session_id)) == 1
    checks = FourEyesChecks(database)
    [item] = checks.queue()
    checks.confirm(item.check_id, checker_id=checker.id, now=NOW + timedelta(minutes=5))
    amended = records.amend_decision(
        original.id, draft, reason="payslip", supervisor_id=amender.id, actor="zhao",
        now=NOW + timedelta(minutes=30),
    )  # fmt: skip
    assert (amended.outcome, amended.amends_id, amended.note) == ("reject", original.id, "income overstated")
    assert status(database, application_id) == "rejected"
    chain_ok(database)


def test_a_send_back_as_rejection_is_an_amendment_like_any_other(database: Database) -> None:
    accounts = Accounts(database)
    reviewer = accounts.add("li", "password1")
    supervisor = accounts.add("zhang", "password1", Role.SUPERVISOR)
    _, session_id, _ = approved(database, reviewer.id)
    checks = FourEyesChecks(database)
    [item] = checks.queue()
    checks.send_back(
        item.check_id, checker_id=supervisor.id, reason="no payslip", action=SendBack.REJECT, now=NOW
    )
    original, amendment = ReviewRecords(database).decisions(session_id)
    assert (amendment.outcome, amendment.reasons, amendment.override_reason) == (
        "reject",
        ["other"],
        "no payslip",
    )
    assert amendment.answers == original.answers and amendment.decided_by == supervisor.id
    with database.session() as session:
        [event] = [e for e in events_for(session, f"session:{session_id}") if e.action == "decision.amended"]
    assert event.details == {
        "decision_id": amendment.id, "amends": original.id, "outcome": "reject", "reason": "no payslip",
        "four_eyes_check": item.check_id,
    }  # fmt: skip


def test_review_records_apply_the_banks_policy_by_default(database: Database) -> None:
    """No caller has to remember the policy: ReviewRecords(database) checks what the bank's file
    selects (here an approval above four_eyes_amount_above, 20,000 by default)."""
    from app.applications import make_application_form

    reviewer = Accounts(database).add("li", "password1")
    form = make_application_form(
        name="Zhou Min", national_id="110101199001011234", phone="+86 138 0013 8000", amount="25000",
        term_months=12, purpose="Van", applied_at=NOW - timedelta(hours=1),
    )  # fmt: skip
    registered = ApplicationBook(database).register(form, photo=b"x", photo_format="JPEG", encoding=None)
    desk = DatabaseReviewDesk(database, ReviewRules.from_settings(load_settings(environ={})))
    desk.join_queue(registered.token, NOW)
    taken = desk.take_next(reviewer.id, NOW)
    assert taken is not None
    answers = complete_answers(taken.questions)
    if "identity_amount_applied" in answers:
        answers["identity_amount_applied"] = "25000"  # as applied for: no red flag
    ReviewRecords(database).record_decision(
        DecisionSubmission(taken.session_id, reviewer.id, approval(), answers=answers),
        actor="li",
        now=NOW + timedelta(minutes=1),
    )
    assert status(database, registered.id) == "awaiting_check"
    assert FourEyesChecks(database).check_of(taken.session_id).because == ["amount"]  # type: ignore[union-attr]


def test_an_identity_answer_that_contradicts_the_application_is_a_red_flag_for_the_check() -> None:
    policy = CheckPolicy.from_settings(load_settings(environ={}))
    plain = {"outcome": Outcome.REJECT, "amount": Decimal("5000"), "overridden": [], "face": FaceSummary()}
    facts = {"amount": Decimal("5000"), "national_id_last4": "1234", "term_months": 12}
    said = {"identity_amount_applied": "5000", "identity_id_last4": "1234"}
    assert policy.selects(answers=said, facts=facts, draw=lambda: 0.99, **plain) == []  # type: ignore[arg-type]
    wrong = {**said, "identity_amount_applied": "50000"}
    because = policy.selects(answers=wrong, facts=facts, draw=lambda: 0.99, **plain)  # type: ignore[arg-type]
    assert because == [SelectedBecause.RED_FLAG]


@pytest.mark.gui
def test_the_replay_offers_no_amendment_while_the_check_is_open(
    qtbot, database: Database, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The replay says the decision awaits its check and offers no amendment until it is made."""
    import os

    from services.replay import LiveReplayServices
    from storage.replay import ReplayRecords
    from storage.sealing import Sealer
    from ui.replay.window import ReplayWindow

    accounts = Accounts(database)
    reviewer = accounts.add("li", "password1")
    checker = accounts.add("zhang", "password1", Role.SUPERVISOR)
    accounts.add("zhao", "password1", Role.SUPERVISOR)
    _, session_id, _ = approved(database, reviewer.id)
    assert ReplayRecords(database).session_replay(session_id).four_eyes_check == "awaiting"
    settings = load_settings({"data_dir": str(tmp_path)}, environ={})
    services = LiveReplayServices(settings, database, Sealer(os.urandom(32)))
    window = ReplayWindow(services, settings, services.sign_in("zhao", "password1"))
    qtbot.addWidget(window)
    window.start()
    window.open_session(session_id)
    qtbot.waitUntil(lambda: window.replay is not None and "four-eyes" in window.header.text(), timeout=5000)
    assert "awaiting its four-eyes check" in window.header.text()
    assert not window.amend_button.isEnabled() and "four-eyes check" in window.amend_button.toolTip()

    [item] = FourEyesChecks(database).queue()
    FourEyesChecks(database).confirm(item.check_id, checker_id=checker.id, now=NOW + timedelta(minutes=5))
    window.open_session(session_id)
    qtbot.waitUntil(lambda: "four-eyes check confirmed" in window.header.text(), timeout=5000)
    assert window.amend_button.isEnabled()
