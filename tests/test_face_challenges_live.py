"""Liveness challenges in a live call, without the media: the random draw, a failed challenge as a
failed face attempt, the intake relaying the console's challenge (and refusing an applicant's),
and the session timeline's challenge events as the replay and the report read them."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

import app.face
from app.face import (
    ACTION_CHALLENGES,
    ChallengeKind,
    ChallengeState,
    ChallengeStatus,
    FaceScore,
    draw_challenge,
    draw_challenge_pair,
)
from app.face_policy import AttemptStatus, FaceVerification, StandaloneAttempts
from app.replay import ChallengeEntry, EventEntry, challenges_of
from app.review import FaceAttempts
from media.intake import IntakeServer
from media.intake.service import BadRequest, check_challenge
from tests.intake_fakes import FakeDesk
from tests.test_intake_api import receive_json, signed_in, take_next, ws_url

# -- the draw -------------------------------------------------------------------------------------


def test_the_draw_is_the_operating_systems_randomness_and_blink_twice_never_comes_first() -> None:
    default_rng = draw_challenge.__defaults__[0]  # type: ignore[index]
    assert isinstance(default_rng, secrets.SystemRandom)  # not a seeded, predictable generator
    # The first challenge of a call (the one asked at the match), or one after a failed or a blink
    # challenge: a head turn or an open mouth, each about a third of the time.
    failed_turn = ChallengeStatus(ChallengeKind.TURN_LEFT, ChallengeState.FAILED, 3.0, asked_t=1.0)
    blinked = ChallengeStatus(ChallengeKind.BLINK_TWICE, ChallengeState.PASSED, 3.0, asked_t=1.0)
    for after in (None, failed_turn, blinked):
        drawn = Counter(draw_challenge(after=after) for _ in range(300))
        assert set(drawn) == set(ACTION_CHALLENGES), (after, drawn)
        assert min(drawn.values()) > 60, drawn  # 300 draws: below 60 is a 1-in-a-million event
    # Right after a head turn or an open mouth that passed, every kind, blink twice too.
    for kind in ACTION_CHALLENGES:
        passed = ChallengeStatus(kind, ChallengeState.PASSED, 3.0, asked_t=1.0)
        drawn = Counter(draw_challenge(after=passed) for _ in range(400))
        assert set(drawn) == set(ChallengeKind), drawn
        assert min(drawn.values()) > 50, drawn


def test_the_pair_is_two_different_kinds_the_first_drawn_as_one_challenge() -> None:
    """The console asks two challenges in a row (both must pass): the first as draw_challenge
    gives it, the second any other kind, "blink twice" only after an action."""
    default_rng = draw_challenge_pair.__defaults__[0]  # type: ignore[index]
    assert isinstance(default_rng, secrets.SystemRandom)
    pairs = Counter(draw_challenge_pair() for _ in range(900))
    assert all(first is not second for first, second in pairs)
    assert {first for first, _second in pairs} == set(ACTION_CHALLENGES)
    # Each action first, then each of the three other kinds: 9 pairs, about 100 each.
    assert len(pairs) == 9 and min(pairs.values()) > 40, pairs
    passed = ChallengeStatus(ChallengeKind.TURN_LEFT, ChallengeState.PASSED, 3.0, asked_t=1.0)
    after_action = Counter(draw_challenge_pair(after=passed) for _ in range(600))
    blink_first = [second for first, second in after_action if first is ChallengeKind.BLINK_TWICE]
    assert blink_first and set(blink_first) <= set(ACTION_CHALLENGES)


def test_the_draw_does_not_avoid_the_last_kind_nor_follow_a_pattern() -> None:
    rng = random.Random(7)
    draws = [draw_challenge(rng) for _ in range(200)]
    repeats = sum(1 for a, b in itertools.pairwise(draws) if a is b)
    assert repeats > 30  # the same kind twice in a row happens (1 in 3), as it must
    assert app.face._CHALLENGE_DRAW is not None


def test_the_console_s_first_challenge_is_never_blink_twice_and_follows_what_passed() -> None:
    """MediaApplicantCall draws with the call's last settled challenge: a replay that merely
    blinks is never asked to blink alone."""
    from services.console import draw_next_challenge

    call = _wired_call(draw_next_challenge)
    firsts = Counter(call.ask_challenge() for _ in range(200))
    assert ChallengeKind.BLINK_TWICE not in firsts and set(firsts) == set(ACTION_CHALLENGES), firsts
    passed = ChallengeStatus(ChallengeKind.OPEN_MOUTH, ChallengeState.PASSED, 4.0, asked_t=2.0)
    call._score(FaceScore(4.0, 40, 1, None, None, None, False, challenge=passed))
    seconds = Counter(call.ask_challenge() for _ in range(400))
    assert set(seconds) == set(ChallengeKind), seconds


# -- a failed challenge is a failed face attempt -----------------------------------------------------


def _score(t: float, match: bool = True) -> FaceScore:
    return FaceScore(
        frame_time=t, frame=int(t * 10), faces=1, box=(1, 2, 3, 0), distance=0.3, similarity=80.0, match=match
    )


def test_a_failed_challenge_fails_the_attempt_that_matched_then_opens_and_fails_another() -> None:
    attempts = FaceAttempts(limit=3)
    verification = FaceVerification(StandaloneAttempts(attempts), sustain_seconds=1.0, attempt_seconds=10.0)
    verification.start(0.0)
    for step in range(12):
        verification.observe(_score(step * 0.1))
    assert verification.status is AttemptStatus.VERIFIED and (attempts.used, attempts.failed) == (1, 0)

    assert verification.challenge_failed(2.0) is None
    assert verification.status is AttemptStatus.FAILED and (attempts.used, attempts.failed) == (1, 1)
    # No attempt open: a second failed challenge starts one and fails it.
    assert verification.challenge_failed(3.0) is None
    assert (attempts.used, attempts.failed) == (2, 2)
    # The last one: rejection is proposed, as for a match that never came.
    assert verification.challenge_failed(4.0) is not None
    assert attempts.exhausted and (attempts.used, attempts.failed) == (3, 3)
    assert verification.challenge_failed(5.0) is not None  # nothing more to count
    assert (attempts.used, attempts.failed) == (3, 3)


def test_a_failed_challenge_during_an_attempt_fails_it() -> None:
    attempts = FaceAttempts(limit=3)
    verification = FaceVerification(StandaloneAttempts(attempts), sustain_seconds=2.0, attempt_seconds=10.0)
    verification.start(0.0)
    verification.observe(_score(0.5))
    verification.challenge_failed(1.0)
    assert verification.status is AttemptStatus.FAILED and (attempts.used, attempts.failed) == (1, 1)


# -- the intake: console to applicant, never the other way --------------------------------------------


def test_challenge_messages_are_checked() -> None:
    assert check_challenge({"kind": "blink_twice", "state": "asked", "seconds": 5, "extra": "<b>"}) == {
        "type": "challenge",
        "kind": "blink_twice",
        "state": "asked",
        "seconds": 5.0,
    }
    assert check_challenge({"kind": "open_mouth", "state": "failed"}) == {
        "type": "challenge",
        "kind": "open_mouth",
        "state": "failed",
    }
    for bad in [
        {"kind": "dance", "state": "asked", "seconds": 5},
        {"kind": "turn_left", "state": "won", "seconds": 5},
        {"kind": "turn_left", "state": "asked"},
        {"kind": "turn_left", "state": "asked", "seconds": True},
        {"kind": "turn_left", "state": "asked", "seconds": "5"},
        {"kind": "turn_left", "state": "asked", "seconds": 1e9},
        {"kind": "turn_left", "state": "asked", "seconds": float("nan")},
        {"kind": ["turn_left"], "state": "asked", "seconds": 5},
    ]:
        with pytest.raises(BadRequest):
            check_challenge(bad)


@pytest.fixture(params=["one instance", pytest.param("two instances", marks=pytest.mark.postgres)])
def servers(request: pytest.FixtureRequest) -> Any:
    """(the applicant's intake, the console's): one, or two sharing signalling in PostgreSQL."""
    desk = FakeDesk()
    desk.add("alice")
    if request.param == "one instance":
        with IntakeServer(desk, desk, console_access=desk.access) as running:
            yield running, running
        return
    from storage.database import open_database
    from storage.signalling import SharedSignalling

    database = open_database(request.getfixturevalue("postgres_url"))
    try:
        with (
            IntakeServer(desk, desk, console_access=desk.access, exchange=SharedSignalling(database)) as one,
            IntakeServer(desk, desk, console_access=desk.access, exchange=SharedSignalling(database)) as two,
        ):
            yield one, two
    finally:
        database.dispose()


def test_the_console_s_challenge_reaches_the_applicant_and_the_applicant_s_is_refused(servers) -> None:  # type: ignore[no-untyped-def]
    server, console_server = servers

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any], list[str]]:
        async with aiohttp.ClientSession() as session:
            alice = await session.ws_connect(ws_url(server, "alice"))
            await receive_json(alice, "status")
            await alice.send_json({"type": "join"})
            await receive_json(alice, "queued")
            status, taken = await asyncio.to_thread(take_next, console_server, 3)
            assert status == 200
            await receive_json(alice, "taken")
            console = await session.ws_connect(
                console_server.url.replace("http", "ws") + taken["signalling_path"], headers=signed_in(3)
            )
            await console.send_json(
                {"type": "challenge", "kind": "turn_right", "state": "asked", "seconds": 5}
            )
            asked = await receive_json(alice, "challenge")
            await console.send_json({"type": "challenge", "kind": "turn_right", "state": "passed"})
            passed = await receive_json(alice, "challenge")
            await console.send_json(
                {"type": "challenge", "kind": "turn_right", "state": "asked", "seconds": 0}
            )
            refused = await receive_json(console, "error")

            # The applicant's page cannot pass a challenge, nor ask one of the console.
            await alice.send_json({"type": "challenge", "kind": "turn_right", "state": "passed"})
            own = await receive_json(alice, "error")
            await alice.send_json({"type": "ping"})
            await receive_json(alice, "pong")
            await console.send_json({"type": "ping"})
            seen: list[str] = []
            while not seen or seen[-1] != "pong":  # everything the console got, up to its pong
                message = await console.receive(timeout=5)
                seen.append(json.loads(message.data)["type"])
            await console.send_json({"type": "end", "reason": "hang_up"})
            await alice.close()
            return asked, passed, own, refused, seen

    asked, passed, own, refused, seen = asyncio.run(scenario())
    assert own["error"] == "bad_message"
    assert asked == {"type": "challenge", "kind": "turn_right", "state": "asked", "seconds": 5.0}
    assert passed == {"type": "challenge", "kind": "turn_right", "state": "passed"}
    assert refused["error"] == "bad_message"
    assert seen == ["pong"]  # nothing of the applicant's challenge reached the console


# -- the timeline: asked, then passed or failed, on the session clock --------------------------------


@dataclass
class _Frame:
    sequence: int
    leg: int
    received_at: float
    wall_time: float
    width: int = 640
    height: int = 480


class _Listener:
    """The DatabaseRecordingListener's two methods the timeline calls."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float, int, dict[str, Any]]] = []
        self.stored: list[Any] = []

    def flag_raised(self, kind: str, t: float, leg: int, details: dict[str, Any] | None = None) -> None:
        self.events.append((str(kind), t, leg, dict(details or {})))

    def samples(self, samples: list[Any]) -> None:
        self.stored.extend(samples)


def test_challenges_go_on_the_timeline_with_asked_and_met_times_and_frame(database) -> None:  # type: ignore[no-untyped-def]
    from services.recording import ScoreTimeline
    from storage.reviewers import Accounts
    from tests.test_replay_storage import NOW, make_session

    reviewer = Accounts(database).add("li.reviewer", "correct horse")
    session_id = make_session(database, reviewer, "Wang Fang", NOW)
    listener = _Listener()
    timeline = ScoreTimeline(database, session_id, listener)  # type: ignore[arg-type]
    # The first leg started at NOW (+0.3 s for its recorder): media clock 100.0 is NOW + 10 s.
    wall_zero = NOW.timestamp()
    plan = [
        (100.0, ChallengeStatus(ChallengeKind.TURN_LEFT, ChallengeState.ASKED, 100.0, asked_t=100.0)),
        (100.5, ChallengeStatus(ChallengeKind.TURN_LEFT, ChallengeState.ASKED, 100.0, asked_t=100.0)),
        (102.0, ChallengeStatus(ChallengeKind.TURN_LEFT, ChallengeState.PASSED, 102.0, asked_t=100.0)),
        (103.0, None),
        (110.0, ChallengeStatus(ChallengeKind.OPEN_MOUTH, ChallengeState.ASKED, 110.0, asked_t=110.0)),
        (115.2, ChallengeStatus(ChallengeKind.OPEN_MOUTH, ChallengeState.FAILED, 115.2, asked_t=110.0)),
    ]
    for index, (t, challenge) in enumerate(plan, start=1):
        timeline.frame_seen(_Frame(index, 1, t, wall_zero + 10.0 + (t - 100.0)))
        score = FaceScore(
            frame_time=t, frame=index, faces=1, box=(1, 2, 3, 0), distance=0.3, similarity=80.0,
            match=True, challenge=challenge,
        )  # fmt: skip
        timeline.add(score)
    assert timeline.store() == len(plan)
    events = [(kind, round(t, 2), details) for kind, t, _leg, details in listener.events]
    assert events == [
        ("challenge.asked", 10.0, {"kind": "turn_left"}),
        ("challenge.passed", 12.0, {"kind": "turn_left", "asked_t": 10.0, "met_t": 12.0, "frame": 3}),
        ("challenge.asked", 20.0, {"kind": "open_mouth"}),
        ("challenge.failed", 25.2, {"kind": "open_mouth", "asked_t": 20.0, "met_t": None, "frame": None}),
    ]
    entries = [EventEntry(t, 1, kind, details) for kind, t, _leg, details in listener.events]
    assert challenges_of(entries) == [
        ChallengeEntry("turn_left", 10.0, "passed", 12.0, 3),
        ChallengeEntry("open_mouth", 20.0, "failed", None, None),
    ]


def test_a_challenge_the_call_ended_on_has_no_result() -> None:
    events = [
        EventEntry(4.0, 1, "challenge.asked", {"kind": "blink_twice"}),
        EventEntry(9.0, 1, "connection.dropped", {}),
        EventEntry(30.0, 2, "challenge.asked", {"kind": "blink_twice"}),
        EventEntry(31.5, 2, "challenge.passed", {"kind": "blink_twice", "asked_t": 30.0, "met_t": 31.5}),
    ]
    assert challenges_of(events) == [
        ChallengeEntry("blink_twice", 4.0, None),
        ChallengeEntry("blink_twice", 30.0, "passed", 31.5, None),
    ]


def test_the_face_match_wiring_asks_the_worker_and_tells_the_applicant(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """MediaApplicantCall: the draw is the services', the worker gets it, the page is told it was
    asked (with the time limit) and, from the scores, how it ended."""
    from app.settings import load_settings
    from services.console import MediaApplicantCall

    told: list[tuple[str, str, float | None]] = []
    asked_worker: list[ChallengeKind] = []

    class Call:
        def show_challenge(self, kind: str, state: str, seconds: float | None = None) -> None:
            told.append((kind, state, seconds))

    class FaceMatch:
        def ask_challenge(self, kind: ChallengeKind) -> bool:
            asked_worker.append(kind)
            return True

    class Events:
        def __init__(self) -> None:
            self.scores: list[Any] = []

        def face_score(self, score: Any) -> None:
            self.scores.append(score)

    class Services:
        settings = load_settings({"face_challenge_seconds": 7.0}, environ={})
        challenge_draw = staticmethod(lambda _after: ChallengeKind.BLINK_TWICE)

    class Applicant:
        session_id = 5

    call = MediaApplicantCall.__new__(MediaApplicantCall)
    call.services, call.call, call.applicant, call.events = Services(), Call(), Applicant(), Events()  # type: ignore[assignment]
    call.face_match, call._ended = FaceMatch(), False  # type: ignore[assignment]
    call._init_challenges()
    assert call.ask_challenge() is ChallengeKind.BLINK_TWICE
    assert asked_worker == [ChallengeKind.BLINK_TWICE]
    assert told == [("blink_twice", "asked", 7.0)]
    running = ChallengeStatus(ChallengeKind.BLINK_TWICE, ChallengeState.ASKED, 1.0, asked_t=1.0)
    call._score(FaceScore(1.1, 1, 1, None, None, None, False, challenge=running))
    assert told[-1] == ("blink_twice", "asked", 7.0)  # the running state is not repeated
    done = ChallengeStatus(ChallengeKind.BLINK_TWICE, ChallengeState.PASSED, 2.0, asked_t=1.0)
    call._score(FaceScore(2.0, 2, 1, None, None, None, False, challenge=done))
    assert told[-1] == ("blink_twice", "passed", None)
    assert len(call.events.scores) == 2  # type: ignore[attr-defined]  # every score still goes to the window
    call._ended = True
    assert call.ask_challenge() is None


def _wired_call(draw: Any, services: Any = None) -> Any:
    """A MediaApplicantCall on stand-ins for the media call, the face worker and the window;
    `services` (default: settings and `draw` only) as LiveConsoleServices."""
    from app.settings import load_settings
    from services.console import MediaApplicantCall

    class Call:
        def show_challenge(self, kind: str, state: str, seconds: float | None = None) -> None:
            pass

    class FaceMatch:
        def ask_challenge(self, kind: ChallengeKind) -> bool:
            return True

    class Events:
        def __init__(self) -> None:
            self.scores: list[Any] = []

        def face_score(self, score: Any) -> None:
            self.scores.append(score)

    class Services:
        settings = load_settings({}, environ={})
        challenge_draw = staticmethod(draw)

    class Applicant:
        session_id = 5

    call = MediaApplicantCall.__new__(MediaApplicantCall)
    call.services, call.call, call.applicant, call.events = (
        services or Services(),
        Call(),
        Applicant(),
        Events(),
    )
    call.face_match, call._ended = FaceMatch(), False
    call._init_challenges()
    return call
