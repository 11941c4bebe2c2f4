"""The `console` command (also the default): opens the reviewer console window.

The console's services are services.console.LiveConsoleServices (storage and media); the window
(ui/) knows only their Protocols (app.console). `--demo` also signs in a demo reviewer and starts
the applicant simulator (tools.demo_console); `console --in-memory` runs the window on the
in-memory stand-ins (no database, no network, simulated scores), for UI work.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import subprocess
from pathlib import Path
from typing import Any

from app.settings import Settings
from cli.common import quiet_media_logs, settings_from_env

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("console", help="open the reviewer console (the default command)")
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="run the window on in-memory stand-ins (no database, no network, simulated face scores)",
    )
    parser.add_argument(
        "--screenshots",
        type=Path,
        metavar="DIR",
        help="for the README: run the demo under an X display, save screenshots to DIR and exit",
    )
    parser.add_argument("--language", default="en", help="with --screenshots: en or zh_CN")
    parser.set_defaults(func=run_console)


def run_in_memory(settings: Settings, demo: bool) -> int:
    from tools.demo_console import DEMO_REVIEWER, build_demo_services
    from ui.console_app import run_console_app

    log.warning("in-memory console: no database, no network, simulated face scores")
    services = build_demo_services(settings, with_applicant=True)
    try:
        return run_console_app(settings, services, demo_credentials=DEMO_REVIEWER if demo else None)
    finally:
        services.close()


def run_console(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    demo = bool(getattr(args, "demo", False))
    if getattr(args, "in_memory", False):
        return run_in_memory(settings, demo)

    from cli.database import open_configured_database
    from services.console import LiveConsoleServices
    from services.intake import start_embedded_intake
    from storage.reviewers import Accounts
    from tools.demo_console import DEMO_REVIEWER, demo_settings, queue_demo_applicant
    from ui.console_app import run_console_app

    quiet_media_logs()
    screenshots: Path | None = getattr(args, "screenshots", None)
    if demo or screenshots is not None:
        settings = demo_settings(settings)
    database = open_configured_database()
    server, url = start_embedded_intake(settings, database)
    simulator: subprocess.Popen[bytes] | None = None
    services = LiveConsoleServices(settings, database, url)
    try:
        if demo or screenshots:
            Accounts(database).ensure(*DEMO_REVIEWER)
            simulator = queue_demo_applicant(database, settings, url)
        if screenshots is not None:
            from tools.screenshots import take_screenshots
            from ui.sign_in import SignedIn

            reviewer = SignedIn(services.sign_in(*DEMO_REVIEWER), DEMO_REVIEWER[0])
            take_screenshots(services, reviewer, settings, screenshots, str(getattr(args, "language", "en")))
            return 0
        return run_console_app(settings, services, demo_credentials=DEMO_REVIEWER if demo else None)
    finally:
        services.close()
        if simulator is not None:
            simulator.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                simulator.wait(timeout=5)
        if server is not None:
            server.stop()
        database.dispose()
