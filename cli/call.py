"""Commands for the live call: the intake service, the applicant simulator and a headless
reviewer (review-probe, services.probes). `bench call` is in cli.bench."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from cli.common import (
    add_reviewer_arguments,
    fail,
    print_json,
    print_line,
    quiet_media_logs,
    settings_from_env,
    sign_in_or_stop,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    intake = subparsers.add_parser(
        "intake", help="run the intake service: applicant page, queue and signalling"
    )
    intake.add_argument("--host", help="address to listen on (default: the intake_host setting, 127.0.0.1)")
    intake.add_argument("--port", type=int, help="port (default: the intake_port setting, 8080)")
    intake.add_argument(
        "--console-host", help="serve the console routes apart, on this address (the bank's internal network)"
    )
    intake.add_argument("--console-port", type=int, help="port of the console routes when served apart")
    intake.add_argument("--tls-cert", type=Path, help="serve HTTPS/WSS with this certificate chain (PEM)")
    intake.add_argument("--tls-key", type=Path, help="the private key of --tls-cert (PEM)")
    intake.set_defaults(func=run_intake_command)

    applicant = subparsers.add_parser(
        "applicant", help="the applicant simulator: stream a video file as an applicant"
    )
    applicant.add_argument("--url", required=True, help="the intake service, e.g. http://127.0.0.1:8080")
    applicant.add_argument(
        "--token", required=True, help="the applicant's one-time token (as --token=T, it may begin with -)"
    )
    applicant.add_argument("--video", required=True, type=Path, help="a video file (its audio is sent too)")
    applicant.add_argument("--loop", action="store_true", help="start the file again at its end")
    applicant.add_argument(
        "--size", default="640x480", help="send at WIDTHxHEIGHT (crop, then scale); 'source' keeps it"
    )
    applicant.add_argument("--seconds", type=float, help="stop after this many seconds")
    applicant.add_argument(
        "--stamp-time", action="store_true", help="draw a wall-clock code for latency measurements"
    )
    applicant.set_defaults(func=run_applicant_command)

    probe = subparsers.add_parser(
        "review-probe", help="a headless reviewer console: take the next applicant and report the media"
    )
    probe.add_argument("--url", help="the intake service (default: the intake_url setting)")
    probe.add_argument("--take-next", action="store_true", help="take the next applicant in the queue")
    probe.add_argument(
        "--seconds", type=float, default=10.0, help="how long to receive, after the first frame"
    )
    probe.add_argument("--jsonl", action="store_true", help="one JSON object per second, then a summary line")
    add_reviewer_arguments(probe)
    probe.add_argument(
        "--wait",
        type=float,
        default=15.0,
        help="seconds to keep asking for an applicant while the queue is empty",
    )
    probe.add_argument(
        "--face",
        choices=["auto", "on", "off"],
        default="auto",
        help="add the face-match fields of `match --jsonl` (auto: when the models and reference photo allow)",
    )
    probe.add_argument(
        "--drain",
        action="store_true",
        help="no media: take applicants until the queue stays empty, one JSON line per applicant "
        "(the intake service ends each as connection failed after the grace period)",
    )
    probe.set_defaults(func=run_review_probe)


def run_intake_command(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database
    from services.intake import run_intake_service

    quiet_media_logs()
    if (args.tls_cert is None) != (args.tls_key is None):
        return fail("--tls-cert and --tls-key go together")

    def ready(urls: list[str]) -> None:
        apart = f"; console routes on {urls[1]}" if len(urls) > 1 else ""
        print(f"intake service on {urls[0]} (applicant page: /apply#t=TOKEN){apart}", flush=True)

    database = open_configured_database()
    try:
        run_intake_service(
            settings_from_env(),
            database,
            args.host,
            args.port,
            tls=(args.tls_cert, args.tls_key) if args.tls_cert is not None else None,
            console_host=args.console_host,
            console_port=args.console_port,
            on_ready=ready,
        )
    except ValueError as error:  # settings that cannot work (STUN/TURN), or the TLS files
        return fail(str(error))
    finally:
        database.dispose()
    return 0


def run_applicant_command(args: argparse.Namespace) -> int:
    from tools.applicant_simulator import frame_size, run_applicant

    quiet_media_logs()
    if not args.video.is_file():
        return fail(f"no video file at {args.video}")
    try:
        size = frame_size(args.size)
    except ValueError as error:
        return fail(f"--size {args.size!r}: {error}")
    result = asyncio.run(
        run_applicant(
            args.url,
            args.token,
            args.video,
            loop_file=args.loop,
            size=size,
            stamp_time=args.stamp_time,
            seconds=args.seconds,
        )
    )
    print_json({"legs": result.legs, "ended": result.ended_reason, "error": result.error})
    return 1 if result.error else 0


def run_review_probe(args: argparse.Namespace) -> int:
    from services.intake import intake_base_url
    from services.probes import ProbeFailed, drain_queue, review_probe

    quiet_media_logs()
    settings = settings_from_env()
    url = intake_base_url(settings, args.url)
    if not args.drain and not args.take_next:
        return fail("say --take-next: the probe takes the next applicant in the queue")
    credential = sign_in_or_stop(settings, url, args)
    if args.drain:
        taken = 0
        try:
            taken = drain_queue(
                url,
                settings,
                credential=credential,
                wait=args.wait,
                emit=print_json,
            )
        except ProbeFailed as error:
            print(f"error: {error}", file=sys.stderr)
        print_json({"summary": {"taken": taken}})
        return 0 if taken > 0 else 1
    try:
        received = review_probe(
            url,
            settings,
            credential=credential,
            wait=args.wait,
            seconds=args.seconds,
            face=args.face,
            emit=print_json if args.jsonl else print_line,
        )
    except ProbeFailed as error:
        return fail(str(error), 1)
    return 0 if received else 1
