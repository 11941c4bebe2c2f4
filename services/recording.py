"""Recording a live call and keeping its timeline: the wiring the console and `record-probe` share.

    recording = SessionRecording(call, database, settings, sealer=sealer)   # before take_next()
    applicant = call.take_next().result()
    recording.begin(applicant.session_id)       # every leg recorded from now on, legs and
                                                # connection events stored in the database
    call.frames.subscribe(recording.timeline.frame_seen)   # with face scoring:
    ... recording.timeline.add(score) ...       # face scores, from any thread
    recording.store()                           # about once a second, off the Qt thread
    recording.close()                           # at hang-up: the last scores, legs and events

Face scores go onto the recording's clock (the session clock: seconds since the session's first
leg started, as storage.recordings defines it) with their boxes, whatever clock the frames were
offered to the face worker on; "more than one face" and "liveness failed" become timeline events
the first time they are seen, and each liveness challenge two events: asked, then passed, failed or not judged
(with when it was asked and when, at which frame, it was met). The applicant's camera reports and
what they raised (a virtual camera, injection suspected: app.camera) go onto the same clock as events.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.camera import CameraProblem, CameraReport, CameraRules, CameraVerdict, CameraWatch, load_camera_rules
from app.console import RecordingState
from app.face import FaceBoxInFrame, Liveness, LivenessRecord
from app.ids import SessionId
from app.settings import Settings

if TYPE_CHECKING:
    from app.recording_store import RecordingStore
    from media.recording.call import CallRecording
    from media.recording.recorder import RecorderStats
    from media.recording.upload import RecordingUploader
    from storage.database import Database
    from storage.recordings import TimelineSample

log = logging.getLogger(__name__)


class DatabaseRecordingListener:
    """Writes legs, recorder results and connection events on one writer thread, so the media
    thread never waits on the database."""

    def __init__(
        self, database: Database, session_id: SessionId, directory: str, recordings_root: Path | None = None
    ) -> None:
        """With the recordings folder, each closed leg is covered by the audit chain."""
        from storage.recordings import RecordingRecords

        self.records = RecordingRecords(database, recordings_root)
        self.session_id = session_id
        self.directory = directory
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recording-db")
        self._pending: list[Future[Any]] = []

    def _submit(self, function: Any, *args: Any, **kwargs: Any) -> None:
        future = self._writer.submit(function, *args, **kwargs)
        future.add_done_callback(_log_failure)
        self._pending.append(future)

    def leg_started(self, leg: int, started_at: float) -> None:
        self._submit(
            self.records.leg_started,
            self.session_id,
            leg,
            self.directory,
            datetime.fromtimestamp(started_at, UTC),
        )

    def leg_finished(self, leg: int, state: str, duration: float, stats: RecorderStats) -> None:
        self._submit(
            self.records.leg_finished,
            self.session_id,
            leg,
            state=state,
            duration=duration,
            segments=stats.segments,
            bytes_written=stats.bytes_written,
            frames_dropped=stats.video_dropped,
        )

    def event(self, kind: str, at: float, leg: int, details: dict[str, Any]) -> None:
        self._submit(
            self.records.add_event,
            self.session_id,
            kind,
            at=datetime.fromtimestamp(at, UTC),
            leg_number=leg,
            details=details,
        )

    def samples(self, samples: list[TimelineSample]) -> None:
        """Face scores on the recording's clock (with their boxes)."""
        self._submit(self.records.save_samples, self.session_id, samples)

    def flag_raised(self, kind: str, t: float, leg: int, details: dict[str, Any] | None = None) -> None:
        """A flag first seen (more than one face, liveness failed): a marker on the timeline."""
        self._submit(
            self.records.add_event, self.session_id, kind, t=t, leg_number=leg, details=details or {}
        )

    def close(self) -> None:
        self._writer.shutdown(wait=True)


def _log_failure(future: Future[Any]) -> None:
    error = future.exception()
    if error is not None:
        log.error("storing the recording's timeline failed: %s", error)


class ScoreTimeline:
    """Face scores of one session, converted to the session clock and stored in batches.

    `frame_seen` (media thread) remembers each frame's size, leg and wall time by sequence;
    `add` (face worker thread) queues a score; `store` (a thread that may wait on the database)
    writes the queued scores with their boxes."""

    def __init__(
        self, database: Database, session_id: SessionId, listener: DatabaseRecordingListener
    ) -> None:
        self.database = database
        self.session_id = session_id
        self.listener = listener
        self._zero: float | None = None  # wall time of the session clock's zero
        self._frames: dict[int, tuple[int, int, int, float, float]] = {}  # w, h, leg, wall, monotonic
        self._queued: list[tuple[Any, float, int, int, int]] = []  # score, wall, leg, w, h
        self._events: list[tuple[str, dict[str, Any], float, int]] = []  # kind, details, wall, leg
        self._seen: set[str] = set()
        # The console's FaceCheck folds the same scores with the same LivenessRecord.
        self.liveness = LivenessRecord()
        self._lock = threading.Lock()
        self.stored = 0

    def frame_seen(self, sample: Any) -> None:
        with self._lock:
            if len(self._frames) > 300:  # the worker has stopped scoring: forget the oldest
                self._frames.pop(min(self._frames))
            self._frames[int(sample.sequence)] = (
                int(sample.width),
                int(sample.height),
                int(sample.leg),
                float(sample.wall_time),
                float(sample.received_at),
            )

    def add(self, score: Any) -> None:
        with self._lock:
            info = self._frames.get(int(score.frame))
            if info is None:
                # A frame we did not see offered: its time is taken as monotonic.
                width = height = 0
                leg = 1
                wall = time.time() - (time.monotonic() - float(score.frame_time))
            else:
                width, height, leg, frame_wall, frame_monotonic = info
                wall = frame_wall + (float(score.frame_time) - frame_monotonic)
                if abs(float(score.frame_time) - frame_wall) < 1.0:  # offered on the wall clock
                    wall = float(score.frame_time)
            self._queued.append((score, wall, leg, width, height))
            # The worker scores only the newest frame: older frames will never be scored.
            for key in [k for k in self._frames if k <= int(score.frame)]:
                self._frames.pop(key, None)

    def camera(self, verdict: CameraVerdict, leg: int, wall: float) -> None:
        """The applicant's camera as reported at `wall` (time.time()): the report, and each
        finding it raised, as timeline events (stored with the next scores; any thread)."""
        from storage.recordings import EventKind

        events: list[tuple[str, dict[str, Any], float, int]] = []
        if verdict.report is not None and not any(
            f.problem in (CameraProblem.REPORT_REFUSED, CameraProblem.NOT_REPORTED) for f in verdict.new
        ):
            events.append((EventKind.CAMERA_REPORTED, verdict.report.as_json(), wall, leg))
        for finding in verdict.new:
            kind = (
                EventKind.VIRTUAL_CAMERA
                if finding.problem is CameraProblem.VIRTUAL_CAMERA
                else EventKind.INJECTION_SUSPECTED
            )
            label = verdict.report.label if verdict.report is not None else ""
            events.append((kind, finding.as_json() | {"label": label}, wall, leg))
        with self._lock:
            self._events.extend(events)

    def _session_zero(self, fallback: float | None) -> float | None:
        if self._zero is None:
            from storage.recordings import RecordingRecords
            from storage.reviews import session_legs

            legs = session_legs(self.database, self.session_id)
            if legs:
                self._zero = legs[0][1].timestamp()
            else:
                recordings = RecordingRecords(self.database).recordings(self.session_id)
                if recordings:
                    self._zero = recordings[0].started_at.timestamp()
                elif fallback is not None:
                    log.warning("session %s has no leg yet: scores timed from the first", self.session_id)
                    self._zero = fallback
        return self._zero

    def store(self, *, final: bool = False) -> int:
        """Write the queued scores; returns how many. Until the session's first leg is in the
        database the scores wait (at the final store, the first score's time is the zero)."""
        from storage.recordings import EventKind, TimelineSample

        with self._lock:
            queued, self._queued = self._queued, []
            events, self._events = self._events, []
        if not queued and not events:
            return 0
        first_wall = min([item[1] for item in queued[:1]] + [event[2] for event in events[:1]])
        try:
            zero = self._session_zero(first_wall if final else None)
        except Exception as error:
            log.warning("the session clock of session %s is not known yet: %s", self.session_id, error)
            zero = None
        if zero is None:
            with self._lock:
                self._queued[:0] = queued
                self._events[:0] = events
            return 0
        for kind, details, wall, leg in events:
            self.listener.flag_raised(kind, max(0.0, wall - zero), leg, details)
        if not queued:
            return 0
        samples = []
        for score, wall, leg, width, height in queued:
            t = max(0.0, wall - zero)
            box = None
            if score.box is not None:
                top, right, bottom, left = (int(v) for v in score.box)
                box = FaceBoxInFrame(top, right, bottom, left, width, height)
            flags = [str(getattr(flag, "value", flag)) for flag in score.flags]
            live = getattr(score.live, "live", score.live)
            samples.append(
                TimelineSample(
                    t=t, faces=score.faces, similarity=score.similarity, distance=score.distance,
                    matched=bool(score.match), live=live, flags=flags, box=box, leg_number=leg,
                )
            )  # fmt: skip
            if (score.faces > 1 or "several_faces" in flags) and "faces" not in self._seen:
                self._seen.add("faces")
                self.listener.flag_raised(EventKind.MULTIPLE_FACES, t, leg)
            turned = self.liveness.observe(t, live)
            if turned is Liveness.FAILED:  # each time it turns to failed, as the console shows it
                self.listener.flag_raised(EventKind.LIVENESS_FAILED, t, leg)
            elif turned is Liveness.PASSED and self.liveness.ever_failed:
                self.listener.flag_raised(EventKind.LIVENESS_PASSED, t, leg)
            challenge = getattr(score, "challenge", None)
            if challenge is not None:
                self._challenge(challenge, score, t, leg)
        self.listener.samples(samples)
        self.stored += len(samples)
        return len(samples)

    def _challenge(self, challenge: Any, score: Any, t: float, leg: int) -> None:
        """A challenge's events, on the session clock (its times are on the score's clock)."""
        from storage.recordings import EventKind

        def on_session_clock(moment: float) -> float:
            return round(max(0.0, t + (moment - float(score.frame_time))), 3)

        kind = challenge.kind.value
        asked_at = challenge.asked_t if challenge.asked_t is not None else challenge.t
        key = f"challenge {kind} {asked_at:.3f}"
        if key not in self._seen:  # its first update: asked (also when settled on that update)
            self._seen.add(key)
            self.listener.flag_raised(
                EventKind.CHALLENGE_ASKED, on_session_clock(asked_at), leg, {"kind": kind}
            )
        settled = {
            "passed": EventKind.CHALLENGE_PASSED,
            "failed": EventKind.CHALLENGE_FAILED,
            "not_judged": EventKind.CHALLENGE_NOT_JUDGED,
        }.get(challenge.state.value)
        if settled is not None:
            passed = settled is EventKind.CHALLENGE_PASSED
            met_t = on_session_clock(challenge.t) if passed else None
            self.listener.flag_raised(
                settled,
                on_session_clock(challenge.t),
                leg,
                {
                    "kind": kind,
                    "asked_t": on_session_clock(asked_at),
                    "met_t": met_t,
                    "frame": int(score.frame) if passed else None,
                },
            )


class CameraTimeline:
    """The applicant's camera reports of one call (media.call.ReviewerCall.on_camera): checked
    against the bank's camera rules (app.camera), put on the session's timeline with what they
    raised, and given to whoever listens (the console's window). A leg that delivers video
    (ReviewerCall.on_video) with no report from its page within `report_seconds` raises
    "injection suspected" (the bank's page reports before its offer; a page that skips it is not
    the bank's)."""

    def __init__(
        self,
        rules: CameraRules,
        wall_clock: Callable[[], float] = time.time,
        *,
        report_seconds: float = 5.0,
        schedule: Callable[[float, Callable[[], None]], Callable[[], None]] | None = None,
    ) -> None:
        """`schedule(seconds, check)` runs `check` once after `seconds` and returns its cancel
        (a threading.Timer by default)."""
        self.watch = CameraWatch(rules)
        self.listeners: list[Callable[[CameraVerdict], None]] = []
        self.wall_clock = wall_clock
        self.report_seconds = report_seconds
        self.schedule = schedule or _timer
        self.timeline: ScoreTimeline | None = None
        self.session_id: SessionId | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._reported_legs: set[int] = set()
        self.video_legs: list[int] = []  # the legs that delivered video, as told
        self._pending: list[Callable[[], None]] = []  # cancels of the checks not run yet
        self._stopped = False

    def follow(self, call: Any, timeline: ScoreTimeline | None, session_id: SessionId) -> None:
        self.timeline, self.session_id = timeline, session_id
        if hasattr(call, "on_camera"):  # a call that cannot report a camera has nothing to follow
            self._unsubscribe.append(call.on_camera(self.reported))
            if hasattr(call, "on_video"):
                self._unsubscribe.append(call.on_video(self.video_started))

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            pending, self._pending = self._pending, []
        for cancel in pending:
            cancel()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self.listeners.clear()

    # the media thread: no database here (the timeline stores it with the next scores)
    def reported(self, report: CameraReport | None, refused: str, leg: int) -> None:
        """One report (None with `refused`: the intake refused one the page should never send)."""
        with self._lock:
            self._reported_legs.add(leg)
            verdict = (
                self.watch.observe(report)
                if report is not None
                else self.watch.refused(refused or "malformed")
            )
        self._tell(verdict, leg)

    def video_started(self, leg: int) -> None:
        """The first video frame of `leg`: its page has `report_seconds` to have reported."""
        with self._lock:
            self.video_legs.append(leg)
            if self._stopped or self._covered(leg):
                return
            self._pending.append(self.schedule(self.report_seconds, lambda: self._check(leg)))

    def _covered(self, leg: int) -> bool:
        # A report told with a later leg covers this one (its number is the intake's guess).
        return any(reported >= leg for reported in self._reported_legs)

    def _check(self, leg: int) -> None:
        with self._lock:
            if self._stopped or self._covered(leg):
                return
            verdict = self.watch.not_reported()
        if verdict.new:  # raised once a call
            self._tell(verdict, leg)

    def _tell(self, verdict: CameraVerdict, leg: int) -> None:
        if verdict.new:
            log.warning(
                "session %s: camera %r: %s",
                self.session_id,
                verdict.report.label if verdict.report is not None else "",
                ", ".join(f"{f.problem.value} ({f.detail})" for f in verdict.new),
            )
        if self.timeline is not None:
            self.timeline.camera(verdict, max(1, leg), self.wall_clock())
        for listener in list(self.listeners):
            try:
                listener(verdict)
            except Exception:
                log.exception("a camera listener failed")


def _timer(seconds: float, check: Callable[[], None]) -> Callable[[], None]:
    timer = threading.Timer(seconds, check)
    timer.daemon = True
    timer.start()
    return timer.cancel


class SessionRecording:
    """One call's recording (media.recording.CallRecording) with its database listener and
    score timeline, for one applicant. The applicant's camera reports are checked against the
    bank's camera rules (app.camera) and go onto the timeline with what they raised; whoever
    listens (the console's window) gets each verdict too."""

    def __init__(
        self,
        call: Any,
        database: Database,
        settings: Settings,
        *,
        sealer: Any = None,
        camera_rules: CameraRules | None = None,
    ) -> None:
        """`sealer` (services.configured_sealer()): the legs are encrypted at rest; they then
        replay only with the same key. `camera_rules`: read from settings.camera_rules_file
        when not given."""
        from media.recording.call import CallRecording

        self.call = call
        self.database = database
        self.settings = settings
        self.camera = CameraTimeline(
            camera_rules or load_camera_rules(settings.camera_rules_file),
            report_seconds=settings.camera_report_seconds,
        )
        self.recording: CallRecording = CallRecording(call, sealer=sealer).start()
        self.listener: DatabaseRecordingListener | None = None
        self.timeline: ScoreTimeline | None = None
        self.session_id: SessionId | None = None
        self.directory: Path | None = None
        self._closed = False
        self._recorded = False
        self.uploader: RecordingUploader | None = None

    def begin(self, session_id: SessionId) -> Path:
        """Record every leg of this session from now on; returns the session's folder."""
        from storage.recordings import session_directory_name

        name = session_directory_name(session_id)
        self.session_id = session_id
        self.directory = self.settings.recordings_dir / name
        self.listener = DatabaseRecordingListener(
            self.database, session_id, name, self.settings.recordings_dir
        )
        self.timeline = ScoreTimeline(self.database, session_id, self.listener)
        self.recording.begin(self.directory, self.listener)
        self.camera.follow(self.call, self.timeline, session_id)
        store = _shared_store(self.settings, self.database)
        if store is not None:
            from media.recording.upload import RecordingUploader

            # Each finished segment goes to the shared store while the call goes on.
            self.uploader = RecordingUploader(self.directory, store).start()
        return self.directory

    @property
    def state(self) -> tuple[RecordingState, str]:
        """The recording's state and the recorder's message."""
        from media.recording import RecorderState

        state = self.recording.state
        if state is RecorderState.DISK_FULL:
            return RecordingState.DISK_FULL, self.recording.message
        if state is RecorderState.WRITE_FAILED:
            return RecordingState.WRITE_FAILED, self.recording.message
        if self.recording.recorder is not None:
            self._recorded = True
        # Between legs (the applicant dropped) the recording is still on: the next leg records.
        return (RecordingState.RECORDING if self._recorded else RecordingState.OFF), ""

    def store(self, *, final: bool = False) -> None:
        if self.timeline is not None:
            try:
                self.timeline.store(final=final)
            except Exception:
                log.exception("face scores of session %s not stored", self.session_id)

    def close(self) -> None:
        """Finish the last leg and wait for the timeline's writes. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.camera.stop()
        self.store(final=True)
        self.recording.close()
        if self.listener is not None:
            self.listener.close()
        if self.uploader is not None:
            state = self.uploader.close()
            if state.store_down or state.pending:
                log.warning(
                    "session %s: the recording waits in the local spool for the shared store (%s)",
                    self.session_id,
                    state.last_error or f"{state.pending} files",
                )


def _shared_store(settings: Settings, database: Database) -> RecordingStore | None:
    from storage.recording_store import recording_store_for

    return recording_store_for(settings, database)


def upload_spool(settings: Settings, database: Database) -> threading.Thread | None:
    """Send what this workstation's recordings folder holds and the shared store lacks (a call
    recorded while the store was down, or cut short by a crash), on a background thread."""
    store = _shared_store(settings, database)
    root = settings.recordings_dir
    if store is None or not root.is_dir():
        return None

    def upload() -> None:
        from media.recording.upload import upload_folder

        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            state = upload_folder(folder, store)
            if state.store_down:
                log.warning("the shared recording store is down; the spool is sent at the next start")
                return

    thread = threading.Thread(target=upload, name="upload-spool", daemon=True)
    thread.start()
    return thread


def upload_recordings(settings: Settings, database: Database) -> list[dict[str, Any]] | None:
    """`recordings upload`: send, now and folder by folder, what this workstation's recordings
    folder holds and the shared store lacks; what became of each folder (directory, uploaded,
    bytes, pending, store_down). None: there is no shared store (SQLite with recording_store =
    auto, or local)."""
    from media.recording.upload import upload_folder

    store = _shared_store(settings, database)
    if store is None:
        return None
    root = settings.recordings_dir
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    states = [(folder.name, upload_folder(folder, store)) for folder in folders]
    return [{"directory": name, "uploaded": state.uploaded, "bytes": state.bytes,
             "pending": state.pending, "store_down": state.store_down} for name, state in states]  # fmt: skip
