"""The `bench` commands: benchmarks and the queue load test (tools/). Each prints figures; none
is a timed test. `bench face` is registered by cli.face."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from cli.common import SIGN_IN_REFUSED, add_reviewer_arguments, fail, reviewer_password, settings_from_env
from cli.face import get_bench_group

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


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
    queue.add_argument("--applicants", type=int, default=200, help="applicants joining (default 200)")
    queue.add_argument("--consoles", type=int, default=4, help="console processes (default 4)")
    queue.add_argument(
        "--intakes",
        type=int,
        default=1,
        help="intake instances sharing the database; consoles and applicants are spread over them (1)",
    )
    queue.add_argument(
        "--seconds", type=float, default=60.0, help="span the joins are spread over (default 60)"
    )
    queue.add_argument("--arrival", choices=["even", "poisson"], default="even", help="join spacing")
    queue.add_argument("--seed", type=int, default=7, help="seed of the Poisson arrivals")
    queue.add_argument(
        "--poll", type=float, default=0.5, help="seconds a console waits after an empty take-next (0.5)"
    )
    queue.add_argument(
        "--review-seconds", type=float, default=0.0, help="seconds a console holds each call (0: drain)"
    )
    queue.add_argument("--photo-kib", type=int, default=48, help="size of each reference photo (48 KiB)")
    queue.add_argument(
        "--seal", action="store_true", help="store the photos encrypted, as `main.py register` does"
    )
    queue.add_argument(
        "--database-url", help="use this (PostgreSQL) database as it is; checks cover this run's applicants"
    )
    queue.add_argument(
        "--server",
        default=os.environ.get("AUDIT_TEST_POSTGRES_URL", DEFAULT_SERVER),
        help="without --database-url: a scratch database is created on this server and dropped after",
    )
    queue.add_argument(
        "--timeout", type=float, default=180.0, help="seconds an applicant may wait to be taken (180)"
    )
    queue.add_argument("--json", action="store_true", help="print one JSON object")
    queue.add_argument(
        "--details", type=Path, help="also write every applicant's and console's raw figures here (JSON)"
    )
    queue.set_defaults(func=run_bench_queue)

    waiting = bench.add_parser(
        "waiting",
        help="N applicants waiting on intake instances: position updates, take-next, summary, intake CPU",
    )
    waiting.add_argument("--count", type=int, default=1000, help="applicants waiting (default 1000)")
    waiting.add_argument("--consoles", type=int, default=2, help="consoles taking (default 2)")
    waiting.add_argument(
        "--instances",
        type=int,
        default=1,
        help="intake instances on the one database; applicants and consoles spread over them (1)",
    )
    waiting.add_argument(
        "--take-every", type=float, default=1.0, help="seconds between one console's take-next calls (1)"
    )
    waiting.add_argument("--seconds", type=float, default=20.0, help="measured span once all wait (20)")
    waiting.add_argument(
        "--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL"
    )
    waiting.add_argument(
        "--database-url", help="use this database as it is (its waiting queue must be empty)"
    )
    waiting.add_argument(
        "--server",
        default=os.environ.get("AUDIT_TEST_POSTGRES_URL", DEFAULT_SERVER),
        help="without --database-url or --sqlite: a scratch database on this PostgreSQL server",
    )
    waiting.add_argument("--json", action="store_true", help="print one JSON object")
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
    print(
        f"one call, {report['width']}x{report['height']}, VP8, simulator as the applicant, "
        f"{report['seconds']:.0f} s, direct, then through a TURN relay"
    )
    for label, figures in (("direct", report), ("through the TURN relay (relay only)", report["relay"])):
        print(f" {label}")
        print(f"  frames/s received        {figures['frames_per_second']}")
        print(f"  audio packets/s          {figures['audio_packets_per_second']}")
        print(
            f"  frame latency p50 / p95  {figures['latency_ms_p50']} / {figures['latency_ms_p95']} ms "
            f"({figures['latency_samples']} frames, {figures['latency_unreadable_frames']} without a "
            "readable time code)"
        )
        for name, value in figures["cpu_percent_of_one_core"].items():
            print(f"  CPU {name:<24} {value:5.1f} % of one core")
    print(f" load average              {report['load_average']}")
    return 0


def run_bench_replay(args: argparse.Namespace) -> int:
    from tools import BenchFailed
    from tools.bench_replay import run_bench_replay as measure

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
        print(
            f"encryption {mode:>3}: seek to a random time in a {report['duration_s']} s recording "
            f"({report['segments']} segments, {report['megabytes']} MB): p50 {report['seek_ms_p50']} ms, "
            f"p95 {report['seek_ms_p95']} ms, max {report['seek_ms_max']} ms (target: under 300 ms); "
            f"frame step p50 {report['frame_step_ms_p50']} ms; open {report['open_ms']} ms"
        )
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
