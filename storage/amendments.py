"""A decision amended: a new decision row pointing to the one it changes, the application's
status after it, and the audit event, in the caller's transaction. One writer for both ways a
decision is amended: a supervisor's amendment in the replay (storage.reviews) and a four-eyes
checker's send-back as a rejection (storage.four_eyes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.applications import ApplicationStatus
from app.decisions import DecisionDraft, Outcome
from app.errors import InvalidDecision
from storage.audit_log import append_event
from storage.models import Application, DecisionRow, ReviewSessionRow

APPLICATION_STATUS_AFTER = {
    Outcome.APPROVE: ApplicationStatus.APPROVED,
    Outcome.REJECT: ApplicationStatus.REJECTED,
    Outcome.VERIFY_LATER: ApplicationStatus.VERIFY_LATER,
    # The applicant may retry within the window.
    Outcome.CONNECTION_FAILED: ApplicationStatus.PENDING_REVIEW,
}


def write_amendment(
    session: Session,
    original: DecisionRow,
    draft: DecisionDraft,
    *,
    reason: str,
    amended_by: int,
    actor: str,
    now: datetime,
    overridden: Sequence[str] = (),
    audit_details: Mapping[str, Any] | None = None,
) -> DecisionRow:
    """The amendment row (flushed, so it has its id), in force from `now`; the application takes
    the status its outcome gives; a "decision.amended" event with `audit_details` added.
    `overridden`: the approval policy's rules the amendment overrides (checked by the caller).

    Refused (InvalidDecision) when nothing changes: the decision in force already has the same
    outcome, reason codes and note (a supervisor's amendment and a checker's send-back alike)."""
    in_force = session.execute(
        select(DecisionRow)
        .where(DecisionRow.session_id == original.session_id)
        .order_by(DecisionRow.id.desc())
        .limit(1)
    ).scalar_one()
    if (
        in_force.outcome == draft.outcome.value
        and sorted(in_force.reasons) == sorted(r.value for r in draft.reasons)
        and in_force.note.strip() == draft.note.strip()
    ):
        raise InvalidDecision(
            f"Nothing changes: decision {in_force.id} in force is already '{in_force.outcome}' with "
            "the same reason codes and note."
        )
    amendment = DecisionRow(
        session_id=original.session_id,
        outcome=draft.outcome.value,
        reasons=[r.value for r in draft.reasons],
        note=draft.note,
        override_reason=reason,
        overridden=list(overridden),
        face_summary=dict(original.face_summary),
        answers_snapshot=dict(original.answers_snapshot),
        decided_by=amended_by,
        decided_at=now.astimezone(UTC),
        amends_id=original.id,
        request_id=draft.request_id,
    )
    session.add(amendment)
    session.flush()
    application = session.execute(
        select(Application).join(ReviewSessionRow).where(ReviewSessionRow.id == original.session_id)
    ).scalar_one()
    application.status = APPLICATION_STATUS_AFTER[draft.outcome].value
    append_event(
        session,
        actor=actor,
        action="decision.amended",
        subject=f"session:{original.session_id}",
        details={
            "decision_id": amendment.id,
            "amends": original.id,
            "outcome": draft.outcome.value,
            "reason": reason,
            **({"overridden": list(overridden)} if overridden else {}),
            **(audit_details or {}),
        },
        at=now,
    )
    return amendment
