"""The `bench` commands: benchmarks and the queue load test (tools/). Each prints figures; none
is a timed test. `bench face` is registered by cli.face."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cli.common import SIGN_IN_REFUSED, add_reviewer_arguments, fail, reviewer_password, settings_from_env
from cli.face import get_bench_group
from tools.bench_queue import add_queue_arguments
from tools.bench_waiting import add_waiting_arguments


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = get_bench_group(subparsers)
    call = bench.add_parser(
        "call", help="one 640x480 call with the simulator: frames/s, latency, CPU per process"
    )
    call.add_argument("--seconds", type=float, default=20.0, help="measuring time after a 3 s warm-up")
    call.add_argument("--video", type=Path, help="default: shared data obama_weekly_address.mp4")
    call.add_argument("--json", action="store_true")
    call.set_defaults(func=run_bench_call)

    seek = bench.add_parser("replay", help="seek time in a recorded session (records one first)")
    seek.add_argument("--minutes", type=float, default=5.0, help="length of the recording to make")
    seek.add_argument("--seeks", type=int, default=100)
    seek.add_argument("--directory", type=Path, help="an existing session recording instead of a new one")
    seek.add_argument(
        "--encryption",
        choices=("both", "on", "off"),
        default="both",
        help="record (and seek in) an encrypted recording, a plain one, or both from the same frames "
        "(default both; with --directory, 'on' opens it with the console's key)",
    )
    seek.set_defaults(func=run_bench_replay)
    browser = bench.add_parser("sessions", help="session browser queries over many sessions on SQLite")
    browser.add_argument("--count", type=int, default=100_000)
    browser.add_argument("--database", type=Path, help="reuse this SQLite file (made when missing)")
    browser.set_defaults(func=run_bench_sessions)

    queue = bench.add_parser(
        "queue",
        help="load test: K console processes drain N applicants joining intake services on PostgreSQL",
        description="Exit code 0 when every applicant was taken exactly once, 1 on any loss or "
        "duplicate, 2 on a usage or setup error.",
    )
    add_queue_arguments(queue)
    queue.set_defaults(func=run_bench_queue)

    waiting = bench.add_parser(
        "waiting",
        help="N applicants waiting on intake instances: position updates, take-next, summary, intake CPU",
    )
    add_waiting_arguments(waiting)
    waiting.set_defaults(func=run_bench_waiting)

    console = bench.add_parser("queue-console", help="one console process of `bench queue` (started by it)")
    console.add_argument("--url", required=True)
    add_reviewer_arguments(console)
    console.add_argument("--poll", type=float, default=0.5)
    console.add_argument("--review-seconds", type=float, default=0.0)
    console.set_defaults(func=run_queue_console)


def run_bench_call(args: argparse.Namespace) -> int:
    from cli.common import quiet_media_logs
    from tools import BenchFailed
    from tools.bench_call import bench_call_lines
    from tools.bench_call import run_bench_call as measure

    quiet_media_logs()
    settings = settings_from_env()
    video = args.video or settings.shared_data_dir / "videos" / "obama_weekly_address.mp4"
    if not video.is_file():
        return fail(f"no video at {video}")
    try:
        report = measure(settings, video, args.seconds)
    except BenchFailed as error:
        return fail(str(error), 1)
    if args.json:
        print(json.dumps(report))
        return 0
    for line in bench_call_lines(report):
        print(line)
    return 0


def run_bench_replay(args: argparse.Namespace) -> int:
    from tools import BenchFailed
    from tools.bench_replay import run_bench_replay as measure
    from tools.bench_replay import seek_line

    try:
        reports = measure(
            settings_from_env(),
            minutes=args.minutes,
            seeks=args.seeks,
            encryption=args.encryption,
            directory=args.directory,
            progress=lambda message: print(message, flush=True),
        )
    except BenchFailed as error:
        return fail(str(error), 1)
    for mode, report in reports.items():
        print(json.dumps({"encryption": mode, **report}))
        print(seek_line(mode, report))
    return 0


def run_bench_sessions(args: argparse.Namespace) -> int:
    from tools.bench_sessions import run_bench_sessions as measure

    measure(args.count, args.database, say=lambda line: print(line, flush=True))
    return 0


def run_bench_queue(args: argparse.Namespace) -> int:
    from tools import BenchFailed
    from tools.bench_queue import print_summary
    from tools.bench_queue import run_bench_queue as measure

    try:
        summary = measure(args)
    except BenchFailed as error:
        return fail(str(error))
    if args.json:
        print(json.dumps(summary))
    else:
        print_summary(summary)
    return 0 if summary["ok"] else 1


def run_queue_console(args: argparse.Namespace) -> int:
    from media.call import IntakeSignInRefused
    from tools.queue_load import run_console_process

    try:
        return run_console_process(
            args.url,
            args.reviewer,
            reviewer_password(args),
            poll_seconds=args.poll,
            review_seconds=args.review_seconds,
        )
    except IntakeSignInRefused as error:
        return fail(f"sign-in refused: {error}", SIGN_IN_REFUSED)


def run_bench_waiting(args: argparse.Namespace) -> int:
    from tools import BenchFailed
    from tools.bench_waiting import run_bench_waiting as measure

    try:
        result = measure(args)
    except BenchFailed as error:
        return fail(str(error))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")
    return 0
