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
from pathlib import Path
from typing import Any

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


def run_console(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    demo = bool(getattr(args, "demo", False))
    if getattr(args, "in_memory", False):
        from tools.demo_console import run_in_memory_console

        return run_in_memory_console(settings, demo=demo)

    from cli.database import open_configured_database
    from services.console import running_console
    from storage.reviewers import Accounts
    from tools.demo_console import DEMO_REVIEWER, demo_applicant_waiting, demo_settings
    from ui.console_app import run_console_app

    quiet_media_logs()
    screenshots: Path | None = getattr(args, "screenshots", None)
    if demo or screenshots is not None:
        settings = demo_settings(settings)
    database = open_configured_database()
    try:
        with running_console(settings, database) as services, contextlib.ExitStack() as demo_parts:
            if demo or screenshots:
                Accounts(database).ensure(*DEMO_REVIEWER)
                demo_parts.enter_context(demo_applicant_waiting(database, settings, services.intake_url))
            if screenshots is not None:
                from tools.screenshots import take_screenshots
                from ui.sign_in import SignedIn

                reviewer = SignedIn(services.sign_in(*DEMO_REVIEWER), DEMO_REVIEWER[0])
                language = str(getattr(args, "language", "en"))
                take_screenshots(services, reviewer, settings, screenshots, language)
                return 0
            return run_console_app(settings, services, demo_credentials=DEMO_REVIEWER if demo else None)
    finally:
        database.dispose()
