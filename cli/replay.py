"""Commands for recordings and supervisor replay: the replay window, session listing and PDF
export, the demo session, and a headless recording reviewer (record-probe, services.probes).
`bench replay` and `bench sessions` are in cli.bench."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.common import add_reviewer_arguments, fail, print_json, settings_from_env


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = subparsers.add_parser("replay", help="open the supervisors' replay window")
    replay.add_argument("--session", type=int, help="open this session straight away")
    replay.add_argument("--at", type=float, help="with --session: start at this time (seconds)")
    replay.add_argument("--screenshot", type=Path, help=argparse.SUPPRESS)
    replay.set_defaults(func=run_replay)

    sessions = subparsers.add_parser("sessions", help="recorded review sessions")
    actions = sessions.add_subparsers(dest="sessions_command", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write a session's PDF report (no window)")
    export.add_argument("--id", type=int, required=True, help="the review session's id")
    export.add_argument("--pdf", type=Path, required=True, help="the PDF file to write")
    export.add_argument(
        "--language",
        choices=["en", "zh_CN"],
        help="the report's language (default: the language setting, else English)",
    )
    export.set_defaults(func=run_export)
    listing = actions.add_parser("list", help="finished sessions, newest first, one JSON object a line")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument(
        "--outcome", help="approve, reject, verify_later, connection_failed, or abandoned (ended undecided)"
    )
    listing.add_argument("--reason", help="a reason code, or how an abandoned session ended (hung_up...)")
    listing.add_argument("--reviewer-id", type=int)
    listing.set_defaults(func=run_list)
    demo = actions.add_parser(
        "demo", help="record a demo session from the shared Obama video (two legs, scores, amendment)"
    )
    demo.add_argument("--seconds", type=float, nargs="+", default=[14.0, 12.0], help="length of each leg")
    demo.add_argument("--fast-faces", action="store_true", help="a cheap stand-in for the face pipeline")
    demo.add_argument("--name", default="王芳 Wang Fang", help="the applicant's name")
    demo.add_argument("--no-amend", action="store_true", help="leave the reviewer's decision as it is")
    demo.set_defaults(func=run_demo)

    recordings = subparsers.add_parser("recordings", help="recordings in the shared store")
    recording_actions = recordings.add_subparsers(dest="recordings_command", required=True, metavar="ACTION")
    upload = recording_actions.add_parser(
        "upload",
        help="send what this workstation's spool holds and the shared store lacks (after a store outage "
        "or a crash); harmless to repeat",
    )
    upload.add_argument("--json", action="store_true")
    upload.set_defaults(func=run_upload)

    probe = subparsers.add_parser(
        "record-probe",
        help="a headless reviewer that takes the next applicant and records the call (legs, timeline)",
    )
    probe.add_argument("--url", help="the intake service (default: the intake_url setting)")
    add_reviewer_arguments(probe)
    probe.add_argument("--seconds", type=float, default=10.0, help="how long to record after the first frame")
    probe.add_argument("--wait", type=float, default=20.0, help="seconds to wait for an applicant")
    probe.add_argument(
        "--faces",
        action="store_true",
        help="score the face against the ID photo (face worker) onto the timeline",
    )
    probe.set_defaults(func=run_record_probe)


# -- replay window and export -------------------------------------------------------------


def run_replay(args: argparse.Namespace) -> int:
    import os

    from cli.database import open_configured_database
    from services.replay import LiveReplayServices
    from ui.console_app import run_replay_app

    settings = settings_from_env()
    # For kiosks and automated screenshots: the supervisor signs in without typing.
    name, password = os.environ.get("AUDIT_REPLAY_USER", ""), os.environ.get("AUDIT_REPLAY_PASSWORD")
    database = open_configured_database()
    try:
        return run_replay_app(
            settings,
            LiveReplayServices.from_environment(settings, database),
            session_id=args.session,
            at=args.at,
            credentials=(name, password) if name and password else None,
            screenshot=args.screenshot,
        )
    finally:
        database.dispose()


def run_export(args: argparse.Namespace) -> int:
    from app.errors import NotFound, RecordingUnreadable
    from cli.database import open_configured_database
    from services.replay import report_sources
    from ui.languages import install_windowless_translators
    from ui.replay.fonts import ReportFontMissing
    from ui.replay.report import write_report

    settings = settings_from_env()
    language = args.language or ("zh_CN" if settings.language.lower().startswith("zh") else "en")
    install_windowless_translators(language)
    database = open_configured_database()
    try:
        try:
            replay, recording = report_sources(settings, database, args.id)
        except NotFound as error:
            return fail(str(error), 1)

        def progress(done: int, total: int, what: str) -> None:
            print(f"[{done}/{total}] {what}", file=sys.stderr, flush=True)

        try:
            write_report(replay, args.pdf, settings=settings, progress=progress, recording=recording)
        except (RecordingUnreadable, ReportFontMissing) as error:
            return fail(f"session {args.id}: {error}", 1)
        print(f"wrote {args.pdf}")
        return 0
    finally:
        database.dispose()


def run_upload(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database
    from services.recording import upload_recordings

    database = open_configured_database()
    try:
        report = upload_recordings(settings_from_env(), database)
    finally:
        database.dispose()
    if report is None:
        return fail("no shared recording store: the database is SQLite (recording_store = auto) or local")
    waiting = sum(1 for line in report if line["store_down"] or line["pending"])
    if args.json:
        print_json({"folders": report, "waiting": waiting})
    else:
        for line in report:
            print(f"{line['directory']}: {line['uploaded']} files sent, {line['pending']} waiting")
    return 1 if waiting else 0


def run_list(args: argparse.Namespace) -> int:
    from app.replay import SessionFilter
    from cli.database import open_configured_database
    from services.replay import session_listing

    database = open_configured_database()
    try:
        spec = SessionFilter(outcome=args.outcome, reason_code=args.reason, reviewer_id=args.reviewer_id)
        for row in session_listing(database, spec, limit=args.limit):
            print_json(row)
        return 0
    finally:
        database.dispose()


def run_demo(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database
    from services import configured_sealer
    from tools.demo_session import make_demo_session

    settings = settings_from_env()
    database = open_configured_database()
    try:
        session_id = make_demo_session(
            database,
            settings,
            seconds=tuple(args.seconds),
            real_faces=not args.fast_faces,
            amend=not args.no_amend,
            applicant_name=args.name,
            progress=lambda message: print(message, flush=True),
            sealer=configured_sealer(),
        )
        print_json({"session_id": session_id})
        return 0
    finally:
        database.dispose()


# -- record-probe ---------------------------------------------------------------------------


def run_record_probe(args: argparse.Namespace) -> int:
    """Take the next applicant, record every leg and store the timeline; one JSON line a second."""
    from cli.common import quiet_media_logs, sign_in_or_stop
    from cli.database import open_configured_database
    from services.intake import intake_base_url
    from services.probes import ProbeFailed, record_probe

    quiet_media_logs()
    settings = settings_from_env()
    url = intake_base_url(settings, args.url)
    credential = sign_in_or_stop(settings, url, args)
    database = open_configured_database()
    try:
        received = record_probe(
            url,
            settings,
            database,
            credential=credential,
            seconds=args.seconds,
            wait=args.wait,
            faces=args.faces,
            emit=print_json,
        )
    except ProbeFailed as error:
        return fail(str(error), 1)
    finally:
        database.dispose()
    return 0 if received else 1
