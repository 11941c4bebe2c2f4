"""A call-long source track (the reviewer's microphone or camera) given to each leg of the call
as a track of its own.

aiortc ends a track when the RTCRtpSender sending it stops, which happens when its
RTCPeerConnection closes: a track added to leg 1's connection is dead by the time leg 2 adds
it (leg 2's sender reads once, gets MediaStreamError, and sends nothing more). So the source is
read by one task of the call, which hands each frame to the legs that are sending; a leg's
track ending leaves the source running for the next leg. Between legs the frames are dropped,
so a real microphone does not queue up the seconds of a reconnect to play them late in the
next leg. (This is what aiortc.contrib.media.MediaRelay does, plus a bounded queue per leg, a
reader the call can stop and wait for, and a hook on the frames actually sent.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

log = logging.getLogger(__name__)


class LegTrack(MediaStreamTrack):
    """One leg's view of a SharedTrack. It joins the source at its first recv() (when the leg's
    sender starts), so nothing piles up while the connection is being set up."""

    def __init__(self, shared: SharedTrack, max_queued: int) -> None:
        super().__init__()
        self.kind = shared.kind
        self._shared = shared
        self._queue: asyncio.Queue[Any] = asyncio.Queue(max_queued)

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        self._shared._attach(self)
        frame = await self._queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        self._shared._sending(frame)
        return frame

    def _put(self, frame: Any) -> None:
        """On the loop: the newest frame (None: the source ended); the oldest goes when the
        sender falls behind."""
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(frame)

    def stop(self) -> None:
        super().stop()
        self._shared._detach(self)


class SharedTrack:
    """Owns `source` for the whole call: `for_leg()` for each new RTCPeerConnection, `await
    stop()` once at the end of the call. `on_frame(frame)` sees every frame a leg sends.
    Only on the media thread's event loop."""

    def __init__(
        self,
        source: MediaStreamTrack,
        *,
        max_queued: int = 10,
        on_frame: Callable[[Any], None] | None = None,
    ) -> None:
        self.source = source
        self.kind = source.kind
        self._max_queued = max_queued
        self._on_frame = on_frame
        self._legs: set[LegTrack] = set()
        self._reader: asyncio.Task[None] | None = None

    def for_leg(self) -> LegTrack:
        return LegTrack(self, self._max_queued)

    async def stop(self) -> None:
        self.source.stop()
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        for leg in list(self._legs):
            leg._put(None)

    # -- for LegTrack ---------------------------------------------------------------------

    def _attach(self, leg: LegTrack) -> None:
        if leg in self._legs:
            return
        self._legs.add(leg)
        if self.source.readyState != "live" or (self._reader is not None and self._reader.done()):
            leg._put(None)  # the source has ended: so has this leg
        elif self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read())

    def _detach(self, leg: LegTrack) -> None:
        self._legs.discard(leg)

    def _sending(self, frame: Any) -> None:
        if self._on_frame is not None:
            self._on_frame(frame)

    async def _read(self) -> None:
        while True:
            try:
                frame = await self.source.recv()
            except MediaStreamError:
                frame = None
            except Exception:
                log.exception("the %s source failed", self.kind)
                frame = None
            for leg in list(self._legs):
                leg._put(frame)
            if frame is None:
                return
