"""The four-eyes check from the command line: the checker's queue, confirm, send back. A
supervisor signs in with their password (prompted, or --password-stdin for scripts)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from cli.common import fail, print_json, settings_from_env


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    register_window(subparsers)
    checks = subparsers.add_parser("checks", help="four-eyes checks: decisions a supervisor must confirm")
    actions = checks.add_subparsers(dest="checks_command", required=True, metavar="ACTION")
    listing = actions.add_parser(
        "list", help="decisions awaiting a check, oldest first, one JSON object a line"
    )
    listing.set_defaults(func=run_list)
    for name, help_text in (
        ("confirm", "confirm a decision: it takes effect"),
        ("send-back", "send a decision back: reopen the application (within its window) or reject it"),
    ):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--id", type=int, required=True, help="the check's id (from checks list)")
        action.add_argument("--checker", required=True, help="the supervisor's account name")
        action.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )
        if name == "send-back":
            action.add_argument("--reason", required=True)
            outcome = action.add_mutually_exclusive_group(required=True)
            outcome.add_argument("--reopen", action="store_true", help="a new video review within the window")
            outcome.add_argument("--reject", action="store_true", help="reject the application")
        action.set_defaults(func=run_check, confirm=name == "confirm")


def run_list(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database
    from services.supervision import awaiting_checks, four_eyes_checks

    database = open_configured_database()
    try:
        for entry in awaiting_checks(four_eyes_checks(database, settings_from_env())):
            print_json(entry.as_json())
        return 0
    finally:
        database.dispose()


def run_check(args: argparse.Namespace) -> int:
    from app.errors import ReviewError
    from app.four_eyes import SendBack
    from cli.database import open_configured_database
    from services.supervision import settle_check

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    send_back = None if args.confirm else (SendBack.REOPEN if args.reopen else SendBack.REJECT)
    database = open_configured_database()
    try:
        session_id = settle_check(
            database,
            settings_from_env(),
            args.id,
            checker=args.checker,
            password=password,
            send_back=send_back,
            reason=getattr(args, "reason", ""),
        )
        print(f"check {args.id} of session {session_id}: {'confirmed' if args.confirm else 'sent back'}")
        return 0
    except ReviewError as error:
        return fail(str(error), 1)
    finally:
        database.dispose()


def register_window(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    window = subparsers.add_parser(
        "supervise", help="the supervisors' window: four-eyes checks and the live view of queue and team"
    )
    window.add_argument("--name", required=True, help="the supervisor's account name")
    window.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    window.add_argument("--language", choices=["en", "zh_CN"], help="default: the language setting")
    window.add_argument("--screenshot", type=Path, help=argparse.SUPPRESS)
    window.set_defaults(func=run_window)


def run_window(args: argparse.Namespace) -> int:
    from app.errors import ReviewError
    from cli.database import open_configured_database
    from services.supervision import signed_in_supervisor
    from ui.supervisor_window import run_supervisor_window

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    settings = settings_from_env()
    database = open_configured_database()
    try:
        try:
            services = signed_in_supervisor(database, settings, args.name, password)
        except ReviewError as error:
            return fail(str(error), 1)
        language = args.language or ("zh_CN" if settings.language.lower().startswith("zh") else "en")
        return run_supervisor_window(services, language=language, screenshot=args.screenshot)
    finally:
        database.dispose()
