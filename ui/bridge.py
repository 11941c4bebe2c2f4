"""The one place where work crosses between Qt and the other threads of the console.

- CallBridge receives the media layer's callbacks on any thread and re-emits them as Qt
  signals on the Qt thread (queued). Video keeps only the newest frame: if the Qt thread is
  busy, older frames are dropped, never queued up.
- ServiceWorker runs blocking work (database, network, password hashing) on one worker
  thread (so database writes have a single writer) and delivers the result or the error
  back on the Qt thread.

Nothing else in ui/ starts threads or touches objects from other threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage

from app.camera import CameraVerdict
from app.console import AudioState, ConnectionState, RecordingState
from app.face import FaceScoreView
from app.queue import QueueSummary

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    BgrFrame = NDArray[np.uint8]
else:
    BgrFrame = Any

log = logging.getLogger(__name__)

T = TypeVar("T")
# Work for the worker's thread, what to do with its result and with its failure, on the Qt thread.
Job = tuple[Callable[[], Any], Callable[[Any], None], Callable[[BaseException], None]]


def bgr_to_qimage(image: BgrFrame) -> QImage:
    """Copy a BGR numpy frame into a QImage ready to paint (RGB32). Runs on the media thread.
    OpenCV converts it straight into the QImage's own pixels and lets go of the GIL meanwhile:
    Qt's convertToFormat held it for about a millisecond a frame, a stretch the window's
    thread could not get in."""
    import cv2
    import numpy as np

    height, width = image.shape[:2]
    qimage = QImage(width, height, QImage.Format.Format_RGB32)  # B, G, R, 0xff in memory
    pixels = np.frombuffer(qimage.bits(), dtype=np.uint8).reshape(height, qimage.bytesPerLine())
    target = pixels[:, : width * 4].reshape(height, width, 4)
    written = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2BGRA, dst=target)
    if not np.shares_memory(written, pixels):  # OpenCV chose a buffer of its own: copy it in
        target[...] = written
    return qimage


class CallBridge(QObject):
    """Implements app.console.CallEvents for one call. Public signals fire on the Qt thread."""

    frame_ready = Signal(QImage, float)
    score_ready = Signal(object)  # FaceScoreView
    connection_changed = Signal(object, int)  # ConnectionState, leg
    audio_changed = Signal(object)  # AudioState
    recording_changed = Signal(object, str)  # RecordingState, message
    queue_changed = Signal(object)  # QueueSummary
    camera_changed = Signal(object)  # app.camera.CameraVerdict

    _frame_waiting = Signal()
    _event = Signal(object)  # a callable to run on the Qt thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._newest: tuple[QImage, float] | None = None
        self._delivery_posted = False
        self._closed = False
        self.frames_received = 0
        self.frames_dropped = 0
        self._frame_waiting.connect(self._deliver_frame, Qt.ConnectionType.QueuedConnection)
        self._event.connect(self._run_event, Qt.ConnectionType.QueuedConnection)

    # --- CallEvents: called from the media thread, the face reader thread, anywhere ---

    def frame(self, image: BgrFrame, frame_time: float) -> None:
        if self._closed:
            return
        qimage = bgr_to_qimage(image)
        with self._lock:
            self.frames_received += 1
            if self._newest is not None:
                self.frames_dropped += 1
            self._newest = (qimage, frame_time)
            post = not self._delivery_posted
            self._delivery_posted = True
        if post:
            self._frame_waiting.emit()

    def face_score(self, score: FaceScoreView) -> None:
        self._post(partial(self.score_ready.emit, score))

    def connection(self, state: ConnectionState, leg: int) -> None:
        self._post(partial(self.connection_changed.emit, state, leg))

    def audio(self, state: AudioState) -> None:
        self._post(partial(self.audio_changed.emit, state))

    def recording(self, state: RecordingState, message: str) -> None:
        self._post(partial(self.recording_changed.emit, state, message))

    def queue(self, summary: QueueSummary) -> None:
        self._post(partial(self.queue_changed.emit, summary))

    def camera(self, verdict: CameraVerdict) -> None:
        self._post(partial(self.camera_changed.emit, verdict))

    # --- Qt thread ---

    def close(self) -> None:
        """Ignore whatever the call still reports (it has ended, or another call began)."""
        self._closed = True
        with self._lock:
            self._newest = None

    def _post(self, emit: Callable[[], None]) -> None:
        if not self._closed:
            self._event.emit(emit)

    def _run_event(self, emit: Callable[[], None]) -> None:
        if not self._closed:
            emit()

    def _deliver_frame(self) -> None:
        with self._lock:
            newest, self._newest = self._newest, None
            self._delivery_posted = False
        if newest is not None and not self._closed:
            self.frame_ready.emit(*newest)


class ServiceWorker(QObject):
    """One worker thread for blocking calls; results come back on the Qt thread, in order."""

    idle_changed = Signal(bool)
    _done = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        # Its thread started now, not at the first call (the call's worker: at the first take,
        # where starting a thread held the Qt thread 2-3 ms).
        self._executor.submit(int)
        self._pending = 0
        self._shut_down = False
        self._next_turn: list[Job] = []  # run_after_this_turn()
        self._done.connect(self._finish, Qt.ConnectionType.QueuedConnection)

    @property
    def pending(self) -> int:
        return self._pending

    def run(
        self,
        work: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        """Run work() on the worker; then on_success(result) or on_failure(error) on the Qt thread.
        Neither work nor anything it calls may touch a widget."""

        def job() -> None:
            outcome: Callable[[], Any]
            try:
                result = work()
            except Exception as error:
                log.warning("%s failed: %s", getattr(work, "__name__", work), error, exc_info=True)
                outcome = partial(on_failure, error)
            else:
                outcome = partial(on_success, result)
            self._done.emit(outcome)

        if self._shut_down:  # the window is closing: a late result asked for more work
            log.info("%s not run: the worker is shut down", getattr(work, "__name__", work))
            return
        self._pending += 1
        if self._pending == 1:
            self.idle_changed.emit(False)
        self._executor.submit(job)

    def run_after_this_turn(
        self,
        work: Callable[[], T],
        on_success: Callable[[T], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        """run(), once this turn of the Qt event loop has laid out and painted what the user just
        did (a 1 ms timer), in the order asked; shutdown() hands over what is still waiting.
        Saving an answer or a decision is 3-30 ms of Python (SQLAlchemy) on the worker; started
        at once, it took turns at the GIL with the Qt thread's layout and painting of the same
        moment and stretched that turn two to three times."""
        self._next_turn.append((work, on_success, on_failure))
        if len(self._next_turn) == 1:
            QTimer.singleShot(1, self, self.run_waiting)

    def run_waiting(self) -> None:
        """Hand over now what run_after_this_turn() keeps for the next turn."""
        jobs, self._next_turn = self._next_turn, []
        for work, on_success, on_failure in jobs:
            self.run(work, on_success, on_failure)

    def _finish(self, outcome: Callable[[], Any]) -> None:
        self._pending -= 1
        try:
            outcome()
        finally:
            if self._pending == 0:
                self.idle_changed.emit(True)

    def shutdown(self) -> None:
        """Wait for the running job; jobs not started yet still run, those waiting for the next
        turn too (a decision is never dropped)."""
        self.run_waiting()
        self._shut_down = True
        self._executor.shutdown(wait=True)
