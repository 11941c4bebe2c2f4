"""The crash-safe recorder of one leg of a call (see the package docstring for the API)."""

from __future__ import annotations

import contextlib
import enum
import errno
import fractions
import hashlib
import io
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from media.recording_format.layout import MANIFEST, PTS_BASE, leg_directory, recording_binding, segment_name
from media.recording_format.sealing import SegmentSealer, seal_manifest_line, segment_purpose

log = logging.getLogger(__name__)

AUDIO_RATE = 48000
AudioSource = Literal["applicant", "reviewer"]
AUDIO_SOURCES: tuple[AudioSource, ...] = ("applicant", "reviewer")
_MS = fractions.Fraction(1, 1000)
_AUDIO_TB = fractions.Fraction(1, AUDIO_RATE)


class RecorderState(enum.Enum):
    RECORDING = "recording"
    DISK_FULL = "warning: disk full"  # stopped writing; what was written is kept
    WRITE_FAILED = "warning: write failed"  # another I/O error; same handling
    CLOSED = "closed"

    @property
    def is_warning(self) -> bool:
        return self in (RecorderState.DISK_FULL, RecorderState.WRITE_FAILED)


@dataclass(frozen=True)
class RecorderStats:
    video_frames: int  # written to segments
    video_dropped: int  # not written: the writer fell behind, or it stopped after an error
    audio_chunks: int
    audio_dropped: int
    segments: int
    bytes_written: int
    timestamp_jumps: int  # caller timestamps that went backwards or jumped (re-stamped anyway)


@dataclass
class _Video:
    image: npt.NDArray[np.uint8]
    t: float


@dataclass
class _Audio:
    samples: npt.NDArray[Any]
    sample_rate: int
    t: float  # arrival on the leg clock (the end of the chunk)
    source: AudioSource


class LegRecorder:
    def __init__(
        self,
        directory: Path | str,
        leg_number: int,
        *,
        fps: float = 30.0,
        segment_seconds: float = 1.0,
        started_at: float | None = None,
        max_queued_video: int = 45,
        max_queued_audio: int = 400,
        crf: int = 26,
        fsync: bool = True,
        clock: Callable[[], float] | None = None,
        sealer: SegmentSealer | None = None,
    ) -> None:
        """`clock`, when given, returns the leg clock itself (seconds since the leg started):
        benchmarks and demos feed frames faster than real time with it. By default arrivals
        are stamped with time.monotonic() relative to `started_at`.

        `sealer` (storage.sealing.Sealer, passed in by services/): encrypt at rest. Each segment is
        encoded in memory, sealed, and written under its final name only when complete; the
        manifest's lines are sealed too (see media/recording_format/sealing.py). Without it, plain
        MPEG-TS files."""
        self.leg_number = leg_number
        self.directory = leg_directory(Path(directory), leg_number)
        self._sealer = sealer
        self._binding = recording_binding(Path(directory))
        self._manifest_lines = 0
        self._segment_buffer: io.BytesIO | None = None
        self.fps = fps
        self.segment_seconds = segment_seconds
        self.started_at = time.time() if started_at is None else started_at
        self._clock = clock or time.monotonic
        self._origin = (
            0.0 if clock is not None else time.monotonic() - max(0.0, time.time() - self.started_at)
        )
        self._crf = crf
        self._fsync = fsync
        self._max_video = max_queued_video
        self._max_audio = max_queued_audio
        self._queue: deque[_Video | _Audio] = deque()
        self._queued_video = 0
        self._queued_audio = 0
        self._condition = threading.Condition()
        self._closing = False
        self._state = RecorderState.RECORDING
        self._message = ""
        self._counts = {
            "video_frames": 0,
            "video_dropped": 0,
            "audio_chunks": 0,
            "audio_dropped": 0,
            "segments": 0,
            "bytes_written": 0,
            "timestamp_jumps": 0,
        }
        self._last_caller_t: dict[str, float] = {}
        # Writer-thread state.
        self._container: Any = None
        self._video_stream: Any = None
        # One H.264 encoder per leg (and frame size), kept across segments: opening one holds
        # the GIL 3-5 ms (avcodec_open2), once a second when each segment opened its own. Its
        # stream in a container that is never written is the template of each segment's stream.
        self._video_encoder: Any = None
        self._video_template: Any = None
        self._encoder_holder: Any = None
        self._encoder_size: tuple[int, int] | None = None
        self._key_frame_next = False
        self._audio_streams: dict[str, Any] = {}
        self._audio_encoders: dict[str, Any] = {}
        self._audio_next: dict[str, int] = {}
        self._resamplers: dict[tuple[str, int, int], Any] = {}
        self._pending_audio: list[Any] = []
        self._segment_index = -1
        self._segment_start = 0.0
        self._segment_last = 0.0
        self._segment_frames = 0
        self._segment_size: tuple[int, int] | None = None
        self._last_video_pts = -1
        self._last_video_t = -1.0
        self._manifest: Any = None
        self.directory.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name=f"recorder-leg{leg_number}", daemon=True)
        self._write_manifest(
            {
                "type": "leg",
                "leg": leg_number,
                "started_at": self.started_at,
                "fps": fps,
                "pts_base": PTS_BASE,
                "segment_seconds": segment_seconds,
                "format": 1,
                "encrypted": sealer is not None,
            }
        )
        self._thread.start()

    # -- the caller's side: never blocks ----------------------------------------------------

    @property
    def state(self) -> RecorderState:
        return self._state

    @property
    def message(self) -> str:
        """Why the state is a warning, in words for the reviewer's status bar."""
        return self._message

    def elapsed(self) -> float:
        """Now on this leg's clock (the clock every recorded timestamp uses)."""
        return self._clock() - self._origin

    @property
    def backlog(self) -> int:
        """Video frames queued and not yet written."""
        with self._condition:
            return self._queued_video

    def stats(self) -> RecorderStats:
        with self._condition:
            return RecorderStats(**self._counts)

    def add_video(self, frame_bgr: npt.NDArray[np.uint8], t: float | None = None) -> bool:
        """Queue one BGR frame (height x width x 3, uint8; copied). `t` is the caller's
        timestamp, any clock: it is only checked for jumps; the frame is stamped on arrival on
        the recorder's monotonic clock. False when the frame was dropped."""
        now = self.elapsed()
        with self._condition:
            self._note_caller_time("video", t)
            if (
                self._closing
                or self._state is not RecorderState.RECORDING
                or (self._queued_video >= self._max_video)
            ):
                self._counts["video_dropped"] += 1
                return False
            self._queue.append(_Video(np.array(frame_bgr, dtype=np.uint8, copy=True), now))
            self._queued_video += 1
            self._condition.notify()
            return True

    def add_audio(
        self,
        samples: Any,
        sample_rate: int = AUDIO_RATE,
        t: float | None = None,
        source: AudioSource = "applicant",
    ) -> bool:
        """Queue a chunk of audio: a numpy array (1-D mono, or channels x samples; int16 or
        float in [-1, 1]) or an av.AudioFrame (then its own rate and layout are used). Stamped
        on arrival like video; small arrival jitter is absorbed, gaps over 0.25 s are kept as
        gaps. False when the chunk was dropped."""
        if source not in AUDIO_SOURCES:
            raise ValueError(f"audio source must be one of {AUDIO_SOURCES}, not {source!r}")
        now = self.elapsed()
        if not isinstance(samples, np.ndarray):
            # An av.AudioFrame: convert here, frames from aiortc may be reused.
            sample_rate = int(samples.sample_rate)
            array = samples.to_ndarray()
            channels = len(samples.layout.channels)
            if samples.format.is_packed and channels > 1:
                array = array.reshape(-1, channels).T
            samples = array
        else:
            samples = np.array(samples, copy=True)
        with self._condition:
            self._note_caller_time(source, t)
            if (
                self._closing
                or self._state is not RecorderState.RECORDING
                or (self._queued_audio >= self._max_audio)
            ):
                self._counts["audio_dropped"] += 1
                return False
            self._queue.append(_Audio(samples, int(sample_rate), now, source))
            self._queued_audio += 1
            self._condition.notify()
            return True

    def close(self, timeout: float = 15.0) -> RecorderStats:
        """Write what is queued, finish the last segment, and stop the thread."""
        with self._condition:
            self._closing = True
            self._condition.notify()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("recorder of leg %s did not finish within %.0f s", self.leg_number, timeout)
        return self.stats()

    def __enter__(self) -> LegRecorder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _note_caller_time(self, key: str, t: float | None) -> None:
        if t is None:
            return
        last = self._last_caller_t.get(key)
        if last is not None and (t < last or t - last > 5.0):
            self._counts["timestamp_jumps"] += 1
        self._last_caller_t[key] = t

    # -- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._queue and not self._closing:
                    self._condition.wait(0.25)
                    if not self._queue:
                        break
                item = self._queue.popleft() if self._queue else None
                if isinstance(item, _Video):
                    self._queued_video -= 1
                elif isinstance(item, _Audio):
                    self._queued_audio -= 1
                finishing = self._closing and item is None
            if self._state is RecorderState.RECORDING:
                try:
                    if isinstance(item, _Video):
                        self._write_video(item)
                    elif isinstance(item, _Audio):
                        self._write_audio(item)
                    elif self._container is not None and self.elapsed() - self._segment_last > 2.0:
                        # No video for a while (the applicant's camera froze): keep the audio safe.
                        self._rotate(self._segment_last)
                except OSError as error:
                    self._failed(error)
                except Exception as error:
                    log.exception("recorder of leg %s failed", self.leg_number)
                    self._failed(error)
            elif item is not None:
                with self._condition:
                    self._counts["video_dropped" if isinstance(item, _Video) else "audio_dropped"] += 1
            if finishing:
                break
        if self._state is RecorderState.RECORDING:
            try:
                end = self._finish_segment(flush=True)
                self._write_manifest({"type": "closed", "end": end})
            except OSError as error:
                self._failed(error)
        self._close_quietly()
        if not self._state.is_warning:
            self._state = RecorderState.CLOSED

    def _failed(self, error: BaseException) -> None:
        full = isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)
        self._state = RecorderState.DISK_FULL if full else RecorderState.WRITE_FAILED
        self._message = (
            "Disk full: recording stopped; what was recorded so far is kept."
            if full
            else f"Recording stopped after a write error ({error}); what was recorded so far is kept."
        )
        log.warning("leg %s: %s", self.leg_number, self._message)
        self._close_quietly()
        with contextlib.suppress(OSError):
            self._write_manifest({"type": "stopped", "reason": self._state.value, "error": str(error)})
        with self._condition:
            dropped_video = sum(1 for item in self._queue if isinstance(item, _Video))
            self._counts["video_dropped"] += dropped_video
            self._counts["audio_dropped"] += len(self._queue) - dropped_video
            self._queue.clear()
            self._queued_video = self._queued_audio = 0

    def _close_quietly(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            with contextlib.suppress(Exception):
                container.close()
        self._close_video_encoder()
        self._segment_buffer = None  # a sealed recording's unfinished segment: never written
        if self._manifest is not None:
            with contextlib.suppress(Exception):
                self._manifest.close()
            self._manifest = None

    def _write_manifest(self, entry: dict[str, Any]) -> None:
        if self._manifest is None:
            self._manifest = open(self.directory / MANIFEST, "a", encoding="utf-8")  # noqa: SIM115
        if self._sealer is not None:
            line = seal_manifest_line(
                self._sealer, entry, self._binding, self.leg_number, self._manifest_lines
            )
        else:
            line = json.dumps(entry)
        self._manifest.write(line + "\n")
        self._manifest.flush()
        if self._fsync:
            os.fsync(self._manifest.fileno())
        self._manifest_lines += 1

    def _open_segment(self, start: float, size: tuple[int, int]) -> None:
        import av

        template = self._video_template_for(size)  # before the file: a failure leaves none
        self._segment_index += 1
        if self._sealer is not None:
            # Encrypted at rest: the segment stays in memory until it is complete and sealed.
            self._segment_buffer = io.BytesIO()
            container = av.open(self._segment_buffer, "w", format="mpegts")
        else:
            path = self.directory / segment_name(self._segment_index)
            container = av.open(str(path), "w", format="mpegts", container_options={"flush_packets": "1"})
        # Not opened by PyAV 17 and later (earlier ones opened an encoder for it anyway).
        video = container.add_stream_from_template(template)
        video.time_base = _MS
        self._key_frame_next = True  # each segment starts with a key frame: decodable alone
        streams: dict[str, Any] = {}
        for source in AUDIO_SOURCES:
            stream = container.add_stream("aac", rate=AUDIO_RATE, layout="mono")
            stream.metadata["title"] = source
            streams[source] = stream
        self._container = container
        self._video_stream = video
        self._audio_streams = streams
        self._segment_start = start
        self._segment_last = start
        self._segment_frames = 0
        self._segment_size = size

    def _finish_segment(self, *, flush: bool) -> float:
        """Close the open segment; its end on the leg clock."""
        if self._container is None:
            return self._segment_last
        end = self._segment_last + (1.0 / self.fps if self._segment_frames else 0.0)
        container = self._container
        if flush:
            self._flush_video_encoder()
            for source, encoder in self._audio_encoders.items():
                for packet in encoder.encode():
                    packet.stream = self._audio_streams[source]
                    container.mux(packet)
        self._container = None
        container.close()
        path = self.directory / segment_name(self._segment_index)
        sealed: dict[str, Any] = {}
        if self._sealer is not None:
            buffer, self._segment_buffer = self._segment_buffer, None
            assert buffer is not None
            blob = self._sealer.seal(
                buffer.getvalue(), segment_purpose(self._binding, self.leg_number, self._segment_index)
            )
            self._write_sealed(path, blob)
            size = len(blob)
            sealed = {"size": size, "sha256": hashlib.sha256(blob).hexdigest()}
        else:
            size = path.stat().st_size
            if self._fsync:
                descriptor = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
        with self._condition:
            self._counts["segments"] += 1
            self._counts["bytes_written"] += size
        self._write_manifest(
            {
                "type": "segment",
                "index": self._segment_index,
                "file": path.name,
                "start": round(self._segment_start, 6),
                "end": round(end, 6),
                "frames": self._segment_frames,
                **sealed,
            }
        )
        return end

    def _video_template_for(self, size: tuple[int, int]) -> Any:
        """The leg's H.264 encoder for frames of `size` (opened on first use, and anew only when
        the size changes); returns its stream, the template of a segment's video stream."""
        import av

        if self._video_template is not None and self._encoder_size == size:
            return self._video_template
        self._close_video_encoder()
        holder = av.open(io.BytesIO(), "w", format="mpegts")
        stream = holder.add_stream(
            "libx264",
            rate=round(self.fps),
            options={
                "preset": "ultrafast",
                "tune": "zerolatency",  # no frame held back: a segment's last frame is in it
                "crf": str(self._crf),
                "g": str(max(1, round(self.fps * self.segment_seconds * 4))),
                "forced-idr": "1",  # the key frame that starts each segment is an IDR frame
            },
        )
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = _MS
        stream.codec_context.open()
        self._encoder_holder, self._video_template = holder, stream
        self._video_encoder, self._encoder_size = stream.codec_context, size
        return stream

    def _flush_video_encoder(self) -> None:
        """Drain the encoder into the open segment and let it go (at the leg's end, or before a
        new frame size)."""
        encoder = self._video_encoder
        if encoder is None:
            return
        if self._container is not None:
            for packet in encoder.encode():
                packet.stream = self._video_stream
                self._container.mux(packet)
        self._close_video_encoder()

    def _close_video_encoder(self) -> None:
        holder = self._encoder_holder
        self._encoder_holder = self._video_template = self._video_encoder = self._encoder_size = None
        if holder is not None:
            with contextlib.suppress(Exception):
                holder.close()

    def _write_sealed(self, path: Path, blob: bytes) -> None:
        """Write a temporary file, fsync it, rename it into place and fsync the directory: the
        segment appears whole or not at all."""
        temporary = path.with_name(path.name + ".tmp")
        try:
            with open(temporary, "wb") as handle:
                handle.write(blob)
                handle.flush()
                if self._fsync:
                    os.fsync(handle.fileno())
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        if self._fsync:
            descriptor = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)

    def _rotate(self, start: float, size: tuple[int, int] | None = None) -> None:
        size = size or self._segment_size or (640, 480)
        if size != self._encoder_size:
            self._flush_video_encoder()  # what it still holds ends the segment of its size
        self._finish_segment(flush=False)
        self._open_segment(start, size)
        self._mux_pending_audio()

    def _write_video(self, item: _Video) -> None:
        import av

        image = item.image
        height, width = image.shape[0] & ~1, image.shape[1] & ~1
        if (height, width) != image.shape[:2]:
            image = image[:height, :width]
        size = (width, height)
        # Re-stamp: strictly increasing on the recorder's clock, whatever the sender's clock did.
        pts = max(round((item.t + PTS_BASE) * 1000), self._last_video_pts + 1)
        t = pts / 1000 - PTS_BASE  # what a reader will compute from the file
        if self._container is None:
            self._open_segment(t, size)
            self._mux_pending_audio()
        elif size != self._segment_size or t >= self._segment_start + self.segment_seconds:
            self._rotate(t, size)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        frame.pts = pts
        frame.time_base = _MS
        if self._key_frame_next:
            frame.pict_type = av.video.frame.PictureType.I
            self._key_frame_next = False
        for packet in self._video_encoder.encode(frame):
            packet.stream = self._video_stream
            self._container.mux(packet)
        self._last_video_pts = pts
        self._last_video_t = t
        self._segment_last = t
        self._segment_frames += 1
        with self._condition:
            self._counts["video_frames"] += 1

    def _audio_encoder(self, source: str) -> Any:
        import av

        encoder = self._audio_encoders.get(source)
        if encoder is None:
            encoder = av.CodecContext.create("aac", "w")
            encoder.sample_rate = AUDIO_RATE
            encoder.layout = "mono"
            encoder.format = "fltp"
            encoder.time_base = _AUDIO_TB
            encoder.bit_rate = 64000
            encoder.open()
            self._audio_encoders[source] = encoder
        return encoder

    def _mono_48k(self, item: _Audio) -> npt.NDArray[np.float32]:
        samples = item.samples
        if np.issubdtype(samples.dtype, np.integer):
            values = samples.astype(np.float32) / (float(np.iinfo(samples.dtype).max) + 1.0)
        else:
            values = samples.astype(np.float32)
        if values.ndim == 2:
            # channels x samples (planar, or packed already split by add_audio)
            mono = values.mean(axis=0) if values.shape[0] <= 8 else values[:, 0]
        else:
            mono = values.reshape(-1)
        if item.sample_rate != AUDIO_RATE and mono.size:
            target = round(mono.size * AUDIO_RATE / item.sample_rate)
            positions = np.linspace(0.0, mono.size - 1, target)
            mono = np.interp(positions, np.arange(mono.size), mono).astype(np.float32)
        return np.asarray(np.clip(mono, -1.0, 1.0), dtype=np.float32)

    def _write_audio(self, item: _Audio) -> None:
        import av

        mono = self._mono_48k(item)
        if mono.size == 0:
            return
        start = round((item.t + PTS_BASE) * AUDIO_RATE) - mono.size
        expected = self._audio_next.get(item.source)
        if expected is None or start - expected > 0.25 * AUDIO_RATE:
            pts = max(start, expected or 0)  # first chunk, or a gap (kept as a gap)
        elif expected - start > 1.0 * AUDIO_RATE:
            # Audio arriving faster than real time (a burst after a stall): drop, don't drift.
            with self._condition:
                self._counts["audio_dropped"] += 1
            return
        else:
            pts = expected
        self._audio_next[item.source] = pts + mono.size
        frame = av.AudioFrame.from_ndarray(mono.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = pts
        frame.time_base = _AUDIO_TB
        packets = list(self._audio_encoder(item.source).encode(frame))
        with self._condition:
            self._counts["audio_chunks"] += 1
        if self._container is None:
            self._pending_audio.extend((item.source, p) for p in packets)
            if self.elapsed() > 2.0 and self._segment_index < 0:
                # No video at all yet: start an audio-only segment so the audio is kept.
                self._open_segment(item.t, (640, 480))
                self._mux_pending_audio()
            return
        for packet in packets:
            packet.stream = self._audio_streams[item.source]
            self._container.mux(packet)
        if item.t - self._segment_last > 2.0 and item.t >= self._segment_start + self.segment_seconds:
            self._rotate(item.t)

    def _mux_pending_audio(self) -> None:
        pending, self._pending_audio = self._pending_audio, []
        for source, packet in pending:
            packet.stream = self._audio_streams[source]
            self._container.mux(packet)
