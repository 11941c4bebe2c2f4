"""The intake service on the console's storage: storage's review desk and records wired into
media's intake service (which never imports storage), with the consoles' sign-ins and the
STUN/TURN servers."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import Settings
from app.signalling import LocalSignalling, SignallingExchange
from services import configured_sealer

if TYPE_CHECKING:
    from media.intake import IntakeServer
    from storage.consent import ConsentRecords
    from storage.database import Database
    from storage.desk import DatabaseReviewDesk

log = logging.getLogger(__name__)


def review_desk(settings: Settings, database: Database) -> DatabaseReviewDesk:
    """The queue desk on this database; it hands the (encrypted) ID photo to the console that
    takes the applicant, with the questions drawn for the session from the questionnaire."""
    from app.questionnaire import load_questionnaire
    from app.rules import ReviewRules
    from storage.desk import DatabaseReviewDesk

    return DatabaseReviewDesk(
        database,
        ReviewRules.from_settings(settings),
        configured_sealer(),
        questionnaire=load_questionnaire(settings.questionnaire_file),
    )


def intake_options(settings: Settings, database: Database) -> dict[str, Any]:
    """What the intake service is given besides the desk: consoles' sign-ins on the shared
    database, the STUN/TURN servers (ValueError when their settings cannot work), the grace
    period and the consent the applicant page asks for."""
    from app.console_access import SignInLimits
    from media.ice import IceServers
    from storage.console_credentials import ConsoleCredentials

    return {
        "console_access": ConsoleCredentials(database, SignInLimits.from_settings(settings)),
        "ice": IceServers.from_settings(settings),
        "trust_forwarded_for": settings.intake_trust_forwarded_for,
        "console_grace_seconds": settings.reconnect_grace_seconds,
        "consent": consent_records(settings, database),
    }


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
        ReviewRecords.from_settings(database, settings),
        settings.intake_host,
        settings.intake_port,
        **intake_options(settings, database),
    ).start()
    return server, server.url


def run_intake_service(
    settings: Settings,
    database: Database,
    host: str | None = None,
    port: int | None = None,
    *,
    tls: tuple[Path, Path] | None = None,
    **listening: Any,
) -> None:
    """The intake service in the foreground (`main.py intake`), until it is stopped, on `host`
    and `port` (default: the settings'), over HTTPS with `tls` (certificate chain, private key;
    ValueError in words when they cannot be used). `listening`: console_host, console_port,
    on_ready (media.intake.run_intake)."""
    from media.intake import run_intake
    from media.intake.server import server_ssl
    from storage.reviews import ReviewRecords

    if tls is not None:
        try:
            listening["ssl_context"] = server_ssl(str(tls[0]), str(tls[1]))
        except (OSError, ValueError) as error:
            raise ValueError(f"cannot use the TLS certificate and key: {error}") from None

    options = intake_options(settings, database)
    exchange = signalling_exchange(database)
    run_intake(
        review_desk(settings, database),
        ReviewRecords.from_settings(database, settings),
        host or settings.intake_host,
        settings.intake_port if port is None else port,
        **listening,
        **options,
        exchange=exchange,
    )


def signalling_exchange(database: Database) -> SignallingExchange:
    """On PostgreSQL several intake instances may serve one queue, behind a load balancer with
    no sticky routing: calls in flight are shared through the database. On SQLite (one
    instance, the embedded default) they stay in this process."""
    if database.is_sqlite:
        return LocalSignalling()
    from storage.signalling import SharedSignalling

    return SharedSignalling(database)


def intake_base_url(settings: Settings, url: str | None = None) -> str:
    """The intake service's address: `url` when given, else the intake_url setting, else the
    embedded service's (intake_host:intake_port)."""
    return url or settings.intake_url or f"http://{settings.intake_host}:{settings.intake_port}"
