"""A failed liveness challenge is a failed face attempt counted by the console's services in
storage (services.console.MediaApplicantCall, storage.reviews.record_failed_challenge), before
its score reaches the window: no window is needed for it to count, so a window that crashed or
misbehaves cannot skip it. The real LiveConsoleServices on a real database (SQLite, and
PostgreSQL when available); stand-ins for the media call and the face worker only."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.face import ChallengeKind, ChallengeState, ChallengeStatus, FaceScore
from app.ids import SessionId
from app.review import FaceAttempts
from app.rules import ReviewRules
from app.settings import load_settings
from tests.conftest import sample_form

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class _Call:
    """The media call: what the applicant's page was told."""

    def __init__(self) -> None:
        self.told: list[tuple[str, str]] = []

    def show_challenge(self, kind: str, state: str, seconds: float | None = None) -> None:
        self.told.append((kind, state))


class _Window:
    """The window's CallEvents: the scores, and what storage counted when each arrived."""

    def __init__(self, services: Any, session_id: SessionId) -> None:
        self.services = services
        self.session_id = session_id
        self.seen: list[tuple[ChallengeStatus | None, FaceAttempts]] = []
        self.connections: list[Any] = []

    def face_score(self, score: FaceScore) -> None:
        self.seen.append((score.challenge, self.services.face_attempts(self.session_id)))

    def connection(self, state: Any, leg: int) -> None:
        self.connections.append(state)


class _FaceMatch:
    def ask_challenge(self, kind: ChallengeKind) -> bool:
        return True


class _Status:
    """media.call.CallStatus as the intake reports the end of the call."""

    def __init__(self, state: str, session_id: SessionId) -> None:
        self.state = type("State", (), {"value": state})()
        self.session_id = session_id
        self.leg = 1


class _Applicant:
    def __init__(self, session_id: SessionId) -> None:
        self.session_id = session_id


@pytest.fixture
def console(database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """(services signed in as li.na on the database, li.na's session in a call)."""
    from services.console import LiveConsoleServices
    from storage.applications import ApplicationBook
    from storage.desk import DatabaseReviewDesk
    from storage.reviewers import Accounts
    from tools.processes import free_port

    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "photo.key"))
    settings = load_settings({"data_dir": str(tmp_path / "data")}, environ={})
    reviewer = Accounts(database).add("li.na", "correct horse")
    # No intake service listens there: the password is checked on the database.
    services = LiveConsoleServices(settings, database, f"http://127.0.0.1:{free_port()}", face_matching=False)
    try:
        assert services.sign_in("li.na", "correct horse") == reviewer.id
        form = sample_form("Wang Fang", NOW - timedelta(hours=1))
        registered = ApplicationBook(database).register(
            form, photo=b"jpeg", photo_format="jpeg", encoding=None
        )
        desk = DatabaseReviewDesk(database, ReviewRules.from_settings(settings))
        desk.join_queue(registered.token, NOW - timedelta(seconds=30))
        taken = desk.take_next(reviewer.id, NOW)
        assert taken is not None
        yield services, taken.session_id
    finally:
        services.close()


def _media_call(services: Any, session_id: SessionId) -> Any:
    from services.console import MediaApplicantCall

    call = MediaApplicantCall.__new__(MediaApplicantCall)  # without the media: only its score path
    call.services, call.call, call.applicant = services, _Call(), _Applicant(session_id)
    call.events = _Window(services, session_id)
    call.face_match, call._ended = _FaceMatch(), False
    call._init_challenges()
    return call


def _failed(kind: ChallengeKind, t: float) -> FaceScore:
    status = ChallengeStatus(kind, ChallengeState.FAILED, t, asked_t=t - 5.0)
    return FaceScore(t, int(t * 10), 1, (1, 2, 3, 0), 0.3, 80.0, True, challenge=status)


def _counted(services: Any, session_id: SessionId) -> tuple[int, int]:
    stored = services.face_attempts(session_id)
    return stored.used, stored.failed


def test_failed_challenges_are_counted_in_storage_before_the_window_sees_them(console) -> None:  # type: ignore[no-untyped-def]
    from storage.audit_log import events_for

    services, session_id = console
    call = _media_call(services, session_id)
    reviewer = services._reviewer
    # The window counted the attempt that matched (its first score started it).
    services.record_face_attempt(session_id, reviewer, failed=False)
    assert _counted(services, session_id) == (1, 0)

    call._score(_failed(ChallengeKind.TURN_LEFT, 10.0))
    assert call.events.seen == [] and call._wake.is_set()  # queued: the monitor thread stores it
    call._count_failed_challenge()  # the monitor's turn
    assert _counted(services, session_id) == (1, 1)  # the attempt that matched failed
    # The window got the score after storage counted it: its count comes from there.
    challenge, stored_then = call.events.seen[-1]
    assert challenge is not None and challenge.state is ChallengeState.FAILED
    assert (stored_then.used, stored_then.failed) == (1, 1)
    assert call.call.told[-1] == ("turn_left", "failed")

    # No attempt open (the window never started another): one more is started and failed.
    call._score(_failed(ChallengeKind.OPEN_MOUTH, 20.0))
    call._count_failed_challenge()
    assert _counted(services, session_id) == (2, 2)
    call._score(_failed(ChallengeKind.TURN_RIGHT, 30.0))
    call._count_failed_challenge()
    stored = services.face_attempts(session_id)
    assert (stored.used, stored.failed, stored.exhausted) == (3, 3, True)
    # Every attempt used and failed: nothing more to count, and nothing refused.
    call._score(_failed(ChallengeKind.TURN_LEFT, 40.0))
    call._count_failed_challenge()
    assert _counted(services, session_id) == (3, 3)
    assert len(call.events.seen) == 4  # every score still reaches the window
    assert call._uncounted == []

    with services.database.session() as db:
        failed = [e for e in events_for(db, f"session:{session_id}") if e.action == "face.attempt_failed"]
    assert [(e.details["challenge"], e.details["started"], e.details["failed"]) for e in failed] == [
        ("turn_left", False, 1),
        ("open_mouth", True, 2),
        ("turn_right", True, 3),
    ]
    assert {e.actor for e in failed} == {"li.na"}


def test_a_failed_challenge_the_database_did_not_take_is_counted_on_the_next_tick(  # type: ignore[no-untyped-def]
    console, monkeypatch
) -> None:
    services, session_id = console
    call = _media_call(services, session_id)
    real = services.records.record_failed_challenge
    outage = {"left": 2}

    def flaky(*args: Any, **kwargs: Any) -> FaceAttempts:
        if outage["left"]:
            outage["left"] -= 1
            raise OSError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(services.records, "record_failed_challenge", flaky)
    call._score(_failed(ChallengeKind.TURN_LEFT, 10.0))
    call._count_failed_challenge()  # the monitor thread: the database is away
    assert len(call.events.seen) == 1  # the window is not held up by the outage...
    assert _counted(services, session_id) == (0, 0)
    call._count_failed_challenge()  # ...the monitor thread's next tick: still away
    assert _counted(services, session_id) == (0, 0)
    assert [(f.kind, f.score) for f in call._uncounted] == [(ChallengeKind.TURN_LEFT, None)]
    call._count_failed_challenge()  # back: counted once
    assert _counted(services, session_id) == (1, 1) and call._uncounted == []
    call._count_failed_challenge()
    assert _counted(services, session_id) == (1, 1)
    assert len(call.events.seen) == 1  # the score went to the window once


def test_only_the_reviewer_s_own_session_in_a_call_counts_a_challenge(console) -> None:  # type: ignore[no-untyped-def]
    from app.errors import InvalidTransition
    from app.roles import Forbidden
    from storage.reviews import ReviewRecords

    services, session_id = console
    records = ReviewRecords(services.database)
    other = services.accounts.add("wang.wei", "another horse")
    with pytest.raises(Forbidden, match="belongs to another reviewer"):
        records.record_failed_challenge(
            session_id, "turn_left", now=NOW, reviewer_id=other.id, actor="wang.wei"
        )
    records.abandon_unfinished(NOW)
    with pytest.raises(InvalidTransition):
        services.record_failed_challenge(session_id, ChallengeKind.TURN_LEFT)
    call = _media_call(services, session_id)
    call._score(_failed(ChallengeKind.TURN_LEFT, 10.0))
    call._count_failed_challenge()  # the session ended: logged, not retried
    assert call._uncounted == [] and _counted(services, session_id) == (0, 0)


def test_hanging_up_on_a_challenge_fails_it(console) -> None:  # type: ignore[no-untyped-def]
    """A replay that cannot do what it is asked could hang up and come back for another draw:
    the challenge it hung up on is a failed attempt of the application (counted over its sessions)."""
    from app.console import ConnectionState
    from storage.reviews import ReviewRecords

    services, session_id = console
    records = ReviewRecords(services.database)
    # A challenge that passed, then the applicant hangs up: nothing to count.
    call = _media_call(services, session_id)
    services.challenge_draw = lambda _after: ChallengeKind.TURN_LEFT
    assert call.ask_challenge() is ChallengeKind.TURN_LEFT
    passed = ChallengeStatus(ChallengeKind.TURN_LEFT, ChallengeState.PASSED, 3.0, asked_t=1.0)
    call._score(FaceScore(3.0, 30, 1, (1, 2, 3, 0), 0.3, 80.0, True, challenge=passed))
    # Another asked (the reviewer's button) and running when the applicant hangs up.
    services.challenge_draw = lambda _after: ChallengeKind.OPEN_MOUTH
    assert call.ask_challenge() is ChallengeKind.OPEN_MOUTH
    running = ChallengeStatus(ChallengeKind.OPEN_MOUTH, ChallengeState.ASKED, 4.0, asked_t=4.0)
    call._score(FaceScore(4.5, 45, 1, (1, 2, 3, 0), 0.3, 80.0, True, challenge=running))
    assert _counted(services, session_id) == (0, 0)
    # The intake records the session as abandoned, then tells the console.
    assert records.end_without_decision(session_id, NOW + timedelta(seconds=30), "applicant_hung_up")
    call._status(_Status("applicant_hung_up", session_id))
    assert call.events.connections == [ConnectionState.APPLICANT_HUNG_UP]
    call._count_failed_challenge()  # the monitor's tick (or the end of the call)
    assert _counted(services, session_id) == (1, 1)
    call._status(_Status("applicant_hung_up", session_id))  # told twice: counted once
    call._count_failed_challenge()
    assert _counted(services, session_id) == (1, 1)


def _status(kind: ChallengeKind, state: ChallengeState, t: float, asked_t: float) -> FaceScore:
    status = ChallengeStatus(kind, state, t, asked_t=asked_t)
    return FaceScore(t, int(t * 10), 1, (1, 2, 3, 0), 0.3, 80.0, True, challenge=status)


class _RecordingFaceMatch:
    def __init__(self) -> None:
        self.asked: list[ChallengeKind] = []

    def ask_challenge(self, kind: ChallengeKind) -> bool:
        self.asked.append(kind)
        return True


def test_the_console_asks_two_different_challenges_in_a_row_and_both_must_pass(console) -> None:  # type: ignore[no-untyped-def]
    """A replay that keeps doing one action passes one challenge whenever it is that one: the
    console asks two different ones in a row, the second as soon as the first passed, each
    with its own prompt and countdown on the page; the window never sees the first's pass as
    the end (the sequence is running until the second settles), and a second that fails is a
    failed face attempt like any failed challenge."""
    from services.console import draw_next_challenge

    services, session_id = console
    call = _media_call(services, session_id)
    call.face_match = _RecordingFaceMatch()
    # The default draw: two different kinds, "blink twice" never first.
    for _ in range(100):
        drawn = draw_next_challenge(None)
        assert len(drawn) == 2 and drawn[0] is not drawn[1] and drawn[0] is not ChallengeKind.BLINK_TWICE
    services.challenge_draw = lambda _after: (ChallengeKind.TURN_RIGHT, ChallengeKind.OPEN_MOUTH)
    seconds = services.settings.face_challenge_seconds

    # Turn right passes; open mouth is asked at once; it fails: one failed attempt.
    assert call.ask_challenge() is ChallengeKind.TURN_RIGHT
    assert call.face_match.asked == [ChallengeKind.TURN_RIGHT]
    call._score(_status(ChallengeKind.TURN_RIGHT, ChallengeState.ASKED, 1.0, 1.0))
    call._score(_status(ChallengeKind.TURN_RIGHT, ChallengeState.PASSED, 2.5, 1.0))
    assert call.face_match.asked == [ChallengeKind.TURN_RIGHT, ChallengeKind.OPEN_MOUTH]
    assert call.call.told == [("turn_right", "asked"), ("open_mouth", "asked")]  # no "passed" between
    window_sees = [(c.kind, c.state) for c, _stored in call.events.seen if c is not None]
    assert window_sees == [
        (ChallengeKind.TURN_RIGHT, ChallengeState.ASKED),
        (ChallengeKind.OPEN_MOUTH, ChallengeState.ASKED),  # the pass's score, carrying the next step
    ]
    assert call.events.seen[-1][0].t == 2.5
    call._score(_status(ChallengeKind.OPEN_MOUTH, ChallengeState.ASKED, 2.6, 2.6))
    call._score(_status(ChallengeKind.OPEN_MOUTH, ChallengeState.FAILED, 7.7, 2.6))
    call._count_failed_challenge()
    assert _counted(services, session_id) == (1, 1)
    assert call.call.told[-1] == ("open_mouth", "failed")
    assert call.events.seen[-1][0].state is ChallengeState.FAILED

    # The first fails: the second is never asked.
    call.face_match.asked.clear()
    assert call.ask_challenge() is ChallengeKind.TURN_RIGHT
    call._score(_status(ChallengeKind.TURN_RIGHT, ChallengeState.FAILED, 14.0, 9.0))
    call._count_failed_challenge()
    assert call.face_match.asked == [ChallengeKind.TURN_RIGHT]
    assert call.call.told[-1] == ("turn_right", "failed") and _counted(services, session_id) == (2, 2)

    # Both pass: the page and the window hear "passed" once, at the end; nothing counted.
    assert call.ask_challenge() is ChallengeKind.TURN_RIGHT
    call._score(_status(ChallengeKind.TURN_RIGHT, ChallengeState.PASSED, 21.0, 20.0))
    call._score(_status(ChallengeKind.OPEN_MOUTH, ChallengeState.PASSED, 23.0, 21.1))
    assert call.call.told[-3:] == [("turn_right", "asked"), ("open_mouth", "asked"), ("open_mouth", "passed")]
    assert call.events.seen[-1][0].state is ChallengeState.PASSED
    assert _counted(services, session_id) == (2, 2)
    assert call.face_match.asked[-2:] == [ChallengeKind.TURN_RIGHT, ChallengeKind.OPEN_MOUTH]
    assert seconds > 0


def test_a_challenge_not_judged_counts_nothing_and_nothing_follows_it(console) -> None:  # type: ignore[no-untyped-def]
    """Too few updates to judge it: the page and the window are told "not judged", no face
    attempt fails, and the second challenge of the pair is not asked (the reviewer asks again)."""
    services, session_id = console
    call = _media_call(services, session_id)
    call.face_match = _RecordingFaceMatch()
    services.record_face_attempt(session_id, services._reviewer, failed=False)
    services.challenge_draw = lambda _after: (ChallengeKind.TURN_LEFT, ChallengeKind.BLINK_TWICE)
    assert call.ask_challenge() is ChallengeKind.TURN_LEFT
    call._score(_status(ChallengeKind.TURN_LEFT, ChallengeState.ASKED, 1.0, 1.0))
    call._score(_status(ChallengeKind.TURN_LEFT, ChallengeState.NOT_JUDGED, 6.2, 1.0))
    assert not call._wake.is_set() and call._uncounted == []  # nothing for the monitor to store
    call._count_failed_challenge()
    assert _counted(services, session_id) == (1, 0)
    assert call.face_match.asked == [ChallengeKind.TURN_LEFT]  # the blink is not asked
    assert call.call.told[-1] == ("turn_left", "not_judged")
    challenge, stored_then = call.events.seen[-1]
    assert challenge is not None and challenge.state is ChallengeState.NOT_JUDGED
    assert (stored_then.used, stored_then.failed) == (1, 0)
    # Asked again, it can pass (or fail) as any challenge.
    assert call.ask_challenge() is ChallengeKind.TURN_LEFT
    assert call.face_match.asked == [ChallengeKind.TURN_LEFT, ChallengeKind.TURN_LEFT]


def test_hanging_up_on_the_second_challenge_of_two_fails_it(console) -> None:  # type: ignore[no-untyped-def]
    from storage.reviews import ReviewRecords

    services, session_id = console
    call = _media_call(services, session_id)
    services.challenge_draw = lambda _after: (ChallengeKind.TURN_LEFT, ChallengeKind.BLINK_TWICE)
    assert call.ask_challenge() is ChallengeKind.TURN_LEFT
    call._score(_status(ChallengeKind.TURN_LEFT, ChallengeState.PASSED, 3.0, 1.0))
    assert call._open_challenge is ChallengeKind.BLINK_TWICE
    assert ReviewRecords(services.database).end_without_decision(
        session_id, NOW + timedelta(seconds=30), "applicant_hung_up"
    )
    call._status(_Status("applicant_hung_up", session_id))
    call._count_failed_challenge()
    assert _counted(services, session_id) == (1, 1)


def test_the_same_failed_challenge_recorded_twice_counts_once(console) -> None:  # type: ignore[no-untyped-def]
    """Storage recognises a failure by (session, kind, asked_t): a retry whose first commit went
    through (its answer lost on the way back) is not a second failed attempt."""
    services, session_id = console
    first = services.record_failed_challenge(session_id, ChallengeKind.TURN_LEFT, asked_t=5.0)
    again = services.record_failed_challenge(session_id, ChallengeKind.TURN_LEFT, asked_t=5.0)
    assert (first.used, first.failed) == (again.used, again.failed) == (1, 1)
    # Another challenge (the same kind asked later) is another failure.
    services.record_failed_challenge(session_id, ChallengeKind.TURN_LEFT, asked_t=15.0)
    assert _counted(services, session_id) == (2, 2)


def test_a_failure_whose_acknowledgement_was_lost_is_counted_once(console, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    services, session_id = console
    call = _media_call(services, session_id)
    real = services.records.record_failed_challenge
    lost = {"left": 1}

    def committed_then_lost(*args: Any, **kwargs: Any) -> FaceAttempts:
        count = real(*args, **kwargs)
        if lost["left"]:
            lost["left"] -= 1
            raise OSError("server closed the connection unexpectedly")  # after the commit
        return count

    monkeypatch.setattr(services.records, "record_failed_challenge", committed_then_lost)
    call._score(_failed(ChallengeKind.TURN_LEFT, 10.0))
    call._count_failed_challenge()  # stored, but the monitor heard an error: tried again
    assert len(call._uncounted) == 1
    call._count_failed_challenge()
    assert call._uncounted == [] and _counted(services, session_id) == (1, 1)


@pytest.mark.parametrize("verdict_first", [True, False])
@pytest.mark.parametrize("verdict_state", [ChallengeState.FAILED, ChallengeState.NOT_JUDGED])
def test_a_hang_up_racing_a_failed_verdict_counts_once(console, verdict_first: bool, verdict_state) -> None:  # type: ignore[no-untyped-def]
    """The applicant hangs up on a challenge while the face worker gives its failed verdict (two
    threads): whichever comes first settles it, the other does not count it again. A verdict
    "not judged" after the hang-up is the failure the hang-up counted (the window is told so);
    before it, it settled the challenge and the hang-up came after it: nothing to count."""
    from storage.reviews import ReviewRecords

    services, session_id = console
    call = _media_call(services, session_id)
    services.challenge_draw = lambda _after: ChallengeKind.OPEN_MOUTH
    assert call.ask_challenge() is ChallengeKind.OPEN_MOUTH
    call._score(_status(ChallengeKind.OPEN_MOUTH, ChallengeState.ASKED, 4.0, 4.0))
    assert ReviewRecords(services.database).end_without_decision(
        session_id, NOW + timedelta(seconds=30), "applicant_hung_up"
    )
    verdict = _status(ChallengeKind.OPEN_MOUTH, verdict_state, 9.0, 4.0)
    hang_up = _Status("applicant_hung_up", session_id)
    if verdict_first:
        call._score(verdict)
        call._status(hang_up)
    else:
        call._status(hang_up)
        call._score(verdict)
    call._count_failed_challenge()
    counted_before = verdict_first and verdict_state is ChallengeState.NOT_JUDGED
    assert _counted(services, session_id) == ((0, 0) if counted_before else (1, 1))
    assert call._uncounted == []
    shown = [c.state for c, _stored in call.events.seen if c is not None][-1]
    assert shown is (ChallengeState.NOT_JUDGED if counted_before else ChallengeState.FAILED)


def test_the_reader_thread_does_not_wait_on_the_database(console, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A failed verdict while the database is slow: the face worker's reader thread hands it
    over and goes on (the next scores reach the window); the monitor thread stores it."""
    services, session_id = console
    call = _media_call(services, session_id)
    entered, release = threading.Event(), threading.Event()
    real = services.records.record_failed_challenge

    def slow(*args: Any, **kwargs: Any) -> FaceAttempts:
        entered.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(services.records, "record_failed_challenge", slow)
    monitor = threading.Thread(target=call._count_failed_challenge)
    call._score(_failed(ChallengeKind.TURN_LEFT, 10.0))
    monitor.start()
    assert entered.wait(10)
    call._score(FaceScore(11.0, 110, 1, (1, 2, 3, 0), 0.3, 80.0, True))  # returns at once
    assert [c for c, _stored in call.events.seen] == [None]
    release.set()
    monitor.join(10)
    assert _counted(services, session_id) == (1, 1)
    assert call.events.seen[-1][0] is not None and call.events.seen[-1][0].state is ChallengeState.FAILED
