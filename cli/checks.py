"""The four-eyes check from the command line: the checker's queue, confirm, send back. A
supervisor signs in with their password (prompted, or --password-stdin for scripts)."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cli.common import fail, print_json, settings_from_env

if TYPE_CHECKING:
    from storage.database import Database
    from storage.four_eyes import FourEyesChecks


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


def _checks(database: Database) -> FourEyesChecks:
    from datetime import timedelta

    from storage.four_eyes import FourEyesChecks

    settings = settings_from_env()
    return FourEyesChecks(database, review_window=timedelta(hours=settings.review_window_hours))


def run_list(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database

    database = open_configured_database()
    try:
        for item in _checks(database).queue():
            print_json(
                {
                    "id": item.check_id,
                    "session_id": item.session_id,
                    "applicant": item.applicant_name,
                    "amount": str(item.amount),
                    "outcome": item.outcome,
                    "maker": item.maker_name,
                    "because": item.because,
                    "selected_at": item.selected_at.isoformat(),
                }
            )
        return 0
    finally:
        database.dispose()


def run_check(args: argparse.Namespace) -> int:
    from app.errors import ReviewError
    from app.four_eyes import SendBack
    from cli.database import open_configured_database
    from storage.reviewers import Accounts

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    database = open_configured_database()
    try:
        checker = Accounts(database).sign_in(args.checker, password)
        checks = _checks(database)
        now = datetime.now(UTC)
        if args.confirm:
            session_id = checks.confirm(args.id, checker_id=checker.id, now=now)
        else:
            action = SendBack.REOPEN if args.reopen else SendBack.REJECT
            session_id = checks.send_back(
                args.id, checker_id=checker.id, reason=args.reason, action=action, now=now
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
    from app.roles import Action, may
    from cli.database import open_configured_database
    from services.supervision import DatabaseSupervision
    from storage.reviewers import Accounts
    from ui.supervisor_window import run_supervisor_window

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    settings = settings_from_env()
    database = open_configured_database()
    try:
        try:
            supervisor = Accounts(database).sign_in(args.name, password)
        except ReviewError as error:
            return fail(str(error), 1)
        if not may(supervisor.role, Action.CHECK_DECISION):
            return fail(f"A {supervisor.role.value} may not open the supervisors' window.", 1)
        language = args.language or ("zh_CN" if settings.language.lower().startswith("zh") else "en")
        services = DatabaseSupervision(database, settings, supervisor)
        return run_supervisor_window(services, language=language, screenshot=args.screenshot)
    finally:
        database.dispose()
