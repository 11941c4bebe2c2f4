"""`python main.py bench waiting` (cli.bench): many applicants waiting on one intake service (no media),
a few consoles taking at a steady pace; prints how often each waiting applicant hears their
place, how long take-next and the queue summary take, the intake's CPU, errors and drops.

It seeds its own applications and reviewer accounts, in a scratch PostgreSQL database on
`--server` (dropped afterwards), in `--database-url` as it is, or with `--sqlite` in a
temporary SQLite file; starts its own intake process (or `--instances` of them on PostgreSQL,
applicants and consoles spread over them); then drives tools.waiting_load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools import DEFAULT_SERVER, BenchFailed
from tools.fixtures import bench_application_form

if TYPE_CHECKING:
    from storage.database import Database

CONSOLE_PASSWORD = "bench-waiting-console"  # noqa: S105 - throwaway accounts in a scratch database
SEED_BATCH = 2000


def seed(database: Database, count: int, consoles: int) -> tuple[list[str], list[tuple[int, str]]]:
    """`count` applications applied now (a small photo each) and `consoles` reviewer accounts;
    returns the applicants' tokens and the reviewers' names."""
    from storage.applications import ApplicationBook
    from storage.reviewers import Accounts

    book = ApplicationBook(database, None)
    photo = os.urandom(4096)
    tokens: list[str] = []
    for first in range(0, count, SEED_BATCH):  # thousands a transaction: 10,000 in seconds
        forms = [
            bench_application_form(f"Waiting Applicant {index:05d}")
            for index in range(first, min(count, first + SEED_BATCH))
        ]
        registered = book.register_many(forms, photo=photo, photo_format="jpeg", actor="bench-waiting")
        tokens.extend(application.token for application in registered)
    accounts = Accounts(database)
    reviewers = [accounts.ensure(f"waiting-console-{n}", CONSOLE_PASSWORD) for n in range(1, consoles + 1)]
    return tokens, [(int(r.id), r.name) for r in reviewers]


def sign_in(base_url: str, reviewer_id: int, name: str) -> tuple[int, str]:
    """The console's sign-in to the intake service: (reviewer id, bearer token); an intake that
    takes no sign-ins gives an empty token."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - the bench's own intake on loopback
        f"{base_url}/api/console/sign-in",
        data=json.dumps({"name": name, "password": CONSOLE_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 503:
            return reviewer_id, ""
        raise
    return int(body["reviewer"]["id"]), str(body["token"])


def _raise_child_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def measure(args: argparse.Namespace, database_url: str, work: Path) -> dict[str, Any]:
    import asyncio

    from storage.database import open_database
    from tools.bench_queue import _stop
    from tools.processes import MAIN, call_environment, cpu_seconds, free_port, wait_for_http
    from tools.waiting_load import figures, raise_open_file_limit, run_waiting

    limit = raise_open_file_limit()
    if limit < args.count + 200:
        raise RuntimeError(f"{args.count} sockets need more open files than this machine allows ({limit})")
    database = open_database(database_url)
    try:
        tokens, accounts = seed(database, args.count, args.consoles)
    finally:
        database.dispose()
    env = call_environment(work / "data", database_url)
    logs = [work / f"intake-{number}.log" for number in range(1, args.instances + 1)]
    with ExitStack() as stack:
        intakes: list[subprocess.Popen[bytes]] = []
        urls: list[str] = []
        stack.callback(_stop, intakes)
        for log_path in logs:
            port = free_port()
            log_file = stack.enter_context(log_path.open("wb"))
            intakes.append(
                subprocess.Popen(
                    [sys.executable, str(MAIN), "intake", "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log_file,
                    preexec_fn=_raise_child_file_limit,  # noqa: PLW1509 - before exec, no threads yet
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_for_http(f"{url}/healthz", timeout=60)
        reviewers = [
            sign_in(urls[number % len(urls)], reviewer_id, name)
            for number, (reviewer_id, name) in enumerate(accounts)
        ]
        cpu: dict[str, float] = {}

        def intakes_cpu() -> float:
            return sum(cpu_seconds(intake.pid) for intake in intakes)

        def all_waiting() -> None:
            cpu["before"], cpu["at"] = intakes_cpu(), time.monotonic()

        run = asyncio.run(
            run_waiting(
                urls,
                tokens,
                reviewers,
                seconds=args.seconds,
                take_pace=args.take_every,
                on_all_waiting=all_waiting,
            )
        )
        # All instances together, in percent of one core.
        intake_cpu = (intakes_cpu() - cpu["before"]) / (time.monotonic() - cpu["at"]) * 100
    result = {"waiting": args.count, "instances": args.instances, **figures(run)}
    result["intake_cpu_percent"] = round(intake_cpu, 1)
    result["database"] = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    result["load_average"] = round(os.getloadavg()[0], 2)
    intake_errors = [
        line for path in logs for line in path.read_text(errors="replace").splitlines() if " ERROR " in line
    ]
    result["errors"] += len(intake_errors)
    return result


def run_bench_waiting(args: argparse.Namespace) -> dict[str, Any]:
    """The benchmark with the options of `bench waiting`; its figures. BenchFailed when it cannot run."""
    from app.settings import load_settings
    from tools.bench_queue import ScratchDatabase

    if args.count < 1 or args.consoles < 1 or args.instances < 1 or args.seconds <= 0 or args.take_every <= 0:
        raise BenchFailed(
            "--count, --consoles and --instances must be at least 1; --seconds and --take-every above 0"
        )
    if args.instances > 1 and args.sqlite:
        raise BenchFailed("several intake instances share PostgreSQL; --sqlite is for one")
    load_settings()  # fails early on a broken configuration
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-waiting-") as tmp:
        work = Path(tmp)
        if args.database_url:
            database_url = args.database_url
        elif args.sqlite:
            database_url = f"sqlite:///{work / 'queue.db'}"
        else:
            database_url = stack.enter_context(ScratchDatabase(args.server))
        try:
            result = measure(args, database_url, work)
        except (RuntimeError, OSError) as error:
            raise BenchFailed(f"the benchmark could not run: {error}") from error
    return result


def add_waiting_arguments(parser: argparse.ArgumentParser) -> None:
    """The options this benchmark reads (its command is cli.bench's)."""
    parser.add_argument("--count", type=int, default=1000, help="applicants waiting (default 1000)")
    parser.add_argument("--consoles", type=int, default=2, help="consoles taking (default 2)")
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help="intake instances on the one database; applicants and consoles spread over them (1)",
    )
    parser.add_argument(
        "--take-every", type=float, default=1.0, help="seconds between one console's take-next calls (1)"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="measured span once all wait (20)")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--database-url", help="use this database as it is (its waiting queue must be empty)")
    parser.add_argument(
        "--server",
        default=os.environ.get("AUDIT_TEST_POSTGRES_URL", DEFAULT_SERVER),
        help="without --database-url or --sqlite: a scratch database on this PostgreSQL server",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
