"""Loan applications as the reviewer sees them, and the checks on what an application may hold."""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.errors import InvalidApplication
from app.ids import ApplicationId


class ApplicationStatus(enum.Enum):
    PENDING_REVIEW = "pending_review"  # waiting for the applicant to start the video review
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    VERIFY_LATER = "verify_later"
    AWAITING_CHECK = "awaiting_check"  # decided; a supervisor's four-eyes check is still open
    EXPIRED = "expired"  # the 48-hour window passed: phone review or cancellation only


MAX_AMOUNT = Decimal("1000000")
MAX_TERM_MONTHS = 120
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")
_NATIONAL_ID = re.compile(r"^[0-9A-Za-z]{6,32}$")


@dataclass(frozen=True)
class ApplicationForm:
    """What a new application must carry, already checked."""

    name: str
    national_id: str
    phone: str
    amount: Decimal
    term_months: int
    purpose: str
    applied_at: datetime


@dataclass(frozen=True)
class ApplicantCard:
    """Who applied, and for what, as reviewers and supervisors see it (the national ID masked).
    The one value for the applicant's card: the console's taken applicant (app.queue.TakenApplicant),
    a session's replay (app.replay.SessionReplay) and the application book's rows
    (storage.applications.ApplicationView) are cards with more; storage makes every card from the
    application's row in one place (storage.applications.applicant_card)."""

    application_id: ApplicationId
    applicant_name: str
    masked_national_id: str
    phone: str
    amount: Decimal
    term_months: int
    purpose: str
    applied_at: datetime

    def card(self) -> ApplicantCard:
        """The card alone (of a value that extends it)."""
        return ApplicantCard(**self.card_fields())

    def card_fields(self) -> dict[str, Any]:
        """The card's fields by name, to make a value that extends the card:
        ``TakenApplicant(**card.card_fields(), session_id=..., ...)``."""
        return {f.name: getattr(self, f.name) for f in fields(ApplicantCard)}


def parse_applied_at(raw: str | None, timezone: str, *, now: datetime) -> datetime:
    """An application's time as typed (ISO 8601; no zone means the bank's `timezone`), or `now`."""
    from zoneinfo import ZoneInfo

    if not raw:
        return now
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidApplication(
            f"The application time {raw!r} is not an ISO 8601 time (e.g. 2026-11-23T09:30+08:00)."
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(timezone))


def mask_national_id(national_id: str) -> str:
    """Show only the last four characters: the reviewer asks the applicant for them."""
    if len(national_id) <= 4:
        return "*" * len(national_id)
    return "*" * (len(national_id) - 4) + national_id[-4:]


def parse_amount(raw: str | Decimal | float | int) -> Decimal:
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidApplication(f"Amount {raw!r} is not a number.") from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidApplication("Amount must be greater than zero.")
    if amount > MAX_AMOUNT:
        raise InvalidApplication(f"Amount must be at most {MAX_AMOUNT}.")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidApplication("Amount may have at most two decimals.")
    return amount.quantize(Decimal("0.01"))


def make_application_form(
    *,
    name: str,
    national_id: str,
    phone: str,
    amount: str | Decimal | float | int,
    term_months: int | str,
    purpose: str,
    applied_at: datetime,
) -> ApplicationForm:
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidApplication("Name must be 1 to 200 characters.")
    national_id = national_id.strip()
    if not _NATIONAL_ID.match(national_id):
        raise InvalidApplication("National ID must be 6 to 32 letters or digits.")
    phone = phone.strip()
    if not _PHONE.match(phone):
        raise InvalidApplication(f"Phone number {phone!r} is not valid.")
    try:
        term = int(term_months)
    except (TypeError, ValueError):
        raise InvalidApplication(f"Term {term_months!r} is not a whole number of months.") from None
    if not 1 <= term <= MAX_TERM_MONTHS:
        raise InvalidApplication(f"Term must be 1 to {MAX_TERM_MONTHS} months.")
    purpose = purpose.strip()
    if not purpose or len(purpose) > 500:
        raise InvalidApplication("Purpose must be 1 to 500 characters.")
    if applied_at.tzinfo is None:
        raise InvalidApplication("The application time must carry a time zone.")
    return ApplicationForm(
        name=name,
        national_id=national_id,
        phone=phone,
        amount=parse_amount(amount),
        term_months=term,
        purpose=purpose,
        applied_at=applied_at,
    )


def new_applicant_token() -> str:
    """An unguessable one-time token (256 bits) for the applicant's video link."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Only the digest is stored, so a database leak does not leak working links."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_hint(token: str) -> str:
    """What logs may show of a token."""
    return token[:4] + "…"
