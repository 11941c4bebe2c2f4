"""SessionPlayback: the recorded legs of one session as one seekable timeline."""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import io
import logging
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from media.recording_format.layout import PTS_BASE, STREAM_TITLES, LegManifest, SegmentInfo, read_manifest
from media.recording_format.sealing import RecordingDamaged, SegmentSealer, open_segment

log = logging.getLogger(__name__)

AUDIO_RATE = 48000
# Within a leg, a frame is shown until the next one; past this after a leg's last frame the
# picture is "no video" (between legs, or a recording cut short by a crash).
HOLD_SECONDS = 0.5
# Decrypted segments kept in memory (about 100-300 kB each): stepping back and forth across a
# boundary, the audio requests while playing and the report's key frames reuse them.
CACHED_SEGMENTS = 12


@dataclass(frozen=True)
class DecodedFrame:
    image: npt.NDArray[np.uint8]  # BGR
    t: float  # session clock
    leg: int
    segment: int


@dataclass(frozen=True)
class LegSpan:
    leg: int
    start: float  # session clock
    end: float
    crashed: bool  # the recorder never closed this leg (the console died)


@dataclass
class _Segment:
    leg: int
    offset: float  # session clock of the leg clock's zero
    info: SegmentInfo
    start: float  # session clock
    end: float


def _probe(info: SegmentInfo, source: Any) -> tuple[float, float, int] | None:
    """First and last video time (leg clock) and frame count of a segment the manifest does
    not describe; None when nothing in it is readable."""
    import av

    first: float | None = None
    last: float | None = None
    count = 0
    try:
        with av.open(source, format="mpegts") as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue
                t = float(packet.pts * (stream.time_base or 0)) - PTS_BASE
                first = t if first is None else min(first, t)
                last = t if last is None else max(last, t)
                count += 1
    except Exception as error:  # a torn file: whatever came before the tear was read
        log.info("segment %s is cut short: %s", info.path, error)
    if first is None or last is None:
        return None
    return first, last, count


class SessionPlayback:
    def __init__(
        self,
        manifests: Sequence[LegManifest],
        offsets: Mapping[int, float],
        sealer: SegmentSealer | None = None,
    ) -> None:
        self.manifests = list(manifests)
        self._sealer = sealer
        self._cache: OrderedDict[tuple[int, int], bytes] = OrderedDict()
        self._segments: list[_Segment] = []
        # Damage found on opening (segments named in a manifest but gone): reported, and
        # frame_at raises RecordingDamaged inside such a gap rather than skipping it.
        self.problems: list[str] = [problem for m in self.manifests for problem in m.problems]
        spans: list[LegSpan] = []
        for manifest in self.manifests:
            offset = float(offsets.get(manifest.leg_number, 0.0))
            leg_segments: list[_Segment] = []
            for info in manifest.segments:
                if info.start is None or info.end is None:
                    try:
                        probed = _probe(info, self._source(manifest.leg_number, info))
                    except RecordingDamaged as error:
                        log.info("an unlisted segment does not open: %s", error)
                        probed = None
                    if probed is None:
                        continue
                    first, last, frames = probed
                    info.start, info.end, info.frames = first, last + 1.0 / manifest.fps, frames
                assert info.start is not None and info.end is not None
                leg_segments.append(
                    _Segment(manifest.leg_number, offset, info, offset + info.start, offset + info.end)
                )
            if leg_segments:
                spans.append(
                    LegSpan(
                        manifest.leg_number,
                        leg_segments[0].start,
                        leg_segments[-1].end,
                        crashed=not manifest.closed,
                    )
                )
            self._segments.extend(leg_segments)
        self._segments.sort(key=lambda s: s.start)
        self._starts = [s.start for s in self._segments]
        self.spans = spans
        self.duration = max((s.end for s in self._segments), default=0.0)
        self._open: Any = None
        self._open_index = -1
        self._frames: Iterator[Any] | None = None
        self._current: DecodedFrame | None = None  # the newest frame decoded and handed out
        self._ahead: DecodedFrame | None = None  # decoded, later than what was asked for
        self.last_shown: DecodedFrame | None = None

    @classmethod
    def open(
        cls,
        session_directory: Path | str,
        offsets: Mapping[int, float] | None = None,
        *,
        sealer: SegmentSealer | None = None,
    ) -> SessionPlayback:
        """Every leg-NN directory under the session's directory. Without offsets, legs are
        placed by the wall-clock start each recorder wrote, relative to leg 1.

        With a sealer every leg must be encrypted (decrypted in memory as it is read); without
        one, every leg must be plain. RecordingError (RecordingDamaged) with a message fit for
        the reviewer when that is not so, a manifest was altered, or the key is wrong."""
        directory = Path(session_directory)
        manifests = [read_manifest(path, sealer) for path in sorted(directory.glob("leg-*")) if path.is_dir()]
        manifests.sort(key=lambda m: m.leg_number)
        if offsets is None:
            first = next((m.started_at for m in manifests if m.started_at is not None), None)
            offsets = {
                m.leg_number: (m.started_at - first)
                if (m.started_at is not None and first is not None)
                else 0.0
                for m in manifests
            }
        return cls(manifests, offsets, sealer)

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    def leg_at(self, t: float) -> int | None:
        for span in self.spans:
            if span.start - 1e-6 <= t <= span.end + HOLD_SECONDS:
                return span.leg
        return None

    # -- video ------------------------------------------------------------------------------

    def frame_at(self, t: float) -> DecodedFrame | None:
        """The frame on screen at session time t: the newest frame at or before t. None before
        the first frame, between legs, and after the end (beyond a short hold)."""
        index = bisect.bisect_right(self._starts, t + 1e-6) - 1
        if index < 0:
            return None
        segment = self._segments[index]
        if t > segment.end + HOLD_SECONDS:
            next_index = index + 1
            same_leg_follows = (
                next_index < len(self._segments) and self._segments[next_index].leg == segment.leg
            )
            if not same_leg_follows:
                return None
        frame = self._decode_until(index, t)
        if frame is None and index > 0 and self._segments[index - 1].leg == segment.leg:
            if self._segments[index - 1].info.missing:
                raise self._missing(self._segments[index - 1])
            frame = self._decode_until(index - 1, t)
        self.last_shown = frame
        return frame

    def next_frame(self) -> DecodedFrame | None:
        """The frame after the one last shown (into the next segment or leg when needed)."""
        if self.last_shown is None:
            return self.first_frame()
        current = self.last_shown
        index = current.segment
        if self._open_index != index or self._current is None or self._current.t != current.t:
            self._decode_until(index, current.t)
        frame = self._take_next_in_segment()
        while frame is None and index + 1 < len(self._segments):
            index += 1
            self._start_segment(index)
            frame = self._take_next_in_segment()
        if frame is not None:
            self._current = frame
            self.last_shown = frame
        return frame

    def previous_frame(self) -> DecodedFrame | None:
        if self.last_shown is None:
            return None
        current = self.last_shown
        frame = self.frame_at(current.t - 0.0005)
        if frame is None or frame.t >= current.t:
            # Between legs: step back to the end of the previous leg.
            earlier = [s for s in self._segments if s.end <= current.t - 0.0005]
            if not earlier:
                self.last_shown = current
                return None
            frame = self.frame_at(earlier[-1].end)
        return frame

    def first_frame(self) -> DecodedFrame | None:
        if not self._segments:
            return None
        self._start_segment(0)
        frame = self._take_next_in_segment()
        self._current = frame
        self.last_shown = frame
        return frame

    def key_frames(self, times: Sequence[float]) -> list[DecodedFrame]:
        frames = []
        for t in sorted(times):
            frame = self.frame_at(t)
            if frame is not None:
                frames.append(frame)
        return frames

    # -- reading segments (decrypted in memory when sealed) ------------------------------------

    @staticmethod
    def _missing(segment: _Segment) -> RecordingDamaged:
        return RecordingDamaged(
            f"Segment {segment.info.index:06d} of leg {segment.leg} is missing: it was deleted "
            "after it was recorded."
        )

    def _source(self, leg: int, info: SegmentInfo) -> Any:
        """What av.open reads: the file's path, or its decrypted bytes in memory."""
        if self._sealer is None:
            return str(info.path)
        key = (leg, info.index)
        data = self._cache.get(key)
        if data is not None:
            self._cache.move_to_end(key)
            return io.BytesIO(data)
        try:
            blob = info.path.read_bytes()
        except FileNotFoundError:
            raise RecordingDamaged(
                f"Segment {info.index:06d} of leg {leg} is missing: it was deleted after it was recorded."
            ) from None
        if (info.size is not None and len(blob) != info.size) or (
            info.sha256 is not None and hashlib.sha256(blob).hexdigest() != info.sha256
        ):
            raise RecordingDamaged(
                f"Segment {info.index:06d} of leg {leg} has been altered or replaced: it is not "
                "the file the recorder wrote."
            )
        manifest = next(m for m in self.manifests if m.leg_number == leg)
        data = open_segment(self._sealer, blob, manifest.binding, leg, info.index)
        self._cache[key] = data
        while len(self._cache) > CACHED_SEGMENTS:
            self._cache.popitem(last=False)
        return io.BytesIO(data)

    def _start_segment(self, index: int) -> None:
        import av

        self._close_open()
        segment = self._segments[index]
        if segment.info.missing:
            raise self._missing(segment)
        container = av.open(self._source(segment.leg, segment.info), format="mpegts")
        self._open = container
        self._open_index = index
        self._current = None
        self._ahead = None
        if container.streams.video:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            self._frames = self._decoded(container, stream)
        else:
            self._frames = iter(())

    def _decoded(self, container: Any, stream: Any) -> Iterator[Any]:
        try:
            yield from container.decode(stream)
        except Exception as error:  # the torn end of a crashed recording
            log.info("decoding %s stopped: %s", self._segments[self._open_index].info.path, error)

    def _take_next_in_segment(self) -> DecodedFrame | None:
        if self._ahead is not None:
            frame, self._ahead = self._ahead, None
            return frame
        if self._frames is None:
            return None
        segment = self._segments[self._open_index]
        for raw in self._frames:
            if raw.pts is None:
                continue
            leg_t = float(raw.pts * raw.time_base) - PTS_BASE
            return DecodedFrame(
                raw.to_ndarray(format="bgr24"), segment.offset + leg_t, segment.leg, self._open_index
            )
        return None

    def _decode_until(self, index: int, t: float) -> DecodedFrame | None:
        """Newest frame of segment `index` at or before t, decoding forward from where the
        decoder is when possible."""
        rewind = self._current is not None and self._current.t > t + 1e-6
        if self._open_index != index or rewind or self._frames is None:
            self._start_segment(index)
        best = self._current if (self._current is not None and self._current.t <= t + 1e-6) else None
        while True:
            frame = self._take_next_in_segment()
            if frame is None:
                break
            if frame.t > t + 1e-6:
                self._ahead = frame
                break
            best = frame
            self._current = frame
        return best

    def _close_open(self) -> None:
        container, self._open = self._open, None
        self._frames = None
        self._open_index = -1
        if container is not None:
            with contextlib.suppress(Exception):
                container.close()

    # -- audio ------------------------------------------------------------------------------

    def audio(
        self, t0: float, t1: float, sources: Sequence[str] = ("applicant", "reviewer")
    ) -> npt.NDArray[np.float32]:
        """Both sides' audio between t0 and t1 (session clock), mixed, 48 kHz mono float32;
        silence where nothing was recorded."""
        import av

        length = max(0, round((t1 - t0) * AUDIO_RATE))
        out = np.zeros(length, dtype=np.float32)
        if length == 0:
            return out
        for segment in self._segments:
            # Audio packets run up to ~0.1 s past the segment's last video frame.
            if segment.end + 0.2 < t0 or segment.start - 0.2 > t1:
                continue
            if segment.info.missing:
                continue  # silence; frame_at reports the gap
            try:
                with av.open(self._source(segment.leg, segment.info), format="mpegts") as container:
                    # Audio streams in recorder order (MPEG-TS keeps no stream titles).
                    streams = [
                        stream
                        for stream, title in zip(container.streams.audio, STREAM_TITLES[1:], strict=False)
                        if title in sources
                    ]
                    if not streams:
                        continue
                    for frame in container.decode(*streams):
                        if frame.pts is None:
                            continue
                        start_t = segment.offset + float(frame.pts * (frame.time_base or 0)) - PTS_BASE
                        samples = frame.to_ndarray().astype(np.float32)
                        mono = samples.reshape(-1) if samples.shape[0] == 1 else samples.mean(axis=0)
                        begin = round((start_t - t0) * AUDIO_RATE)
                        lo, hi = max(0, begin), min(length, begin + mono.size)
                        if lo < hi:
                            out[lo:hi] += mono[lo - begin : hi - begin]
            except RecordingDamaged as error:
                log.warning("no audio from a damaged segment: %s", error)
            except Exception as error:
                log.info("audio of %s stops early: %s", segment.info.path, error)
        return np.clip(out, -1.0, 1.0)

    def close(self) -> None:
        self._close_open()

    def __enter__(self) -> SessionPlayback:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
