"""Running the intake service: in the foreground (`main.py intake`) or embedded in a console
process on a background thread with its own event loop. The applicant routes and the console
routes share one address unless a console address is given; TLS when an ssl context is."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import ssl
import threading
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from app.queue import CallLegs, ReviewDesk
from media.intake.service import BOTH_PARTS, IntakeService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Listener:
    host: str
    port: int
    parts: frozenset[str] = BOTH_PARTS


def listeners(host: str, port: int, console_host: str | None, console_port: int | None) -> list[Listener]:
    """One listener for everything, or the applicant routes and the console routes apart."""
    if console_host is None and console_port is None:
        return [Listener(host, port)]
    console = Listener(console_host or host, console_port or 0, frozenset({"console"}))
    return [Listener(host, port, frozenset({"applicant"})), console]


def server_ssl(cert_file: str, key_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


async def start_site(
    service: IntakeService, listener: Listener, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(service.make_app(listener.parts), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, listener.host, listener.port, reuse_address=True, ssl_context=ssl_context)
    await site.start()
    server = site._server  # the real port when 0 was asked for
    bound = listener.port
    sockets = getattr(server, "sockets", None)
    if sockets:
        bound = sockets[0].getsockname()[1]
    return runner, bound


def base_url(host: str, port: int, ssl_context: ssl.SSLContext | None) -> str:
    return f"{'https' if ssl_context is not None else 'http'}://{host}:{port}"


# Thousands of open sockets make a heap of millions of objects. With Python's default thresholds
# the collector's full pass ran every ~10 s with 10,000 applicants waiting and stopped the whole
# process for 0.7-0.8 s each time (take-next and places waited); with these, measured the same
# way, middle passes of 0.1-0.17 s every ~18 s and no full pass in the measured span. Young
# collections every 20,000 allocations let more of a tick's short-lived objects die young; a
# full pass at most every 100 middle ones; what was loaded at start is left out of every pass.
GC_THRESHOLDS = (20_000, 10, 100)


def _collect_garbage_for_many_sockets() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_intake(
    desk: ReviewDesk,
    legs: CallLegs,
    host: str,
    port: int,
    *,
    console_host: str | None = None,
    console_port: int | None = None,
    ssl_context: ssl.SSLContext | None = None,
    on_ready: Any = None,
    **options: Any,
) -> None:
    """Serve until interrupted (SIGINT or SIGTERM). `on_ready(urls)` gets the base URLs,
    the applicants' first, once every address listens."""
    service = IntakeService(desk, legs, **options)
    _collect_garbage_for_many_sockets()

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        runners = []
        try:
            urls = []
            for listener in listeners(host, port, console_host, console_port):
                runner, bound = await start_site(service, listener, ssl_context)
                runners.append(runner)
                urls.append(base_url(listener.host, bound, ssl_context))
            if on_ready is not None:
                on_ready(urls)
            await stop.wait()
        finally:
            for runner in runners:
                await runner.cleanup()

    asyncio.run(serve())


class IntakeServer:
    """An intake service on a thread of its own: the console's embedded default, and tests.

    `start()` returns once it listens; `url` is then its base URL (`console_url` the console
    routes', the same unless a console address was given); `stop()` shuts it down.
    """

    def __init__(
        self,
        desk: ReviewDesk,
        legs: CallLegs,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        console_host: str | None = None,
        console_port: int | None = None,
        ssl_context: ssl.SSLContext | None = None,
        **options: Any,
    ) -> None:
        self.service = IntakeService(desk, legs, **options)
        self.host = host
        self.port = port
        self.listeners = listeners(host, port, console_host, console_port)
        self.ssl_context = ssl_context
        self.ports: list[int] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runners: list[web.AppRunner] = []
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return base_url(self.host, self.port, self.ssl_context)

    @property
    def console_url(self) -> str:
        console = self.listeners[-1]
        return base_url(console.host, self.ports[-1] if self.ports else console.port, self.ssl_context)

    def start(self, timeout: float = 10.0) -> IntakeServer:
        self._thread = threading.Thread(target=self._run, name="intake", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the intake service did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the intake service could not start: {self._error}") from self._error
        return self

    async def _start_sites(self) -> None:
        for listener in self.listeners:
            runner, bound = await start_site(self.service, listener, self.ssl_context)
            self._runners.append(runner)
            self.ports.append(bound)
        self.port = self.ports[0]

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._start_sites())
        except BaseException as error:
            self._error = error
            self._ready.set()
            for runner in self._runners:
                with contextlib.suppress(Exception):
                    loop.run_until_complete(runner.cleanup())
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            for runner in self._runners:
                with contextlib.suppress(Exception):
                    loop.run_until_complete(runner.cleanup())
            loop.close()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return

        async def shutdown() -> None:
            runners, self._runners = self._runners, []
            for runner in runners:
                await runner.cleanup()
            asyncio.get_running_loop().stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(10)

    def __enter__(self) -> IntakeServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
