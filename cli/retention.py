"""Commands for retention: delete what the retention rules say is due, and legal holds."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cli.common import fail, print_json, settings_from_env

if TYPE_CHECKING:
    from storage.retention import Retention


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    retention = subparsers.add_parser("retention", help="delete recordings and personal data that are due")
    actions = retention.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    apply = actions.add_parser(
        "apply", help="delete what is due under the retention settings (held sessions are kept)"
    )
    apply.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    apply.add_argument("--json", action="store_true")
    # Tests and audits of "what would be due then": the clock set forward.
    apply.add_argument("--now", type=_moment, help=argparse.SUPPRESS)
    apply.set_defaults(func=run_apply)

    hold = actions.add_parser("hold", help="place a session under legal hold (never deleted)")
    hold.add_argument("--session", type=int, required=True)
    hold.add_argument("--reason", required=True)
    hold.add_argument("--by", required=True, help="who orders the hold")
    hold.set_defaults(func=run_hold_change, place=True)
    release = actions.add_parser("release", help="release a session's legal hold")
    release.add_argument("--session", type=int, required=True)
    release.add_argument("--reason", required=True)
    release.add_argument("--by", required=True, help="who releases the hold")
    release.set_defaults(func=run_hold_change, place=False)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _retention() -> Retention:
    from cli.database import open_configured_database
    from services.retention import configured_retention

    try:
        return configured_retention(settings_from_env(), open_configured_database())
    except ValueError as error:
        raise SystemExit(fail(str(error))) from None


def run_apply(args: argparse.Namespace) -> int:
    from app.errors import ReviewError

    retention = _retention()
    try:
        report = retention.apply(args.now or datetime.now(UTC), dry_run=args.dry_run)
    except ReviewError as error:
        return fail(str(error), 1)
    finally:
        retention.database.dispose()
    if args.json:
        print_json(report.as_dict())
        return 0
    verb = "would delete" if report.dry_run else "deleted"
    for item in report.deleted:
        what = f"{item.files} files, {item.bytes} bytes"
        print(f"session {item.session_id}: {verb} under rule {item.rule.value} ({what})")
    print(f"{len(report.deleted)} sessions {verb}; {report.kept_on_hold} due but kept on legal hold")
    return 0


def run_hold_change(args: argparse.Namespace) -> int:
    from app.errors import ReviewError
    from app.ids import SessionId

    retention = _retention()
    try:
        change = retention.place_hold if args.place else retention.release_hold
        change(SessionId(args.session), reason=args.reason, by=args.by, now=datetime.now(UTC))
    except ReviewError as error:
        return fail(str(error), 1)
    finally:
        retention.database.dispose()
    print(f"session {args.session}: legal hold {'placed' if args.place else 'released'}")
    return 0
