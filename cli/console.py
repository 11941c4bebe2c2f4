"""The `console` command (also the default): opens the reviewer console window.

Wiring, as the parts land (the lead finishes it): ConsoleServices (ui/services.py) is built
here from storage (reviewer accounts, DatabaseReviewDesk, answers, decisions) and media (the
console-side call with its FaceWorker). Until then the clearly-named in-memory stand-ins of
ui/demo.py are used, with a demo reviewer.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from app.settings import Settings
from cli.common import settings_from_env

log = logging.getLogger(__name__)

DEMO_REVIEWER = ("demo", "demo-password")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("console", help="open the reviewer console (the default command)")
    parser.set_defaults(func=run_console)


def build_demo_services(settings: Settings, *, with_applicant: bool) -> Any:
    """In-memory stand-ins for storage and media (ui.demo), with the demo reviewer."""
    from ui.demo import DemoConsoleServices, demo_applicant

    services = DemoConsoleServices()
    services.add_reviewer(*DEMO_REVIEWER)
    if with_applicant:
        services.add_applicant(demo_applicant(settings.shared_data_dir))
    return services


def run_console(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    demo = bool(getattr(args, "demo", False))
    # TODO(lead): when storage and media land, build the real ConsoleServices here instead
    # (see the report in ui/services.py's docstring); keep the demo services for --demo.
    log.warning(
        "storage and media are not wired into the console yet: using in-memory demo services "
        "(reviewer %r, password %r)",
        *DEMO_REVIEWER,
    )
    services = build_demo_services(settings, with_applicant=demo)
    from ui.console_app import run_console_app

    try:
        return run_console_app(settings, services, demo_credentials=DEMO_REVIEWER if demo else None)
    finally:
        services.close()
