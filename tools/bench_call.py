"""`bench call`: one 640x480 call with the simulator through a real intake service: frames/s,
frame latency (a time code drawn by the simulator), audio packets/s, CPU per process; measured
directly, then in the same run through a real coturn relay with the relay-only policy on both
sides ("relay")."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import Settings
from services import configured_sealer
from tools import BenchFailed
from tools.fixtures import bench_application_form
from tools.processes import MAIN, call_environment, cpu_seconds, free_port, wait_for_http

if TYPE_CHECKING:
    from storage.database import Database


BENCH_REVIEWER = "call-bench"
BENCH_PASSWORD = "call-bench-password"  # noqa: S105 - a throwaway account in a scratch database


def seed_call(database: Database, settings: Settings, names: list[str]) -> tuple[int, list[str]]:
    """A reviewer account and one application per name; returns the reviewer id and the tokens."""
    from storage.applications import ApplicationBook
    from storage.reviewers import Accounts

    reviewer = Accounts(database).ensure(BENCH_REVIEWER, BENCH_PASSWORD)
    # The person in the shared call video, so face-match figures mean something.
    photo = (settings.shared_data_dir / "faces" / "face_recognition" / "obama.jpg").read_bytes()
    book = ApplicationBook(database, configured_sealer())
    tokens = []
    for name in names:
        form = bench_application_form(name)
        tokens.append(book.register(form, photo=photo, photo_format="jpeg", encoding=None).token)
    return int(reviewer.id), tokens


def run_bench_call(settings: Settings, video: Path, seconds: float) -> dict[str, Any]:
    """The call measured directly, then through a loopback coturn with the relay-only policy on
    both sides (under "relay"); the figures, or BenchFailed."""
    from tools.loopback_turn import TurnServerUnavailable, running_coturn

    report = measure_call(settings, video, seconds, {})
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-call-turn-") as turn_dir,
            running_coturn(Path(turn_dir)) as turn,
        ):
            relay = measure_call(settings, video, seconds, turn.environment(), {"coturn": turn.pid})
            relay["relay_allocations"] = turn.log().count("ALLOCATE processed, success")
    except TurnServerUnavailable as error:
        raise BenchFailed(str(error)) from error
    report["relay"] = relay
    report["load_average"] = [round(value, 2) for value in os.getloadavg()]
    return report


def measure_call(
    settings: Settings,
    video: Path,
    seconds: float,
    extra_env: dict[str, str],
    extra_pids: dict[str, int] | None = None,
) -> dict[str, Any]:
    """One call through a real intake process from a real simulator process (the console is
    this process), with `extra_env` for all three; the figures, or BenchFailed."""
    from media.call import IntakeError, ReviewerCall, sign_in
    from storage.database import open_database
    from tools.timecode import read_time_code

    with tempfile.TemporaryDirectory(prefix="bench-call-") as tmp:
        data_dir = Path(tmp)
        database_url = f"sqlite:///{data_dir / 'bench.db'}"
        database = open_database(database_url)
        _reviewer_id, (token,) = seed_call(database, settings, ["Bench Applicant"])
        database.dispose()
        env = call_environment(data_dir, database_url) | extra_env
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
                    sys.executable, str(MAIN), "applicant", "--url", url, f"--token={token}",
                    "--video", str(video), "--loop", "--stamp-time",
                ],
                env=env,
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                credential = sign_in(url, BENCH_REVIEWER, BENCH_PASSWORD)
            except IntakeError as error:
                raise BenchFailed(f"the bench reviewer cannot sign in: {error}") from error
            policy = extra_env.get("AUDIT_ICE_TRANSPORT_POLICY", "all")
            call = ReviewerCall(url, credential, ice_policy=policy, tone_without_microphone=True).start()
            deadline = time.monotonic() + 20
            applicant = None
            while applicant is None and time.monotonic() < deadline:
                applicant = call.take_next().result(20)
                if applicant is None:
                    time.sleep(0.3)
            if applicant is None:
                raise BenchFailed("the simulator never joined the queue")
            if call.frames.wait_newer(0, timeout=20) is None:
                raise BenchFailed("no frame arrived")
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

            pids = {
                "console (this process)": os.getpid(),
                **{k: p.pid for k, p in processes.items()},
                **(extra_pids or {}),
            }
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            frames_before, audio_before = call.stats().frames, call.stats().audio_packets
            started = time.monotonic()
            unsubscribe = call.frames.subscribe(measure)
            time.sleep(seconds)
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
    return report


def bench_call_lines(report: dict[str, Any]) -> list[str]:
    """`bench call` in words: direct, then through the relay, then the load average."""
    lines = [
        f"one call, {report['width']}x{report['height']}, VP8, simulator as the applicant, "
        f"{report['seconds']:.0f} s, direct, then through a TURN relay"
    ]
    for label, figures in (("direct", report), ("through the TURN relay (relay only)", report["relay"])):
        lines += [
            f" {label}",
            f"  frames/s received        {figures['frames_per_second']}",
            f"  audio packets/s          {figures['audio_packets_per_second']}",
            f"  frame latency p50 / p95  {figures['latency_ms_p50']} / {figures['latency_ms_p95']} ms "
            f"({figures['latency_samples']} frames, {figures['latency_unreadable_frames']} without a "
            "readable time code)",
        ]
        for name, value in figures["cpu_percent_of_one_core"].items():
            lines.append(f"  CPU {name:<24} {value:5.1f} % of one core")
    lines.append(f" load average              {report['load_average']}")
    return lines
