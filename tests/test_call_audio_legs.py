"""Audio in both directions across a reconnect: the console (ReviewerCall, sending the tone that
replaces a missing microphone) against an in-process intake service and a minimal aiortc
applicant that sends a tone and measures what it hears from the reviewer, leg by leg. The
applicant drops (page and connection gone) and comes back with the same token: leg 2."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from media.call import CallState, CallStatus, ReviewerCall
from media.call.audio import ToneTrack
from media.intake import IntakeServer
from tests.intake_fakes import FakeDesk, fake_sign_in

# Real WebRTC between a ReviewerCall and an applicant peer.
pytestmark = pytest.mark.slow

TOKEN = "tone-token"
LOUD = 0.02  # the tone is 0.1 of full scale: RMS ~0.07; silence is 0
ENOUGH = 25  # 0.5 s of 20 ms frames
TIMEOUT = 10.0


def rms(frame: Any) -> float:
    samples = frame.to_ndarray().astype(np.float64) / 32768.0
    return float(np.sqrt(np.mean(samples**2)))


class Heard:
    """What the applicant hears from the reviewer in one leg."""

    def __init__(self) -> None:
        self.levels: list[float] = []
        self.loud = asyncio.Event()

    async def listen(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                self.levels.append(rms(await track.recv()))
                if sum(level > LOUD for level in self.levels) >= ENOUGH:
                    self.loud.set()
        except MediaStreamError:
            pass

    async def wait_loud(self, leg: int) -> None:
        try:
            await asyncio.wait_for(self.loud.wait(), TIMEOUT)
        except TimeoutError:
            loud = sum(level > LOUD for level in self.levels)
            raise AssertionError(
                f"leg {leg}: the applicant heard {len(self.levels)} reviewer frames, {loud} of them "
                f"not silent, in {TIMEOUT:.0f} s"
            ) from None


class ToneApplicant:
    """An applicant page reduced to what these tests need: a tone out, the reviewer's audio in."""

    def __init__(self, http: aiohttp.ClientSession, url: str, token: str) -> None:
        self.http = http
        self.ws_url = url.replace("http://", "ws://") + "/ws/applicant?t=" + token
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.pc: RTCPeerConnection | None = None
        self.heard: dict[int, Heard] = {}
        self._tasks: set[asyncio.Future[None]] = set()

    async def expect(self, kind: str) -> dict[str, Any]:
        assert self.ws is not None
        async with asyncio.timeout(TIMEOUT):
            while True:
                message = await self.ws.receive()
                assert message.type is aiohttp.WSMsgType.TEXT, f"the intake socket closed waiting for {kind}"
                body: dict[str, Any] = message.json()
                assert body.get("type") != "error", body
                if body.get("type") == kind:
                    return body

    async def open_page(self, *, join: bool) -> None:
        self.ws = await self.http.ws_connect(self.ws_url)
        status = await self.expect("status")
        assert status["status"] == "valid", status
        if join:
            await self.ws.send_json({"type": "join"})
            await self.expect("queued")

    async def connect_leg(self) -> int:
        """After `taken`: offer a tone, get the console's answer. Returns the leg number."""
        assert self.ws is not None
        await self.expect("taken")
        pc = self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTrack(ToneTrack(tone=True))
        heard = Heard()

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio":
                self._tasks.add(asyncio.ensure_future(heard.listen(track)))

        await pc.setLocalDescription(await pc.createOffer())
        await self.ws.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
        answer = await self.expect("answer")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        leg = int(answer["leg"])
        self.heard[leg] = heard
        return leg

    async def drop(self) -> None:
        """The phone is gone: its connection and its page."""
        if self.pc is not None:
            await self.pc.close()
            self.pc = None
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


class Console:
    """The ReviewerCall, with a way to wait (in a thread, off the test's loop) for a state."""

    def __init__(self, url: str) -> None:
        self.call = ReviewerCall(
            url, fake_sign_in(5), grace_seconds=30, play_audio=False, use_microphone=False,
            tone_without_microphone=True,
        ).start()  # fmt: skip
        self._changed = threading.Condition()
        self.call.on_status(self._on_status)

    def _on_status(self, _status: CallStatus) -> None:
        with self._changed:
            self._changed.notify_all()

    async def reaches(self, what: str, predicate: Callable[[CallStatus], bool]) -> None:
        def wait() -> bool:
            with self._changed:
                return self._changed.wait_for(lambda: predicate(self.call.status), TIMEOUT)

        assert await asyncio.to_thread(wait), f"the console never got to {what}: {self.call.status}"

    async def take_next(self) -> None:
        applicant = await asyncio.wrap_future(self.call.take_next())
        assert applicant is not None, "the queued applicant could not be taken"

    def close(self) -> None:
        self.call.close()


@pytest.fixture
def server() -> Iterator[IntakeServer]:
    desk = FakeDesk()
    desk.add(TOKEN)
    with IntakeServer(desk, desk, console_access=desk.access) as running:
        yield running


async def nothing(_leg: int) -> None:
    pass


async def two_legs(
    console: Console,
    url: str,
    between: Callable[[], None] = lambda: None,
    in_leg: Callable[[int], Awaitable[None]] = nothing,
) -> ToneApplicant:
    """Leg 1 until the applicant hears the reviewer and `in_leg(1)` returns, a drop,
    `between()`, leg 2 likewise."""
    async with aiohttp.ClientSession() as http:
        applicant = ToneApplicant(http, url, TOKEN)
        try:
            await applicant.open_page(join=True)
            await console.take_next()
            assert await applicant.connect_leg() == 1
            await console.reaches("leg 1", lambda s: s.state is CallState.CONNECTED and s.leg == 1)
            await applicant.heard[1].wait_loud(1)
            await in_leg(1)

            await applicant.drop()
            await console.reaches("the drop", lambda s: s.state is CallState.RECONNECTING)
            between()

            await applicant.open_page(join=False)
            assert await applicant.connect_leg() == 2
            await console.reaches("leg 2", lambda s: s.state is CallState.CONNECTED and s.leg == 2)
            await applicant.heard[2].wait_loud(2)
            await in_leg(2)
        finally:
            await applicant.drop()
    return applicant


def test_the_applicant_hears_the_reviewer_in_every_leg(server: IntakeServer) -> None:
    # Before the fix, leg 2 was given the microphone track that aiortc had ended when leg 1's
    # connection closed: its sender read once, and the applicant heard nothing after a reconnect.
    console = Console(server.url)
    try:
        applicant = asyncio.run(two_legs(console, server.url))
    finally:
        console.close()
    for leg in (1, 2):
        levels = applicant.heard[leg].levels
        assert sum(level > LOUD for level in levels) >= ENOUGH, (leg, len(levels))


def test_on_audio_frame_sees_both_sides_of_every_leg(server: IntakeServer) -> None:
    import av

    console = Console(server.url)
    seen: list[tuple[int, str, float]] = []  # (leg, source, rms)
    kinds: set[tuple[type, str]] = set()
    enough = threading.Condition()

    def collect(frame: av.AudioFrame, source: str) -> None:
        kinds.add((type(frame), source))
        with enough:
            # Leg 1's media stops with the drop, and the console reports leg 2 before leg 2's
            # media can flow (it needs the answer first): each frame counts for its own leg.
            seen.append((console.call.status.leg, source, rms(frame)))
            enough.notify_all()

    failing_calls = 0

    def failing(_frame: av.AudioFrame, _source: str) -> None:
        nonlocal failing_calls
        failing_calls += 1
        raise RuntimeError("a broken subscriber must not stop the audio")

    def loud_frames(leg: int, source: str) -> int:
        return sum(1 for at, from_, level in seen if (at, from_) == (leg, source) and level > LOUD)

    unsubscribe_failing = console.call.on_audio_frame(failing)
    unsubscribe = console.call.on_audio_frame(collect)
    unsubscribed_at = 0

    def between_legs() -> None:
        nonlocal unsubscribed_at
        unsubscribe_failing()
        unsubscribe_failing()  # twice is harmless
        unsubscribed_at = failing_calls

    def counts(leg: int) -> dict[str, int]:
        return {source: loud_frames(leg, source) for source in ("applicant", "reviewer")}

    async def both_sides_heard(leg: int) -> None:
        def wait() -> bool:
            with enough:
                return enough.wait_for(lambda: min(counts(leg).values()) >= ENOUGH, TIMEOUT)

        assert await asyncio.to_thread(wait), f"leg {leg}: loud frames seen by the hook {counts(leg)}"

    try:
        asyncio.run(two_legs(console, server.url, between_legs, both_sides_heard))
    finally:
        unsubscribe()
        console.close()
    assert kinds == {(av.AudioFrame, "applicant"), (av.AudioFrame, "reviewer")}
    with enough:
        assert min(counts(1).values()) >= ENOUGH and min(counts(2).values()) >= ENOUGH
    # Unsubscribed: at most the frame being delivered at that moment still reaches it.
    assert unsubscribed_at > 0 and failing_calls - unsubscribed_at <= 1, (unsubscribed_at, failing_calls)


def test_a_shared_source_outlives_each_leg_and_queues_nothing_between_legs() -> None:
    from media.call.tracks import SharedTrack

    async def scenario() -> None:
        source = ToneTrack(tone=True)
        sent: list[Any] = []
        shared = SharedTrack(source, on_frame=sent.append)
        leg1 = shared.for_leg()
        first = await leg1.recv()
        leg1.stop()  # what aiortc does to a track when its connection closes
        with pytest.raises(MediaStreamError):
            await leg1.recv()
        assert source.readyState == "live"
        await asyncio.sleep(0.3)  # the reconnect: the time the applicant is away (not a wait for an event)
        leg2 = shared.for_leg()
        second = await leg2.recv()
        # The gap was dropped, not queued for leg 2 (a microphone would be seconds late).
        assert second.pts - first.pts >= 0.25 * 48000, (first.pts, second.pts)
        assert sent == [first, second]
        await shared.stop()
        assert source.readyState == "ended"
        with pytest.raises(MediaStreamError):
            await leg2.recv()
        with pytest.raises(MediaStreamError):
            await shared.for_leg().recv()

    asyncio.run(scenario())
