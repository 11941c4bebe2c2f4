"""Recording a whole live call: one LegRecorder per leg of a media.call.ReviewerCall.

    recording = CallRecording(call).start()          # subscribes to the call's frames and audio
    applicant = call.take_next().result()
    recording.begin(session_dir, listener=my_listener)   # from now on every leg is recorded
    ...                                   # legs come and go with the call
    recording.state / recording.message   # the worst recorder state so far (show warnings)
    recording.close()                     # when the call ends (or the console closes)

`listener` gets plain-Python calls on a thread of the recording (never the Qt thread; each
is short: hand them to the database writer), so the composition root can store the timeline
without media importing storage:

    listener.leg_started(leg, started_at_wall)               # a recorder began for leg N
    listener.leg_finished(leg, state, duration, stats)       # its recorder closed
    listener.event(kind, wall_time, leg, details)            # connection dropped/restored/failed

Both sides' audio comes from `ReviewerCall.on_audio_frame`: "applicant" (received) and
"reviewer" (what the console sends: the microphone, or its silence or tone), every leg.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from media.recording.recorder import LegRecorder, RecorderState, RecorderStats
from media.recording_format.sealing import SegmentSealer

log = logging.getLogger(__name__)


class RecordingListener(Protocol):
    def leg_started(self, leg: int, started_at: float) -> None: ...

    def leg_finished(self, leg: int, state: str, duration: float, stats: RecorderStats) -> None: ...

    def event(self, kind: str, at: float, leg: int, details: dict[str, Any]) -> None: ...


class CallRecording:
    def __init__(
        self,
        call: Any,
        session_directory: Path | None = None,
        *,
        listener: RecordingListener | None = None,
        fps: float = 30.0,
        segment_seconds: float = 1.0,
        sealer: SegmentSealer | None = None,
    ) -> None:
        """`sealer`: encrypt every leg at rest (see LegRecorder; services.configured_sealer())."""
        self.call = call
        self.session_directory = None if session_directory is None else Path(session_directory)
        self.listener = listener
        self.fps = fps
        self.segment_seconds = segment_seconds
        self.sealer = sealer
        self._lock = threading.Lock()
        self._recorder: LegRecorder | None = None
        self._leg = 0
        self._finished: list[threading.Thread] = []
        self._unsubscribe: list[Callable[[], None]] = []
        self._worst = RecorderState.RECORDING
        self._message = ""
        self._last_state: Any = None
        self._closed = False

    def start(self) -> CallRecording:
        self._unsubscribe.append(self.call.frames.subscribe(self._on_frame))
        self._unsubscribe.append(self.call.on_status(self._on_status))
        self._unsubscribe.append(self.call.on_audio_frame(self._on_audio_frame))
        return self

    def begin(self, session_directory: Path, listener: RecordingListener | None = None) -> None:
        """Where this call's legs go (known once the applicant is taken); nothing is recorded
        before."""
        with self._lock:
            self.session_directory = Path(session_directory)
            self.listener = listener

    @property
    def recorder(self) -> LegRecorder | None:
        return self._recorder

    @property
    def state(self) -> RecorderState:
        recorder = self._recorder
        if recorder is not None and recorder.state.is_warning:
            return recorder.state
        return self._worst

    @property
    def message(self) -> str:
        recorder = self._recorder
        if recorder is not None and recorder.state.is_warning:
            return recorder.message
        return self._message

    def close(self, timeout: float = 15.0) -> None:
        with self._lock:
            self._closed = True
        for unsubscribe in self._unsubscribe:
            with contextlib.suppress(Exception):
                unsubscribe()
        self._unsubscribe.clear()
        self._finish_leg(wait=True)
        for thread in self._finished:
            thread.join(timeout)

    # -- on the media thread: short ---------------------------------------------------------

    def _recorder_for(self, leg: int) -> LegRecorder | None:
        with self._lock:
            if self._closed or leg <= 0 or self.session_directory is None:
                return None
            if leg != self._leg:
                self._finish_leg(wait=False)
                self._leg = leg
                self._recorder = LegRecorder(
                    self.session_directory,
                    leg,
                    fps=self.fps,
                    segment_seconds=self.segment_seconds,
                    sealer=self.sealer,
                )
                started_at = self._recorder.started_at
                if self.listener is not None:
                    self._notify(self.listener.leg_started, leg, started_at)
            return self._recorder

    def _on_frame(self, sample: Any) -> None:
        recorder = self._recorder_for(int(sample.leg))
        if recorder is not None:
            recorder.add_video(sample.image, sample.received_at)

    def _on_audio_frame(self, frame: Any, source: str) -> None:
        recorder = self._recorder
        if recorder is not None and source in ("applicant", "reviewer"):
            with contextlib.suppress(Exception):
                recorder.add_audio(frame, source=source)  # type: ignore[arg-type]

    def _on_status(self, status: Any) -> None:
        state = getattr(status.state, "value", str(status.state))
        previous, self._last_state = self._last_state, state
        if state == previous:
            return
        kind = {
            "reconnecting": "connection.dropped",
            "connection_failed": "connection.failed",
        }.get(state)
        if state == "connected" and previous == "reconnecting":
            kind = "connection.restored"
        if kind is not None and self.listener is not None and self.session_directory is not None:
            self._notify(self.listener.event, kind, time.time(), int(status.leg), {"message": status.message})
        if state == "connected":
            self._recorder_for(int(status.leg))
        elif state in ("connection_failed", "hung_up"):
            self._finish_leg(wait=False)

    def _finish_leg(self, *, wait: bool) -> None:
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return
        leg = recorder.leg_number

        def finish() -> None:
            stats = recorder.close()
            if recorder.state.is_warning:
                self._worst = recorder.state
                self._message = recorder.message
                if self.listener is not None:
                    self._notify(
                        self.listener.event,
                        "recording.warning",
                        time.time(),
                        leg,
                        {"state": recorder.state.value, "message": recorder.message},
                    )
            if self.listener is not None:
                self._notify(self.listener.leg_finished, leg, recorder.state.value, recorder.elapsed(), stats)

        if wait:
            finish()
        else:
            # Closing flushes the last segment: not on the media thread.
            thread = threading.Thread(target=finish, name=f"recorder-close-leg{leg}", daemon=True)
            thread.start()
            self._finished.append(thread)

    @staticmethod
    def _notify(function: Callable[..., None], *args: Any) -> None:
        try:
            function(*args)
        except Exception:
            log.exception("a recording listener failed")
