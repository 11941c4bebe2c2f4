"""The supervisor's amendment dialog offers the approval policy's override reason codes for an
approval (storage checks an amendment to approve as it checks a reviewer's approval: an
override needs a code and a sentence, the amendment's reason)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import UTC, datetime

import pytest

from app.approval import load_approval_policy
from app.decisions import Outcome
from app.replay import DecisionEntry
from app.settings import load_settings

pytestmark = pytest.mark.gui
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _rejected() -> DecisionEntry:
    return DecisionEntry(
        id=1, outcome="reject", reasons=["face_match_failed"], note="", override_reason="", decided_by="li",
        decided_at=NOW, t=30.0, amends_id=None, face_summary={}, overridden=[],
    )  # fmt: skip


def test_the_amend_dialog_offers_the_policys_override_codes_for_an_approval(qtbot) -> None:  # type: ignore[no-untyped-def]
    from ui.replay.amend import AmendDialog

    policy = load_approval_policy(load_settings(environ={}).approval_policy_file)
    code = policy.override_codes[0]
    dialog = AmendDialog(_rejected(), override_codes=policy.override_codes, language="zh_CN")
    qtbot.addWidget(dialog)
    assert dialog.override_code.count() == 1 + len(policy.override_codes)
    assert dialog.override_code.itemText(1) == code.label("zh")
    dialog.outcome.setCurrentIndex(2)  # verify later: no override to choose
    assert not dialog.override_code.isEnabled()
    dialog.outcome.setCurrentIndex(0)  # approve
    assert dialog.outcome.currentData() is Outcome.APPROVE and dialog.override_code.isEnabled()
    dialog.override_code.setCurrentIndex(1)
    dialog.reason.setPlainText(
        "The applicant's identity was confirmed at the branch with the original ID card."
    )
    dialog.submit()
    assert dialog.result_value is not None
    draft, _reason = dialog.result_value
    assert draft.override_code == code.code
    dialog.outcome.setCurrentIndex(1)  # reject: the code is dropped
    assert dialog.override_code.currentIndex() == 0 and dialog.draft().override_code == ""
