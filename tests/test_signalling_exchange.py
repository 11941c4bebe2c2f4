"""The signalling exchange's contract, for one instance in memory and for instances sharing
PostgreSQL: a call's state and its mail are seen from every instance, each message is claimed
once, a stale socket's goodbye changes nothing, and a lost LISTEN connection comes back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
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


def test_camera_reports_are_counted_per_call_from_either_instance(
    exchanges: tuple[SignallingExchange, SignallingExchange],
) -> None:
    """F6b: the rate limit and the console's one refusal notice are the call's, whichever
    instance the page's socket is on; a call taken again starts both afresh."""
    first, second = exchanges
    first.call_taken(SESSION, REVIEWER, "Zhang Wei")
    counted = [(first if n % 2 else second).count_camera_report(SESSION, 6) for n in range(8)]
    assert counted == [True] * 6 + [False] * 2
    assert [first.first_camera_refusal(SESSION), second.first_camera_refusal(SESSION)] == [True, False]
    second.call_taken(SESSION, REVIEWER, "Li Na")  # taken again after the call ended
    assert first.count_camera_report(SESSION, 6) and second.first_camera_refusal(SESSION)


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


LEASE = 1.0  # seconds: short, so the leases below run out in real time (the database's clock)


def _instances(database: Any, *names: str) -> list[Any]:
    """Shared exchanges with ids of their own (nothing of another test's is taken for theirs)."""
    import uuid

    from storage.signalling import SharedSignalling

    run = uuid.uuid4().hex[:8]
    return [SharedSignalling(database, instance_id=f"{name}-{run}", lease_seconds=LEASE) for name in names]


def _remove_leases(database: Any, *instances: Any) -> None:
    """The test's instances leave no lease or hold behind."""
    from sqlalchemy import delete

    from storage.models import IntakeInstance, QueueHolder

    ids = [instance.instance_id for instance in instances]
    with database.session() as session:
        session.execute(delete(QueueHolder).where(QueueHolder.instance_id.in_(ids)))
        session.execute(delete(IntakeInstance).where(IntakeInstance.instance_id.in_(ids)))


def _lease_row(database: Any, instance: Any) -> Any:
    from sqlalchemy import select

    from storage.models import IntakeInstance

    with database.session() as session:
        return session.execute(
            select(IntakeInstance.seen_at).where(IntakeInstance.instance_id == instance.instance_id)
        ).scalar_one_or_none()


def _lease_age(database: Any, instance: Any) -> float:
    """Seconds since the instance last renewed, by the database's clock."""
    from sqlalchemy import func, select

    from storage.models import IntakeInstance

    with database.session() as session:
        age = session.execute(
            select(func.now() - IntakeInstance.seen_at).where(
                IntakeInstance.instance_id == instance.instance_id
            )
        ).scalar_one()
    return float(age.total_seconds())


def _holders(database: Any) -> dict[int, str]:
    from sqlalchemy import select

    from storage.models import QueueHolder

    with database.session() as session:
        return dict(session.execute(select(QueueHolder.session_id, QueueHolder.instance_id)).tuples().all())


def _sweep_in_turn(instances: Sequence[Any], seconds: float) -> list[Any]:
    """Each instance renews in turn for `seconds` (one thread: a stall delays them all alike);
    what their sweeps reclaimed."""
    from datetime import UTC, datetime

    reclaimed = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        for instance in instances:
            swept = instance.sweep(datetime.now(UTC))
            if swept or swept.lease_lost:
                reclaimed.append(swept)
        time.sleep(LEASE / 10)
    return reclaimed


@pytest.mark.postgres
def test_a_stopped_instances_applicants_and_calls_are_reclaimed_once(postgres_url: str) -> None:
    """An instance that stops renewing its lease (it crashed) is reclaimed by exactly one of the
    others: who waited on its sockets, and the parties of calls it held; a waiting applicant
    who came back on a live instance first stays where they are."""
    from datetime import UTC, datetime

    from storage.database import open_database
    from tests.waiting import wait_until

    database = open_database(postgres_url)
    crashed, alive, other = instances = _instances(database, "crashed", "alive", "other")
    try:
        for instance in instances:
            assert not instance.sweep(datetime.now(UTC))
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

        # All three renew for longer than a lease: nobody is reclaimed.
        assert _sweep_in_turn(instances, LEASE * 1.5) == []
        # Then crashed stops renewing; alive and other go on until its lease has run out.
        reclaimed: list[Any] = []
        wait_until(
            lambda: (
                reclaimed.extend(_sweep_in_turn([alive, other], LEASE / 5))
                or _lease_row(database, crashed) is None
            ),
            10,
            "the crashed instance's lease to be reclaimed",
        )
        assert len(reclaimed) == 1
        assert reclaimed[0].waiting == (SessionId(1),)
        assert reclaimed[0].consoles == ((SessionId(10), console_epoch),)
        assert reclaimed[0].applicants == ((SessionId(11), 2),)
        assert not reclaimed[0].lease_lost
        # The console of call 10 may now connect again (on a live instance) ...
        assert other.connect(SessionId(10), "console", only_if_absent=True) is not None
        # ... and call 11's applicant is no longer present, so its console may be told so.
        record = alive.call(SessionId(11))
        assert record is not None and not record.applicant_present and record.console_present
        assert not alive.sweep(datetime.now(UTC)) and not other.sweep(datetime.now(UTC))  # once
        # The crashed instance comes back: it hears its lease was taken, and holds anew.
        back = crashed.sweep(datetime.now(UTC))
        assert back.lease_lost and not back
        assert not crashed.sweep(datetime.now(UTC)).lease_lost
    finally:
        _remove_leases(database, *instances)
        database.dispose()


@pytest.mark.postgres
def test_after_a_database_outage_longer_than_the_lease_no_instance_takes_the_others_for_crashed(
    postgres_url: str,
) -> None:
    """F7: while the database is down no instance renews; when it returns, the first to sweep
    must not reclaim the others (their applicants still wait on their sockets, their consoles
    are still in their calls). The leases go by the database's clock, and an instance reclaims
    only after renewing for a whole lease itself."""
    from datetime import UTC, datetime, timedelta

    from storage.database import open_database
    from tests.waiting import wait_until

    database = open_database(postgres_url)
    first, second = instances = _instances(database, "first", "second")
    try:
        for instance in instances:
            instance.sweep(datetime.now(UTC))
        first.hold(SessionId(1))
        first.hold(SessionId(2))
        second.hold(SessionId(3))
        first.call_taken(SessionId(10), REVIEWER, "Zhang Wei")
        first.connect(SessionId(10), "console", only_if_absent=True)
        second.connect(SessionId(10), "applicant", only_if_absent=False)
        second.call_taken(SessionId(11), REVIEWER, "Li Na")
        second.connect(SessionId(11), "console", only_if_absent=True)
        first.connect(SessionId(11), "applicant", only_if_absent=False)
        assert _sweep_in_turn(instances, LEASE * 1.5) == []  # steady: each may reclaim by now

        # The outage: nobody renews until, by the database's clock, both leases ran out long ago ...
        wait_until(
            lambda: _lease_age(database, first) > LEASE * 2 and _lease_age(database, second) > LEASE * 2,
            10,
            "both leases to run out",
        )
        # ... then the database is back. The first to sweep (with a clock ahead of the
        # database's, as a host's may be) reclaims nobody, nor does the second.
        assert not first.sweep(datetime.now(UTC) + timedelta(hours=1))
        assert not second.sweep(datetime.now(UTC))
        assert _sweep_in_turn(instances, LEASE * 1.5) == []

        assert _holders(database) == {1: first.instance_id, 2: first.instance_id, 3: second.instance_id}
        for session_id in (SessionId(10), SessionId(11)):
            record = first.call(session_id)
            assert record is not None and record.console_present and record.applicant_present
    finally:
        _remove_leases(database, *instances)
        database.dispose()


@pytest.mark.postgres
def test_a_live_intake_takes_back_what_a_crashed_one_held(postgres_url: str) -> None:
    """The intake's sweep: an applicant left waiting on a crashed instance's socket leaves the
    queue (their link stays valid), one who waited without a lease there stays, and a call whose
    console was on the crashed instance ends (console lost) once the grace time passes."""
    from datetime import UTC, datetime

    from media.intake.service import IntakeService
    from storage.database import open_database
    from tests.intake_fakes import FakeDesk

    database = open_database(postgres_url)
    desk = FakeDesk()
    for name in ("alice", "bob", "carol"):
        desk.add(name)
    alice, bob, carol = (desk.join_queue(name, datetime.now(UTC)) for name in ("alice", "bob", "carol"))
    taken = desk.take_next(REVIEWER, datetime.now(UTC))  # alice, the longest waiting
    assert taken is not None and taken.session_id == alice.session_id
    crashed, survivor = instances = _instances(database, "crashed", "survivor")
    crashed.sweep(datetime.now(UTC))
    crashed.hold(bob.session_id)
    crashed.call_taken(alice.session_id, REVIEWER, "Zhang Wei")
    assert crashed.connect(alice.session_id, "console", only_if_absent=True) == 1
    service = IntakeService(
        desk, desk, console_access=desk.access, exchange=survivor, console_grace_seconds=0.2
    )

    async def scenario() -> None:
        reclaimed = [await service.sweep()]
        deadline = asyncio.get_running_loop().time() + 20
        # Until the crashed instance's lease has run out and the survivor, renewing for a
        # lease, took it back (another instance's, if any, is not this test's to look at).
        while await asyncio.to_thread(_lease_row, database, crashed) is not None:
            assert asyncio.get_running_loop().time() < deadline, "the lease never ran out"
            await asyncio.sleep(0.1)
            reclaimed.append(await service.sweep())
        ours = {bob.session_id, carol.session_id}
        assert [s for r in reclaimed for s in r.waiting if s in ours] == [bob.session_id]
        assert [c for r in reclaimed for c in r.consoles if c[0] == alice.session_id] == [
            (alice.session_id, 1)
        ]
        await _until(lambda: desk.sessions[alice.session_id].state == "ended", "the call to end")

    try:
        asyncio.run(scenario())
        assert (desk.sessions[bob.session_id].state, desk.sessions[bob.session_id].end_reason) == (
            "ended",
            "intake_lost",
        )
        assert desk.sessions[carol.session_id].state == "waiting"  # not held by the crashed one
        assert desk.sessions[alice.session_id].end_reason == "console_lost"
        assert survivor.call(alice.session_id) is None
        assert survivor.collect(alice.session_id, "applicant")[-1]["type"] == "ended"
    finally:
        _remove_leases(database, *instances)
        database.dispose()


@pytest.mark.postgres
def test_an_intake_whose_lease_was_taken_holds_its_sockets_again(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """F7: an instance cut off from the database for longer than a lease (the others were not)
    is reclaimed although its sockets are open. When it renews again it finds its lease taken
    and holds them again: the waiting applicant, taken out of the queue, joins again and is told
    the truth (a new place); the applicant in a call returns to it (the page calls again, the
    console hears they are back); the console is present again, so its call is not ended as
    console lost when the other instance's grace time passes."""
    import aiohttp

    import media.intake.service as intake_service
    from media.intake import IntakeServer
    from storage.database import open_database
    from storage.signalling import SharedSignalling
    from tests.intake_fakes import FakeDesk
    from tests.test_intake_api import receive_json, signed_in, take_next, ws_url
    from tests.waiting import wait_until

    class CutOff(SharedSignalling):
        """Its renewals fail while `cut` is set (this host cannot reach the database)."""

        cut = False

        def sweep(self, now: Any) -> Any:
            if self.cut:
                raise ConnectionError("the database cannot be reached")
            return super().sweep(now)

    monkeypatch.setattr(intake_service, "SWEEP_SECONDS", LEASE / 10)
    database = open_database(postgres_url)
    desk = FakeDesk()
    for name in ("alice", "bob"):
        desk.add(name)
    owner_exchange = CutOff(database, instance_id=f"owner-{uuid_hex()}", lease_seconds=LEASE)
    other_exchange = SharedSignalling(database, instance_id=f"other-{uuid_hex()}", lease_seconds=LEASE)
    grace = 4.0
    owner = IntakeServer(desk, desk, console_access=desk.access, exchange=owner_exchange)
    other = IntakeServer(
        desk, desk, console_access=desk.access, exchange=other_exchange, console_grace_seconds=grace
    )

    async def scenario() -> dict[str, Any]:
        async with aiohttp.ClientSession() as http:
            alice = await http.ws_connect(ws_url(owner, "alice"))
            await alice.send_json({"type": "join"})
            await receive_json(alice, "queued")
            status, taken = await asyncio.to_thread(take_next, other, 5)  # take-next elsewhere
            assert status == 200
            session_id = int(taken["session_id"])
            await receive_json(alice, "taken")
            console = await http.ws_connect(
                owner.url.replace("http", "ws") + taken["signalling_path"], headers=signed_in(5)
            )
            await alice.send_json({"type": "offer", "sdp": "v=0\r\nm=video 9"})
            assert (await receive_json(console, "offer"))["leg"] == 1
            bob = await http.ws_connect(ws_url(owner, "bob"))
            await bob.send_json({"type": "join"})
            queued = await receive_json(bob, "queued")
            bob_before = SessionId(queued["session_id"])

            owner_exchange.cut = True  # the owner's renewals fail; the other's go on
            await asyncio.to_thread(
                wait_until,
                lambda: desk.sessions[bob_before].end_reason == "intake_lost",
                20,
                "the other instance to reclaim the owner's waiting applicant",
            )
            assert (await receive_json(console, "applicant_left"))["leg"] == 1
            owner_exchange.cut = False  # the owner reaches the database again

            requeued = await receive_json(bob, "queued")
            back = await receive_json(alice, "taken")
            returned = await receive_json(console, "applicant_returned")
            # The other instance's grace for the console it took for lost passes ...
            await asyncio.to_thread(
                wait_until,
                lambda: SessionId(session_id) not in other.service._console_watches,
                grace + 10,
                "the other instance's grace watch to finish",
            )
            record = other_exchange.call(SessionId(session_id))
            bob_now = SessionId(requeued["session_id"])
            return {
                "requeued": requeued,
                "bob_before": bob_before,
                "bob_now": (bob_now, desk.sessions[bob_now].state, _holders(database).get(bob_now)),
                "back": back,
                "returned": returned,
                "record": record,
                "alice": desk.sessions[SessionId(session_id)],
            }

    try:
        with owner, other:
            seen = asyncio.run(scenario())
        bob_now, state, holder = seen["bob_now"]
        assert bob_now != seen["bob_before"] and state == "waiting"  # at the back of the queue
        assert seen["requeued"]["position"] == 1
        assert holder == owner_exchange.instance_id
        assert seen["back"]["reconnect"] is True
        assert seen["returned"] == {"type": "applicant_returned"}
        # ... and the call goes on: the console is present again, the applicant too.
        assert (seen["alice"].state, seen["alice"].end_reason) == ("connected", "")
        record = seen["record"]
        assert record is not None and record.console_present and record.applicant_present
    finally:
        _remove_leases(database, owner_exchange, other_exchange)
        database.dispose()


def uuid_hex() -> str:
    import uuid

    return uuid.uuid4().hex[:8]
