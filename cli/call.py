"""Commands for the live call: the intake service, the applicant simulator, a headless reviewer
(review-probe) and the call benchmark (bench call). Wires storage's review desk into media's
intake service, which never imports storage itself."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import Settings
from cli.common import bench_application_form, fail, print_json, sealer_from_env, settings_from_env

if TYPE_CHECKING:
    from app.queue import ReviewDesk
    from media.call import CallApplicant, ReviewerCall
    from storage.database import Database

log = logging.getLogger(__name__)
MAIN = Path(__file__).resolve().parent.parent / "main.py"


def quiet_media_logs() -> None:
    """ICE prints every candidate pair at INFO; keep it for --verbose."""
    if logging.getLogger().level > logging.DEBUG:
        for name in ("aioice", "aiortc"):
            logging.getLogger(name).setLevel(logging.WARNING)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    intake = subparsers.add_parser(
        "intake", help="run the intake service: applicant page, queue and signalling"
    )
    intake.add_argument("--host", help="address to listen on (default: the intake_host setting, 127.0.0.1)")
    intake.add_argument("--port", type=int, help="port (default: the intake_port setting, 8080)")
    intake.set_defaults(func=run_intake_command)

    applicant = subparsers.add_parser(
        "applicant", help="the applicant simulator: stream a video file as an applicant"
    )
    applicant.add_argument("--url", required=True, help="the intake service, e.g. http://127.0.0.1:8080")
    applicant.add_argument("--token", required=True, help="the applicant's one-time token")
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
    probe.add_argument(
        "--reviewer-id", type=int, default=1, help="the reviewer account to take applicants as"
    )
    probe.add_argument("--reviewer-name", default="review-probe")
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

    bench = bench_group(subparsers)
    call = bench.add_parser(
        "call", help="one 640x480 call with the simulator: frames/s, latency, CPU per process"
    )
    call.add_argument("--seconds", type=float, default=20.0, help="measuring time after a 3 s warm-up")
    call.add_argument("--video", type=Path, help="default: shared data obama_weekly_address.mp4")
    call.add_argument("--json", action="store_true")
    call.set_defaults(func=run_bench_call)


def bench_group(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> Any:
    """The `bench` command group, shared with cli.face."""
    from cli.face import get_bench_group

    return get_bench_group(subparsers)


# -- composition --------------------------------------------------------------------------


def open_desk(settings: Settings) -> tuple[ReviewDesk, Database]:
    from app.rules import ReviewRules
    from cli.database import open_configured_database
    from storage.desk import DatabaseReviewDesk

    database = open_configured_database()
    desk: Any = DatabaseReviewDesk(database, ReviewRules.from_settings(settings), sealer_from_env())
    return desk, database


def reviewer_check(database: Database) -> Any:
    """Until sign-in lands: the reviewer id in the request must be an active account."""
    from aiohttp import web

    from app.ids import ReviewerId
    from media.intake.service import BadRequest, accept_any_reviewer
    from storage.models import Reviewer

    def active(reviewer_id: int) -> bool:
        with database.session() as session:
            row = session.get(Reviewer, reviewer_id)
            return row is not None and bool(row.active)

    async def check(request: web.Request, body: dict[str, Any]) -> ReviewerId:
        reviewer_id = await accept_any_reviewer(request, body)
        if not await asyncio.get_running_loop().run_in_executor(None, active, reviewer_id):
            raise BadRequest("unknown_reviewer", f"There is no active reviewer account {reviewer_id}.", 403)
        return reviewer_id

    return check


def start_embedded_intake(settings: Settings, database: Database) -> tuple[Any, str]:
    """For the console: the intake service to use. With `intake_url` set, that external one
    (nothing is started); otherwise one on a background thread at intake_host:intake_port,
    on the console's own database. Returns the server (None when external; call `.stop()` at
    exit) and its base URL."""
    from app.rules import ReviewRules
    from media.intake import IntakeServer
    from storage.desk import DatabaseReviewDesk
    from storage.reviews import ReviewRecords

    if settings.intake_url:
        return None, settings.intake_url.rstrip("/")
    # The desk hands the (encrypted) ID photo to the console that takes the applicant.
    desk = DatabaseReviewDesk(database, ReviewRules.from_settings(settings), sealer_from_env())
    # This console's own intake is the only one its applicants were connected to: whoever
    # still waits from an earlier run has no connection any more.
    cleared = desk.clear_stale_queue(datetime.now(UTC))
    if cleared:
        log.info("cleared %s applicant(s) left waiting by the last run", cleared)
    server = IntakeServer(
        desk,
        ReviewRecords(database),
        settings.intake_host,
        settings.intake_port,
        authorize_reviewer=reviewer_check(database),
        console_grace_seconds=settings.reconnect_grace_seconds,
    ).start()
    return server, server.url


def run_intake_command(args: argparse.Namespace) -> int:
    from media.intake import run_intake
    from storage.reviews import ReviewRecords

    quiet_media_logs()

    settings = settings_from_env()
    desk, database = open_desk(settings)
    host = args.host or settings.intake_host
    port = args.port if args.port is not None else settings.intake_port
    print(f"intake service on http://{host}:{port} (applicant page: /apply#t=TOKEN)", flush=True)
    try:
        run_intake(
            desk,
            ReviewRecords(database),
            host,
            port,
            authorize_reviewer=reviewer_check(database),
            console_grace_seconds=settings.reconnect_grace_seconds,
        )
    finally:
        database.dispose()
    return 0


def parse_size(raw: str) -> tuple[int, int] | None:
    if raw == "source":
        return None
    try:
        width, height = (int(part) for part in raw.lower().split("x"))
    except ValueError:
        raise SystemExit(f"error: --size {raw!r} must be WIDTHxHEIGHT or 'source'") from None
    if not (16 <= width <= 4096 and 16 <= height <= 4096) or width % 2 or height % 2:
        raise SystemExit(f"error: --size {raw!r} must be even numbers between 16 and 4096")
    return width, height


def run_applicant_command(args: argparse.Namespace) -> int:
    from media.simulator import run_applicant

    quiet_media_logs()

    if not args.video.is_file():
        return fail(f"no video file at {args.video}")
    result = asyncio.run(
        run_applicant(
            args.url,
            args.token,
            args.video,
            loop_file=args.loop,
            size=parse_size(args.size),
            stamp_time=args.stamp_time,
            seconds=args.seconds,
        )
    )
    print_json({"legs": result.legs, "ended": result.ended_reason, "error": result.error})
    return 1 if result.error else 0


def intake_url(settings: Settings, url: str | None) -> str:
    return url or settings.intake_url or f"http://{settings.intake_host}:{settings.intake_port}"


def take_next_within(call: ReviewerCall, wait: float, *, poll: float) -> CallApplicant:
    """Take the next applicant on `call`, asking again every `poll` seconds until `wait`
    seconds have passed. IntakeError when the intake refuses, or the queue stayed empty."""
    from media.call import IntakeError

    deadline = time.monotonic() + wait
    while True:
        applicant = call.take_next().result(20)
        if applicant is not None:
            return applicant
        if time.monotonic() > deadline:
            raise IntakeError("no applicant could be taken: the queue is empty")
        time.sleep(poll)


def run_review_probe(args: argparse.Namespace) -> int:
    from media.call import IntakeError, ReviewerCall

    quiet_media_logs()

    settings = settings_from_env()
    url = intake_url(settings, args.url)
    if args.drain:
        return drain_queue(url, args)
    if not args.take_next:
        return fail("say --take-next: the probe takes the next applicant in the queue")
    call = ReviewerCall(
        url,
        args.reviewer_id,
        args.reviewer_name,
        grace_seconds=settings.reconnect_grace_seconds,
        tone_without_microphone=True,
    ).start()
    emit = print_json if args.jsonl else _print_line
    face: ProbeFace | None = None
    try:
        try:
            applicant = take_next_within(call, args.wait, poll=0.5)
        except IntakeError as error:
            return fail(str(error), 1)
        log.info("took session %s (%s)", applicant.session_id, applicant.applicant_name)
        if args.face != "off":
            try:
                face = ProbeFace.start(call, applicant.reference_photo, settings)
            except ProbeFaceUnavailable as error:
                if args.face == "on":
                    return fail(str(error), 1)
                log.warning("no face-match figures: %s", error)
        first = call.frames.wait_newer(0, timeout=max(10.0, settings.reconnect_grace_seconds))
        if first is None:
            emit({"summary": {"frames": 0, "error": "no frame arrived", "session_id": applicant.session_id}})
            return 1
        started = time.monotonic()
        first_frames = call.frames.count
        for second in range(1, int(args.seconds) + 1):
            time.sleep(max(0.0, started + second - time.monotonic()))
            stats = call.stats()
            line: dict[str, Any] = {
                "t": second,
                "frames": stats.frames,
                "fps": round(stats.fps, 1),
                "width": stats.width,
                "height": stats.height,
                "audio_packets": stats.audio_packets,
                "leg": stats.leg,
            }
            if face is not None:
                line.update(face.fields())
            emit(line)
        elapsed = time.monotonic() - started
        stats = call.stats()
        face_summary = face.summary(stats.frames) if face is not None else {}
        emit(
            {
                "summary": face_summary
                | {
                    "t": round(elapsed, 2),
                    "frames": stats.frames,
                    "fps": round((stats.frames - first_frames) / elapsed, 2) if elapsed else 0.0,
                    "width": stats.width,
                    "height": stats.height,
                    "audio_packets": stats.audio_packets,
                    "audio_output": call.audio_status.output.value,
                    "session_id": applicant.session_id,
                    "legs": stats.leg,
                    "state": call.status.state.value,
                }
            }
        )
        return 0 if stats.frames > 0 else 1
    finally:
        if face is not None:
            face.stop()
        call.close()


class ProbeFaceUnavailable(Exception):
    """Face-match figures cannot be produced; the message says why."""


class ProbeFace:
    """The live face pipeline on the probe's received frames (the face worker process, fed
    the newest frame), with `match --jsonl`'s fields per second and its summary at the end."""

    def __init__(self, worker: Any, builder: Any, started: float) -> None:
        self.worker = worker
        self.builder = builder
        self.started = started
        self.last: dict[str, Any] = {}
        self._unsubscribe: Any = None

    @classmethod
    def start(cls, call: Any, reference_photo: bytes, settings: Settings) -> ProbeFace:
        try:
            from media.face.engine import FaceModelsMissing
            from media.face.offline import SummaryBuilder
            from media.face.quality import QualityLimits
            from media.face.reference import check_reference_photo
            from media.face.worker import FaceWorker, FaceWorkerError
        except ImportError as error:
            raise ProbeFaceUnavailable(f"the face pipeline is not available ({error})") from error
        try:
            report = check_reference_photo(reference_photo, limits=QualityLimits.from_settings(settings))
        except FaceModelsMissing as error:
            raise ProbeFaceUnavailable(str(error)) from error
        if not report.ok or report.encoding is None:
            raise ProbeFaceUnavailable("the reference photo cannot be used: " + "; ".join(report.problems))
        worker = FaceWorker(settings=settings)
        try:
            worker.start(reference_encoding=report.encoding)
        except (FaceWorkerError, FaceModelsMissing) as error:
            raise ProbeFaceUnavailable(str(error)) from error
        probe = cls(worker, SummaryBuilder(settings.match_sustain_seconds), time.monotonic())
        probe._unsubscribe = call.frames.subscribe(
            lambda sample: worker.offer_frame(
                sample.image, sample.received_at - probe.started, sample.sequence
            )
        )
        return probe

    def _collect(self) -> None:
        for score in self.worker.poll():
            self.builder.add(score)
            self.last = {key: value for key, value in score.as_json().items() if key not in ("t", "frame")}

    def fields(self) -> dict[str, Any]:
        """The newest face update: faces, distance, similarity, match, live, flags."""
        self._collect()
        return dict(self.last)

    def summary(self, frames: int) -> dict[str, Any]:
        self._collect()
        figures: dict[str, Any] = self.builder.summary(frames).as_json()["summary"]
        figures.pop("frames", None)
        return {"face_" + key if key == "updates" else key: value for key, value in figures.items()}

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.worker.stop()


def _print_line(value: dict[str, Any]) -> None:
    print(" ".join(f"{key}={item}" for key, item in value.items()), flush=True)


def drain_queue(url: str, args: argparse.Namespace) -> int:
    """Take applicants, without media, until the queue has been empty for `--wait` seconds."""
    from media.call.client import IntakeError, request_next_applicant

    async def drain() -> int:
        import aiohttp

        taken = 0
        idle_since = time.monotonic()
        async with aiohttp.ClientSession() as http:
            while time.monotonic() - idle_since < args.wait:
                try:
                    applicant = await request_next_applicant(http, url, args.reviewer_id, args.reviewer_name)
                except IntakeError as error:
                    print(f"error: {error}", file=sys.stderr)
                    return -1
                if applicant is None:
                    await asyncio.sleep(0.2)
                    continue
                taken += 1
                idle_since = time.monotonic()
                print_json({"taken": applicant.session_id, "application_id": applicant.application_id})
                sys.stdout.flush()
        return taken

    taken = asyncio.run(drain())
    print_json({"summary": {"taken": max(taken, 0)}})
    return 0 if taken > 0 else 1


# -- bench call ---------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def wait_for_http(url: str, timeout: float = 20.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - localhost only
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call_environment(data_dir: Path, database_url: str) -> dict[str, str]:
    """Environment for child processes of a self-contained call: open review hours all day."""
    env = dict(os.environ)
    env.update(
        {
            "AUDIT_DATA_DIR": str(data_dir),
            "AUDIT_DATABASE_URL": database_url,
            "AUDIT_REVIEW_OPENS": "00:00",
            "AUDIT_REVIEW_CLOSES": "00:00",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def seed_call(database: Database, settings: Settings, names: list[str]) -> tuple[int, list[str]]:
    """A reviewer account and one application per name; returns the reviewer id and the tokens."""
    from storage.applications import ApplicationBook
    from storage.reviewers import Accounts

    reviewer = Accounts(database).ensure("call-bench", "call-bench-password")
    # The person in the shared call video, so face-match figures mean something.
    photo = (settings.shared_data_dir / "faces" / "face_recognition" / "obama.jpg").read_bytes()
    book = ApplicationBook(database, sealer_from_env())
    tokens = []
    for name in names:
        form = bench_application_form(name)
        tokens.append(book.register(form, photo=photo, photo_format="jpeg", encoding=None).token)
    return int(reviewer.id), tokens


def run_bench_call(args: argparse.Namespace) -> int:
    from media.call import ReviewerCall
    from media.timecode import read_time_code
    from storage.database import open_database

    quiet_media_logs()

    settings = settings_from_env()
    video = args.video or settings.shared_data_dir / "videos" / "obama_weekly_address.mp4"
    if not video.is_file():
        return fail(f"no video at {video}")
    with tempfile.TemporaryDirectory(prefix="bench-call-") as tmp:
        data_dir = Path(tmp)
        database_url = f"sqlite:///{data_dir / 'bench.db'}"
        database = open_database(database_url)
        reviewer_id, (token,) = seed_call(database, settings, ["Bench Applicant"])
        database.dispose()
        env = call_environment(data_dir, database_url)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        processes: dict[str, subprocess.Popen[bytes]] = {}
        call = None
        try:
            processes["intake"] = subprocess.Popen(
                [sys.executable, str(MAIN), "intake", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
            )
            wait_for_http(f"{url}/healthz")
            processes["applicant"] = subprocess.Popen(
                [
                    sys.executable, str(MAIN), "applicant", "--url", url, "--token", token,
                    "--video", str(video), "--loop", "--stamp-time",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            call = ReviewerCall(url, reviewer_id, "bench", tone_without_microphone=True).start()
            deadline = time.monotonic() + 20
            applicant = None
            while applicant is None and time.monotonic() < deadline:
                applicant = call.take_next().result(20)
                if applicant is None:
                    time.sleep(0.3)
            if applicant is None:
                return fail("the simulator never joined the queue", 1)
            if call.frames.wait_newer(0, timeout=20) is None:
                return fail("no frame arrived", 1)
            time.sleep(3.0)  # warm-up: encoder ramp-up and the first keyframes

            latencies: list[float] = []
            unreadable = [0]
            lock = threading.Lock()

            def measure(sample: Any) -> None:
                sent = read_time_code(sample.image, now=sample.wall_time)
                with lock:
                    if sent is None:
                        unreadable[0] += 1
                    else:
                        latencies.append(sample.wall_time - sent)

            pids = {"console (this process)": os.getpid(), **{k: p.pid for k, p in processes.items()}}
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            frames_before, audio_before = call.stats().frames, call.stats().audio_packets
            started = time.monotonic()
            unsubscribe = call.frames.subscribe(measure)
            time.sleep(args.seconds)
            unsubscribe()
            elapsed = time.monotonic() - started
            stats = call.stats()
            cpu = {name: (cpu_seconds(pid) - cpu_before[name]) / elapsed * 100 for name, pid in pids.items()}
        finally:
            if call is not None:
                call.close()
            for process in processes.values():
                process.terminate()
            for process in processes.values():
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
    with lock:
        ordered = sorted(latencies)
    report = {
        "seconds": round(elapsed, 1),
        "frames_per_second": round((stats.frames - frames_before) / elapsed, 1),
        "width": stats.width,
        "height": stats.height,
        "audio_packets_per_second": round((stats.audio_packets - audio_before) / elapsed, 1),
        "latency_ms_p50": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "latency_ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 1) if ordered else None,
        "latency_samples": len(ordered),
        "latency_unreadable_frames": unreadable[0],
        "cpu_percent_of_one_core": {name: round(value, 1) for name, value in cpu.items()},
        "cpu_cores": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(f"one call, {stats.width}x{stats.height}, VP8, simulator as the applicant, {elapsed:.0f} s")
        print(f"  frames/s received        {report['frames_per_second']}")
        print(f"  audio packets/s          {report['audio_packets_per_second']}")
        print(
            f"  frame latency p50 / p95  {report['latency_ms_p50']} / {report['latency_ms_p95']} ms "
            f"({len(ordered)} frames, {unreadable[0]} without a readable time code)"
        )
        for name, value in cpu.items():
            print(f"  CPU {name:<24} {value:5.1f} % of one core")
    return 0
