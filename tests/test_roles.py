"""Each forbidden action is refused for each role that may not do it, in storage, not only in the GUI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.decisions import DecisionDraft, DecisionSubmission, Outcome, RejectReason
from app.four_eyes import NO_CHECKS
from app.roles import PERMISSIONS, Action, Forbidden, Role, may, require
from storage.access import AccessControlledRecords
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tests.conftest import taken_session
from tools.fixtures import approval_with_override

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_permission_table(role: Role, action: Action) -> None:
    if action in PERMISSIONS[role]:
        require(role, action)
    else:
        with pytest.raises(Forbidden, match=f"A {role.value} may not"):
            require(role, action)


def test_the_table_says_what_the_bank_said() -> None:
    assert may(Role.REVIEWER, Action.TAKE_APPLICANT)
    assert not may(Role.REVIEWER, Action.VIEW_ANY_SESSION)
    assert not may(Role.REVIEWER, Action.AMEND_DECISION)
    assert not may(Role.REVIEWER, Action.EXPORT_SESSION)
    assert may(Role.SUPERVISOR, Action.AMEND_DECISION) and may(Role.SUPERVISOR, Action.EXPORT_SESSION)
    assert not may(Role.SUPERVISOR, Action.MANAGE_ACCOUNTS)
    assert may(Role.ADMINISTRATOR, Action.MANAGE_ACCOUNTS)
    assert not may(Role.ADMINISTRATOR, Action.AMEND_DECISION)


def test_storage_enforces_roles_and_ownership(database) -> None:  # type: ignore[no-untyped-def]
    accounts = Accounts(database)
    alice = accounts.add("alice", "password1", Role.REVIEWER)
    bob = accounts.add("bob", "password1", Role.REVIEWER)
    carol = accounts.add("carol", "password1", Role.SUPERVISOR)
    admin = accounts.add("root", "password1", Role.ADMINISTRATOR)
    taken = taken_session(database, alice.id, NOW)
    as_alice, as_bob, as_carol, as_admin = (
        AccessControlledRecords(ReviewRecords(database, check_policy=NO_CHECKS), a)
        for a in (alice, bob, carol, admin)
    )

    with pytest.raises(Forbidden, match="another reviewer"):
        as_bob.save_answer(taken.session_id, "monthly_income", "100", NOW)
    with pytest.raises(Forbidden, match="another reviewer"):
        as_bob.record_decision(
            DecisionSubmission(taken.session_id, bob.id, DecisionDraft(Outcome.VERIFY_LATER)), now=NOW
        )
    with pytest.raises(Forbidden, match="only by the reviewer who made it"):
        as_alice.record_decision(
            DecisionSubmission(taken.session_id, bob.id, DecisionDraft(Outcome.VERIFY_LATER)), now=NOW
        )
    with pytest.raises(Forbidden, match="another reviewer"):
        as_bob.decisions(taken.session_id)
    for other in (as_carol, as_admin):
        with pytest.raises(Forbidden, match="may not answer and decide"):
            other.record_decision(
                DecisionSubmission(taken.session_id, other.account.id, DecisionDraft(Outcome.VERIFY_LATER)),
                now=NOW,
            )
    assert as_bob.recent_sessions() == []

    as_alice.save_answer(taken.session_id, "monthly_income", "100", NOW)
    decision = as_alice.record_decision(
        DecisionSubmission(taken.session_id, alice.id, approval_with_override()), now=NOW
    )
    assert [s[0] for s in as_alice.recent_sessions()] == [taken.session_id]

    amendment = DecisionDraft(Outcome.REJECT, reasons=(RejectReason.OTHER,))
    for not_supervisor in (as_alice, as_bob, as_admin):
        with pytest.raises(Forbidden, match="may not amend"):
            not_supervisor.amend_decision(decision.id, amendment, reason="x", now=NOW)
    with pytest.raises(Forbidden):
        as_admin.recent_sessions()
    amended = as_carol.amend_decision(decision.id, amendment, reason="payslip forged", now=NOW)
    assert amended.amends_id == decision.id
    assert [d.id for d in as_carol.decisions(taken.session_id)] == [decision.id, amended.id]


def test_replay_queries_enforce_roles(database) -> None:  # type: ignore[no-untyped-def]
    from storage.replay import ReplayRecords

    accounts = Accounts(database)
    alice = accounts.add("alice", "password1", Role.REVIEWER)
    bob = accounts.add("bob", "password1", Role.REVIEWER)
    carol = accounts.add("carol", "password1", Role.SUPERVISOR)
    admin = accounts.add("root", "password1", Role.ADMINISTRATOR)
    sessions = {}
    for reviewer in (alice, bob):
        taken = taken_session(database, reviewer.id, NOW)
        AccessControlledRecords(ReviewRecords(database), reviewer).record_decision(
            DecisionSubmission(taken.session_id, reviewer.id, DecisionDraft(Outcome.VERIFY_LATER)), now=NOW
        )
        ReplayRecords(database).refresh_summary(taken.session_id)
        sessions[reviewer.name] = taken.session_id

    def visible(account) -> set[int]:  # type: ignore[no-untyped-def]
        return {item.session_id for item in ReplayRecords(database, viewer=account).browse().items}

    assert visible(carol) == set(sessions.values())
    assert visible(alice) == {sessions["alice"]}
    assert visible(bob) == {sessions["bob"]}
    ReplayRecords(database, viewer=alice).session_replay(sessions["alice"])
    with pytest.raises(Forbidden, match="another reviewer"):
        ReplayRecords(database, viewer=alice).session_replay(sessions["bob"])
    with pytest.raises(Forbidden, match="administrator may not"):
        ReplayRecords(database, viewer=admin).browse()
    with pytest.raises(Forbidden, match="administrator may not"):
        ReplayRecords(database, viewer=admin).session_replay(sessions["bob"])
