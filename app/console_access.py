"""How a console proves who its reviewer is to the intake service: a sign-in with name and
password gives a short-lived opaque credential; failed sign-ins are counted per account and
per address and lock both out for a while. The intake service sees only this Protocol
(storage.console_credentials implements it)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from app.errors import ReviewError
from app.ids import ReviewerId
from app.roles import Role

if TYPE_CHECKING:
    from app.settings import Settings

# 256 bits of randomness, like the applicants' links.
CREDENTIAL_BYTES = 32
MAX_CREDENTIAL_LENGTH = 200


@dataclass(frozen=True)
class ConsoleReviewer:
    """Who a valid credential belongs to."""

    id: ReviewerId
    name: str
    role: Role


@dataclass(frozen=True)
class ConsoleCredential:
    token: str
    expires_at: datetime
    reviewer: ConsoleReviewer


@dataclass(frozen=True)
class SignInLimits:
    """Failed sign-ins allowed per account and per address within `lockout`, after which
    further attempts are refused without checking the password until `lockout` has passed."""

    per_account: int = 5
    per_address: int = 20
    lockout: timedelta = timedelta(minutes=15)
    credential_lifetime: timedelta = timedelta(hours=12)

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            settings.console_sign_in_limit,
            settings.console_sign_in_address_limit,
            timedelta(minutes=settings.console_lockout_minutes),
            timedelta(hours=settings.console_credential_hours),
        )


class SignInRefused(ReviewError):
    """Wrong name or password (the same answer for both), or locked out for now."""

    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


WRONG_NAME_OR_PASSWORD = "Unknown reviewer or wrong password."  # noqa: S105 (a message)
LOCKED_OUT = "Too many failed sign-ins: try again later, or ask an administrator."


class ConsoleAccess(Protocol):
    def sign_in(self, name: str, password: str, address: str, now: datetime) -> ConsoleCredential:
        """A new credential, or SignInRefused."""
        ...

    def reviewer_for(self, token: str, now: datetime) -> ConsoleReviewer | None:
        """The holder of a credential that is known, unexpired, not signed out, and whose account
        is still active; None otherwise."""
        ...

    def sign_out(self, token: str, now: datetime) -> None: ...


def new_credential_token() -> str:
    return secrets.token_urlsafe(CREDENTIAL_BYTES)


def credential_digest(token: str) -> str:
    """Only this is stored: a stolen table row does not sign anyone in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TurnCredential:
    username: str
    password: str
    expires_at: datetime


def turn_credential(secret: str, who: str, now: datetime, lifetime: timedelta) -> TurnCredential:
    """coturn's REST scheme (--use-auth-secret): the username is "EXPIRY:WHO", the password
    base64(HMAC-SHA1(secret, username)); coturn refuses it after EXPIRY (Unix seconds)."""
    expires_at = now + lifetime
    username = f"{int(expires_at.timestamp())}:{who}"
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return TurnCredential(username, base64.b64encode(digest).decode("ascii"), expires_at)
