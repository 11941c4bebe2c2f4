"""The approval policy: which conditions of a review block an approval, which need an override
with a reason, and which only warn, as the bank's policy file (approval_policy.toml) says."""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.decisions import DecisionDraft, FaceSummary, Outcome
from app.errors import InvalidDecision
from app.questionnaire import AnswerValue

DEFAULT_POLICY_FILE = Path(__file__).resolve().parent / "approval_policy.toml"


class Requirement(enum.StrEnum):
    BLOCK = "block"
    OVERRIDE = "override"
    WARN = "warn"


class Condition(enum.StrEnum):
    LIVENESS_FAILED = "liveness_failed"
    LIVENESS_FAILED_EARLIER = "liveness_failed_earlier"
    FACE_FLAGS = "face_flags"
    FACE_ATTEMPTS_EXHAUSTED = "face_attempts_exhausted"
    FACE_NOT_MATCHED = "face_not_matched"
    REQUIRED_ANSWERS_MISSING = "required_answers_missing"
    ANSWER = "answer"
    RED_FLAGS = "red_flags"
    CHALLENGE_NOT_JUDGED = "challenge_not_judged"


@dataclass(frozen=True)
class ReviewFacts:
    """What the console knows about a review when the reviewer is about to decide."""

    face: FaceSummary
    face_attempts_exhausted: bool
    answers: Mapping[str, AnswerValue]
    missing_required_answers: Sequence[str] = ()  # in the reviewer's language
    red_flags: Sequence[str] = ()  # in the reviewer's language


@dataclass(frozen=True)
class ApprovalRule:
    id: str
    when: Condition
    requires: Requirement
    text: Mapping[str, str]
    flags: frozenset[str] = frozenset()
    question: str = ""
    equals: AnswerValue | None = None

    def label(self, language: str) -> str:
        return self.text.get(language.split("_", maxsplit=1)[0]) or self.text["en"]

    def details(self, facts: ReviewFacts) -> tuple[str, ...] | None:
        """None when the condition does not hold; otherwise what it holds for (may be empty)."""
        face = facts.face
        if self.when is Condition.LIVENESS_FAILED:
            return () if face.liveness == "failed" else None
        if self.when is Condition.LIVENESS_FAILED_EARLIER:
            return () if face.liveness == "passed" and face.liveness_failed_earlier else None
        if self.when is Condition.FACE_FLAGS:
            seen = tuple(flag for flag in face.flags_seen if flag in self.flags)
            return seen or None
        if self.when is Condition.CHALLENGE_NOT_JUDGED:
            return () if face.challenge_not_judged else None
        if self.when is Condition.FACE_ATTEMPTS_EXHAUSTED:
            return () if facts.face_attempts_exhausted else None
        if self.when is Condition.FACE_NOT_MATCHED:
            return None if face.matched else ()
        if self.when is Condition.REQUIRED_ANSWERS_MISSING:
            return tuple(facts.missing_required_answers) or None
        if self.when is Condition.ANSWER:
            given = facts.answers.get(self.question)
            return () if self.question in facts.answers and given == self.equals else None
        return tuple(facts.red_flags) or None


@dataclass(frozen=True)
class Finding:
    """A rule whose condition holds in this review, and what it requires of an approval."""

    rule: ApprovalRule
    details: tuple[str, ...]

    @property
    def requires(self) -> Requirement:
        return self.rule.requires


@dataclass(frozen=True)
class OverrideCode:
    code: str
    text: Mapping[str, str]

    def label(self, language: str) -> str:
        return self.text.get(language.split("_", maxsplit=1)[0]) or self.text["en"]


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class ReasonTooShort(InvalidDecision):
    """An override reason that is not a sentence."""


class ApprovalBlocked(InvalidDecision):
    """Approval is impossible under the policy."""


@dataclass(frozen=True)
class ApprovalPolicy:
    rules: tuple[ApprovalRule, ...]
    override_codes: tuple[OverrideCode, ...]
    min_reason_words: int = 5
    min_reason_characters: int = 25
    min_reason_cjk_characters: int = 10

    def findings(self, facts: ReviewFacts) -> list[Finding]:
        found = []
        for rule in self.rules:
            details = rule.details(facts)
            if details is not None:
                found.append(Finding(rule, details))
        return found

    def is_a_sentence(self, reason: str) -> bool:
        text = reason.strip()
        if len(_CJK.findall(text)) >= self.min_reason_cjk_characters:
            return True
        words = {word.lower() for word in re.findall(r"\w+", text)}
        return len(words) >= self.min_reason_words and len(text) >= self.min_reason_characters

    def override_code(self, code: str) -> OverrideCode | None:
        return next((known for known in self.override_codes if known.code == code), None)

    def check_approval(self, draft: DecisionDraft, facts: ReviewFacts) -> list[str]:
        """The ids of the rules an approval overrides ([] for any other outcome). Raises
        ApprovalBlocked when a blocking condition holds, ReasonTooShort when an override lacks a
        reason code from the list or a reason of at least a sentence."""
        if draft.outcome is not Outcome.APPROVE:
            return []
        findings = self.findings(facts)
        blocked = [finding.rule.id for finding in findings if finding.requires is Requirement.BLOCK]
        if blocked:
            raise ApprovalBlocked("Approval is not possible: " + ", ".join(blocked) + ".")
        overridden = [finding.rule.id for finding in findings if finding.requires is Requirement.OVERRIDE]
        if overridden:
            if self.override_code(draft.override_code) is None:
                raise ReasonTooShort(
                    "Approval refused: " + ", ".join(overridden) + ". Choose an override reason code."
                )
            if not self.is_a_sentence(draft.override_reason):
                raise ReasonTooShort(
                    "Approval refused: " + ", ".join(overridden) + ". Explain the override in a sentence."
                )
        return overridden


def load_approval_policy(path: Path = DEFAULT_POLICY_FILE) -> ApprovalPolicy:
    """Read and check the policy file; a mistake names the rule and the field."""
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"approval policy {path}: {error}") from error
    rules = []
    for index, entry in enumerate(data.get("rule", []), start=1):
        where = f"approval policy {path.name}: rule {entry.get('id', index)!r}"
        try:
            when = Condition(entry["when"])
            requires = Requirement(entry["requires"])
        except (KeyError, ValueError):
            raise ValueError(
                f"{where}: when must be one of {[c.value for c in Condition]}, "
                f"requires one of {[r.value for r in Requirement]}"
            ) from None
        if "en" not in entry:
            raise ValueError(f"{where}: needs an 'en' text")
        if when is Condition.ANSWER and ("question" not in entry or "equals" not in entry):
            raise ValueError(f"{where}: an 'answer' rule needs question and equals")
        if when is Condition.FACE_FLAGS and not entry.get("flags"):
            raise ValueError(f"{where}: a 'face_flags' rule needs flags")
        rules.append(
            ApprovalRule(
                id=str(entry["id"]),
                when=when,
                requires=requires,
                text={key: str(entry[key]) for key in ("en", "zh") if key in entry},
                flags=frozenset(str(flag) for flag in entry.get("flags", [])),
                question=str(entry.get("question", "")),
                equals=entry.get("equals"),
            )
        )
    ids = [rule.id for rule in rules]
    if len(set(ids)) != len(ids):
        raise ValueError(f"approval policy {path.name}: duplicate rule ids")
    override = data.get("override", {})
    codes = tuple(
        OverrideCode(str(code["code"]), {k: str(v) for k, v in code.items() if k != "code"})
        for code in override.get("reason_codes", [])
    )
    if any(rule.requires is Requirement.OVERRIDE for rule in rules) and not codes:
        raise ValueError(f"approval policy {path.name}: override rules need [override] reason_codes")
    return ApprovalPolicy(
        rules=tuple(rules),
        override_codes=codes,
        min_reason_words=int(override.get("min_reason_words", 5)),
        min_reason_characters=int(override.get("min_reason_characters", 25)),
        min_reason_cjk_characters=int(override.get("min_reason_cjk_characters", 10)),
    )
