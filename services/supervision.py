"""The supervisor window's services on storage: the four-eyes checks a signed-in supervisor
may make, the team and queue now, and the day's figures (app.supervision.SupervisionServices)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.four_eyes import SendBack
from app.settings import Settings
from app.supervision import CheckEntry, DayFigures, TeamNow
from storage.database import Database
from storage.four_eyes import FourEyesChecks
from storage.reviewers import Account
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
            for item in self.four_eyes.queue(checker_id=self.supervisor.id)
        ]

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
