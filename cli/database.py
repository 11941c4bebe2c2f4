"""Commands for the database itself: init-db, audit verify, demo-data."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cli.common import fail, print_json, settings_from_env

if TYPE_CHECKING:
    from storage.database import Database


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = subparsers.add_parser("init-db", help="create or migrate the database schema (harmless to repeat)")
    init.set_defaults(func=init_db)

    audit = subparsers.add_parser("audit", help="the audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = audit_commands.add_parser(
        "verify", help="check the audit chain; exits non-zero at the first broken event"
    )
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=audit_verify)

    demo = subparsers.add_parser(
        "demo-data", help="register a few applications with photos from the shared data"
    )
    demo.add_argument("--json", action="store_true")
    demo.set_defaults(func=demo_data)


def open_configured_database() -> Database:
    from storage.database import DatabaseUnavailable, open_database

    settings = settings_from_env()
    try:
        return open_database(settings.effective_database_url)
    except DatabaseUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(3) from None


def init_db(args: argparse.Namespace) -> int:
    database = open_configured_database()
    revision = database.migrate()
    print(f"database ready at {database.engine.url.render_as_string(hide_password=True)} (schema {revision})")
    return 0


def audit_verify(args: argparse.Namespace) -> int:
    from services.audit import audit_report

    report = audit_report(settings_from_env(), open_configured_database())
    if args.json:
        print_json(report.as_json())
        return 0 if report.ok else 1
    if report.broken is None:
        print(f"audit chain intact: {report.events} events")
    else:
        print(f"audit chain BROKEN at event {report.broken.seq}: {report.broken.problem}", file=sys.stderr)
    for line in report.uncovered:
        print(f"NOT COVERED: {line}", file=sys.stderr)
    for item in report.deleted:
        print(
            f"deleted under retention rule {item['rule']} at {item['at']}: session {item['session_id']} "
            f"({item['files']} files, {item['bytes']} bytes)"
        )
    if report.ok:
        print("every decision, amendment and recording is covered by the chain")
    return 0 if report.ok else 1


def demo_data(args: argparse.Namespace) -> int:
    from tools.demo_data import register_demo_applications

    settings = settings_from_env()
    if not settings.shared_data_dir.is_dir():
        return fail(f"no shared data at {settings.shared_data_dir} (set AUDIT_SHARED_DATA_DIR)")
    database = open_configured_database()
    results = []

    def skipped(line: str) -> None:
        print(line, file=sys.stderr)

    for name, registered in register_demo_applications(database, settings, skipped=skipped):
        results.append(registered.as_json())
        if not args.json:
            print(f"application {registered.id}: {name}  {registered.applicant_url}")
    if args.json:
        print_json(results)
    return 0
