"""Reviewer, supervisor and administrator accounts, with argon2 password hashes."""

from __future__ import annotations

import contextlib
import functools
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import ReviewError
from app.ids import ReviewerId
from app.roles import Account, Role, SignInFailed
from storage.audit_log import append_event
from storage.database import Database
from storage.models import Reviewer

# Account and SignInFailed live in app.roles (windows see them without importing storage).
__all__ = ["Account", "Accounts", "SignInFailed"]

_hasher = PasswordHasher()


@functools.cache
def _unknown_user_hash() -> str:
    """Checked against when the name is unknown, so that answer takes as long as a wrong password."""
    return _hasher.hash("no such account")


class Accounts:
    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, name: str, password: str, role: Role = Role.REVIEWER, *, actor: str = "system") -> Account:
        name = name.strip()
        if not name or len(name) > 100:
            raise ReviewError("A user name must be 1 to 100 characters.")
        if len(password) < 8:
            raise ReviewError("A password must be at least 8 characters.")
        try:
            with self.database.session() as session:
                row = Reviewer(
                    name=name,
                    role=role.value,
                    password_hash=_hasher.hash(password),
                    active=True,
                    created_at=datetime.now(UTC),
                )
                session.add(row)
                session.flush()
                append_event(
                    session,
                    actor=actor,
                    action="account.added",
                    subject=f"reviewer:{row.id}",
                    details={"name": name, "role": role.value},
                )
                return Account(ReviewerId(row.id), row.name, role)
        except IntegrityError:
            raise ReviewError(f"A user named {name!r} already exists.") from None

    def sign_in(self, name: str, password: str) -> Account:
        with self.database.session() as session:
            row = session.execute(select(Reviewer).where(Reviewer.name == name.strip())).scalar_one_or_none()
            if row is None or not row.active:
                with contextlib.suppress(VerificationError, InvalidHashError):
                    _hasher.verify(_unknown_user_hash(), password)
                raise SignInFailed("Unknown user or wrong password.")
            try:
                _hasher.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                raise SignInFailed("Unknown user or wrong password.") from None
            append_event(session, actor=row.name, action="account.signed_in", subject=f"reviewer:{row.id}")
            return Account(ReviewerId(row.id), row.name, Role(row.role))

    def set_active(self, name: str, active: bool, *, actor: str) -> Account:
        """Deactivating an account also revokes its consoles' sign-ins to the intake service."""
        with self.database.session() as session:
            row = session.execute(select(Reviewer).where(Reviewer.name == name.strip())).scalar_one_or_none()
            if row is None:
                raise ReviewError(f"There is no account named {name!r}.")
            row.active = active
            append_event(
                session,
                actor=actor,
                action="account.activated" if active else "account.deactivated",
                subject=f"reviewer:{row.id}",
            )
            return Account(ReviewerId(row.id), row.name, Role(row.role))

    def is_active(self, reviewer_id: int) -> bool:
        """There is an account with this id and it may work (not deactivated)."""
        with self.database.session() as session:
            row = session.get(Reviewer, reviewer_id)
            return row is not None and bool(row.active)

    def ensure(self, name: str, password: str, role: Role = Role.REVIEWER) -> Account:
        """The account with this name, created when missing (demo and probe accounts)."""
        with self.database.session() as session:
            row = session.execute(select(Reviewer).where(Reviewer.name == name)).scalar_one_or_none()
            if row is not None:
                return Account(ReviewerId(row.id), row.name, Role(row.role))
        try:
            return self.add(name, password, role)
        except ReviewError:
            return self.ensure(name, password, role)
