"""Running the intake service: in the foreground (`main.py intake`) or embedded in a console
process on a background thread with its own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from aiohttp import web

from app.queue import CallLegs, ReviewDesk
from media.intake.service import IntakeService

log = logging.getLogger(__name__)


async def start_site(service: IntakeService, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(service.make_app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_address=True)
    await site.start()
    server = site._server  # the real port when 0 was asked for
    bound = port
    sockets = getattr(server, "sockets", None)
    if sockets:
        bound = sockets[0].getsockname()[1]
    return runner, bound


def run_intake(desk: ReviewDesk, legs: CallLegs, host: str, port: int, **options: Any) -> None:
    """Serve until interrupted."""
    service = IntakeService(desk, legs, **options)
    web.run_app(service.make_app(), host=host, port=port, access_log=None, print=None)


class IntakeServer:
    """An intake service on a thread of its own: the console's embedded default, and tests.

    `start()` returns once it listens; `url` is then its base URL; `stop()` shuts it down.
    """

    def __init__(
        self, desk: ReviewDesk, legs: CallLegs, host: str = "127.0.0.1", port: int = 0, **options: Any
    ) -> None:
        self.service = IntakeService(desk, legs, **options)
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> IntakeServer:
        self._thread = threading.Thread(target=self._run, name="intake", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the intake service did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the intake service could not start: {self._error}") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._runner, self.port = loop.run_until_complete(start_site(self.service, self.host, self.port))
        except BaseException as error:
            self._error = error
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(self._runner.cleanup())
            loop.close()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return

        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
                self._runner = None
            asyncio.get_running_loop().stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(10)

    def __enter__(self) -> IntakeServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
