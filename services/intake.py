"""The intake service on the console's storage: storage's review desk and records wired into
media's intake service (which never imports storage), and the check of a console's reviewer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.ids import ReviewerId
from app.settings import Settings
from services import configured_sealer

if TYPE_CHECKING:
    from aiohttp import web

    from media.intake import IntakeServer
    from storage.consent import ConsentRecords
    from storage.database import Database
    from storage.desk import DatabaseReviewDesk

log = logging.getLogger(__name__)

ReviewerCheck = Callable[["web.Request", dict[str, Any]], Awaitable[ReviewerId]]


def review_desk(settings: Settings, database: Database) -> DatabaseReviewDesk:
    """The queue desk on this database; it hands the (encrypted) ID photo to the console that
    takes the applicant."""
    from app.rules import ReviewRules
    from storage.desk import DatabaseReviewDesk

    return DatabaseReviewDesk(database, ReviewRules.from_settings(settings), configured_sealer())


def reviewer_check(database: Database) -> ReviewerCheck:
    """Until sign-in lands: the reviewer id in the request must be an active account."""
    from media.intake.service import BadRequest, accept_any_reviewer
    from storage.reviewers import Accounts

    accounts = Accounts(database)

    async def check(request: web.Request, body: dict[str, Any]) -> ReviewerId:
        reviewer_id = await accept_any_reviewer(request, body)
        if not await asyncio.get_running_loop().run_in_executor(None, accounts.is_active, reviewer_id):
            raise BadRequest("unknown_reviewer", f"There is no active reviewer account {reviewer_id}.", 403)
        return reviewer_id

    return check


def consent_records(settings: Settings, database: Database) -> ConsentRecords:
    """The consent the applicant page asks for, and where given consents are kept."""
    from app.consent import load_consent
    from storage.consent import ConsentRecords

    return ConsentRecords(database, load_consent(settings.consent_file))


def start_embedded_intake(settings: Settings, database: Database) -> tuple[IntakeServer | None, str]:
    """For the console: the intake service to use. With `intake_url` set, that external one
    (nothing is started); otherwise one on a background thread at intake_host:intake_port,
    on the console's own database. Returns the server (None when external; call `.stop()` at
    exit) and its base URL."""
    from media.intake import IntakeServer
    from storage.reviews import ReviewRecords

    if settings.intake_url:
        return None, settings.intake_url.rstrip("/")
    desk = review_desk(settings, database)
    # This console's own intake is the only one its applicants were connected to: whoever
    # still waits from an earlier run has no connection any more.
    cleared = desk.clear_stale_queue(datetime.now(UTC))
    if cleared:
        log.info("cleared %s applicant(s) left waiting by the last run", cleared)
    server = IntakeServer(
        desk,
        ReviewRecords(database),
        settings.intake_host,
        settings.intake_port,
        authorize_reviewer=reviewer_check(database),
        console_grace_seconds=settings.reconnect_grace_seconds,
        consent=consent_records(settings, database),
    ).start()
    return server, server.url


def run_intake_service(settings: Settings, database: Database, host: str, port: int) -> None:
    """The intake service in the foreground (`main.py intake`), until it is stopped."""
    from media.intake import run_intake
    from storage.reviews import ReviewRecords

    run_intake(
        review_desk(settings, database),
        ReviewRecords(database),
        host,
        port,
        authorize_reviewer=reviewer_check(database),
        console_grace_seconds=settings.reconnect_grace_seconds,
        consent=consent_records(settings, database),
    )
