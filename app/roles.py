"""Who may do what: reviewers review the calls they took, supervisors replay, amend and
export any session, administrators manage accounts and settings."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.errors import ReviewError
from app.ids import ReviewerId


class Role(enum.Enum):
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    ADMINISTRATOR = "administrator"


class Action(enum.Enum):
    TAKE_APPLICANT = "take an applicant from the queue"
    REVIEW_OWN_SESSION = "answer and decide in a session you took"
    VIEW_OWN_SESSIONS = "see your own recent sessions"
    VIEW_ANY_SESSION = "replay any session"
    AMEND_DECISION = "amend a decision"
    CHECK_DECISION = "check another reviewer's decision (four eyes)"
    EXPORT_SESSION = "export a session report"
    MANAGE_ACCOUNTS = "manage accounts"
    CHANGE_SETTINGS = "change settings"


PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.REVIEWER: frozenset({Action.TAKE_APPLICANT, Action.REVIEW_OWN_SESSION, Action.VIEW_OWN_SESSIONS}),
    Role.SUPERVISOR: frozenset(
        {
            Action.VIEW_OWN_SESSIONS,
            Action.VIEW_ANY_SESSION,
            Action.AMEND_DECISION,
            Action.EXPORT_SESSION,
            Action.CHECK_DECISION,
        }
    ),
    Role.ADMINISTRATOR: frozenset({Action.MANAGE_ACCOUNTS, Action.CHANGE_SETTINGS}),
}


@dataclass(frozen=True)
class Account:
    """A signed-in user: reviewer, supervisor or administrator."""

    id: ReviewerId
    name: str
    role: Role


class SignInFailed(ReviewError):
    """Unknown user or wrong password (the message does not say which)."""


class Forbidden(ReviewError):
    """The signed-in user's role does not allow this action."""


def may(role: Role, action: Action) -> bool:
    return action in PERMISSIONS[role]


def require(role: Role, action: Action) -> None:
    if not may(role, action):
        raise Forbidden(f"A {role.value} may not {action.value}.")
