"""Queue positions for every applicant waiting on this intake instance, from one snapshot of
the queue per tick (one query, however many wait), sent only to those whose place or the
queue's length changed. The consoles' queue summary is served from the same snapshot.

The snapshot is the database's whole waiting queue, so applicants on this instance see
places that count applicants waiting on other instances too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from aiohttp import web

from app.ids import SessionId
from app.queue import QueueSnapshot, QueueSummary

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
ReadSnapshot = Callable[[datetime], Awaitable[QueueSnapshot]]


@dataclass
class Listener:
    """One waiting applicant's page, and what it was told last."""

    session_id: SessionId
    ws: web.WebSocketResponse
    position: int = 0
    waiting: int = 0
    staffed: bool = True  # a reviewer was signed in when they were told last
    transport: asyncio.BaseTransport | None = None

    def behind(self) -> bool:
        """Their page has not yet taken the last message from the connection (a stalled phone):
        a newer place waits for the next tick instead of piling up, and the tick never waits
        for one slow page."""
        transport = self.transport
        if not isinstance(transport, asyncio.WriteTransport):
            return False
        return transport.get_write_buffer_size() > 0


class QueueBoard:
    def __init__(
        self,
        read_snapshot: ReadSnapshot,
        clock: Clock,
        *,
        tick_seconds: float,
        review_seconds_estimate: float,
    ) -> None:
        self._read = read_snapshot
        self._clock = clock
        self.tick_seconds = tick_seconds
        self.review_seconds_estimate = review_seconds_estimate
        self.listeners: dict[SessionId, Listener] = {}
        self._snapshot: QueueSnapshot | None = None
        self._members: set[SessionId] | None = None  # see _waiting_here
        self._read_at = 0.0  # monotonic time of the last read
        self._changed = True  # a join, leave or take here since the last read
        self._reading: asyncio.Future[QueueSnapshot] | None = None
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0

    # -- what the intake service tells the board ----------------------------------------------

    def listen(
        self,
        session_id: SessionId,
        ws: web.WebSocketResponse,
        position: int,
        waiting: int,
        *,
        transport: asyncio.BaseTransport | None = None,
    ) -> None:
        """An applicant joined (and was told `position` of `waiting`): keep them informed."""
        self.listeners[session_id] = Listener(session_id, ws, position, waiting, self.staffed, transport)
        self._changed = True
        members = self._waiting_here()
        if members is not None:
            members.add(session_id)  # the summary counts them before the next read

    def forget(self, session_id: SessionId | None) -> None:
        """The applicant's page no longer needs places (taken, left, or closed)."""
        if session_id is not None and self.listeners.pop(session_id, None) is not None:
            self._changed = True

    def out_of_queue(self, session_id: SessionId) -> None:
        """Taken or gone from the queue through this instance: no more places for them, and
        the summary stops counting them before the next read."""
        self.forget(session_id)
        self._changed = True
        members = self._waiting_here()
        if members is not None:
            members.discard(session_id)

    def _waiting_here(self) -> set[SessionId] | None:
        """Who waits as far as this instance knows: the snapshot's queue with the joins, leaves
        and takes here since it was read (built once per snapshot, on the first change)."""
        if self._snapshot is None:
            return None
        if self._members is None:
            self._members = set(self._snapshot.order)
        return self._members

    def queue_changed(self) -> None:
        self._changed = True

    # -- reading the queue ---------------------------------------------------------------------

    async def snapshot(self) -> QueueSnapshot:
        """The newest snapshot: read again when the queue changed here or the last one is older
        than a tick; concurrent callers share one read."""
        fresh = time.monotonic() - self._read_at < self.tick_seconds
        if self._snapshot is not None and fresh and not self._changed:
            return self._snapshot
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read_now())
        reading = self._reading
        return await asyncio.shield(reading)

    async def _read_now(self) -> QueueSnapshot:
        try:
            self._changed = False
            snapshot = await self._read(self._clock())
            self._snapshot, self._members = snapshot, None
            self._read_at = time.monotonic()
            return snapshot
        except BaseException:
            self._changed = True
            raise
        finally:
            self._reading = None

    async def summary(self) -> QueueSummary:
        """The consoles' summary: from the newest snapshot while it is younger than a tick (with
        this instance's joins, leaves and takes since applied), so a console never waits for a
        read of the whole queue while the tick keeps the snapshot fresh."""
        if self._snapshot is None or time.monotonic() - self._read_at >= self.tick_seconds:
            return (await self.snapshot()).summary(self._clock())
        summary = self._snapshot.summary(self._clock())
        if self._members is None:
            return summary
        return replace(summary, waiting=len(self._members))

    # -- telling applicants ----------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            if self.listeners:
                try:
                    await self.tell_everyone()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("intake: cannot read the queue for the positions")
            await asyncio.sleep(max(0.05, self.tick_seconds - (time.monotonic() - started)))

    async def tell_everyone(self) -> int:
        """Send each listener their place when it or the queue's length changed; returns how
        many were told."""
        snapshot = await self.snapshot()
        self.ticks += 1
        positions = snapshot.positions()
        waiting = len(snapshot.order)
        estimate = self.review_seconds_estimate
        staffed = self.staffed
        told = 0
        for listener in list(self.listeners.values()):
            position = positions.get(listener.session_id)
            if position is None or (
                listener.position == position and listener.waiting == waiting and listener.staffed == staffed
            ):
                continue  # taken (here or on another instance; its owner tells them), or no news
            ws = listener.ws
            if ws.closed or listener.behind():
                continue  # gone (the socket's reader handles it), or not keeping up: next tick
            listener.position, listener.waiting, listener.staffed = position, waiting, staffed
            # One message per applicant and tick: formatted, not encoded through json (all numbers).
            if staffed:
                text = _QUEUED.format(listener.session_id, position, waiting, round(position * estimate))
            else:
                text = _QUEUED_UNSTAFFED.format(listener.session_id, position, waiting)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(text)
            told += 1
            if told % 200 == 0:
                await asyncio.sleep(0)  # let consoles' requests in between: thousands are told
        return told

    @property
    def staffed(self) -> bool:
        """A reviewer is signed in, as of the newest snapshot (True while not counted)."""
        signed_in = self._snapshot.reviewers_signed_in if self._snapshot is not None else None
        return signed_in is None or signed_in > 0

    def queued_message(self, session_id: SessionId, position: int, waiting: int) -> str:
        """The applicant's place, and the expected wait only when a reviewer is signed in: with
        none, ``reviewer_signed_in`` is false, ``expected_wait_seconds`` null, and the page says so."""
        if not self.staffed:
            return _QUEUED_UNSTAFFED.format(int(session_id), int(position), int(waiting))
        return _QUEUED.format(
            int(session_id), int(position), int(waiting), round(position * self.review_seconds_estimate)
        )


# The "queued" message: its fields are whole numbers and constants, so formatting gives the
# JSON json.dumps would, at a fraction of the cost for thousands of applicants a tick.
_QUEUED = (
    '{{"type": "queued", "session_id": {}, "position": {}, "waiting": {}, "reviewer_signed_in": true, '
    '"expected_wait_seconds": {}}}'
)
_QUEUED_UNSTAFFED = (
    '{{"type": "queued", "session_id": {}, "position": {}, "waiting": {}, "reviewer_signed_in": false, '
    '"expected_wait_seconds": null}}'
)


async def send_quietly(ws: web.WebSocketResponse, text: str) -> None:
    """Send unless the peer is gone: a closed socket is handled by its own reader."""
    if ws.closed:
        return
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_str(text)
