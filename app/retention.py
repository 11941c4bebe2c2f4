"""How long the bank keeps a session's evidence: which retention rule a finished session falls
under and when it is due for deletion. Pure; storage.retention deletes."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.decisions import Outcome
from app.review import SessionState


class RetentionRule(enum.StrEnum):
    # A decided session: its recordings and the applicant's personal data.
    DECIDED = "decided"
    # An aborted (abandoned, expired) or failed (connection failed) session: its recordings.
    ABORTED_OR_FAILED = "aborted_or_failed"


@dataclass(frozen=True)
class RetentionPeriods:
    decided_days: int
    aborted_days: int

    def __post_init__(self) -> None:
        if self.decided_days < 1 or self.aborted_days < 1:
            raise ValueError("retention periods must be at least one day")

    def days(self, rule: RetentionRule) -> int:
        return self.decided_days if rule is RetentionRule.DECIDED else self.aborted_days

    def due_at(self, rule: RetentionRule, ended_at: datetime) -> datetime:
        return ended_at + timedelta(days=self.days(rule))


def rule_for(state: str, outcome: str | None) -> RetentionRule | None:
    """The rule a finished session falls under; None while it is not finished."""
    if state == SessionState.DECIDED.value:
        if outcome == Outcome.CONNECTION_FAILED.value:
            return RetentionRule.ABORTED_OR_FAILED
        return RetentionRule.DECIDED
    if state in (SessionState.ABANDONED.value, SessionState.EXPIRED.value):
        return RetentionRule.ABORTED_OR_FAILED
    return None
