"""A call-long source track (the reviewer's microphone or camera) given to each leg of the call
as a track of its own.

aiortc ends a track when the RTCRtpSender sending it stops, which happens when its
RTCPeerConnection closes: a track added to leg 1's connection is dead by the time leg 2 adds
it (its sender reads once, gets MediaStreamError, and sends nothing more). So each leg gets a
fresh MediaRelay proxy of the source; stopping a proxy leaves the source running. The relay
also keeps reading the source between legs, so a real microphone does not queue up the
seconds of a reconnect and play them late in the next leg.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack


class LegTrack(MediaStreamTrack):
    """One leg's view of a shared source; `on_frame` sees every frame this leg sends."""

    def __init__(self, inner: MediaStreamTrack, on_frame: Callable[[Any], None] | None = None) -> None:
        super().__init__()
        self.kind = inner.kind
        self._inner = inner
        self._on_frame = on_frame

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self._inner.recv()
        if self._on_frame is not None:
            self._on_frame(frame)
        return frame

    def stop(self) -> None:
        super().stop()
        self._inner.stop()  # the relay proxy only: the source goes on for the next leg


class SharedTrack:
    """Owns `source` for the whole call: `for_leg()` for each new RTCPeerConnection, `stop()`
    once at the end of the call. Use on the media thread's event loop."""

    def __init__(
        self,
        source: MediaStreamTrack,
        *,
        buffered: bool = True,
        on_frame: Callable[[Any], None] | None = None,
    ) -> None:
        self.source = source
        self.kind = source.kind
        self._buffered = buffered
        self._on_frame = on_frame
        self._relay = MediaRelay()

    def for_leg(self) -> LegTrack:
        return LegTrack(self._relay.subscribe(self.source, buffered=self._buffered), self._on_frame)

    def stop(self) -> None:
        self.source.stop()
