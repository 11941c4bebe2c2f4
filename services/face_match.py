"""A live call's face match: the call's newest frames to the face worker process and its scores
to whoever listens, all on the media clock (each frame's `received_at`, monotonic seconds).
The one wiring the console, `review-probe` and `record-probe` share. The session clock has one
owner, the score timeline (services.recording.ScoreTimeline): it converts scores onto it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.settings import Settings

if TYPE_CHECKING:
    from app.face import ChallengeKind, FaceScore
    from media.call.frames import VideoSample
    from media.face.worker import FaceWorker
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
        worker: FaceWorker | None = None,
    ) -> None:
        """`frames`: the call's frames (media.call.frames; anything with `subscribe`). `worker`:
        one prepared before the call (PreparedFaceWorker), not started yet; otherwise a new one."""
        from media.face.worker import FaceWorker

        self.frames = frames
        self.timeline = timeline
        self.on_frame = on_frame
        self.on_score = on_score
        if worker is None:
            worker = FaceWorker(settings=settings, room_scan_interval=room_scan_interval)
        worker.on_score = self._score
        self.worker = worker
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


class PreparedFaceWorker:
    """One face worker kept prepared between calls (media.face.worker.FaceWorker.prepare): its
    processes load the libraries and the model (a core for about a second) while no call is on,
    so that a call's face matching starts without waiting for them and without sharing the
    cores with their loading while the call itself starts. A call takes it; the next is prepared
    once that call has ended. Any thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._worker: FaceWorker | None = None
        self._closed = False

    def prepare(self) -> None:
        """Have one prepared (starting its processes takes a few milliseconds; they load on
        their own). Nothing when one is, or after close()."""
        from media.face.worker import FaceWorker

        with self._lock:
            if self._closed or (self._worker is not None and self._worker.prepared):
                return
            stale, self._worker = self._worker, None
        if stale is not None:  # its scorer died: never handed to a call
            stale.stop()
        try:
            worker = FaceWorker(settings=self.settings).prepare()
        except Exception as error:  # the call starts one of its own, and says why it cannot
            log.warning("face worker not prepared ahead of the call: %s", error)
            return
        with self._lock:
            kept = not self._closed and self._worker is None
            if kept:
                self._worker = worker
        if not kept:  # closed meanwhile, or another thread prepared one first
            worker.stop()

    def take(self) -> FaceWorker | None:
        """The prepared worker for a call (not started: CallFaceMatch starts it with the
        reference photo), or None when there is none alive."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None and not worker.prepared:
            log.warning("the prepared face worker had ended; the call starts one of its own")
            worker.stop()
            return None
        return worker

    def close(self) -> None:
        with self._lock:
            self._closed = True
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()
