"""A live call's face match: the call's newest frames to the face worker process and its scores
to whoever listens, all on the media clock (each frame's `received_at`, monotonic seconds).
The one wiring the console, `review-probe` and `record-probe` share. The session clock has one
owner, the score timeline (services.recording.ScoreTimeline): it converts scores onto it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.settings import Settings

if TYPE_CHECKING:
    from app.face import ChallengeKind, FaceScore
    from media.call.frames import VideoSample
    from services.recording import ScoreTimeline

log = logging.getLogger(__name__)


class CallFaceMatch:
    """Subscribes to a call's frames: every frame goes to `on_frame` (the window); while the
    worker runs, the newest goes to the worker (and its size, leg and time to the timeline, so
    that its score lands on the session clock with its box). Scores go to the timeline and to
    `on_score`, on the worker's reader thread."""

    def __init__(
        self,
        frames: Any,
        settings: Settings,
        *,
        timeline: ScoreTimeline | None = None,
        on_frame: Callable[[VideoSample], None] | None = None,
        on_score: Callable[[FaceScore], None] | None = None,
        room_scan_interval: float | None = None,
    ) -> None:
        """`frames`: the call's frames (media.call.frames; anything with `subscribe`)."""
        from media.face.worker import FaceWorker

        self.frames = frames
        self.timeline = timeline
        self.on_frame = on_frame
        self.on_score = on_score
        self.worker = FaceWorker(
            settings=settings, on_score=self._score, room_scan_interval=room_scan_interval
        )
        self._unsubscribe: Callable[[], None] | None = None

    def start(self, *, reference_image: bytes | None = None, reference_encoding: Any = None) -> CallFaceMatch:
        """Start the worker against the reference (1-3 s while the models load: never on the Qt
        thread), then follow the frames; without a reference, only follow them. FaceWorkerError
        when the worker cannot start: the frames are followed all the same (the window shows them)."""
        try:
            if reference_image is not None or reference_encoding is not None:
                self.worker.start(reference_image=reference_image, reference_encoding=reference_encoding)
        finally:
            self._unsubscribe = self.frames.subscribe(self._frame)
        return self

    def ask_challenge(self, kind: ChallengeKind) -> bool:
        """Issue a liveness challenge to the worker (asked on the next frame it scores; the scores
        then carry its status, and the timeline keeps it). False when the worker is not running."""
        return bool(self.worker.running) and self.worker.ask_challenge(kind)

    @property
    def running(self) -> bool:
        return bool(self.worker.running)

    # media thread
    def _frame(self, sample: VideoSample) -> None:
        if self.on_frame is not None:
            self.on_frame(sample)
        if self.worker.running:
            if self.timeline is not None:
                self.timeline.frame_seen(sample)
            self.worker.offer_frame(sample.image, sample.received_at, sample.sequence)

    # the worker's reader thread
    def _score(self, score: FaceScore) -> None:
        if self.timeline is not None:
            self.timeline.add(score)
        if self.on_score is not None:
            self.on_score(score)

    def stop(self) -> None:
        """Stop following the frames and stop the worker. Idempotent."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.worker.stop()
