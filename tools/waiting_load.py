"""The network half of `bench waiting`: N applicants waiting on the real applicant WebSocket
(no media), each noting when a "queued" update arrives, and a few consoles on the real
console API that sign in, take the next applicant at a steady pace and read the queue summary,
timing each request. aiohttp only; the database half lives with the command.

What it measures, once every applicant is waiting:
- the gaps between one applicant's position updates (while their place keeps changing,
  because the consoles keep taking);
- take-next and queue-summary response times, from the consoles' own process (so they are the
  intake's, not the time this process needs to read thousands of applicants' updates);
- errors (an error message, a refused join) and drops (a socket closed by the service).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import queue
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from app.consent import join_message
from tools.queue_load import percentile


def raise_open_file_limit() -> int:
    """Thousands of sockets need thousands of file descriptors: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Waiter:
    token: str
    session_id: int | None = None
    updates: list[float] = field(default_factory=list)  # monotonic times of "queued" messages
    taken: bool = False
    error: str | None = None
    dropped: bool = False


@dataclass
class WaitingRun:
    waiters: list[Waiter]
    take_next_ms: list[float] = field(default_factory=list)
    summary_ms: list[float] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    taken: int = 0
    window: tuple[float, float] = (0.0, 0.0)  # the measured span, monotonic


def _note(body: dict[str, Any], waiter: Waiter) -> bool:
    """Note one message from the service; True when the applicant was taken."""
    kind = body.get("type")
    if kind == "queued":
        waiter.updates.append(time.monotonic())
        waiter.session_id = body.get("session_id")
    elif kind == "taken":
        waiter.taken = True
    elif kind == "error":
        waiter.error = str(body.get("error"))
    return waiter.taken


async def _first_answer(ws: aiohttp.ClientWebSocketResponse, waiter: Waiter) -> None:
    """Wait for the service's answer to the join (a place, "taken" or an error)."""
    while True:
        message = await ws.receive(timeout=120)
        if message.type is not aiohttp.WSMsgType.TEXT:
            waiter.dropped = True
            return
        body = json.loads(message.data)
        _note(body, waiter)
        if body.get("type") in ("queued", "taken", "error"):
            return


async def _keep_waiting(ws: aiohttp.ClientWebSocketResponse, waiter: Waiter, stop: asyncio.Event) -> None:
    async for message in ws:
        if message.type is not aiohttp.WSMsgType.TEXT:
            break
        if _note(json.loads(message.data), waiter):
            return
    if not stop.is_set() and not waiter.taken:
        waiter.dropped = True


async def _applicant(
    http: aiohttp.ClientSession,
    base_url: str,
    waiter: Waiter,
    gate: asyncio.Semaphore,
    joined: asyncio.Event,
    stop: asyncio.Event,
    counter: list[int],
    total: int,
) -> None:
    try:
        async with gate:
            ws = await http.ws_connect(f"{base_url}/ws/applicant?t={waiter.token}", heartbeat=None)
            first = await ws.receive_json(timeout=120)
            if first.get("status") != "valid":
                waiter.error = f"status {first.get('status')}"
                await ws.close()
                return
            await ws.send_json(join_message(first))
            # Counted as waiting only once the service answered: the measured span starts
            # after every join was handled, not merely sent.
            await _first_answer(ws, waiter)
        counter[0] += 1
        if counter[0] == total:
            joined.set()
        try:
            if not (waiter.taken or waiter.dropped or waiter.error):
                await _keep_waiting(ws, waiter, stop)
        finally:
            await ws.close()
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        waiter.error = f"{type(error).__name__}: {error}"
        counter[0] += 1
        if counter[0] == total:
            joined.set()


@dataclass
class ConsoleTimings:
    """What the consoles measured (in their own process)."""

    take_next_ms: list[float] = field(default_factory=list)
    summary_ms: list[float] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    taken: int = 0


async def _console(
    http: aiohttp.ClientSession,
    base_url: str,
    reviewer: tuple[int, str],
    pace: float,
    summary_every: float,
    run: ConsoleTimings,
    stop: asyncio.Event,
    hang_ups: set[asyncio.Task[None]],
    offset: float = 0.0,
) -> None:
    reviewer_id, token = reviewer
    # Consoles start staggered, so takes are spread over the tick instead of arriving together.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), offset)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"reviewer_id": reviewer_id, "reviewer_name": f"bench {reviewer_id}"}
    next_summary = time.monotonic()
    while not stop.is_set():
        started = time.perf_counter()
        try:
            async with http.post(f"{base_url}/api/console/take-next", json=body, headers=headers) as response:
                answer = await response.read()
                run.take_next_ms.append((time.perf_counter() - started) * 1000)
                if response.status == 200:
                    run.taken += 1
                    path = f"{json.loads(answer)['signalling_path']}?reviewer_id={reviewer_id}"
                    hang_up = asyncio.get_running_loop().create_task(
                        _hang_up(http, base_url, path, headers, run)
                    )
                    hang_ups.add(hang_up)
                    hang_up.add_done_callback(hang_ups.discard)
                elif response.status != 204:
                    run.console_errors.append(f"take-next {response.status}: {answer[:200]!r}")
            if time.monotonic() >= next_summary:
                next_summary += summary_every
                started = time.perf_counter()
                async with http.get(f"{base_url}/api/queue/summary", headers=headers) as response:
                    await response.read()
                    run.summary_ms.append((time.perf_counter() - started) * 1000)
                    if response.status != 200:
                        run.console_errors.append(f"summary {response.status}")
        except (aiohttp.ClientError, TimeoutError) as error:
            run.console_errors.append(f"{type(error).__name__}: {error}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, pace - (time.perf_counter() - started)))


async def _hang_up(
    http: aiohttp.ClientSession, base_url: str, path: str, headers: dict[str, str], run: ConsoleTimings
) -> None:
    """End the taken call at once, as a console would after a review."""
    try:
        async with http.ws_connect(f"{base_url}{path}", headers=headers, heartbeat=None) as ws:
            await ws.send_json({"type": "end", "reason": "hang_up"})
            with contextlib.suppress(TimeoutError):
                while (await ws.receive(timeout=10)).type is aiohttp.WSMsgType.TEXT:
                    pass
    except (aiohttp.ClientError, TimeoutError) as error:
        run.console_errors.append(f"console socket: {type(error).__name__}: {error}")


async def _consoles(
    urls: list[str],
    reviewers: list[tuple[int, str]],
    pace: float,
    summary_every: float,
    begin: EventFlag,
    end: EventFlag,
) -> ConsoleTimings:
    run = ConsoleTimings()
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        await loop.run_in_executor(None, begin.wait)
        stop = asyncio.Event()
        hang_ups: set[asyncio.Task[None]] = set()
        consoles = [
            asyncio.create_task(
                _console(
                    http,
                    urls[i % len(urls)],
                    reviewer,
                    pace,
                    summary_every,
                    run,
                    stop,
                    hang_ups,
                    offset=pace * i / len(reviewers),
                )
            )
            for i, reviewer in enumerate(reviewers)
        ]
        await loop.run_in_executor(None, end.wait)
        stop.set()
        await asyncio.gather(*consoles)
        await asyncio.gather(*hang_ups, return_exceptions=True)
    return run


def _console_process(
    urls: list[str],
    reviewers: list[tuple[int, str]],
    pace: float,
    summary_every: float,
    begin: EventFlag,
    end: EventFlag,
    results: Any,
) -> None:
    """The consoles, in a process of their own: their response times are the intake's, not
    the time this process needs to read thousands of applicants' updates."""
    try:
        timings = asyncio.run(_consoles(urls, reviewers, pace, summary_every, begin, end))
    except Exception as error:  # reported to the parent, which counts it
        timings = ConsoleTimings(console_errors=[f"console process: {type(error).__name__}: {error}"])
    results.put(timings)


class EventFlag(Protocol):
    def wait(self, timeout: float | None = None) -> bool: ...

    def set(self) -> None: ...


async def run_waiting(
    base_url: str | Sequence[str],
    tokens: list[str],
    reviewers: list[tuple[int, str]],
    *,
    seconds: float,
    take_pace: float,
    summary_every: float = 2.0,
    connect_at_once: int = 200,
    on_all_waiting: Any = None,
) -> WaitingRun:
    """Connect and join every applicant, then let the consoles (in a process of their own)
    take for `seconds`. With several intake URLs (instances on one database), applicants and
    consoles are spread over them."""
    urls = [url.rstrip("/") for url in ([base_url] if isinstance(base_url, str) else base_url)]
    waiters = [Waiter(token) for token in tokens]
    run = WaitingRun(waiters)
    stop = asyncio.Event()
    joined = asyncio.Event()
    context = multiprocessing.get_context("spawn")
    begin, end, results = context.Event(), context.Event(), context.Queue()
    console_side = context.Process(
        target=_console_process,
        args=(urls, reviewers, take_pace, summary_every, begin, end, results),
        name="bench-waiting-consoles",
        daemon=True,
    )
    console_side.start()
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=60)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            gate = asyncio.Semaphore(connect_at_once)
            counter = [0]
            applicants = [
                asyncio.create_task(
                    _applicant(http, urls[i % len(urls)], w, gate, joined, stop, counter, len(waiters))
                )
                for i, w in enumerate(waiters)
            ]
            await joined.wait()
            await asyncio.sleep(2.0)  # the first round of places after the last join
            if on_all_waiting is not None:
                on_all_waiting()
            started = time.monotonic()
            begin.set()
            await asyncio.sleep(seconds)
            run.window = (started, time.monotonic())
            end.set()
            stop.set()
            try:
                timings: ConsoleTimings = await loop.run_in_executor(None, results.get, True, 120)
            except queue.Empty:
                timings = ConsoleTimings(console_errors=["the consoles' process sent no figures"])
            for task in applicants:
                task.cancel()
            await asyncio.gather(*applicants, return_exceptions=True)
    finally:
        begin.set()
        end.set()
        await loop.run_in_executor(None, console_side.join, 30)
        if console_side.is_alive():
            console_side.kill()
    run.take_next_ms = timings.take_next_ms
    run.summary_ms = timings.summary_ms
    run.console_errors = timings.console_errors
    run.taken = timings.taken
    return run


def update_gaps(run: WaitingRun) -> list[float]:
    """Seconds between consecutive position updates of applicants still waiting, within the
    measured span (the first gap starts at the span's start)."""
    start, end = run.window
    gaps: list[float] = []
    for waiter in run.waiters:
        if waiter.taken or waiter.error or waiter.dropped:
            continue
        previous = start
        for moment in waiter.updates:
            if start <= moment <= end:
                gaps.append(moment - previous)
                previous = moment
        gaps.append(end - previous)  # a place that went untold until the end counts too
    return gaps


def figures(run: WaitingRun) -> dict[str, Any]:
    gaps = sorted(update_gaps(run))
    take = sorted(run.take_next_ms)
    summary = sorted(run.summary_ms)
    return {
        "update_interval_p50_s": round(percentile(gaps, 0.50), 3) if gaps else None,
        "update_interval_p95_s": round(percentile(gaps, 0.95), 3) if gaps else None,
        "take_next_p95_ms": round(percentile(take, 0.95), 1) if take else None,
        "summary_p95_ms": round(percentile(summary, 0.95), 1) if summary else None,
        "errors": sum(1 for w in run.waiters if w.error) + len(run.console_errors),
        "dropped": sum(1 for w in run.waiters if w.dropped),
        "taken": run.taken,
    }
