"""The supervisor window's services on storage: the four-eyes checks a signed-in supervisor
may make, the team and queue now, and the day's figures (app.supervision.SupervisionServices)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.errors import ReviewError
from app.four_eyes import SendBack
from app.roles import Action, may
from app.settings import Settings
from app.supervision import CheckEntry, DayFigures, TeamNow
from storage.database import Database
from storage.four_eyes import FourEyesChecks
from storage.reviewers import Account, Accounts
from storage.stats import day_figures, team_now


class DatabaseSupervision:
    """Implements app.supervision.SupervisionServices for one signed-in supervisor. Storage
    checks their role and that they never check their own decision."""

    def __init__(self, database: Database, settings: Settings, supervisor: Account) -> None:
        self.database = database
        self.supervisor = supervisor
        self.zone = ZoneInfo(settings.timezone)
        self.four_eyes = FourEyesChecks(database, review_window=timedelta(hours=settings.review_window_hours))

    def checks(self) -> list[CheckEntry]:
        return awaiting_checks(self.four_eyes, checker_id=self.supervisor.id)

    def confirm(self, check_id: int) -> None:
        self.four_eyes.confirm(check_id, checker_id=self.supervisor.id, now=datetime.now(self.zone))

    def send_back(self, check_id: int, reason: str, *, reopen: bool) -> None:
        self.four_eyes.send_back(
            check_id,
            checker_id=self.supervisor.id,
            reason=reason,
            action=SendBack.REOPEN if reopen else SendBack.REJECT,
            now=datetime.now(self.zone),
        )

    def team_now(self, now: datetime) -> TeamNow:
        return team_now(self.database, now, self.zone)

    def day(self, day: date | None = None) -> DayFigures:
        return day_figures(self.database, day or datetime.now(self.zone).date(), self.zone)


def four_eyes_checks(database: Database, settings: Settings) -> FourEyesChecks:
    return FourEyesChecks(database, review_window=timedelta(hours=settings.review_window_hours))


def signed_in_supervisor(
    database: Database, settings: Settings, name: str, password: str
) -> DatabaseSupervision:
    """The supervisors' window's services for `name`; ReviewError when the sign-in fails or the
    account may not check decisions."""
    supervisor = Accounts(database).sign_in(name, password)
    if not may(supervisor.role, Action.CHECK_DECISION):
        raise ReviewError(f"A {supervisor.role.value} may not open the supervisors' window.")
    return DatabaseSupervision(database, settings, supervisor)


def settle_check(
    database: Database,
    settings: Settings,
    check_id: int,
    *,
    checker: str,
    password: str,
    send_back: SendBack | None = None,
    reason: str = "",
) -> int:
    """`checks confirm` (send_back None) or `checks send-back` by the supervisor `checker`; the
    checked session's id. ReviewError when the sign-in fails or storage refuses the check."""
    checker_id = Accounts(database).sign_in(checker, password).id
    checks = four_eyes_checks(database, settings)
    now = datetime.now(UTC)
    if send_back is None:
        return checks.confirm(check_id, checker_id=checker_id, now=now)
    return checks.send_back(check_id, checker_id=checker_id, reason=reason, action=send_back, now=now)


def awaiting_checks(four_eyes: FourEyesChecks, *, checker_id: int | None = None) -> list[CheckEntry]:
    """Decisions awaiting a check, oldest first; with a checker, not their own decisions."""
    return [
        CheckEntry(
            check_id=item.check_id,
            session_id=item.session_id,
            applicant=item.applicant_name,
            amount=str(item.amount),
            outcome=item.outcome,
            maker=item.maker_name,
            because=item.because,
            selected_at=item.selected_at,
        )
        for item in four_eyes.queue(checker_id=checker_id)
    ]


def figures_of_day(settings: Settings, database: Database, day: date | None) -> tuple[date, DayFigures]:
    """`stats`: the day (default: today in the bank's time zone) and its figures. ValueError
    when the timezone setting is not a known time zone."""
    from zoneinfo import ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"the timezone setting {settings.timezone!r} is not a known time zone") from None
    day = day or datetime.now(zone).date()
    return day, day_figures(database, day, zone)
