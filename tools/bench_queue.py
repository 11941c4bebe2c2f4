"""The queue load test (``python main.py bench queue``), issue 7 "Many workstations".

One or more intake services (``main.py intake``, ``--intakes``) and K consoles
(``main.py bench queue-console``), each a separate process, share one PostgreSQL database; N
applicants join over a time span on the real applicant WebSocket, spread over the intakes.
Every request the intake answers is timed (tools.queue_load), then the database is checked:
every applicant's session taken exactly once, by the one console that says it took it, none
left waiting, none lost. Prints the figures; exits 1 on any loss or duplicate.

Without ``--database-url`` it creates a scratch database on ``--server`` and drops it afterwards.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools import DEFAULT_SERVER, BenchFailed
from tools.fixtures import bench_application_form

if TYPE_CHECKING:
    from storage.database import Database

CONSOLE_PASSWORD = "load-console-password"  # noqa: S105 - a throwaway account in a scratch database


# -- the database -------------------------------------------------------------------------


class ScratchDatabase:
    """A fresh database on a PostgreSQL server, dropped when the block ends."""

    def __init__(self, server_url: str) -> None:
        from sqlalchemy.engine import make_url

        from storage.database import normalise_url

        self.server_url = normalise_url(server_url)
        self.name = f"audit_load_{uuid.uuid4().hex[:12]}"
        self.url = make_url(self.server_url).set(database=self.name).render_as_string(hide_password=False)

    def __enter__(self) -> str:
        self._execute(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *_exc: object) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _execute(self, statement: str) -> None:
        from sqlalchemy import create_engine, text

        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(statement))
        finally:
            admin.dispose()


def seed_applications(database: Database, count: int, photo: bytes, sealer: Any) -> list[tuple[int, str]]:
    """`count` applications, applied now; returns (application id, token) for each."""
    from storage.applications import ApplicationBook

    book = ApplicationBook(database, sealer)
    seeded = []
    for index in range(count):
        form = bench_application_form(f"Load Applicant {index:04d}")
        registered = book.register(form, photo=photo, photo_format="jpeg", encoding=None, actor="bench-queue")
        seeded.append((int(registered.id), registered.token))
    return seeded


@dataclass
class QueueCheck:
    """What the database says about this run's applications, against what the processes said."""

    registered: int = 0
    sessions: int = 0
    taken: int = 0
    waiting: int = 0
    states: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    audit_events_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_queue(
    database: Database,
    application_ids: list[int],
    reviewers: dict[int, str],
    console_taken: dict[int, list[int]],
    applicants: list[Any],
) -> QueueCheck:
    """Exactly once, none lost: from the database, the consoles' reports and the applicants' pages."""
    from app.review import SessionState
    from storage.benchmarks import queue_snapshot

    check = QueueCheck(registered=len(application_ids))
    problems = check.problems
    snapshot = queue_snapshot(database, application_ids)
    rows, taken_events, chain_break = snapshot.sessions, snapshot.taken_events, snapshot.chain_problem
    check.audit_events_checked = snapshot.audit_events_checked
    if chain_break is not None:
        problems.append(f"audit chain broken at event {chain_break.seq}: {chain_break.problem}")
    check.sessions = len(rows)
    check.states = dict(Counter(row.state for row in rows))
    per_application = Counter(row.application_id for row in rows)
    never = sorted(set(application_ids) - set(per_application))
    if never:
        problems.append(f"{len(never)} applications never reached the queue (lost): {never[:20]}")
    again = sorted(app_id for app_id, count in per_application.items() if count > 1)
    if again:
        problems.append(f"{len(again)} applications have more than one session: {again[:20]}")
    by_session = {row.id: row for row in rows}
    for row in rows:
        if row.state == SessionState.WAITING.value:
            check.waiting += 1
        if row.reviewer_id is not None and row.taken_at is not None:
            check.taken += 1
        events = taken_events.get(f"session:{row.id}", 0)
        if events != 1:
            problems.append(f"session {row.id} has {events} queue.taken audit events (expected 1)")
    if check.waiting:
        problems.append(f"{check.waiting} sessions left waiting in the queue")
    if check.taken != check.registered:
        problems.append(f"{check.taken} of {check.registered} applicants taken by a reviewer")

    reported = Counter(s for sessions in console_taken.values() for s in sessions)
    duplicates = sorted(s for s, count in reported.items() if count > 1)
    if duplicates:
        problems.append(
            f"{len(duplicates)} sessions reported taken by more than one take-next: {duplicates[:20]}"
        )
    for reviewer_id, sessions in console_taken.items():
        for session_id in sessions:
            found = by_session.get(session_id)
            if found is None:
                problems.append(f"console {reviewer_id} took session {session_id}, not one of this run's")
            elif found.reviewer_id != reviewer_id:
                problems.append(
                    f"console {reviewer_id} took session {session_id}; the database says {found.reviewer_id}"
                )
    unreported = sorted(
        s for s, row in by_session.items() if row.reviewer_id is not None and s not in reported
    )
    if unreported:
        problems.append(
            f"{len(unreported)} sessions taken in the database but by no console: {unreported[:20]}"
        )

    session_of = {row.application_id: row for row in rows}
    for result in applicants:
        label = f"applicant {result.index} (application {result.application_id})"
        if result.error:
            problems.append(f"{label}: {result.error}")
        elif result.taken_messages != 1:
            problems.append(f"{label} was told 'taken' {result.taken_messages} times")
        mine = session_of.get(result.application_id)
        if (
            mine is not None
            and result.taken_by is not None
            and reviewers.get(mine.reviewer_id or 0) != result.taken_by
        ):
            problems.append(
                f"{label} was taken by {result.taken_by!r}; the database says reviewer {mine.reviewer_id}"
            )
    return check


# -- processes ----------------------------------------------------------------------------


def _wait_for_line(path: Path, needle: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while needle not in path.read_text(errors="replace"):
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{process.args!r} was not ready within {timeout:.0f} s")
        time.sleep(0.1)


def _stop(processes: list[subprocess.Popen[bytes]], timeout: float = 30.0) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _console_report(path: Path) -> dict[str, Any] | None:
    for line in reversed(path.read_text(errors="replace").splitlines()):
        if line.startswith('{"report"'):
            report: dict[str, Any] = json.loads(line)["report"]
            return report
    return None


def _log_summary(path: Path) -> dict[str, Any]:
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    errors = [line for line in lines if " ERROR " in line or line.startswith("Traceback")]
    return {
        "errors": len(errors),
        "warnings": sum(" WARNING " in line for line in lines),
        "first_errors": errors[:5],
    }


@dataclass
class Run:
    """Everything measured in one run, before it is summarised."""

    elapsed: float
    applicants: list[Any]
    consoles: dict[int, dict[str, Any]]
    intake_cpu_percent: float
    driver_cpu_percent: float
    intake_log: dict[str, Any]
    console_logs: dict[int, dict[str, Any]]


def _drive(
    args: argparse.Namespace,
    seeded: list[tuple[int, str]],
    reviewers: dict[int, str],
    work: Path,
    env: dict[str, str],
) -> Run:
    from tools.processes import MAIN, cpu_seconds, free_port, wait_for_http
    from tools.queue_load import run_applicants

    intakes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    intake_logs = [work / f"intake-{number}.log" for number in range(1, args.intakes + 1)]
    processes: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack:
        stack.callback(_stop, processes)
        for log_path in intake_logs:
            port = free_port()
            log_file = stack.enter_context(log_path.open("wb"))
            intake = subprocess.Popen(
                [sys.executable, str(MAIN), "intake", "--port", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log_file,
            )
            processes.append(intake)
            intakes.append(intake)
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            wait_for_http(f"{url}/healthz", timeout=60)
        consoles: dict[int, tuple[subprocess.Popen[bytes], Path, Path]] = {}
        for number, (reviewer_id, name) in enumerate(reviewers.items()):
            url = urls[number % len(urls)]
            out, err = work / f"console-{reviewer_id}.out", work / f"console-{reviewer_id}.log"
            with out.open("wb") as out_file, err.open("wb") as err_file:
                process = subprocess.Popen(
                    [
                        sys.executable, str(MAIN), "bench", "queue-console", "--url", url,
                        "--reviewer", name,
                        "--poll", str(args.poll), "--review-seconds", str(args.review_seconds),
                    ],
                    env=env,
                    stdout=out_file,
                    stderr=err_file,
                )  # fmt: skip
            processes.append(process)
            consoles[reviewer_id] = (process, out, err)
        for process, out, _err in consoles.values():
            _wait_for_line(out, '"ready"', process, timeout=60)

        cpu_before = sum(cpu_seconds(intake.pid) for intake in intakes)
        driver_before = time.process_time()
        started = time.monotonic()
        results = _run_async(
            run_applicants(
                urls,
                seeded,
                seconds=args.seconds,
                arrival=args.arrival,
                seed=args.seed,
                taken_timeout=args.timeout,
            )
        )
        elapsed = time.monotonic() - started
        intake_cpu = (sum(cpu_seconds(intake.pid) for intake in intakes) - cpu_before) / elapsed * 100
        driver_cpu = (time.process_time() - driver_before) / elapsed * 100
        # Consoles finish the request they are in and print their reports; then the intake goes.
        _stop([process for process, _out, _err in consoles.values()], timeout=60)
        reports: dict[int, dict[str, Any]] = {}
        console_logs: dict[int, dict[str, Any]] = {}
        for reviewer_id, (process, out, err) in consoles.items():
            report = _console_report(out)
            if report is None:  # counted as a problem: what it took is then "taken by no console"
                error = f"console {reviewer_id} printed no report (exit {process.returncode})"
                report = {"taken": [], "timings_ms": {}, "statuses": {}, "errors": [error]}
            reports[reviewer_id] = report
            console_logs[reviewer_id] = _log_summary(err)
        _stop(intakes)
    logs = [_log_summary(path) for path in intake_logs]
    intake_log = {
        "errors": sum(entry["errors"] for entry in logs),
        "warnings": sum(entry["warnings"] for entry in logs),
        "first_errors": [line for entry in logs for line in entry["first_errors"]][:5],
    }
    return Run(elapsed, results, reports, intake_cpu, driver_cpu, intake_log, console_logs)


def _run_async(coroutine: Any) -> Any:
    import asyncio

    return asyncio.run(coroutine)


# -- the command --------------------------------------------------------------------------


def summarise(
    args: argparse.Namespace, run: Run, check: QueueCheck, reviewers: dict[int, str]
) -> dict[str, Any]:
    from tools.queue_load import describe_ms

    timings: dict[str, list[float]] = {"connect": [], "join": []}
    for result in run.applicants:
        if result.connect_ms is not None:
            timings["connect"].append(result.connect_ms)
        if result.join_ms is not None:
            timings["join"].append(result.join_ms)
    for kind in ("take_next", "take_next_hit", "summary", "console_socket"):
        timings[kind] = [ms for report in run.consoles.values() for ms in report["timings_ms"].get(kind, [])]
    every = timings["connect"] + timings["join"] + timings["take_next"] + timings["summary"]
    statuses: Counter[str] = Counter()
    for report in run.consoles.values():
        statuses.update(report["statuses"])
    console_errors = [error for report in run.consoles.values() for error in report["errors"]]
    problems = list(check.problems)
    if console_errors:
        problems.append(f"{len(console_errors)} console request errors: {console_errors[:5]}")
    bad_statuses = {k: v for k, v in statuses.items() if not k.endswith((" 200", " 204"))}
    if bad_statuses:
        problems.append(f"unexpected HTTP statuses: {bad_statuses}")
    return {
        "ok": not problems,
        "applicants": args.applicants,
        "consoles": args.consoles,
        "intakes": args.intakes,
        "seconds": args.seconds,
        "arrival": args.arrival,
        "database": "postgresql",
        "elapsed_s": round(run.elapsed, 1),
        "intake_p95_ms": describe_ms(every).get("p95_ms"),
        "intake_response_ms": {"all": describe_ms(every)}
        | {kind: describe_ms(values) for kind, values in timings.items() if kind != "console_socket"},
        "console_socket_ms": describe_ms(timings["console_socket"]),
        "join_to_taken_ms": describe_ms(
            [r.join_to_taken_ms for r in run.applicants if r.join_to_taken_ms is not None]
        ),
        "taken_per_console": {
            reviewers[int(rid)]: len(report["taken"]) for rid, report in run.consoles.items()
        },
        "http_statuses": dict(sorted(statuses.items())),
        "check": {
            "registered": check.registered,
            "sessions": check.sessions,
            "taken": check.taken,
            "waiting": check.waiting,
            "states": check.states,
            "told_taken_once": sum(r.taken_messages == 1 and not r.error for r in run.applicants),
            "audit_events_checked": check.audit_events_checked,
        },
        "intake_log": run.intake_log,
        "console_logs": {reviewers[rid]: log for rid, log in run.console_logs.items()},
        "cpu_percent_of_one_core": {
            "intake": round(run.intake_cpu_percent, 1),  # all instances together
            "driver (applicants)": round(run.driver_cpu_percent, 1),
        },
        "cpu_cores": os.cpu_count(),
        "problems": problems,
    }


def print_summary(summary: dict[str, Any]) -> None:
    check = summary["check"]
    print(
        f"{summary['applicants']} applicants over {summary['seconds']:.0f} s ({summary['arrival']}), "
        f"{summary['consoles']} consoles, {summary['intakes']} intake service(s), PostgreSQL: "
        f"{summary['elapsed_s']} s"
    )
    print(f"  intake response time p95   {summary['intake_p95_ms']} ms (all requests)")
    for kind, figures in summary["intake_response_ms"].items():
        if figures.get("count"):
            print(
                f"    {kind:<14} n={figures['count']:<5} p50 {figures['p50_ms']:>7} "
                f"p95 {figures['p95_ms']:>7} p99 {figures['p99_ms']:>7} max {figures['max_ms']:>7} ms"
            )
    wait = summary["join_to_taken_ms"]
    if wait.get("count"):
        print(
            f"  join to taken              p50 {wait['p50_ms']} p95 {wait['p95_ms']} max {wait['max_ms']} ms"
        )
    print(f"  taken per console          {summary['taken_per_console']}")
    print(
        f"  database                   {check['taken']}/{check['registered']} taken, "
        f"{check['sessions']} sessions, {check['waiting']} waiting"
    )
    print(f"  intake log                 {summary['intake_log']['errors']} errors")
    verdict = "OK: every applicant taken exactly once" if summary["ok"] else "FAILED"
    print(f"  result                     {verdict}")
    for problem in summary["problems"]:
        print(f"    - {problem}")


def run_bench_queue(args: argparse.Namespace) -> dict[str, Any]:
    """The load run with the options of `bench queue`; its summary ("ok": no loss, no
    duplicate). BenchFailed when it cannot run."""
    from app.settings import load_settings
    from storage.database import DatabaseUnavailable, open_database
    from storage.reviewers import Accounts
    from storage.sealing import Sealer
    from tools.processes import call_environment

    if args.applicants < 1 or args.consoles < 1 or args.intakes < 1 or args.seconds < 0:
        raise BenchFailed("--applicants, --consoles and --intakes must be at least 1, --seconds not negative")
    load_settings()  # fails early on a broken configuration
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        work = Path(tmp)
        database_url = args.database_url or stack.enter_context(ScratchDatabase(args.server))
        try:
            database = open_database(database_url)
        except DatabaseUnavailable as error:
            raise BenchFailed(str(error)) from error
        stack.callback(database.dispose)
        if database.is_sqlite:
            raise BenchFailed("the queue load test is for PostgreSQL (several consoles share one server)")
        env = call_environment(work / "data", database_url)
        env["AUDIT_REVIEWER_PASSWORD"] = CONSOLE_PASSWORD  # the consoles sign in with it
        sealer = None
        if args.seal:
            key = os.urandom(32)
            env["AUDIT_KEY"] = base64.b64encode(key).decode()
            sealer = Sealer(key)
        photo = os.urandom(args.photo_kib * 1024)
        seeded = seed_applications(database, args.applicants, photo, sealer)
        accounts = Accounts(database)
        reviewers: dict[int, str] = {}
        for number in range(1, args.consoles + 1):
            account = accounts.ensure(f"load-console-{number}", CONSOLE_PASSWORD)
            reviewers[int(account.id)] = account.name
        try:
            run = _drive(args, seeded, reviewers, work, env)
        except (RuntimeError, OSError) as error:  # TimeoutError is an OSError
            raise BenchFailed(f"the load test could not run: {error}") from error
        console_taken = {int(rid): [int(s) for s in report["taken"]] for rid, report in run.consoles.items()}
        check = check_queue(
            database, [app_id for app_id, _ in seeded], reviewers, console_taken, run.applicants
        )
        summary = summarise(args, run, check, reviewers)
        if args.details:
            from tools.queue_load import applicant_rows

            args.details.write_text(
                json.dumps(
                    {
                        "summary": summary,
                        "applicants": applicant_rows(run.applicants),
                        "consoles": run.consoles,
                    }
                )
            )
    return summary


def add_queue_arguments(parser: argparse.ArgumentParser) -> None:
    """The options this benchmark reads (its command is cli.bench's)."""
    parser.add_argument("--applicants", type=int, default=200, help="applicants joining (default 200)")
    parser.add_argument("--consoles", type=int, default=4, help="console processes (default 4)")
    parser.add_argument(
        "--intakes",
        type=int,
        default=1,
        help="intake instances sharing the database; consoles and applicants are spread over them (1)",
    )
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="span the joins are spread over (default 60)"
    )
    parser.add_argument("--arrival", choices=["even", "poisson"], default="even", help="join spacing")
    parser.add_argument("--seed", type=int, default=7, help="seed of the Poisson arrivals")
    parser.add_argument(
        "--poll", type=float, default=0.5, help="seconds a console waits after an empty take-next (0.5)"
    )
    parser.add_argument(
        "--review-seconds", type=float, default=0.0, help="seconds a console holds each call (0: drain)"
    )
    parser.add_argument("--photo-kib", type=int, default=48, help="size of each reference photo (48 KiB)")
    parser.add_argument(
        "--seal", action="store_true", help="store the photos encrypted, as `main.py register` does"
    )
    parser.add_argument(
        "--database-url", help="use this (PostgreSQL) database as it is; checks cover this run's applicants"
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("AUDIT_TEST_POSTGRES_URL", DEFAULT_SERVER),
        help="without --database-url: a scratch database is created on this server and dropped after",
    )
    parser.add_argument(
        "--timeout", type=float, default=180.0, help="seconds an applicant may wait to be taken (180)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--details", type=Path, help="also write every applicant's and console's raw figures here (JSON)"
    )
