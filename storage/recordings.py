"""A session's recordings and timeline in the database: where each leg's files are, and the
events (connection, flags, recorder warnings) and face samples on the recording's clock.

The recording's clock is seconds since the session's first leg started (the same clock as
`AnswerRow.t` and `DecisionRow.t`); a leg's files use the leg's own clock, placed on the
session clock by `LegRecording.offset`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.face import FaceBoxInFrame
from app.ids import SessionId
from storage.database import Database, aware
from storage.models import EventKind as EventKind  # noqa: PLC0414 (re-exported: its first home)
from storage.models import LegRecording, ScoreSample, SessionEvent, SessionLeg
from storage.summaries import refresh_if_listed


@dataclass(frozen=True)
class TimelineSample:
    """A face score on the recording's clock, with the face box when there was a face."""

    t: float
    faces: int
    similarity: float | None
    distance: float | None = None
    matched: bool = False
    live: bool | None = None
    flags: Sequence[str] = ()
    box: FaceBoxInFrame | None = None
    leg_number: int = 1


@dataclass(frozen=True)
class TimelineEvent:
    t: float
    kind: str
    leg_number: int
    at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LegRecordingInfo:
    leg_number: int
    directory: str  # relative to the recordings folder
    started_at: datetime
    offset: float
    state: str
    duration: float | None
    segments: int
    bytes_written: int
    frames_dropped: int


def _info(row: LegRecording) -> LegRecordingInfo:
    return LegRecordingInfo(
        row.leg_number,
        row.directory,
        aware(row.started_at),
        row.offset,
        row.state,
        row.duration,
        row.segments,
        row.bytes_written,
        row.frames_dropped,
    )


def session_directory_name(session_id: int) -> str:
    """The session's folder under the recordings folder (its legs are leg-NN inside)."""
    return f"session-{session_id:08d}"


class RecordingRecords:
    def __init__(self, database: Database, recordings_root: Path | None = None) -> None:
        """With the recordings folder, each closed leg's files are covered by the audit chain."""
        self.database = database
        self.recordings_root = recordings_root

    def _first_leg_start(self, session: Session, session_id: int) -> datetime | None:
        started = session.execute(
            select(SessionLeg.started_at).where(SessionLeg.session_id == session_id, SessionLeg.number == 1)
        ).scalar_one_or_none()
        if started is None:
            started = session.execute(
                select(LegRecording.started_at).where(
                    LegRecording.session_id == session_id, LegRecording.leg_number == 1
                )
            ).scalar_one_or_none()
        return None if started is None else aware(started)

    def clock(self, session_id: SessionId, now: datetime) -> float:
        """`now` on the recording's clock (0.0 before the first leg started)."""
        with self.database.session() as session:
            first = self._first_leg_start(session, session_id)
            return 0.0 if first is None else max(0.0, (now - first).total_seconds())

    # -- recordings -------------------------------------------------------------------------

    def leg_started(
        self, session_id: SessionId, leg_number: int, directory: str, started_at: datetime
    ) -> float:
        """A leg's recorder started; returns the leg clock's zero on the session clock."""
        with self.database.session() as session:
            first = self._first_leg_start(session, session_id)
            offset = 0.0 if first is None else (started_at - first).total_seconds()
            row = session.execute(
                select(LegRecording).where(
                    LegRecording.session_id == session_id, LegRecording.leg_number == leg_number
                )
            ).scalar_one_or_none()
            if row is None:
                row = LegRecording(session_id=session_id, leg_number=leg_number)
                session.add(row)
            row.directory = directory
            row.started_at = started_at.astimezone(UTC)
            row.offset = max(0.0, offset)
            row.state = "recording"
            row.duration = None
            row.segments = 0
            row.bytes_written = 0
            row.frames_dropped = 0
            if leg_number == 1 or first is None:
                leg = session.execute(
                    select(SessionLeg).where(
                        SessionLeg.session_id == session_id, SessionLeg.number == leg_number
                    )
                ).scalar_one_or_none()
                if leg is not None and leg.recording_path is None:
                    leg.recording_path = directory
            return row.offset

    def leg_finished(
        self,
        session_id: SessionId,
        leg_number: int,
        *,
        state: str,
        duration: float | None,
        segments: int,
        bytes_written: int,
        frames_dropped: int,
    ) -> None:
        with self.database.session() as session:
            row = session.execute(
                select(LegRecording).where(
                    LegRecording.session_id == session_id, LegRecording.leg_number == leg_number
                )
            ).scalar_one()
            row.state = state
            row.duration = duration
            row.segments = segments
            row.bytes_written = bytes_written
            row.frames_dropped = frames_dropped
            refresh_if_listed(session, session_id, datetime.now(UTC))
        if self.recordings_root is not None:
            from storage.evidence import cover_recording

            cover_recording(
                self.database, self.recordings_root, session_id, reason=f"leg {leg_number} {state}"
            )

    def recordings(self, session_id: SessionId) -> list[LegRecordingInfo]:
        with self.database.session() as session:
            rows = session.execute(
                select(LegRecording)
                .where(LegRecording.session_id == session_id)
                .order_by(LegRecording.leg_number)
            ).scalars()
            return [_info(row) for row in rows]

    def leg_offsets(self, session_id: SessionId) -> dict[int, float]:
        """Each leg's zero on the session clock: from the recordings, else from the legs."""
        with self.database.session() as session:
            offsets = {
                number: offset
                for number, offset in session.execute(
                    select(LegRecording.leg_number, LegRecording.offset).where(
                        LegRecording.session_id == session_id
                    )
                ).all()
            }
            first = self._first_leg_start(session, session_id)
            if first is not None:
                for number, started in session.execute(
                    select(SessionLeg.number, SessionLeg.started_at).where(
                        SessionLeg.session_id == session_id
                    )
                ).all():
                    offsets.setdefault(number, max(0.0, (aware(started) - first).total_seconds()))
            return offsets

    # -- the timeline -----------------------------------------------------------------------

    def add_event(
        self,
        session_id: SessionId,
        kind: str,
        *,
        t: float | None = None,
        at: datetime | None = None,
        leg_number: int = 1,
        details: Mapping[str, Any] | None = None,
    ) -> float:
        """Put an event on the timeline; without `t`, `at` (default now) on the recording's
        clock. Returns the t stored."""
        moment = (at or datetime.now(UTC)).astimezone(UTC)
        with self.database.session() as session:
            if t is None:
                first = self._first_leg_start(session, session_id)
                t = 0.0 if first is None else max(0.0, (moment - first).total_seconds())
            session.add(
                SessionEvent(
                    session_id=session_id,
                    leg_number=leg_number,
                    t=t,
                    at=moment,
                    kind=str(kind),
                    details=dict(details or {}),
                )
            )
            refresh_if_listed(session, session_id, moment)
            return t

    def events(self, session_id: SessionId) -> list[TimelineEvent]:
        with self.database.session() as session:
            rows = session.execute(
                select(SessionEvent)
                .where(SessionEvent.session_id == session_id)
                .order_by(SessionEvent.t, SessionEvent.id)
            ).scalars()
            return [TimelineEvent(r.t, r.kind, r.leg_number, aware(r.at), dict(r.details)) for r in rows]

    def save_samples(self, session_id: SessionId, samples: Sequence[TimelineSample]) -> None:
        """Face scores, with their boxes, on the recording's clock: one multi-row INSERT, not
        the ORM's unit of work (a second of scores took 5 ms of Python on SQLite and 9 ms on
        PostgreSQL that way, holding the GIL the console's window needs; now about 1 ms)."""
        if not samples:
            return
        rows = [
            {
                "session_id": session_id,
                "leg_number": s.leg_number,
                "t": s.t,
                "faces": s.faces,
                "distance": s.distance,
                "similarity": s.similarity,
                "matched": s.matched,
                "live": s.live,
                "flags": list(s.flags),
                "box": None if s.box is None else s.box.as_list(),
            }
            for s in samples
        ]
        with self.database.session() as session:
            session.execute(insert(ScoreSample), rows)
            refresh_if_listed(session, session_id, datetime.now(UTC))

    def samples(self, session_id: SessionId) -> list[TimelineSample]:
        with self.database.session() as session:
            rows = session.execute(
                select(ScoreSample)
                .where(ScoreSample.session_id == session_id)
                .order_by(ScoreSample.t, ScoreSample.id)
            ).scalars()
            return [
                TimelineSample(
                    r.t,
                    r.faces,
                    r.similarity,
                    r.distance,
                    r.matched,
                    r.live,
                    tuple(r.flags),
                    None if r.box is None else FaceBoxInFrame.from_list(r.box),
                    r.leg_number,
                )
                for r in rows
            ]


def recording_path(recordings_root: Path, directory: str) -> Path:
    """The absolute folder of a stored (relative) recording directory."""
    path = Path(directory)
    return path if path.is_absolute() else recordings_root / path
