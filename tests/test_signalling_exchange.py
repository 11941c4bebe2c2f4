"""The signalling exchange's contract, for one instance in memory and for instances sharing
PostgreSQL: a call's state and its mail are seen from every instance, each message is claimed
once, a stale socket's goodbye changes nothing, and a lost LISTEN connection comes back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.ids import ReviewerId, SessionId
from app.signalling import LocalSignalling, Party, SignallingExchange

SESSION = SessionId(41)
REVIEWER = ReviewerId(7)


@pytest.fixture(params=["local", pytest.param("shared", marks=pytest.mark.postgres)])
def exchanges(request: pytest.FixtureRequest) -> Iterator[tuple[SignallingExchange, SignallingExchange]]:
    """Two instances' views: the same object for one instance, two for PostgreSQL."""
    if request.param == "local":
        local = LocalSignalling()
        yield local, local
        return
    from storage.database import open_database
    from storage.signalling import SharedSignalling

    database = open_database(request.getfixturevalue("postgres_url"))
    try:
        yield SharedSignalling(database), SharedSignalling(database)
    finally:
        database.dispose()


def test_a_taken_call_is_seen_and_changed_from_either_instance(
    exchanges: tuple[SignallingExchange, SignallingExchange],
) -> None:
    first, second = exchanges
    assert first.call(SESSION) is None
    first.call_taken(SESSION, REVIEWER, "Zhang Wei")
    record = second.call(SESSION)
    assert record is not None and (record.reviewer_id, record.reviewer_name, record.leg) == (
        REVIEWER,
        "Zhang Wei",
        0,
    )

    console = second.connect(SESSION, "console", only_if_absent=True)
    assert console == 1
    assert first.connect(SESSION, "console", only_if_absent=True) is None  # one console at a time
    applicant = first.connect(SESSION, "applicant", only_if_absent=False)
    newer = second.connect(SESSION, "applicant", only_if_absent=False)  # a reconnect elsewhere
    assert applicant is not None and newer is not None and newer > applicant
    assert first.disconnect(SESSION, "applicant", applicant) is False  # the stale socket's goodbye
    assert (second.call(SESSION) or record).applicant_present

    first.leg_started(SESSION, 1)
    assert (second.call(SESSION) or record).leg_open
    assert [second.close_leg(SESSION), first.close_leg(SESSION)] == [True, False]

    # The console's grace: it left, came back on the other instance, so the old watch is void.
    assert second.disconnect(SESSION, "console", console)
    again = first.connect(SESSION, "console", only_if_absent=True)
    assert again is not None
    assert second.end_if_console_gone(SESSION, console) is None
    assert first.disconnect(SESSION, "console", again)
    ended = second.end_if_console_gone(SESSION, again)
    assert ended is not None and ended.session_id == SESSION
    assert first.end(SESSION) is None  # ended once
    assert first.call(SESSION) is None and second.call(SESSION) is None


def test_mail_is_claimed_once_in_order_and_replaced_when_stale(
    exchanges: tuple[SignallingExchange, SignallingExchange],
) -> None:
    first, second = exchanges
    first.call_taken(SESSION, REVIEWER, "Zhang Wei")
    big_offer = "v=0\r\n" + "a=candidate:x\r\n" * 1000 + "m=video\r\n"  # far past NOTIFY's 8000 bytes
    first.post(SESSION, "console", {"type": "offer", "sdp": "v=0 old", "leg": 1}, replacing=("offer",))
    first.post(SESSION, "console", {"type": "offer", "sdp": big_offer, "leg": 2}, replacing=("offer",))
    first.post(SESSION, "console", {"type": "applicant_returned"})
    first.post(SESSION, "applicant", {"type": "taken"})
    assert second.collect(SESSION, "console") == [
        {"type": "offer", "sdp": big_offer, "leg": 2},
        {"type": "applicant_returned"},
    ]
    assert first.collect(SESSION, "console") == []
    first.post(SESSION, "applicant", {"type": "ended", "reason": "hang_up"})
    second.discard(SESSION, "applicant", ("taken", "answer"))
    assert first.collect(SESSION, "applicant") == [{"type": "ended", "reason": "hang_up"}]


async def _until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.mark.postgres
def test_instances_hear_of_mail_and_listen_again_after_losing_the_connection(postgres_url: str) -> None:
    from sqlalchemy import text

    from storage.database import open_database
    from storage.signalling import CHANNEL, SharedSignalling

    database = open_database(postgres_url)
    heard: list[tuple[Any, Any]] = []

    def arrived(session_id: SessionId | None, party: Party | None) -> None:
        heard.append((session_id, party))

    async def scenario() -> None:
        listener, poster = SharedSignalling(database, reconnect_seconds=0.2), SharedSignalling(database)
        await listener.start(arrived)
        try:
            await asyncio.to_thread(poster.call_taken, SESSION, REVIEWER, "Zhang Wei")
            await asyncio.to_thread(poster.post, SESSION, "console", {"type": "applicant_returned"})
            await _until(lambda: (SESSION, "console") in heard, "the notice")

            heard.clear()
            with database.engine.connect() as connection:  # the listening connection dies
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE query LIKE :q AND datname = current_database()"
                    ),
                    {"q": f"LISTEN {CHANNEL}%"},
                )
                connection.commit()
            await _until(lambda: (None, None) in heard, "listening again, with a look at every socket")
            await asyncio.to_thread(poster.post, SESSION, "applicant", {"type": "taken"})
            await _until(lambda: (SESSION, "applicant") in heard, "a notice after listening again")
        finally:
            await listener.stop()

    try:
        asyncio.run(scenario())
    finally:
        database.dispose()


def test_an_ended_call_leaves_nothing_behind_and_unread_mail_is_swept(
    exchanges: tuple[SignallingExchange, SignallingExchange],
) -> None:
    """Issue 15: an ended call's state goes with it, and the applicant's last mail, unread
    because their page had closed, is dropped by a later sweep (not while it may be read)."""
    from datetime import UTC, datetime, timedelta

    first, second = exchanges
    first.call_taken(
        SESSION, REVIEWER, "Zhang Wei", applicant_mail={"type": "taken", "reviewer": "Zhang Wei"}
    )
    assert second.collect(SESSION, "applicant") == [{"type": "taken", "reviewer": "Zhang Wei"}]
    first.post(SESSION, "console", {"type": "applicant_returned"})
    ended = second.end(SESSION)
    assert ended is not None and ended.ended and ended.reviewer_name == "Zhang Wei"
    first.post(SESSION, "applicant", {"type": "ended", "reason": "hang_up"})  # the page is gone
    now = datetime.now(UTC)
    assert not second.sweep(now)  # nothing to reclaim; the mail is too fresh to drop
    later = now + timedelta(hours=1)
    first.sweep(later)
    second.sweep(later)
    assert first.collect(SESSION, "applicant") == [] and first.collect(SESSION, "console") == []
    if not isinstance(first, LocalSignalling):
        from sqlalchemy import func, select

        from storage.models import SignallingCall, SignallingMessage
        from storage.signalling import SharedSignalling

        assert isinstance(first, SharedSignalling)
        with first.database.session() as session:
            assert session.execute(select(func.count()).select_from(SignallingCall)).scalar_one() == 0
            assert session.execute(select(func.count()).select_from(SignallingMessage)).scalar_one() == 0


@pytest.mark.postgres
def test_a_stopped_instances_applicants_and_calls_are_reclaimed_once(postgres_url: str) -> None:
    """An instance that stops renewing its lease (it crashed) is reclaimed by exactly one of the
    others: who waited on its sockets, and the parties of calls it held; a waiting applicant
    who came back on a live instance first stays where they are."""
    from datetime import UTC, datetime, timedelta

    from storage.database import open_database
    from storage.signalling import SharedSignalling

    database = open_database(postgres_url)
    try:
        crashed = SharedSignalling(database, instance_id="crashed", lease_seconds=30)
        alive = SharedSignalling(database, instance_id="alive", lease_seconds=30)
        other = SharedSignalling(database, instance_id="other", lease_seconds=30)
        start = datetime.now(UTC)
        for instance in (crashed, alive, other):
            assert not instance.sweep(start)
        crashed.hold(SessionId(1))
        crashed.hold(SessionId(2))
        crashed.hold(SessionId(3))
        alive.hold(SessionId(2))  # applicant 2 came back on a live instance
        crashed.release(SessionId(3))  # applicant 3 closed the page
        alive.release(SessionId(1))  # not alive's to release
        crashed.call_taken(SessionId(10), REVIEWER, "Zhang Wei")
        console_epoch = crashed.connect(SessionId(10), "console", only_if_absent=True)
        alive.connect(SessionId(10), "applicant", only_if_absent=False)
        alive.call_taken(SessionId(11), REVIEWER, "Zhang Wei")
        alive.connect(SessionId(11), "console", only_if_absent=True)
        crashed.connect(SessionId(11), "applicant", only_if_absent=False)
        crashed.leg_started(SessionId(11), 2)

        soon = start + timedelta(seconds=20)  # within the lease: nothing is reclaimed
        assert not alive.sweep(soon) and not other.sweep(soon)
        later = start + timedelta(seconds=45)  # crashed has not swept since start
        sweeps = [alive.sweep(later), other.sweep(later)]
        reclaimed = [r for r in sweeps if r]
        assert len(reclaimed) == 1
        assert reclaimed[0].waiting == (SessionId(1),)
        assert reclaimed[0].consoles == ((SessionId(10), console_epoch),)
        assert reclaimed[0].applicants == ((SessionId(11), 2),)
        # The console of call 10 may now connect again (on a live instance) ...
        assert other.connect(SessionId(10), "console", only_if_absent=True) is not None
        # ... and call 11's applicant is no longer present, so its console may be told so.
        record = alive.call(SessionId(11))
        assert record is not None and not record.applicant_present and record.console_present
        assert not alive.sweep(later + timedelta(seconds=1))  # reclaimed once
    finally:
        database.dispose()


@pytest.mark.postgres
def test_a_live_intake_takes_back_what_a_crashed_one_held(postgres_url: str) -> None:
    """The intake's sweep: an applicant left waiting on a crashed instance's socket leaves the
    queue (their link stays valid), one who waited without a lease there stays, and a call whose
    console was on the crashed instance ends (console lost) once the grace time passes."""
    from datetime import UTC, datetime

    from media.intake.service import IntakeService
    from storage.database import open_database
    from storage.signalling import SharedSignalling
    from tests.intake_fakes import FakeDesk

    database = open_database(postgres_url)
    desk = FakeDesk()
    for name in ("alice", "bob", "carol"):
        desk.add(name)
    alice, bob, carol = (desk.join_queue(name, datetime.now(UTC)) for name in ("alice", "bob", "carol"))
    taken = desk.take_next(REVIEWER, datetime.now(UTC))  # alice, the longest waiting
    assert taken is not None and taken.session_id == alice.session_id
    crashed = SharedSignalling(database, instance_id="crashed", lease_seconds=0.5)
    survivor = SharedSignalling(database, instance_id="survivor", lease_seconds=0.5)
    crashed.sweep(datetime.now(UTC))
    crashed.hold(bob.session_id)
    crashed.call_taken(alice.session_id, REVIEWER, "Zhang Wei")
    assert crashed.connect(alice.session_id, "console", only_if_absent=True) == 1
    service = IntakeService(
        desk, desk, console_access=desk.access, exchange=survivor, console_grace_seconds=0.2
    )

    async def scenario() -> None:
        reclaimed = await service.sweep()
        deadline = asyncio.get_running_loop().time() + 20
        while not reclaimed:  # until the crashed instance's lease has run out
            assert asyncio.get_running_loop().time() < deadline, "the lease never ran out"
            await asyncio.sleep(0.1)
            reclaimed = await service.sweep()
        assert reclaimed.waiting == (bob.session_id,)
        await _until(lambda: desk.sessions[alice.session_id].state == "ended", "the call to end")

    asyncio.run(scenario())
    try:
        assert (desk.sessions[bob.session_id].state, desk.sessions[bob.session_id].end_reason) == (
            "ended",
            "intake_lost",
        )
        assert desk.sessions[carol.session_id].state == "waiting"  # not held by the crashed one
        assert desk.sessions[alice.session_id].end_reason == "console_lost"
        assert survivor.call(alice.session_id) is None
        assert survivor.collect(alice.session_id, "applicant")[-1]["type"] == "ended"
    finally:
        database.dispose()
