"""One truth for the live face state: the console's face check and the recording's timeline
read the same scores through the same fold (app.face.LivenessRecord), so the console's liveness
and flags are what the stored timeline says, including "failed, then passed" and "passed, then
failed" (another person in front of the camera). The console used to keep "passed" for good."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from app.face import FaceScore, Liveness, LivenessRecord
from app.review import ReviewSession
from app.rules import ReviewRules
from app.settings import load_settings
from services.recording import ScoreTimeline
from storage.models import EventKind
from storage.recordings import RecordingRecords
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tests.conftest import taken_session
from ui.face_check import FaceCheck

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class Listener:
    """The recording's database listener, writing at once (the real one uses a writer thread)."""

    def __init__(self, database: Any, session_id: Any) -> None:
        self.records = RecordingRecords(database)
        self.session_id = session_id

    def flag_raised(self, kind: str, t: float, leg: int, details: dict[str, Any] | None = None) -> None:
        self.records.add_event(self.session_id, kind, t=t, leg_number=leg, details=details or {})

    def samples(self, samples: list[Any]) -> None:
        self.records.save_samples(self.session_id, samples)


def _score(frame: int, live: bool | None, flags: tuple[str, ...] = ()) -> FaceScore:
    t = NOW.timestamp() + 10.0 + frame * 0.5  # offered on the wall clock, as the call's frames are
    return FaceScore(
        frame_time=t, frame=frame, faces=1, box=(10, 60, 60, 10), distance=0.3, similarity=70.0,
        match=True, flags=flags, live=live,
    )  # fmt: skip


def _both_sides(
    database: Any, lives: list[bool | None], flags: dict[int, tuple[str, ...]]
) -> tuple[Any, ...]:
    reviewer = Accounts(database).add("li.reviewer", "password1")
    taken = taken_session(database, reviewer.id, NOW)
    ReviewRecords(database).start_leg(taken.session_id, NOW)
    timeline = ScoreTimeline(database, taken.session_id, Listener(database, taken.session_id))  # type: ignore[arg-type]
    rules = ReviewRules.from_settings(load_settings(environ={}))
    console = FaceCheck(ReviewSession(rules), sustain_seconds=1.0, attempt_seconds=60.0)
    for frame, live in enumerate(lives):
        score = _score(frame, live, flags.get(frame, ()))
        timeline.add(score)  # services.face_match.CallFaceMatch: the timeline, then the console
        console.observe(score)
    timeline.store(final=True)
    stored = RecordingRecords(database).samples(taken.session_id)
    events = [event.kind for event in RecordingRecords(database).events(taken.session_id)]
    return console, stored, events


def test_failed_then_passed_reads_the_same_on_both_sides(database) -> None:  # type: ignore[no-untyped-def]
    lives = [None, None, False, False, None, True, True]
    console, stored, events = _both_sides(database, lives, {3: ("too_dark",)})
    on_record = LivenessRecord.of([(sample.t, sample.live) for sample in stored])
    assert console.liveness == on_record.verdict.value == "passed"
    assert console.liveness_failed_earlier and on_record.failed_earlier
    assert console.summary().liveness_failed_earlier
    assert events.count(EventKind.LIVENESS_FAILED) == 1 and events.count(EventKind.LIVENESS_PASSED) == 1
    assert console.flags_seen == {flag for sample in stored for flag in sample.flags} == {"too_dark"}


def test_passed_then_failed_is_failed_on_both_sides(database) -> None:  # type: ignore[no-untyped-def]
    # Another person took the camera: the tracker starts again and, without proof, says failed.
    lives = [True, True, None, False, False]
    console, stored, events = _both_sides(database, lives, {})
    on_record = LivenessRecord.of([(sample.t, sample.live) for sample in stored])
    assert on_record.verdict is Liveness.FAILED
    assert console.liveness == "failed"  # it said "passed" for good before
    assert events.count(EventKind.LIVENESS_FAILED) == 1
