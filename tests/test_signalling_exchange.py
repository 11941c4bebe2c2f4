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
