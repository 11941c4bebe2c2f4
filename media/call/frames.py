"""The newest-frame slot: received video reaches every consumer without a backlog.

The media thread `put`s each decoded frame; the slot keeps only the newest. Consumers either
subscribe (a callback on the media thread for every frame: keep it short, e.g. emit a Qt
signal) or poll from their own thread with `wait_newer` (the face worker, the recorder),
which always returns the newest frame and skips the ones they were too slow for.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoSample:
    """One received frame as a BGR image, with where and when it came from."""

    image: npt.NDArray[np.uint8]  # height x width x 3, BGR, owned by the sample (do not modify)
    sequence: int  # 1, 2, ... over the whole call (all legs)
    leg: int
    received_at: float  # time.monotonic() when it was decoded
    wall_time: float  # time.time() at the same moment
    pts_seconds: float | None  # the sender's media clock, when known
    av_frame: Any = None  # the decoded av.VideoFrame, for the recorder

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


FrameCallback = Callable[[VideoSample], None]


class FrameSlot:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._latest: VideoSample | None = None
        self._subscribers: list[FrameCallback] = []
        self._recent: deque[float] = deque(maxlen=120)
        self.count = 0

    def put(self, sample: VideoSample) -> None:
        with self._condition:
            self._latest = sample
            self.count += 1
            self._recent.append(sample.received_at)
            subscribers = list(self._subscribers)
            self._condition.notify_all()
        for callback in subscribers:
            try:
                callback(sample)
            except Exception:
                log.exception("a frame subscriber failed")

    def latest(self) -> VideoSample | None:
        with self._condition:
            return self._latest

    def wait_newer(self, after_sequence: int, timeout: float | None = None) -> VideoSample | None:
        """The newest frame with a sequence above `after_sequence`, waiting for one up to
        `timeout` seconds; None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._condition:
            while self._latest is None or self._latest.sequence <= after_sequence:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._condition.wait(remaining)
            return self._latest

    def subscribe(self, callback: FrameCallback) -> Callable[[], None]:
        """Call `callback(sample)` on the media thread for every new frame; returns an
        unsubscribe function."""
        with self._condition:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._condition, contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def fps(self, now: float | None = None, window: float = 1.0) -> float:
        """Frames received over the last `window` seconds, per second."""
        now = time.monotonic() if now is None else now
        with self._condition:
            recent = sum(1 for t in self._recent if now - t <= window)
        return recent / window
