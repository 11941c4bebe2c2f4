"""The live face worker: face matching in a separate process, always on the newest frame.

dlib's encoder holds the GIL for ~125 ms a face, so face work in a thread of the console
would stall video and GUI. ``FaceWorker`` runs ``FacePipeline`` in a child process (spawned,
so it is safe next to Qt and asyncio threads) and a second, low-priority child that looks
for other people in the room (YuNet at twice the size with the SFace engine, dlib's CNN
detector with dlib) every ``room_scan_interval`` seconds
(default: the setting face_room_scan_seconds, 5; 0 turns it off).

API (all methods may be called from any thread; none of them waits on face work)::

    from media.face.worker import FaceWorker

    worker = FaceWorker(settings=settings, on_score=callback)  # limits and threshold from settings
    worker.prepare()                    # optional, returns at once: the children load the models
    worker.start(reference_image=photo_bytes)      # or reference_encoding=[128 floats]
    # blocks ~1-3 s while the child loads the models (unless prepare() was called long enough
    # before); raises FaceWorkerError on a bad photo or missing models.
    worker.offer_frame(frame_bgr, t, index)  # numpy uint8 HxWx3 BGR (640x480 from aiortc), t in s
    # returns True at once (~0.3 ms copy into shared memory; False if not running or the
    # frame is larger than max_frame_size). Only the newest frame is kept:
    # a frame the worker has not taken yet is overwritten; there is never a backlog.
    scores = worker.poll()              # FaceScore list since the last poll (oldest first)
    worker.stop()                       # safe at any time, twice, or after a failed start

Results: each processed frame gives one ``app.face.FaceScore`` (about 15-25 a second on a
640x480 call): ``frame_time``, ``frame`` (the index offered), ``faces``, ``box`` (top, right,
bottom, left in the offered frame's pixels), ``distance``, ``similarity`` (0-100, 50 = the
threshold), ``match``, ``flags`` (no_face, several_faces, too_small, too_dark, too_blurred,
partly_covered), ``live`` (True / False / None = not decided), ``liveness`` (blinks, head
movement), ``encoded`` (a fresh encoding on this frame) and ``latency_ms`` (from
``offer_frame`` to the score arriving here). Whether a match is *sustained*, and attempts,
are app.face_policy's business.
``on_score`` (optional) is called for each score from the worker's reader thread: keep it
short and hand over to your own thread (e.g. a Qt signal, ``loop.call_soon_threadsafe``).
``poll()`` keeps at most ``keep_scores`` unread scores (the oldest are dropped).

Another face model: pass ``engine_factory`` (a module-level class or function returning a
``media.face.engine.FaceEngine``; it runs in the child) and a threshold on its scale.
The program's main module must be import-safe (``if __name__ == "__main__":``), as for any
spawned process; main.py and pytest are.

Frame times ``t`` are the caller's clock (media time of the track, or ``time.monotonic()``);
they drive the encoding rate and liveness, so they must increase. Frames up to
``max_frame_size`` (default 1920x1080) are accepted; larger ones are scaled by the caller.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.face import ChallengeKind, FaceScore
from media.face.engine import FaceEngine, RoomScanner
from media.face.pipeline import PipelineConfig, with_latency

if TYPE_CHECKING:
    from multiprocessing.shared_memory import SharedMemory

    import numpy as np
    import numpy.typing as npt

    from app.settings import Settings

log = logging.getLogger(__name__)

# The worker's processes below the console's window and call (nice 0) on the CPU. Not lower:
# at nice 10, beside two busy programs, the scorer fell from 15.4 to 3.6 updates a second
# (p95 205 -> 714 ms; docs/responsiveness.md), too few to see a blink asked for.
SCORER_NICENESS = 3
ROOM_SCAN_NICENESS = 10

_HEADER = 8  # float64 slots: seq, t, index, height, width, offered_at (monotonic), unused x2
_HEADER_BYTES = _HEADER * 8


class FaceWorkerError(RuntimeError):
    """The worker could not start (bad reference photo, missing models) or died."""


@dataclass(frozen=True)
class _Shared:
    """What the children need to find the frame slot and talk back (picklable for spawn)."""

    shm_name: str
    capacity: int
    lock: Any
    new_frame: Any
    stop: Any
    results: Any
    room: Any  # Array('d', 3): frame t of the last scan, faces found, scans done
    commands: Any  # Queue of challenges to issue: ChallengeKind values
    reference: Any  # Queue of one item: the reference photo's bytes or its 128 floats


class FaceWorker:
    def __init__(
        self,
        config: PipelineConfig | None = None,
        *,
        settings: Settings | None = None,
        threshold: float | None = None,
        room_scan_interval: float | None = None,
        on_score: Callable[[FaceScore], None] | None = None,
        max_frame_size: tuple[int, int] = (1920, 1080),
        keep_scores: int = 600,
        engine_factory: Callable[[], FaceEngine] | None = None,
        room_scanner_factory: Callable[[], RoomScanner] | None = None,
    ) -> None:
        # The limits and the room-scan interval come from the settings (AUDIT_* variables,
        # the TOML file) unless given; ``threshold`` alone overrides face_match_threshold.
        if config is None or room_scan_interval is None:
            if settings is None:
                from app.settings import load_settings

                settings = load_settings()
            if config is None:
                config = PipelineConfig.from_settings(settings, threshold=threshold)
            if room_scan_interval is None:
                room_scan_interval = settings.face_room_scan_seconds
        self.config = config
        self.room_scan_interval = room_scan_interval
        # Module-level callables (classes): they are pickled by name into the children.
        self.engine_factory = engine_factory
        self.room_scanner_factory = room_scanner_factory
        self.on_score = on_score
        self._capacity = max_frame_size[0] * max_frame_size[1] * 3
        self._scores: deque[FaceScore] = deque(maxlen=keep_scores)
        self._scores_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._shm: SharedMemory | None = None
        self._shared: _Shared | None = None
        self._processes: list[Any] = []
        self._reader: threading.Thread | None = None
        self._stopping = threading.Event()
        self._seq = 0
        self._done_seq = 0
        self._done = threading.Condition()
        self.error: str | None = None
        self.dropped_offers = 0
        self._started = False  # the reference given and the scorer ready

    # -- life cycle -------------------------------------------------------------------------

    def prepare(self) -> FaceWorker:
        """Start the children now, without the reference: they load their libraries and models
        (a core for about a second) while nobody waits, and a later start() only hands over the
        reference photo. The console keeps one prepared between calls, so that a call's start
        neither waits for the models nor shares the cores with their loading. Idempotent."""
        import multiprocessing
        from multiprocessing.shared_memory import SharedMemory

        with self._state_lock:
            if self._processes:
                return self
            context = multiprocessing.get_context("spawn")
            self._stopping.clear()
            self.error = None
            try:
                self._start_children(context, SharedMemory)
            except Exception as error:
                failure: Exception | None = error
            else:
                failure = None
        if failure is not None:  # nothing half-started left behind: processes, shared memory
            self.stop()
            raise FaceWorkerError(f"the face worker could not be started: {failure}") from failure
        return self

    def _start_children(self, context: Any, shared_memory: Any) -> None:
        """(Under _state_lock.) The frame slot, the queues and the children, started."""
        self._shm = shared_memory(create=True, size=_HEADER_BYTES + self._capacity)
        self._shared = _Shared(
            shm_name=self._shm.name,
            capacity=self._capacity,
            lock=context.Lock(),
            new_frame=context.Event(),
            stop=context.Event(),
            results=context.Queue(),
            room=context.Array("d", 3),
            commands=context.Queue(),
            reference=context.Queue(),
        )
        scorer = context.Process(
            target=_scorer_main,
            args=(self._shared, self.config, self.room_scan_interval, self.engine_factory),
            name="face-scorer",
            daemon=True,
        )
        self._processes = [scorer]
        if self.room_scan_interval > 0:
            scanner = context.Process(
                target=_room_scanner_main,
                args=(
                    self._shared,
                    self.config.max_width,
                    self.room_scan_interval,
                    self.room_scanner_factory,
                    self.config.engine,
                    self.config.models_dir,
                ),
                name="face-room-scan",
                daemon=True,
            )
            self._processes.append(scanner)
        for process in self._processes:
            process.start()

    @property
    def prepared(self) -> bool:
        """Children started (by prepare() or start()) and the scorer alive, whether or not it
        has its reference yet."""
        return bool(self._processes) and self._processes[0].is_alive() and not self._stopping.is_set()

    def start(
        self,
        reference_image: bytes | None = None,
        *,
        reference_encoding: Sequence[float] | None = None,
        timeout: float = 60.0,
    ) -> None:
        """Start the children (unless prepare() did), give them the reference and wait until
        they are ready to score frames."""
        if (reference_image is None) == (reference_encoding is None):
            raise ValueError("give exactly one of reference_image and reference_encoding")
        if self._started:
            raise FaceWorkerError("the face worker is already running")
        if self._processes and not self.prepared:  # prepared once, but its scorer has died since
            self.stop()
        self.prepare()
        shared = self._shared
        assert shared is not None
        reference: bytes | list[float] = (
            reference_image if reference_image is not None else [float(x) for x in reference_encoding or ()]
        )
        shared.reference.put(reference)
        ready = self._wait_ready(timeout)
        if not ready:
            message = self.error or "the face worker did not start in time"
            self.stop()
            raise FaceWorkerError(message)
        self._started = True
        self._reader = threading.Thread(target=self._read_results, name="face-results", daemon=True)
        self._reader.start()

    def _wait_ready(self, timeout: float) -> bool:
        assert self._shared is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self._shared.results.get(timeout=0.2)
            except queue.Empty:
                if not self._processes[0].is_alive():
                    self.error = self.error or f"the face worker exited (code {self._processes[0].exitcode})"
                    return False
                continue
            if message[0] == "ready":
                return True
            if message[0] == "loaded":  # the models are in (prepare()); the reference is next
                continue
            if message[0] == "error":
                self.error = str(message[1])
                return False
            if message[0] == "warning":
                log.warning("face worker: %s", message[1])
        return False

    def stop(self, timeout: float = 3.0) -> None:
        """Stop the children and free the shared memory. Idempotent; never raises."""
        with self._state_lock:
            self._stopping.set()
            shared, processes, shm = self._shared, self._processes, self._shm
            self._processes = []
            scoring, self._started = self._started, False
            if shared is not None:
                shared.stop.set()
                shared.new_frame.set()
            if not scoring:  # prepared, never given a call: nothing to finish; it may be loading
                for process in processes:
                    if process.pid is not None and process.is_alive():
                        process.terminate()
            deadline = time.monotonic() + timeout
            for process in processes:
                # Keep emptying the result queue: a child blocked on a full pipe cannot exit.
                while process.is_alive() and time.monotonic() < deadline:
                    if shared is not None:
                        with contextlib.suppress(Exception):
                            while True:
                                shared.results.get_nowait()
                    process.join(0.05)
                if process.is_alive():
                    process.terminate()
                    process.join(1.0)
                if process.is_alive():  # pragma: no cover - a child stuck in C code
                    process.kill()
                    process.join(1.0)
            reader = self._reader
            self._reader = None
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout)
        with self._state_lock:
            if shared is not None:
                with contextlib.suppress(Exception):
                    shared.results.close()
                    shared.results.join_thread()
                for unread in (shared.commands, shared.reference):  # unread, they do not matter now
                    with contextlib.suppress(Exception):
                        unread.cancel_join_thread()
                        unread.close()
                self._shared = None
            if shm is not None:
                with contextlib.suppress(Exception):
                    shm.close()
                with contextlib.suppress(Exception):
                    shm.unlink()
                self._shm = None
        with self._done:
            self._done.notify_all()

    def __enter__(self) -> FaceWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def process_ids(self) -> list[int]:
        """The scorer's and the room scanner's process ids (empty until prepared or started)."""
        return [process.pid for process in self._processes]

    @property
    def running(self) -> bool:
        """Scoring: started with its reference, and alive."""
        return self._started and self.prepared

    # -- frames in --------------------------------------------------------------------------

    def offer_frame(self, frame_bgr: npt.NDArray[np.uint8], t: float, index: int = -1) -> bool:
        """Hand over the newest frame; returns False if it was not taken (not running, too
        large, or the slot was busy for more than a few milliseconds)."""
        import numpy as np

        shm, shared = self._shm, self._shared
        if shm is None or shared is None or not self._started or self._stopping.is_set():
            return False
        if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3 or frame_bgr.dtype != np.uint8:
            raise ValueError("frames must be uint8 arrays of shape (height, width, 3), BGR")
        height, width = frame_bgr.shape[:2]
        size = height * width * 3
        if size > shared.capacity:
            self.dropped_offers += 1
            return False
        if not shared.lock.acquire(timeout=0.005):
            self.dropped_offers += 1
            return False
        try:
            self._seq += 1
            header = np.ndarray((_HEADER,), dtype=np.float64, buffer=shm.buf)
            target = np.ndarray((height, width, 3), dtype=np.uint8, buffer=shm.buf, offset=_HEADER_BYTES)
            np.copyto(target, frame_bgr)
            header[:6] = (self._seq, t, index, height, width, time.monotonic())
        finally:
            shared.lock.release()
        shared.new_frame.set()
        return True

    def ask_challenge(self, kind: ChallengeKind) -> bool:
        """Issue a liveness challenge; it is asked on the next frame the worker scores, and the
        scores from then on carry its status. False if the worker is not running."""
        shared = self._shared
        if shared is None or not self._started or self._stopping.is_set():
            return False
        shared.commands.put(kind.value)
        return True

    # -- scores out -------------------------------------------------------------------------

    def _read_results(self) -> None:
        shared = self._shared
        assert shared is not None
        while not self._stopping.is_set():
            try:
                message = shared.results.get(timeout=0.2)
            except (queue.Empty, EOFError, OSError):
                if self._processes and not self._processes[0].is_alive() and not self._stopping.is_set():
                    self.error = self.error or f"the face worker died (code {self._processes[0].exitcode})"
                    log.error("%s", self.error)
                    with self._done:
                        self._done.notify_all()
                    return
                continue
            kind = message[0]
            if kind == "score":
                _kind, score, offered_at, seq = message
                score = with_latency(score, (time.monotonic() - offered_at) * 1000.0)
                with self._scores_lock:
                    self._scores.append(score)
                with self._done:
                    self._done_seq = max(self._done_seq, int(seq))
                    self._done.notify_all()
                if self.on_score is not None:
                    try:
                        self.on_score(score)
                    except Exception:
                        log.exception("on_score callback failed")
            elif kind == "error":
                self.error = str(message[1])
                log.error("face worker: %s", self.error)
            elif kind == "warning":
                log.warning("face worker: %s", message[1])

    def poll(self) -> list[FaceScore]:
        """The scores that arrived since the last call, oldest first."""
        with self._scores_lock:
            scores = list(self._scores)
            self._scores.clear()
        return scores

    def drain(self, timeout: float = 3.0) -> bool:
        """Wait until the last offered frame has been scored (or dropped in favour of none)."""
        deadline = time.monotonic() + timeout
        with self._done:
            while self._done_seq < self._seq:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self.running:
                    return False
                self._done.wait(min(remaining, 0.1))
        return True


# -- the children ---------------------------------------------------------------------------


def _attach(shared: _Shared) -> SharedMemory:
    from multiprocessing.shared_memory import SharedMemory

    # Spawned children share the parent's resource tracker, so attaching registers the same
    # name again (harmless); the parent unlinks it in stop().
    return SharedMemory(name=shared.shm_name)


def _take_frame(
    shared: _Shared, shm: SharedMemory, last_seq: int
) -> tuple[int, float, int, float, Any] | None:
    import numpy as np

    with shared.lock:
        header = np.ndarray((_HEADER,), dtype=np.float64, buffer=shm.buf)
        seq = int(header[0])
        if seq in (last_seq, 0):
            return None
        t, index, height, width, offered_at = (float(x) for x in header[1:6])
        frame = np.ndarray(
            (int(height), int(width), 3), dtype=np.uint8, buffer=shm.buf, offset=_HEADER_BYTES
        ).copy()
    return seq, t, int(index), offered_at, frame


def _orphaned() -> bool:
    """True once the process that started this child is gone (a console killed or crashed, with
    no stop() sent): the child ends then instead of running on with no one to read it."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    return parent is not None and not parent.is_alive()


def _wait_for_reference(shared: _Shared) -> bytes | list[float] | None:
    """The reference photo (or encoding) start() hands over; None when stopped or orphaned first."""
    while not shared.stop.is_set():
        try:
            reference: bytes | list[float] = shared.reference.get(timeout=0.2)
        except queue.Empty:
            if _orphaned():
                return None
            continue
        return reference
    return None


@dataclass(frozen=True)
class _CoreWaitMark:
    """Where this thread's wait for a core stood at a moment (see _core_wait_so_far)."""

    run_queue: float | None  # seconds runnable but not on a core (Linux), if known
    wall: float
    cpu: float

    def until_now(self) -> float:
        """Seconds this thread waited for a core since the mark: the run-queue delay Linux
        keeps, else the wall time less the CPU time (an estimate: it counts blocking too)."""
        now = _core_wait_so_far()
        if self.run_queue is not None and now.run_queue is not None:
            return max(0.0, now.run_queue - self.run_queue)
        return max(0.0, (now.wall - self.wall) - (now.cpu - self.cpu))


def _core_wait_so_far() -> _CoreWaitMark:
    run_queue: float | None = None
    # /proc/thread-self/schedstat: time on a core, time waiting for one, slices (ns).
    with (
        contextlib.suppress(OSError, ValueError, IndexError),
        open("/proc/thread-self/schedstat", "rb") as stats,
    ):
        run_queue = int(stats.read().split()[1]) / 1e9
    return _CoreWaitMark(run_queue, time.monotonic(), time.thread_time())


def _scorer_main(
    shared: _Shared,
    config: PipelineConfig,
    room_scan_interval: float,
    engine_factory: Callable[[], FaceEngine] | None,
) -> None:
    with contextlib.suppress(OSError):
        # Under CPU contention the display and the GUI go first (a late score is better than a
        # stuttering call), from the start: loading the libraries and the model at a take took
        # a core for about a second. The room scan sits below it.
        os.nice(SCORER_NICENESS)
    try:
        import cv2
        import numpy as np

        from media.face.engine import default_engine
        from media.face.pipeline import FacePipeline
        from media.face.reference import check_reference_photo

        cv2.setNumThreads(1)
        if engine_factory is not None:
            engine = engine_factory()
        else:
            engine = default_engine(config.engine, config.models_dir)
        shared.results.put(("loaded", os.getpid()))
        reference = _wait_for_reference(shared)
        if reference is None:  # stopped, or orphaned, before a call needed it
            return
        if isinstance(reference, bytes):
            report = check_reference_photo(reference, engine=engine, limits=config.quality)
            if not report.ok or report.encoding is None:
                shared.results.put(("error", "reference photo rejected: " + "; ".join(report.problems)))
                return
            encoding = report.encoding
        else:
            encoding = reference
        if len(encoding) != 128:
            shared.results.put(("error", f"reference encoding has {len(encoding)} values, 128 expected"))
            return
        pipeline = FacePipeline(engine, np.asarray(encoding, dtype=np.float64), config)
        shm = _attach(shared)
    except Exception as error:
        shared.results.put(("error", f"{type(error).__name__}: {error}"))
        return
    shared.results.put(("ready", os.getpid()))
    last_seq = 0
    scans_seen = 0.0
    core_wait: float | None = None  # of the frame scored last
    try:
        while not shared.stop.is_set():
            if not shared.new_frame.wait(0.2):
                if _orphaned():
                    break
                continue
            shared.new_frame.clear()  # before taking: an offer during the copy sets it again
            if shared.stop.is_set():
                break
            taken = _take_frame(shared, shm, last_seq)
            if taken is None:
                continue
            seq, t, index, offered_at, frame = taken
            last_seq = seq
            with contextlib.suppress(queue.Empty):
                while True:
                    pipeline.ask(ChallengeKind(shared.commands.get_nowait()))
            room = shared.room
            if room[2] != scans_seen:
                # A scan takes a second or more: its count holds from now until the next one
                # is due (with a margin), on this frame's clock.
                scans_seen = room[2]
                pipeline.set_room_count(t, int(room[1]), valid_for=room_scan_interval + 2.0)
            # The challenges are given the wait for a core of the frame before (this frame's is
            # known once it is scored): "not judged" only when the machine kept the worker back.
            before = _core_wait_so_far()
            try:
                score = pipeline.process(frame, t, index, core_wait=core_wait)
            except Exception as error:  # one bad frame must not end the call's scoring
                shared.results.put(("error", f"frame {index}: {type(error).__name__}: {error}"))
                continue
            finally:
                core_wait = before.until_now()
            shared.results.put(("score", score, offered_at, seq))
    finally:
        with contextlib.suppress(Exception):
            shm.close()


def _room_scanner_main(
    shared: _Shared,
    max_width: int,
    interval: float,
    factory: Callable[[], RoomScanner] | None,
    engine: str,
    models_dir: str,
) -> None:
    with contextlib.suppress(OSError):
        os.nice(ROOM_SCAN_NICENESS)  # the scorer and the display come first
    import cv2
    import numpy as np

    from media.face.engine import default_room_scanner

    cv2.setNumThreads(1)
    try:
        scanner = factory() if factory is not None else default_room_scanner(engine, models_dir)
        shm = _attach(shared)
    except Exception as error:  # scoring goes on without it; the reader logs the warning
        shared.results.put(("warning", f"room scan unavailable: {type(error).__name__}: {error}"))
        return
    last_seq = 0
    scans = 0
    pause = 0.1  # until the first frame: look often, then scan at once
    try:
        while not shared.stop.wait(pause) and not _orphaned():
            taken = _take_frame(shared, shm, last_seq)
            if taken is None:
                pause = 0.1
                continue
            began = time.monotonic()
            seq, t, _index, _offered_at, frame = taken
            last_seq = seq
            height, width = frame.shape[:2]
            if width > max_width:
                size = (max_width, round(height * max_width / width))
                frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            found = scanner.scan(np.ascontiguousarray(frame[:, :, ::-1]))
            scans += 1
            with shared.room.get_lock():
                shared.room[0] = t
                shared.room[1] = len(found)
                shared.room[2] = scans
            # Scans start every `interval` seconds; a scan slower than that still leaves the
            # core a rest (half its duration) for the scorer and the display.
            took = time.monotonic() - began
            pause = max(interval - took, 0.5 * took)
    finally:
        with contextlib.suppress(Exception):
            shm.close()
