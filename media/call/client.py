"""The reviewer's side of the call: takes the next applicant from the intake service and
receives their video and audio through aiortc, on an asyncio loop in a thread of its own.

API for the console (all methods are safe to call from any thread; none blocks on the network):

    signed_in = sign_in(intake_url, "Li Na", password, ca_file=settings.intake_ca_file)  # blocks
    call = ReviewerCall(intake_url, signed_in, ca_file=settings.intake_ca_file,
                        ice_policy=settings.ice_transport_policy,
                        grace_seconds=settings.reconnect_grace_seconds)
    call.start()                                   # starts the media thread
    future = call.take_next()                      # Future[CallApplicant | None]; None: nobody waits
    call.queue_summary()                           # Future[QueueSummary] for the queue panel
    call.on_status(callback)                       # callback(CallStatus) on every state change
    call.on_audio(callback)                        # callback(AudioStatus) when audio state changes
    call.on_audio_frame(callback)                  # callback(av.AudioFrame, source) per audio frame
    call.on_camera(callback)                       # callback(CameraReport | None, refused, leg): the
                                                   # applicant's camera, checked again here
    call.frames.subscribe(callback)                # callback(VideoSample) for every new frame
    call.latest_frame()                            # VideoSample | None: the newest frame, BGR numpy
    call.frames.wait_newer(seq, timeout)           # for worker threads: newest frame after seq
    call.status / call.audio_status / call.stats() # current CallStatus, AudioStatus, CallStats
    call.camera_available                          # with send_camera=True: False when there is none
    call.hang_up()                                 # Future[None]: ends the call (the decision is
                                                   # recorded by the console through storage)
    call.close()                                   # hangs up and stops the thread

Callbacks run on the media thread: keep them short and never touch widgets from them (the
UI marshals them to Qt itself). Each `on_...` returns a function that unsubscribes (safe to
call from any thread, more than once); a callback that raises is logged and stays subscribed
(an audio frame callback is logged on its first failure only). After unsubscribing, a
callback may still get the one call that was under way at that moment.

States: IDLE -> CONNECTING (taken, waiting for the applicant's offer) -> CONNECTED ->
RECONNECTING (the applicant dropped; waiting up to the grace period for the same token to
come back, which continues the session as the next leg) -> CONNECTED (leg 2, ...) or
CONNECTION_FAILED (the intake service ends the session so the applicant may retry). HUNG_UP
after `hang_up()`; APPLICANT_HUNG_UP when the applicant pressed hang up (the intake recorded the
session as abandoned, "applicant_hung_up"). Each leg is a new RTCPeerConnection (aiortc has no
ICE restart); the microphone and camera are opened once per call and each leg sends them through a track of
its own (media.call.tracks), because aiortc ends a track when the connection sending it closes.

`on_audio_frame(callback)` sees every audio frame of every leg of every call taken after (or
during) the subscription, in both directions: `source` is "applicant" for the audio received
from the applicant and "reviewer" for what the console sends (the microphone, or the silence
or tone that replaces it), each frame as it goes to the sender of the current leg. Nothing is
sent between legs, so there are no "reviewer" frames while RECONNECTING. The frame is the one
aiortc decodes or encodes: read it (e.g. `frame.to_ndarray()`) in the callback and do not keep
or modify it. Frames are typically 20 ms; take the rate and layout from each frame
(received audio is decoded Opus, 48 kHz stereo s16; the tone or silence is 48 kHz mono s16).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from app.camera import CameraReport, CameraReportInvalid
from app.ids import SessionId
from app.queue import QueueSummary, TakenApplicant
from media.call.audio import AudioOutput, AudioPlayback, AudioStatus, MicrophoneSource, open_microphone
from media.call.frames import FrameSlot, VideoSample
from media.call.sdp import raise_video_bitrate_floor
from media.call.tracks import SharedTrack
from media.ice import rtc_configuration

if TYPE_CHECKING:
    import av

log = logging.getLogger(__name__)
T = TypeVar("T")

AudioFrameCallback = Callable[["av.AudioFrame", str], None]
# The applicant's camera report (None with `refused`: the intake refused one the page should
# never send, "malformed" or "too_many"), and the leg it belongs to.
CameraCallback = Callable[[CameraReport | None, str, int], None]


class CallState(enum.Enum):
    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CONNECTION_FAILED = "connection_failed"
    HUNG_UP = "hung_up"
    APPLICANT_HUNG_UP = "applicant_hung_up"

    @property
    def is_live(self) -> bool:
        return self in (CallState.CONNECTING, CallState.CONNECTED, CallState.RECONNECTING)


@dataclass(frozen=True)
class CallStatus:
    state: CallState
    session_id: SessionId | None = None
    leg: int = 0
    message: str = ""
    # While RECONNECTING: the monotonic time at which the session ends as connection failed.
    grace_deadline: float | None = None


@dataclass(frozen=True)
class CallApplicant(TakenApplicant):
    """The applicant taken, as the console's call learns it: with where its signalling goes."""

    signalling_path: str = ""
    # The STUN/TURN configuration the intake handed out for this session (media.ice).
    ice: dict[str, Any] | None = None


@dataclass(frozen=True)
class CallStats:
    frames: int
    fps: float  # over the last second
    width: int
    height: int
    audio_packets: int
    leg: int


class IntakeError(Exception):
    """The intake service refused a request or could not be reached; the message says why."""


class IntakeSignInRefused(IntakeError):
    """The intake service refused the reviewer's name and password (or is locking them out)."""


@dataclass(frozen=True)
class IntakeSignIn:
    """A console's credential at the intake service: sent as ``Authorization: Bearer``."""

    token: str
    expires_at: str
    reviewer_id: int
    reviewer_name: str
    role: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def intake_ssl(ca_file: str = "") -> ssl.SSLContext | bool:
    """How to check the intake's certificate: against `ca_file` (a private CA) when given,
    otherwise the system's trusted CAs (plain http URLs ignore it)."""
    if not ca_file:
        return True
    return ssl.create_default_context(cafile=ca_file)


def intake_session(ca_file: str = "", timeout: float = 15.0) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=intake_ssl(ca_file)),
        timeout=aiohttp.ClientTimeout(total=timeout),
    )


async def sign_in_to_intake(
    http: aiohttp.ClientSession, intake_url: str, name: str, password: str
) -> IntakeSignIn:
    """POST /api/console/sign-in. IntakeSignInRefused when the name and password are refused."""
    url = f"{intake_url.rstrip('/')}/api/console/sign-in"
    try:
        async with http.post(url, json={"name": name, "password": password}) as response:
            if response.status in (401, 403, 429):
                raise IntakeSignInRefused(await _error_message(response))
            body = await _json_or_error(response)
    except aiohttp.ClientError as error:
        raise IntakeError(f"cannot reach the intake service at {intake_url}: {error}") from error
    reviewer = body["reviewer"]
    return IntakeSignIn(
        str(body["token"]),
        str(body["expires_at"]),
        int(reviewer["id"]),
        str(reviewer["name"]),
        str(reviewer["role"]),
    )


def sign_in(intake_url: str, name: str, password: str, *, ca_file: str = "") -> IntakeSignIn:
    """Blocking sign-in, for commands and for the console's worker threads (never the Qt thread)."""

    async def run() -> IntakeSignIn:
        async with intake_session(ca_file) as http:
            return await sign_in_to_intake(http, intake_url, name, password)

    return asyncio.run(run())


async def sign_out_of_intake(http: aiohttp.ClientSession, intake_url: str, credential: IntakeSignIn) -> None:
    """POST /api/console/sign-out: the intake ends the credential (refused afterwards). A
    credential the intake no longer knows (lapsed, ended already) is already signed out."""
    url = f"{intake_url.rstrip('/')}/api/console/sign-out"
    try:
        async with http.post(url, headers=credential.headers) as response:
            if response.status == 401:
                return
            await _json_or_error(response)
    except aiohttp.ClientError as error:
        raise IntakeError(f"cannot reach the intake service at {intake_url}: {error}") from error


def sign_out(intake_url: str, credential: IntakeSignIn, *, ca_file: str = "") -> None:
    """Blocking sign-out, for the console's worker threads (never the Qt thread). IntakeError
    when the intake cannot be reached (the credential then lapses after its lifetime)."""

    async def run() -> None:
        async with intake_session(ca_file) as http:
            await sign_out_of_intake(http, intake_url, credential)

    asyncio.run(run())


class ReviewerCall:
    def __init__(
        self,
        intake_url: str,
        credential: IntakeSignIn,
        *,
        ca_file: str = "",
        ice_policy: str = "all",
        grace_seconds: float = 20.0,
        play_audio: bool = True,
        use_microphone: bool = True,
        tone_without_microphone: bool = False,
        send_camera: bool = False,
    ) -> None:
        self.intake_url = intake_url.rstrip("/")
        self.credential = credential
        self.reviewer_id = credential.reviewer_id
        self.reviewer_name = credential.reviewer_name
        self.ca_file = ca_file
        # "relay": media only through TURN, whatever the intake says (it may say relay too).
        self.ice_policy = ice_policy
        self._ice: dict[str, Any] | None = None
        self.grace_seconds = grace_seconds
        self.play_audio = play_audio
        self.use_microphone = use_microphone
        self.tone_without_microphone = tone_without_microphone
        # The reviewer's camera is optional (a setting); without a device the applicant only hears them.
        self.send_camera = send_camera
        self.camera_available: bool | None = None  # None until the first leg tried to open it
        self._camera: SharedTrack | None = None
        self.frames = FrameSlot()
        self.status = CallStatus(CallState.IDLE)
        self.applicant: CallApplicant | None = None
        self._status_callbacks: list[Callable[[CallStatus], None]] = []
        self._audio_callbacks: list[Callable[[AudioStatus], None]] = []
        self._camera_callbacks: list[CameraCallback] = []
        self._camera_reports: list[tuple[CameraReport | None, str, int]] = []  # of the current call
        self._video_callbacks: list[Callable[[int], None]] = []
        self._video_legs: list[int] = []  # the legs of the current call that delivered video
        # Copy-on-write: subscribers come and go from any thread while the media thread iterates.
        self._audio_frame_callbacks: tuple[AudioFrameCallback, ...] = ()
        self._callbacks_lock = threading.Lock()
        self._failed_audio_frame_callbacks: list[AudioFrameCallback] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._pc: RTCPeerConnection | None = None
        self._pc_leg = 0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._grace_task: asyncio.Task[None] | None = None
        self._playback = AudioPlayback(prefer_device=play_audio)
        self._microphone: SharedTrack | None = None
        self._microphone_player: Any = None
        self._microphone_source = MicrophoneSource.SILENCE
        self._sequence = 0
        self._last_size = (0, 0)

    # -- the thread ------------------------------------------------------------------------

    def start(self) -> ReviewerCall:
        if self._thread is not None:
            return self
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="reviewer-call", daemon=True)
        self._thread.start()
        ready.wait()
        return self

    def _submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("call start() first")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def close(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._thread is None:
            return
        with contextlib.suppress(Exception):
            self._submit(self._shutdown()).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None
        self._loop = None

    async def _shutdown(self) -> None:
        if self.status.state.is_live:
            await self._end("hang_up", CallState.HUNG_UP, "Call ended.")
        if self._http is not None:
            await self._http.close()
            self._http = None

    # -- public API ------------------------------------------------------------------------

    def on_status(self, callback: Callable[[CallStatus], None]) -> Callable[[], None]:
        self._status_callbacks.append(callback)
        return lambda: _discard(self._status_callbacks, callback)

    def on_audio(self, callback: Callable[[AudioStatus], None]) -> Callable[[], None]:
        self._audio_callbacks.append(callback)
        return lambda: _discard(self._audio_callbacks, callback)

    def on_camera(self, callback: CameraCallback) -> Callable[[], None]:
        """Also given the reports of the current call that came before (the page reports its
        camera as the call starts, often before the console subscribes), on the media thread."""

        def subscribe() -> None:
            self._camera_callbacks.append(callback)
            for report in list(self._camera_reports):
                self._tell_camera(callback, *report)

        if self._loop is None:
            self._camera_callbacks.append(callback)
        else:
            self._loop.call_soon_threadsafe(subscribe)
        return lambda: _discard(self._camera_callbacks, callback)

    def on_video(self, callback: Callable[[int], None]) -> Callable[[], None]:
        """callback(leg) when a leg's first video frame arrives, on the media thread; also told
        of the current call's legs that delivered video before it subscribed."""

        def subscribe() -> None:
            self._video_callbacks.append(callback)
            for leg in list(self._video_legs):
                self._tell_video(callback, leg)

        if self._loop is None:
            self._video_callbacks.append(callback)
        else:
            self._loop.call_soon_threadsafe(subscribe)
        return lambda: _discard(self._video_callbacks, callback)

    @staticmethod
    def _tell_video(callback: Callable[[int], None], leg: int) -> None:
        try:
            callback(leg)
        except Exception:
            log.exception("a video callback failed")

    def on_audio_frame(self, callback: AudioFrameCallback) -> Callable[[], None]:
        """callback(frame, source) for every audio frame, source "applicant" (received) or
        "reviewer" (sent), on the media thread; returns the unsubscribe function."""
        with self._callbacks_lock:
            self._audio_frame_callbacks = (*self._audio_frame_callbacks, callback)

        def unsubscribe() -> None:
            with self._callbacks_lock:
                callbacks = list(self._audio_frame_callbacks)
                if callback in callbacks:
                    callbacks.remove(callback)
                    self._audio_frame_callbacks = tuple(callbacks)

        return unsubscribe

    def latest_frame(self) -> VideoSample | None:
        return self.frames.latest()

    def take_next(self) -> concurrent.futures.Future[CallApplicant | None]:
        return self._submit(self._take_next())

    def queue_summary(self) -> concurrent.futures.Future[QueueSummary]:
        return self._submit(self._queue_summary())

    def hang_up(self, reason: str = "hang_up") -> concurrent.futures.Future[None]:
        """reason: "hang_up", or "console_closed" (the reviewer closed the console mid-call)."""
        return self._submit(self._end(reason, CallState.HUNG_UP, "Call ended."))

    def show_challenge(
        self, kind: str, state: str, seconds: float | None = None
    ) -> concurrent.futures.Future[None]:
        """Tell the applicant's page about a liveness challenge (through the intake): asked, with
        its time limit in `seconds`, then "passed", "failed" or "not_judged"."""
        message: dict[str, Any] = {"type": "challenge", "kind": kind, "state": state}
        if seconds is not None:
            message["seconds"] = seconds
        return self._submit(self._send_signal(message))

    async def _send_signal(self, message: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            return
        try:
            await ws.send_json(message)
        except (ConnectionError, RuntimeError) as error:
            log.warning("intake: %s not sent: %s", message.get("type"), error)

    @property
    def audio_status(self) -> AudioStatus:
        output = self._playback.output
        if output is AudioOutput.NO_DEVICE:
            message = (
                "No audio device on this workstation: the applicant's audio arrives but cannot be played."
            )
        elif output is AudioOutput.PLAYING:
            message = "Playing the applicant's audio."
        else:
            message = "No audio from the applicant yet."
        if self._microphone_source is not MicrophoneSource.DEVICE and self.status.state.is_live:
            message += " No microphone: the applicant hears silence."
        if self.send_camera and self.camera_available is False:
            message += " No camera: the applicant cannot see you."
        return AudioStatus(output, self._microphone_source, self._playback.packets, message)

    def stats(self) -> CallStats:
        width, height = self._last_size
        return CallStats(
            frames=self.frames.count,
            fps=self.frames.fps(),
            width=width,
            height=height,
            audio_packets=self._playback.packets,
            leg=self.status.leg,
        )

    # -- on the media thread -------------------------------------------------------------------

    def _set_status(self, state: CallState, message: str = "", **changes: Any) -> None:
        self.status = replace(self.status, state=state, message=message, **changes)
        for callback in list(self._status_callbacks):
            try:
                callback(self.status)
            except Exception:
                log.exception("a call status callback failed")

    def _audio_changed(self) -> None:
        status = self.audio_status
        for callback in list(self._audio_callbacks):
            try:
                callback(status)
            except Exception:
                log.exception("an audio status callback failed")

    def _audio_frame(self, frame: av.AudioFrame, source: str) -> None:
        for callback in self._audio_frame_callbacks:
            try:
                callback(frame, source)
            except Exception:
                # 50 frames a second each way: say it once per subscriber, not every 20 ms.
                if callback not in self._failed_audio_frame_callbacks:
                    self._failed_audio_frame_callbacks.append(callback)
                    log.exception("an audio frame callback failed (further failures are not logged)")

    def _applicant_audio_frame(self, frame: av.AudioFrame) -> None:
        self._audio_frame(frame, "applicant")

    def _reviewer_audio_frame(self, frame: av.AudioFrame) -> None:
        self._audio_frame(frame, "reviewer")

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _client(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = intake_session(self.ca_file)
        return self._http

    async def _queue_summary(self) -> QueueSummary:
        http = await self._client()
        try:
            async with http.get(
                f"{self.intake_url}/api/queue/summary", headers=self.credential.headers
            ) as response:
                body = await _json_or_error(response)
        except aiohttp.ClientError as error:
            raise IntakeError(f"cannot reach the intake service at {self.intake_url}: {error}") from error
        return QueueSummary(int(body["waiting"]), float(body["longest_wait_seconds"]))

    async def _take_next(self) -> CallApplicant | None:
        if self.status.state.is_live:
            raise IntakeError("Finish the current call before taking the next applicant.")
        http = await self._client()
        applicant = await request_next_applicant(http, self.intake_url, self.credential)
        if applicant is None:
            return None
        self.applicant = applicant
        self._camera_reports = []
        self._video_legs = []
        self._ice = applicant.ice
        self._playback = AudioPlayback(prefer_device=self.play_audio)
        self._ws = await http.ws_connect(
            f"{self.intake_url}{applicant.signalling_path}",
            headers=self.credential.headers,
            heartbeat=5.0,
            timeout=aiohttp.ClientWSTimeout(ws_close=5.0),
        )
        self._set_status(
            CallState.CONNECTING, "Waiting for the applicant's video…", session_id=applicant.session_id, leg=0
        )
        self._spawn(self._signalling(self._ws))
        self._start_grace("The applicant has not connected yet.")
        return applicant

    async def _signalling(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                body = json.loads(message.data)
                kind = body.get("type")
                if kind == "offer":
                    await self._answer(ws, body["sdp"], int(body.get("leg", 0)))
                elif kind == "applicant_left":
                    self._applicant_dropped("The applicant's connection dropped.")
                elif kind == "applicant_returned":
                    self._set_status(CallState.RECONNECTING, "The applicant is reconnecting…")
                elif kind in ("camera", "camera_refused"):
                    self._camera_reported(body)
                elif kind == "ended" and body.get("reason") == "applicant_hung_up":
                    # The intake has recorded it (abandoned): nothing to tell it back.
                    await self._end(None, CallState.APPLICANT_HUNG_UP, "The applicant hung up.")
                elif kind == "error":
                    log.warning("intake: %s", body.get("message"))
        except Exception:
            log.exception("signalling with the intake service failed")
        if self.status.state.is_live and ws is self._ws:
            # The intake service went away: nobody can reconnect the applicant to us.
            await self._close_peer()
            self._set_status(CallState.CONNECTION_FAILED, "Lost the connection to the intake service.")

    def _camera_reported(self, body: dict[str, Any]) -> None:
        leg = body.get("leg")
        leg = leg if isinstance(leg, int) and not isinstance(leg, bool) else self.status.leg
        report: CameraReport | None = None
        refused = ""
        if body.get("type") == "camera_refused":
            refused = str(body.get("why", "malformed"))[:40]
        else:
            try:  # checked by the intake; checked again, as anything from the network
                report = CameraReport.from_json(body.get("report"))
            except CameraReportInvalid as error:
                log.warning("intake: a camera report that is not valid: %s", error)
                refused = "malformed"
        self._camera_reports.append((report, refused, leg))
        for callback in list(self._camera_callbacks):
            self._tell_camera(callback, report, refused, leg)

    @staticmethod
    def _tell_camera(callback: CameraCallback, report: CameraReport | None, refused: str, leg: int) -> None:
        try:
            callback(report, refused, leg)
        except Exception:
            log.exception("a camera callback failed")

    async def _answer(self, ws: aiohttp.ClientWebSocketResponse, sdp: str, leg: int) -> None:
        await self._close_peer()
        pc = RTCPeerConnection(rtc_configuration(self._ice, policy=self.ice_policy))
        self._pc = pc
        self._pc_leg = leg

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                self._spawn(self._receive_video(track, leg))
            elif track.kind == "audio":
                self._spawn(
                    self._playback.consume(
                        track, on_change=self._audio_changed, on_frame=self._applicant_audio_frame
                    )
                )

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc is not self._pc:
                return
            if pc.connectionState == "connected":
                self._cancel_grace()
                self._set_status(CallState.CONNECTED, "Connected.", leg=leg, grace_deadline=None)
            elif pc.connectionState in ("failed", "closed") and self.status.state.is_live:
                self._applicant_dropped("The applicant's media connection failed.")

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            if self._microphone is None:
                microphone, self._microphone_source, self._microphone_player = open_microphone(
                    self.use_microphone, self.tone_without_microphone
                )
                self._microphone = SharedTrack(microphone, on_frame=self._reviewer_audio_frame)
                self._audio_changed()
            if any(t.kind == "audio" for t in pc.getTransceivers()):
                pc.addTrack(self._microphone.for_leg())
            if self.send_camera and any(t.kind == "video" for t in pc.getTransceivers()):
                if self._camera is None and self.camera_available is None:
                    from media.call.camera import open_camera

                    camera = await asyncio.get_running_loop().run_in_executor(None, open_camera)
                    self.camera_available = camera is not None
                    if camera is not None:
                        # Only the newest frame matters: a late one is dropped.
                        self._camera = SharedTrack(camera, max_queued=1)
                if self._camera is not None:
                    pc.addTrack(self._camera.for_leg())
            answer = await pc.createAnswer()
            await pc.setLocalDescription(answer)
        except Exception as error:
            log.warning("cannot answer the applicant's offer: %s", error)
            await ws.send_json({"type": "error", "message": f"bad offer: {error}"})
            return
        munged = raise_video_bitrate_floor(pc.localDescription.sdp)
        await ws.send_json({"type": "answer", "sdp": munged, "leg": leg})
        self._set_status(self.status.state, f"Connecting leg {leg}…", leg=leg)

    async def _receive_video(self, track: MediaStreamTrack, leg: int) -> None:
        try:
            while True:
                frame: Any = await track.recv()
                image = frame.to_ndarray(format="bgr24")
                self._sequence += 1
                pts = (
                    float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else None
                )
                self._last_size = (image.shape[1], image.shape[0])
                if leg not in self._video_legs:
                    self._video_legs.append(leg)
                    for callback in list(self._video_callbacks):
                        self._tell_video(callback, leg)
                self.frames.put(
                    VideoSample(image, self._sequence, leg, time.monotonic(), time.time(), pts, frame)
                )
        except (MediaStreamError, asyncio.CancelledError):
            pass

    def _applicant_dropped(self, message: str) -> None:
        if self.status.state not in (CallState.CONNECTED, CallState.CONNECTING):
            return
        self._start_grace(message)
        self._set_status(
            CallState.RECONNECTING,
            f"{message} Waiting {self.grace_seconds:.0f} s for them to come back…",
            grace_deadline=time.monotonic() + self.grace_seconds,
        )

    def _start_grace(self, message: str) -> None:
        self._cancel_grace()

        async def expire() -> None:
            await asyncio.sleep(self.grace_seconds)
            self._grace_task = None
            await self._end(
                "connection_failed",
                CallState.CONNECTION_FAILED,
                f"{message} Connection failed: the applicant may retry with the same link.",
            )

        self._grace_task = self._spawn(expire())

    def _cancel_grace(self) -> None:
        if self._grace_task is not None:
            self._grace_task.cancel()
            self._grace_task = None

    async def _end(self, reason: str | None, state: CallState, message: str) -> None:
        """End the call; `reason` is what the intake is told (None: it ended the call itself)."""
        if not self.status.state.is_live:
            return
        if self._grace_task is not None and self._grace_task is not asyncio.current_task():
            self._cancel_grace()
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            with contextlib.suppress(Exception):
                if reason is not None:
                    await ws.send_json({"type": "end", "reason": reason})
                await ws.close()
        await self._close_peer()
        if self._microphone_player is not None:
            with contextlib.suppress(Exception):
                self._microphone_player.audio.stop()
        if self._microphone is not None:
            await self._microphone.stop()
        if self._camera is not None:
            await self._camera.stop()
            self._camera = None
        self.camera_available = None
        self._microphone = None
        self._microphone_player = None
        self._playback.stop()
        self._set_status(state, message, grace_deadline=None)

    async def _close_peer(self) -> None:
        pc, self._pc = self._pc, None
        if pc is not None:
            with contextlib.suppress(Exception):
                await pc.close()


async def request_next_applicant(
    http: aiohttp.ClientSession, intake_url: str, credential: IntakeSignIn
) -> CallApplicant | None:
    """POST /api/console/take-next: the applicant now belongs to this reviewer, or None."""
    url = f"{intake_url.rstrip('/')}/api/console/take-next"
    try:
        async with http.post(url, headers=credential.headers) as response:
            if response.status == 204:
                return None
            body = await _json_or_error(response)
    except aiohttp.ClientError as error:
        raise IntakeError(f"cannot reach the intake service at {intake_url}: {error}") from error
    ice = body.get("ice")
    return CallApplicant.from_json(
        body, signalling_path=str(body["signalling_path"]), ice=ice if isinstance(ice, dict) else None
    )


async def _error_message(response: aiohttp.ClientResponse) -> str:
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or f"the intake service answered {response.status}")


async def _json_or_error(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        body = None
    if response.status >= 400 or not isinstance(body, dict):
        message = body.get("message") if isinstance(body, dict) else None
        raise IntakeError(message or f"the intake service answered {response.status}")
    return body


def _discard(callbacks: list[Any], callback: Any) -> None:
    """Unsubscribing twice is harmless."""
    with contextlib.suppress(ValueError):
        callbacks.remove(callback)
