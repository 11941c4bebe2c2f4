"""The applicant simulator: plays a video file (with its audio, if any) into an aiortc peer
connection as if it were an applicant's phone, for demos, tests and benchmarks.

`LoopingFileSource` decodes on a thread of its own, paced in real time, and loops by opening
the file again with continuing timestamps (MediaPlayer(loop=True) stops at the end of an MP4
with av 18). `run_applicant` speaks the applicant page's protocol to the intake service,
including the camera report the page sends before each offer: the simulator stands for a phone,
so it reports a phone's front camera (Chrome on Android's label, the size it sends, 30 fps) and
demos, probes and benches are not flagged. `report_camera=False` plays a modified page that
skips the report (the console then flags the call: app.camera.CameraProblem.NOT_REPORTED).
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import itertools
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from app.consent import join_message
from media.call.client import intake_session
from media.ice import rtc_configuration
from tools.timecode import draw_time_code

log = logging.getLogger(__name__)

VIDEO_CLOCK = 90000
AUDIO_RATE = 48000


class QueuedTrack(MediaStreamTrack):
    """A track fed from a thread: recv() returns the next queued frame."""

    def __init__(self, kind: str, maxsize: int) -> None:
        super().__init__()
        self.kind = kind
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=maxsize)
        self.stamp_size: tuple[int, int] | None = None  # draw a time code (video only)

    def offer(self, frame: Any) -> None:
        """Called on the loop: keep the newest frames, dropping the oldest when nobody reads."""
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(frame)

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self.queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        if self.stamp_size is not None:
            import av

            width, height = self.stamp_size
            image = frame.to_ndarray(format="yuv420p")
            draw_time_code(image, width, height)
            stamped = av.VideoFrame.from_ndarray(image, format="yuv420p")
            stamped.pts, stamped.time_base = frame.pts, frame.time_base
            frame = stamped
        return frame


@dataclass(frozen=True)
class SourceInfo:
    width: int
    height: int
    has_audio: bool


class LoopingFileSource:
    def __init__(
        self,
        path: Path,
        *,
        loop: bool = True,
        size: tuple[int, int] | None = (640, 480),
        stamp_time: bool = False,
    ) -> None:
        import av

        self.path = Path(path)
        self.loop_file = loop
        self.size = size
        with av.open(str(self.path)) as probe:
            if not probe.streams.video:
                raise ValueError(f"{self.path} has no video stream")
            video = probe.streams.video[0]
            source_size = (video.codec_context.width, video.codec_context.height)
            has_audio = bool(probe.streams.audio)
        width, height = size or source_size
        self.info = SourceInfo(width, height, has_audio)
        self.video = QueuedTrack("video", maxsize=4)
        self.audio: QueuedTrack | None = QueuedTrack("audio", maxsize=50) if has_audio else None
        if stamp_time:
            self.video.stamp_size = (width, height)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._thread = threading.Thread(
            target=self._decode, args=(loop,), name="simulator-decode", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _decode(self, loop: asyncio.AbstractEventLoop) -> None:
        import av

        started = time.time()
        offset = 0.0
        samples = 0
        resampler = av.AudioResampler(format="s16", layout="stereo", rate=AUDIO_RATE)
        try:
            while not self._stop.is_set():
                last_time = 0.0
                with av.open(str(self.path)) as container:
                    streams: list[Any] = [container.streams.video[0]]
                    if self.audio is not None and container.streams.audio:
                        streams.append(container.streams.audio[0])
                    frame_step = 1.0 / float(streams[0].average_rate or 30)
                    scaler = self._make_scaler(streams[0])
                    for frame in container.decode(*streams):
                        if self._stop.is_set():
                            return
                        at = (frame.time or 0.0) + offset
                        last_time = max(last_time, frame.time or 0.0)
                        wait = started + at - time.time()
                        if wait > 0:
                            time.sleep(wait)
                        if isinstance(frame, av.VideoFrame):
                            out = self._resize(scaler, frame)
                            out.pts = int(at * VIDEO_CLOCK)
                            out.time_base = fractions.Fraction(1, VIDEO_CLOCK)
                            loop.call_soon_threadsafe(self.video.offer, out)
                        elif self.audio is not None:
                            for chunk in resampler.resample(frame):
                                chunk.pts = samples
                                chunk.time_base = fractions.Fraction(1, AUDIO_RATE)
                                samples += chunk.samples
                                loop.call_soon_threadsafe(self.audio.offer, chunk)
                offset += last_time + frame_step
                if not self.loop_file:
                    break
        except Exception:
            log.exception("the simulator cannot read %s", self.path)
        finally:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.video.offer, None)
                if self.audio is not None:
                    loop.call_soon_threadsafe(self.audio.offer, None)

    def _make_scaler(self, stream: Any) -> Any:
        """Crop to the target aspect ratio, then scale, so faces keep their shape."""
        import av.filter

        if self.size is None:
            return None
        width, height = self.size
        source_w, source_h = stream.codec_context.width, stream.codec_context.height
        crop_w = min(source_w, source_h * width // height) // 2 * 2
        crop_h = min(source_h, source_w * height // width) // 2 * 2
        graph = av.filter.Graph()
        chain = [
            graph.add_buffer(template=stream),
            graph.add("crop", f"{crop_w}:{crop_h}"),
            graph.add("scale", f"{width}:{height}"),
            graph.add("format", "yuv420p"),
            graph.add("buffersink"),
        ]
        for left, right in itertools.pairwise(chain):
            left.link_to(right)
        graph.configure()
        return graph

    @staticmethod
    def _resize(scaler: Any, frame: Any) -> Any:
        if scaler is None:
            return frame.reformat(format="yuv420p")
        scaler.push(frame)
        return scaler.pull()


# What Chrome on Android calls a phone's front camera.
SIMULATED_CAMERA_LABEL = "camera2 1, facing front"


def camera_report(info: SourceInfo) -> dict[str, Any]:
    """The applicant page's camera message for a phone camera sending `info`'s size at 30 fps."""
    return {
        "type": "camera",
        "reason": "call_started",
        "label": SIMULATED_CAMERA_LABEL,
        "settings": {
            "width": info.width,
            "height": info.height,
            "frameRate": 30,
            "aspectRatio": round(info.width / info.height, 4) if info.height else None,
            "facingMode": "user",
        },
    }


@dataclass
class ApplicantResult:
    legs: int = 0
    ended_reason: str = ""
    error: str = ""
    answers: int = 0


async def run_applicant(
    url: str,
    token: str,
    video: Path,
    *,
    loop_file: bool = True,
    size: tuple[int, int] | None = (640, 480),
    stamp_time: bool = False,
    seconds: float | None = None,
    ca_file: str = "",
    ice_policy: str = "all",
    report_camera: bool = True,
) -> ApplicantResult:
    """Join the queue with `token`, wait to be taken, then stream `video` until the reviewer
    ends the call, `seconds` pass, or the file ends (without loop). Before each offer the
    camera is reported as the applicant page does (`report_camera`: False skips it)."""
    result = ApplicantResult()
    source = LoopingFileSource(video, loop=loop_file, size=size, stamp_time=stamp_time)
    base = url.rstrip("/")
    ws_url = base.replace("http://", "ws://").replace("https://", "wss://") + "/ws/applicant?t=" + token
    pc: RTCPeerConnection | None = None
    deadline = None if seconds is None else time.monotonic() + seconds
    drains: set[asyncio.Future[None]] = set()
    async with intake_session(ca_file) as http, http.ws_connect(ws_url, heartbeat=5.0) as ws:
        source.start()
        try:
            while True:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                try:
                    message = await ws.receive(timeout=remaining)
                except TimeoutError:
                    break
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                body = json.loads(message.data)
                kind = body.get("type")
                if kind == "status":
                    if body.get("status") != "valid":
                        result.error = body.get("message", body.get("status", ""))
                        break
                    if not body.get("reconnect"):
                        await ws.send_json(join_message(body))
                elif kind == "queued":
                    log.info("applicant: number %s in the queue", body.get("position"))
                elif kind == "taken":
                    if pc is not None:
                        await pc.close()
                    pc = RTCPeerConnection(rtc_configuration(body.get("ice"), policy=ice_policy))
                    pc.addTrack(source.video)
                    if source.audio is not None:
                        pc.addTrack(source.audio)
                    else:
                        pc.addTransceiver("audio", direction="recvonly")

                    @pc.on("track")
                    def on_track(track: MediaStreamTrack) -> None:
                        # Drain the reviewer's audio so it does not pile up.
                        async def drain() -> None:
                            with contextlib.suppress(MediaStreamError):
                                while True:
                                    await track.recv()

                        drains.add(asyncio.ensure_future(drain()))

                    await pc.setLocalDescription(await pc.createOffer())  # gathers ICE
                    if report_camera:  # before the offer, as the applicant page does
                        await ws.send_json(camera_report(source.info))
                    await ws.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
                elif kind == "answer" and pc is not None:
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="answer"))
                    result.answers += 1
                    result.legs = int(body.get("leg", result.legs + 1))
                elif kind == "ended":
                    result.ended_reason = str(body.get("reason", ""))
                    break
                elif kind == "error":
                    result.error = str(body.get("message", ""))
                    log.warning("applicant: %s", result.error)
                    if body.get("error") in ("already_connected", "unknown_token"):
                        break
        finally:
            source.stop()
            if pc is not None:
                await pc.close()
    return result


def frame_size(raw: str) -> tuple[int, int] | None:
    """A sending size given as WIDTHxHEIGHT, or 'source' (None: the file's own size).
    ValueError in words when it is neither."""
    if raw == "source":
        return None
    try:
        width, height = (int(part) for part in raw.lower().split("x"))
    except ValueError:
        raise ValueError("must be WIDTHxHEIGHT or 'source'") from None
    if not (16 <= width <= 4096 and 16 <= height <= 4096) or width % 2 or height % 2:
        raise ValueError("must be even numbers between 16 and 4096")
    return width, height
