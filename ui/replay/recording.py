"""Storing a live call's recording in the database: the glue between media.recording's
CallRecording (which knows nothing of storage) and storage.recordings. No Qt here, so the
console window and the headless `record-probe` command share it.

    listener = DatabaseRecordingListener(database, session_id, directory_name)
    recording = CallRecording(call, settings.recordings_dir / directory_name, listener=listener).start()
    ...
    recording.close(); listener.close()       # waits for the last writes
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.ids import SessionId
from media.recording.recorder import RecorderStats
from storage.database import Database
from storage.recordings import RecordingRecords, TimelineSample

log = logging.getLogger(__name__)


class DatabaseRecordingListener:
    """Writes legs, recorder results and connection events on one writer thread, so the media
    thread never waits on the database."""

    def __init__(
        self, database: Database, session_id: SessionId, directory: str, recordings_root: Path | None = None
    ) -> None:
        """With the recordings folder, each closed leg is covered by the audit chain."""
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
