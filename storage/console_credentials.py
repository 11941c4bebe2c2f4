"""Consoles' sign-ins to the intake service (app.console_access.ConsoleAccess on the shared
database): credentials stored as digests, refused sign-ins counted per account and per address
for the lock-out, and both written to the audit chain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.console_access import (
    LOCKED_OUT,
    MAX_CREDENTIAL_LENGTH,
    WRONG_NAME_OR_PASSWORD,
    ConsoleCredential,
    ConsoleReviewer,
    SignInLimits,
    SignInRefused,
    credential_digest,
    new_credential_token,
)
from app.ids import ReviewerId
from app.roles import Role
from storage.audit_log import append_event
from storage.database import Database, aware
from storage.models import ConsoleCredentialRow, Reviewer, SignInFailureRow
from storage.reviewers import Accounts, SignInFailed

MAX_NAME_LENGTH = 100
MAX_ADDRESS_LENGTH = 100


class ConsoleCredentials:
    """Implements app.console_access.ConsoleAccess."""

    def __init__(self, database: Database, limits: SignInLimits | None = None) -> None:
        self.database = database
        self.limits = limits or SignInLimits()
        self.accounts = Accounts(database)

    # -- signing in ----------------------------------------------------------------------

    def sign_in(self, name: str, password: str, address: str, now: datetime) -> ConsoleCredential:
        name = name.strip()[:MAX_NAME_LENGTH]
        address = address[:MAX_ADDRESS_LENGTH]
        keys = {"account": f"account:{name.casefold()}", "address": f"address:{address}"}
        with self.database.session() as session:
            locked = self._locked(session, keys, now)
        if locked:
            # No password check while locked: guessing goes no faster, and argon2 costs CPU.
            raise SignInRefused(LOCKED_OUT, locked=True)
        try:
            account = self.accounts.sign_in(name, password)
        except SignInFailed:
            self._count_failure(name, address, keys, now)
            raise SignInRefused(WRONG_NAME_OR_PASSWORD) from None
        token = new_credential_token()
        expires_at = now + self.limits.credential_lifetime
        with self.database.session() as session:
            session.execute(delete(SignInFailureRow).where(SignInFailureRow.key == keys["account"]))
            session.add(
                ConsoleCredentialRow(
                    reviewer_id=account.id,
                    token_digest=credential_digest(token),
                    issued_at=now,
                    expires_at=expires_at,
                    address=address,
                )
            )
            append_event(
                session,
                actor=account.name,
                action="console.signed_in",
                subject=f"reviewer:{account.id}",
                details={"address": address, "expires_at": expires_at.isoformat()},
                at=now,
            )
        return ConsoleCredential(token, expires_at, ConsoleReviewer(account.id, account.name, account.role))

    def _window_start(self, now: datetime) -> datetime:
        return now - self.limits.lockout

    def _failures(self, session: Session, key: str, now: datetime) -> int:
        return int(
            session.execute(
                select(func.count(SignInFailureRow.id)).where(
                    SignInFailureRow.key == key, SignInFailureRow.at > self._window_start(now)
                )
            ).scalar_one()
        )

    def _locked(self, session: Session, keys: dict[str, str], now: datetime) -> bool:
        return (
            self._failures(session, keys["account"], now) >= self.limits.per_account
            or self._failures(session, keys["address"], now) >= self.limits.per_address
        )

    def _count_failure(self, name: str, address: str, keys: dict[str, str], now: datetime) -> None:
        with self.database.session() as session:
            session.execute(delete(SignInFailureRow).where(SignInFailureRow.at <= self._window_start(now)))
            session.add_all([SignInFailureRow(key=key, at=now) for key in keys.values()])
            session.flush()
            reviewer = session.execute(select(Reviewer.id).where(Reviewer.name == name)).scalar_one_or_none()
            subject = f"reviewer:{reviewer}" if reviewer is not None else "reviewer:unknown"
            details = {"name": name, "address": address}
            append_event(
                session,
                actor="intake",
                action="console.sign_in_refused",
                subject=subject,
                details=details,
                at=now,
            )
            if self._locked(session, keys, now):
                append_event(
                    session,
                    actor="intake",
                    action="console.locked_out",
                    subject=subject,
                    details=details | {"minutes": self.limits.lockout.total_seconds() / 60},
                    at=now,
                )

    # -- using a credential --------------------------------------------------------------

    def reviewer_for(self, token: str, now: datetime) -> ConsoleReviewer | None:
        if not token or len(token) > MAX_CREDENTIAL_LENGTH:
            return None
        with self.database.session() as session:
            found = session.execute(
                select(ConsoleCredentialRow, Reviewer)
                .join(Reviewer, Reviewer.id == ConsoleCredentialRow.reviewer_id)
                .where(ConsoleCredentialRow.token_digest == credential_digest(token))
            ).one_or_none()
            if found is None:
                return None
            credential, reviewer = found
            if credential.signed_out_at is not None or aware(credential.expires_at) <= now:
                return None
            if not reviewer.active:  # deactivating the account revokes its credentials
                return None
            return ConsoleReviewer(ReviewerId(reviewer.id), reviewer.name, Role(reviewer.role))

    def sign_out(self, token: str, now: datetime) -> None:
        if not token or len(token) > MAX_CREDENTIAL_LENGTH:
            return
        with self.database.session() as session:
            credential = session.execute(
                select(ConsoleCredentialRow).where(
                    ConsoleCredentialRow.token_digest == credential_digest(token)
                )
            ).scalar_one_or_none()
            if credential is None or credential.signed_out_at is not None:
                return
            credential.signed_out_at = now
            append_event(
                session,
                actor="intake",
                action="console.signed_out",
                subject=f"reviewer:{credential.reviewer_id}",
                at=now,
            )
