"""The network half of the queue load test (``python main.py bench queue``): simulated
applicants on the real applicant WebSocket and lightweight consoles on the real console HTTP
API, timing every request the intake service answers. aiohttp only; the database half (seeding,
the exactly-once check) lives in tools.bench_queue.

Applicant (one per token, all in one asyncio loop of the driver)::

    GET /ws/applicant?t=TOKEN  -> {"type": "status"}            "connect": handshake to status
    {"type": "join"}           -> {"type": "queued"} | "taken"  "join": join to the first answer
    ... stays connected ...    -> {"type": "taken"}             join_to_taken (not a response time)
    ... until the console ends -> {"type": "ended"}

Console (one OS process each, `run_console_process`)::

    POST /api/console/sign-in (once per console)                "sign_in"
    POST /api/console/take-next -> 200 | 204                    "take_next" (and "take_next_hit")
    GET  /ws/console/sessions/{id}, {"type": "end", "reason": "hang_up"}
    GET  /api/queue/summary every few seconds, as the real console's queue panel does
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp

from app.consent import join_message
from media.call.client import intake_session, sign_in_to_intake

REQUEST_KINDS = ("connect", "join", "take_next", "summary")


# -- figures ------------------------------------------------------------------------------


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list (fraction 0.95 for p95)."""
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def describe_ms(values: list[float]) -> dict[str, Any]:
    """count, p50/p95/p99, max and mean of durations given in milliseconds."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50), 1),
        "p95_ms": round(percentile(ordered, 0.95), 1),
        "p99_ms": round(percentile(ordered, 0.99), 1),
        "max_ms": round(ordered[-1], 1),
        "mean_ms": round(sum(ordered) / len(ordered), 1),
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# -- applicants ---------------------------------------------------------------------------


@dataclass
class ApplicantTimings:
    index: int
    application_id: int
    start_offset_s: float = 0.0  # when it connected, from the start of the run
    connect_ms: float | None = None
    join_ms: float | None = None
    join_to_taken_ms: float | None = None
    session_id: int | None = None  # from the first "queued" message, when one came
    taken_by: str | None = None  # the reviewer name in "taken"
    taken_messages: int = 0
    queued_messages: int = 0
    ended: str | None = None
    error: str | None = None


def arrival_offsets(count: int, seconds: float, arrival: str, seed: int) -> list[float]:
    """When each applicant joins, from the start: evenly spread over `seconds`, or a Poisson
    process of the same mean rate (exponential gaps, scaled to end within `seconds`)."""
    if count <= 0:
        return []
    if arrival == "even":
        step = seconds / count
        return [index * step for index in range(count)]
    if arrival != "poisson":
        raise ValueError(f"unknown arrival {arrival!r}")
    rng = random.Random(seed)
    moments: list[float] = []
    now = 0.0
    for _ in range(count):
        now += rng.expovariate(count / seconds)
        moments.append(now)
    scale = min(1.0, seconds / moments[-1]) if moments[-1] > 0 else 1.0
    return [moment * scale for moment in moments]


async def _receive(ws: aiohttp.ClientWebSocketResponse, timeout: float) -> dict[str, Any] | None:
    """The next JSON message, or None when the socket closed."""
    message = await ws.receive(timeout=timeout)
    if message.type is aiohttp.WSMsgType.TEXT:
        value = json.loads(message.data)
        return value if isinstance(value, dict) else {"type": "?", "raw": value}
    if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
        return None
    if message.type is aiohttp.WSMsgType.ERROR:
        raise ConnectionError(f"WebSocket error: {ws.exception()}")
    return {"type": "?", "raw": str(message.type)}


async def run_applicant(
    http: aiohttp.ClientSession,
    base_url: str,
    token: str,
    result: ApplicantTimings,
    *,
    taken_timeout: float,
    ended_timeout: float = 30.0,
) -> ApplicantTimings:
    """One applicant page: connect, join, stay until taken (and until the console ends the call)."""
    url = f"{base_url.rstrip('/')}/ws/applicant?t={token}"
    try:
        started = time.perf_counter()
        async with http.ws_connect(url, heartbeat=None, timeout=aiohttp.ClientWSTimeout(ws_close=5)) as ws:
            status = await _receive(ws, 60)
            result.connect_ms = _ms(time.perf_counter() - started)
            if status is None or status.get("type") != "status" or status.get("status") != "valid":
                result.error = f"status: {status}"
                return result
            joined = time.perf_counter()
            await ws.send_str(json.dumps(join_message(status)))
            deadline = joined + taken_timeout
            while True:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    result.error = "not taken in time"
                    return result
                message = await _receive(ws, remaining)
                if message is None:
                    result.error = "the socket closed before the applicant was taken"
                    return result
                kind = message.get("type")
                if kind in ("queued", "taken") and result.join_ms is None:
                    result.join_ms = _ms(time.perf_counter() - joined)
                if kind == "queued":
                    result.queued_messages += 1
                    if result.session_id is None and isinstance(message.get("session_id"), int):
                        result.session_id = message["session_id"]
                elif kind == "taken":
                    result.taken_messages += 1
                    result.join_to_taken_ms = _ms(time.perf_counter() - joined)
                    result.taken_by = str(message.get("reviewer"))
                    break
                elif kind == "error":
                    result.error = f"error: {message.get('error')}: {message.get('message')}"
                    return result
            # Taken: a real page now sends its offer; here it waits for the console to end the
            # call, and counts any second "taken" (which would mean a second reviewer).
            with contextlib.suppress(TimeoutError):
                end_by = time.perf_counter() + ended_timeout
                while (remaining := end_by - time.perf_counter()) > 0:
                    message = await _receive(ws, remaining)
                    if message is None:
                        break
                    if message.get("type") == "taken":
                        result.taken_messages += 1
                    elif message.get("type") == "ended":
                        result.ended = str(message.get("reason"))
    except TimeoutError:
        phase = "the status" if result.connect_ms is None else "being taken"
        result.error = result.error or f"timed out waiting for {phase}"
    except (aiohttp.ClientError, ConnectionError, ValueError) as error:
        result.error = result.error or f"{type(error).__name__}: {error}"
    return result


async def run_applicants(
    base_url: str | Sequence[str],
    tokens: list[tuple[int, str]],
    *,
    seconds: float,
    arrival: str = "even",
    seed: int = 7,
    taken_timeout: float = 180.0,
) -> list[ApplicantTimings]:
    """Every (application id, token) joins at its arrival offset; returns when all are done.
    With several intake URLs, applicants are spread over them in turn."""
    urls = [base_url] if isinstance(base_url, str) else list(base_url)
    offsets = arrival_offsets(len(tokens), seconds, arrival, seed)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        began = time.perf_counter()

        async def one(index: int, application_id: int, token: str, offset: float) -> ApplicantTimings:
            await asyncio.sleep(max(0.0, began + offset - time.perf_counter()))
            result = ApplicantTimings(index, application_id, round(time.perf_counter() - began, 3))
            url = urls[index % len(urls)]
            return await run_applicant(http, url, token, result, taken_timeout=taken_timeout)

        jobs = [
            one(index, application_id, token, offset)
            for index, ((application_id, token), offset) in enumerate(zip(tokens, offsets, strict=True))
        ]
        return list(await asyncio.gather(*jobs))


def applicant_rows(results: list[ApplicantTimings]) -> list[dict[str, Any]]:
    return [asdict(result) for result in results]


# -- consoles -----------------------------------------------------------------------------


@dataclass
class ConsoleReport:
    reviewer_id: int
    name: str
    taken: list[int] = field(default_factory=list)  # session ids, in order
    applications: list[int] = field(default_factory=list)
    timings_ms: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def time(self, kind: str, seconds: float) -> None:
        self.timings_ms.setdefault(kind, []).append(_ms(seconds))

    def as_json(self) -> dict[str, Any]:
        body = asdict(self)
        body["statuses"] = dict(self.statuses)
        return body


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _hang_up(
    http: aiohttp.ClientSession,
    base_url: str,
    path: str,
    headers: dict[str, str],
    hold: float,
    report: ConsoleReport,
) -> None:
    """Connect to the session's signalling socket as a console does, hold the call, hang up."""
    started = time.perf_counter()
    try:
        async with http.ws_connect(f"{base_url}{path}", headers=headers, heartbeat=None) as ws:
            report.time("console_socket", time.perf_counter() - started)
            if hold > 0:
                await asyncio.sleep(hold)
            await ws.send_str(json.dumps({"type": "end", "reason": "hang_up"}))
            with contextlib.suppress(TimeoutError):
                while await _receive(ws, 10) is not None:
                    pass
    except (aiohttp.ClientError, ConnectionError, TimeoutError) as error:
        report.errors.append(f"console socket {path}: {type(error).__name__}: {error}")


async def run_console(
    base_url: str,
    name: str,
    password: str,
    stop: asyncio.Event,
    *,
    poll_seconds: float = 0.5,
    review_seconds: float = 0.0,
    summary_seconds: float = 3.0,
    on_ready: Any = None,
) -> ConsoleReport:
    """Take the next applicant, over and over, until `stop` is set. A request in flight when
    it is set is finished and counted, so nothing taken goes unreported. Signs in first
    (IntakeError when refused)."""
    base_url = base_url.rstrip("/")
    async with intake_session(timeout=60) as http:
        started = time.perf_counter()
        credential = await sign_in_to_intake(http, base_url, name, password)
        report = ConsoleReport(credential.reviewer_id, name)
        report.time("sign_in", time.perf_counter() - started)
        headers = credential.headers

        async def summaries() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    async with http.get(f"{base_url}/api/queue/summary", headers=headers) as response:
                        await response.read()
                        report.time("summary", time.perf_counter() - started)
                        report.statuses[f"summary {response.status}"] += 1
                except (aiohttp.ClientError, TimeoutError) as error:
                    report.errors.append(f"summary: {type(error).__name__}: {error}")
                await _wait(stop, summary_seconds)

        summary_task = asyncio.create_task(summaries()) if summary_seconds > 0 else None
        while not stop.is_set():
            started = time.perf_counter()
            try:
                async with http.post(f"{base_url}/api/console/take-next", headers=headers) as response:
                    payload = await response.read()
                    elapsed = time.perf_counter() - started
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as error:
                report.errors.append(f"take-next: {type(error).__name__}: {error}")
                await _wait(stop, poll_seconds)
                continue
            report.time("take_next", elapsed)
            report.statuses[f"take_next {status}"] += 1
            if on_ready is not None:
                on_ready()
                on_ready = None
            if status == 204:
                await _wait(stop, poll_seconds)
                continue
            if status != 200:
                report.errors.append(f"take-next {status}: {payload[:200]!r}")
                await _wait(stop, poll_seconds)
                continue
            report.time("take_next_hit", elapsed)
            taken = json.loads(payload)
            report.taken.append(int(taken["session_id"]))
            report.applications.append(int(taken["application_id"]))
            await _hang_up(http, base_url, str(taken["signalling_path"]), headers, review_seconds, report)
        if summary_task is not None:
            summary_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await summary_task
    return report


def run_console_process(
    base_url: str, name: str, password: str, *, poll_seconds: float, review_seconds: float
) -> int:
    """A console as its own process: prints {"ready": true} after its first answer from the
    intake service, runs until SIGTERM or SIGINT, then prints its report as one JSON line."""

    async def main() -> ConsoleReport:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)

        def ready() -> None:
            print(json.dumps({"ready": True}), flush=True)

        return await run_console(
            base_url,
            name,
            password,
            stop,
            poll_seconds=poll_seconds,
            review_seconds=review_seconds,
            on_ready=ready,
        )

    report = asyncio.run(main())
    sys.stdout.write(json.dumps({"report": report.as_json()}) + "\n")
    sys.stdout.flush()
    return 0
