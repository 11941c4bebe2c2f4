"""Commands for loan applications: add (with the reference photo) and list."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from app.applications import make_application_form, parse_applied_at
from app.errors import ReviewError
from cli.common import fail, print_json, settings_from_env


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    applications = subparsers.add_parser("applications", help="loan applications awaiting video review")
    actions = applications.add_subparsers(dest="applications_command", required=True, metavar="ACTION")

    add = actions.add_parser(
        "add", help="register an application with its ID photo; prints its id and applicant token"
    )
    add.add_argument("--name", required=True)
    add.add_argument("--national-id", required=True)
    add.add_argument("--phone", required=True)
    add.add_argument("--amount", required=True)
    add.add_argument("--term-months", required=True)
    add.add_argument("--purpose", required=True)
    add.add_argument("--photo", required=True, type=Path, help="the ID photo: exactly one clear face")
    add.add_argument(
        "--applied-at", help="ISO 8601 time of the application (default: now); no zone means the bank's"
    )
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=add_application)

    show = actions.add_parser("show", help="one application")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=show_application)

    listing = actions.add_parser("list", help="list applications, newest first")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--limit", type=int, default=200)
    listing.set_defaults(func=list_applications)


def add_application(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database
    from services.applications import register_application

    settings = settings_from_env()
    try:
        # The fields are checked before the database or the face models are touched.
        form = make_application_form(
            name=args.name,
            national_id=args.national_id,
            phone=args.phone,
            amount=args.amount,
            term_months=args.term_months,
            purpose=args.purpose,
            applied_at=parse_applied_at(args.applied_at, settings.timezone, now=datetime.now(UTC)),
        )
        result = register_application(open_configured_database(), settings, form, args.photo)
    except ReviewError as error:
        return fail(str(error))
    if args.json:
        print_json(result.as_json())
    else:
        print(f"application {result.id} registered")
        print(f"applicant token (shown once): {result.token}")
        print(f"applicant link: {result.applicant_url}")
    return 0


def show_application(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database
    from storage.applications import ApplicationBook

    database = open_configured_database()
    try:
        view = ApplicationBook(database).get(args.id)
    except ReviewError as error:
        return fail(str(error))
    if args.json:
        print_json(view.as_json())
    else:
        for key, value in view.as_json().items():
            print(f"{key:>12}: {value}")
    return 0


def list_applications(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database
    from storage.applications import ApplicationBook

    database = open_configured_database()
    rows = ApplicationBook(database).list(limit=args.limit)
    if args.json:
        print_json([r.as_json() for r in rows])
        return 0
    if not rows:
        print("no applications")
    for r in rows:
        print(
            f"{r.application_id:>6}  {r.status:<15} {r.applied_at:%Y-%m-%d %H:%M}  {r.amount:>10} "
            f"x{r.term_months:<3} {r.applicant_name} ({r.masked_national_id})"
        )
    return 0
