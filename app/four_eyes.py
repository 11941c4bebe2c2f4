"""The four-eyes check (maker-checker): which decisions a supervisor must confirm before they
take effect, as the bank's policy file says. Pure; storage.four_eyes keeps the checks."""

from __future__ import annotations

import enum
import secrets
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.decisions import FaceSummary, Outcome
from app.errors import ReviewError

if TYPE_CHECKING:
    from app.settings import Settings

_RANDOM = secrets.SystemRandom()


class CheckState(enum.StrEnum):
    NOT_NEEDED = "not_needed"
    AWAITING = "awaiting"
    CONFIRMED = "confirmed"
    SENT_BACK = "sent_back"


class SendBack(enum.StrEnum):
    """What a checker's send-back does to the application."""

    REOPEN = "reopened"  # a new video review, within the application's window
    REJECT = "rejected"


class SelectedBecause(enum.StrEnum):
    AMOUNT = "amount"
    OVERRIDE = "override"
    RED_FLAG = "red_flag"
    FACE_FLAG = "face_flag"
    SAMPLE = "sample"


class FourEyesRefused(ReviewError):
    """The check cannot be made: wrong person, wrong role, or the check is not awaiting."""


@dataclass(frozen=True)
class CheckPolicy:
    approvals_above: Decimal | None = None
    overridden_refusals: bool = False
    red_flags: bool = False
    liveness_failed: bool = False
    face_flags: frozenset[str] = frozenset()
    sample_rate: float = 0.0
    # The questionnaire's red-flag rules over a session's answers and its application's facts
    # (Questionnaire.red_flags): an identity answer that contradicts the application is one.
    red_flag_rules: Callable[[Mapping[str, Any], Mapping[str, object]], list[str]] | None = field(
        default=None, compare=False
    )

    def __post_init__(self) -> None:
        if not 0.0 <= self.sample_rate <= 1.0:
            raise ValueError(f"sample_rate must be between 0 and 1, not {self.sample_rate}")

    @classmethod
    def from_file(
        cls,
        path: Path,
        *,
        approvals_above: Decimal,
        red_flag_rules: Callable[[Mapping[str, Any], Mapping[str, object]], list[str]] | None = None,
    ) -> CheckPolicy:
        try:
            with path.open("rb") as handle:
                data: dict[str, Any] = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ValueError(f"four-eyes policy {path}: {error}") from error
        known = {
            "approvals_above_amount",
            "overridden_refusals",
            "red_flags",
            "liveness_failed",
            "face_flags",
            "sample_rate",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"four-eyes policy {path}: unknown entries {sorted(unknown)}")
        try:
            return cls(
                approvals_above=approvals_above if data.get("approvals_above_amount", False) else None,
                overridden_refusals=bool(data.get("overridden_refusals", False)),
                red_flags=bool(data.get("red_flags", False)),
                liveness_failed=bool(data.get("liveness_failed", False)),
                face_flags=frozenset(str(flag) for flag in data.get("face_flags", [])),
                sample_rate=float(data.get("sample_rate", 0.0)),
                red_flag_rules=red_flag_rules,
            )
        except (TypeError, ValueError) as error:
            raise ValueError(f"four-eyes policy {path}: {error}") from error

    @classmethod
    def from_settings(cls, settings: Settings) -> CheckPolicy:
        """The bank's policy: its file, the amount setting, the questionnaire's red flags."""
        from app.questionnaire import load_questionnaire

        questionnaire = load_questionnaire(settings.questionnaire_file)
        return cls.from_file(
            settings.four_eyes_policy_file,
            approvals_above=Decimal(settings.four_eyes_amount_above),
            red_flag_rules=lambda answers, facts: questionnaire.red_flags(answers, facts=facts),
        )

    def selects(
        self,
        *,
        outcome: Outcome,
        amount: Decimal,
        overridden: Sequence[str],
        answers: Mapping[str, Any],
        face: FaceSummary,
        facts: Mapping[str, object] | None = None,
        draw: Callable[[], float] = _RANDOM.random,
    ) -> list[SelectedBecause]:
        """Why the decision needs a check; empty when it does not. A failed connection is the
        system's, not a reviewer's decision: never checked."""
        if outcome is Outcome.CONNECTION_FAILED:
            return []
        because: list[SelectedBecause] = []
        approve = outcome is Outcome.APPROVE
        if approve and self.approvals_above is not None and amount > self.approvals_above:
            because.append(SelectedBecause.AMOUNT)
        if approve and self.overridden_refusals and overridden:
            because.append(SelectedBecause.OVERRIDE)
        if self.red_flags and self.red_flag_rules is not None and self.red_flag_rules(answers, facts or {}):
            because.append(SelectedBecause.RED_FLAG)
        liveness = self.liveness_failed and face.liveness == "failed"
        if liveness or self.face_flags.intersection(face.flags_seen):
            because.append(SelectedBecause.FACE_FLAG)
        # Drawn for every decision, selected or not, so the draws say nothing about the rules.
        sampled = draw() < self.sample_rate
        if not because and sampled:
            because.append(SelectedBecause.SAMPLE)
        return because


NO_CHECKS = CheckPolicy()
