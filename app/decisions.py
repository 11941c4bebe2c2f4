"""Decisions a reviewer records at the end of a review, with the bank's reason codes."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.errors import InvalidDecision
from app.ids import ReviewerId, SessionId
from app.questionnaire import AnswerValue


class Outcome(enum.Enum):
    APPROVE = "approve"
    REJECT = "reject"
    VERIFY_LATER = "verify_later"
    CONNECTION_FAILED = "connection_failed"


class RejectReason(enum.Enum):
    IDENTITY_MISMATCH = "identity_mismatch"
    FACE_MATCH_FAILED = "face_match_failed"
    LIVENESS_FAILED = "liveness_failed"
    THIRD_PARTY_PRESENT = "third_party_present"
    INSUFFICIENT_REPAYMENT_ABILITY = "insufficient_repayment_ability"
    FRAUD_SUSPECTED = "fraud_suspected"
    APPLICANT_UNCOOPERATIVE = "applicant_uncooperative"
    OTHER = "other"


@dataclass(frozen=True)
class FaceSummary:
    """What the face-match panel showed when the decision was taken."""

    best_similarity: float | None = None
    last_similarity: float | None = None
    matched: bool = False
    liveness: str = "unknown"  # passed | failed | unknown: the latest verdict (app.face.LivenessRecord)
    attempts_used: int = 0
    flags_seen: tuple[str, ...] = ()
    liveness_failed_earlier: bool = False  # passed, after failing earlier in the call
    # A liveness challenge of the call could not be judged: the face worker fell behind the
    # frames (app.face.ChallengeState.NOT_JUDGED).
    challenge_not_judged: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "best_similarity": self.best_similarity,
            "last_similarity": self.last_similarity,
            "matched": self.matched,
            "liveness": self.liveness,
            "attempts_used": self.attempts_used,
            "flags_seen": list(self.flags_seen),
            "liveness_failed_earlier": self.liveness_failed_earlier,
            "challenge_not_judged": self.challenge_not_judged,
        }

    @classmethod
    def from_dict(cls, face: Mapping[str, Any]) -> FaceSummary:
        """as_dict read back (a stored decision's face summary); missing keys take the defaults."""
        best, last = face.get("best_similarity"), face.get("last_similarity")
        return cls(
            best_similarity=None if best is None else float(best),
            last_similarity=None if last is None else float(last),
            matched=bool(face.get("matched", False)),
            liveness=str(face.get("liveness", "unknown")),
            attempts_used=int(face.get("attempts_used", 0)),
            flags_seen=tuple(str(flag) for flag in face.get("flags_seen", ())),
            liveness_failed_earlier=bool(face.get("liveness_failed_earlier", False)),
            challenge_not_judged=bool(face.get("challenge_not_judged", False)),
        )


@dataclass(frozen=True)
class DecisionDraft:
    """A decision as the reviewer composed it, before it is checked and stored."""

    outcome: Outcome
    reasons: tuple[RejectReason, ...] = ()
    note: str = ""
    # Why the reviewer approves although answers are missing or the face did not match.
    override_reason: str = ""
    # The override reason code from the approval policy's list (app/approval_policy.toml).
    override_code: str = ""
    face: FaceSummary = field(default_factory=FaceSummary)
    # Chosen when the reviewer confirms: a retried save of the same decision is stored once.
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def recorded_override_reason(self) -> str:
        """The override as stored with the decision: its reason code, then the reviewer's words."""
        if self.override_code and self.override_reason:
            return f"[{self.override_code}] {self.override_reason}"
        return self.override_reason

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "reasons": [reason.value for reason in self.reasons],
            "note": self.note,
            "override_reason": self.override_reason,
            "override_code": self.override_code,
            "face": self.face.as_dict(),
            "request_id": self.request_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionDraft:
        face = data.get("face") or {}
        return cls(
            outcome=Outcome(data["outcome"]),
            reasons=tuple(RejectReason(reason) for reason in data.get("reasons", [])),
            note=str(data.get("note", "")),
            override_reason=str(data.get("override_reason", "")),
            override_code=str(data.get("override_code", "")),
            face=FaceSummary.from_dict(face),
            request_id=str(data["request_id"]),
        )


@dataclass(frozen=True)
class DecisionSubmission:
    """A decision the reviewer confirmed, as the console hands it on to be stored (and storage
    takes it: ReviewRecords.record_decision, PendingDecisions.submit): the draft, the bank's
    rules the reviewer overrode (check_decision), and the answers as confirmed on screen
    (storage brings the stored ones up to date in the decision's own transaction; None: the
    stored answers stand as they are)."""

    session_id: SessionId
    reviewer_id: ReviewerId
    draft: DecisionDraft
    overridden: tuple[str, ...] = ()
    answers: Mapping[str, AnswerValue] | None = None


def check_decision(
    draft: DecisionDraft, *, missing_required_answers: list[str], face_matched: bool
) -> list[str]:
    """Raise InvalidDecision when the bank's rules forbid the draft; otherwise return the
    list of exceptions the reviewer overrode (to be recorded with the decision)."""
    if draft.outcome is Outcome.REJECT and not draft.reasons:
        raise InvalidDecision("A rejection needs at least one reason code.")
    if draft.outcome is not Outcome.REJECT and draft.reasons:
        raise InvalidDecision("Reason codes belong to rejections only.")
    if RejectReason.OTHER in draft.reasons and not draft.note.strip():
        raise InvalidDecision("The reason 'Other' needs the note to explain it.")
    if len(draft.note) > 2000:
        raise InvalidDecision("The note is longer than 2000 characters.")
    overridden: list[str] = []
    if draft.outcome is Outcome.APPROVE:
        if missing_required_answers:
            overridden.append("missing answers: " + ", ".join(missing_required_answers))
        if not face_matched:
            overridden.append("face not matched")
        if overridden and not draft.override_reason.strip():
            raise InvalidDecision(
                "Approval refused: " + "; ".join(overridden) + ". Give a reason to approve anyway."
            )
    return overridden
