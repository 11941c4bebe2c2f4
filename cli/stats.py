"""The day's figures for supervisors: `python main.py stats --json [--day YYYY-MM-DD]`."""

from __future__ import annotations

import argparse
from datetime import date

from cli.common import fail, print_json, settings_from_env


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = subparsers.add_parser(
        "stats", help="a day's sessions, outcomes, checks awaited and handle time (the bank's time zone)"
    )
    stats.add_argument("--day", type=_day, help="YYYY-MM-DD in the bank's time zone (default: today)")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=run_stats)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from None


def run_stats(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database
    from services.supervision import figures_of_day

    database = open_configured_database()
    try:
        day, figures = figures_of_day(settings_from_env(), database, args.day)
    except ValueError as error:
        return fail(str(error))
    finally:
        database.dispose()
    if args.json:
        print_json(figures.as_dict())
        return 0
    median = "-" if figures.median_handle_seconds is None else f"{figures.median_handle_seconds:.0f} s"
    print(
        f"{day.isoformat()}: {figures.sessions} sessions, {figures.approved} approved, "
        f"{figures.rejected} rejected, {figures.verify_later} verify later, "
        f"{figures.awaiting_check} awaiting check; median handle time {median}"
    )
    for hour in figures.by_hour:
        if hour.sessions:
            print(f"  {hour.hour:02d}:00  {hour.sessions}")
    return 0
