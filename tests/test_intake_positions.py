"""Queue positions from one snapshot per tick: one read of the queue however many wait, a
message only to those whose place or the queue's length changed, and the consoles' summary
from the same snapshot (concurrent callers share one read)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from app.ids import SessionId
from app.queue import QueueSnapshot
from media.intake.positions import QueueBoard

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


class FakeSocket:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed = False

    async def send_str(self, text: str) -> None:
        self.sent.append(json.loads(text))


class Queue:
    """The database's waiting queue, counting how often it is read."""

    def __init__(self, waiting: list[int]) -> None:
        self.waiting = [SessionId(s) for s in waiting]
        self.reads = 0

    async def read(self, now: datetime) -> QueueSnapshot:
        self.reads += 1
        await asyncio.sleep(0.01)  # a query takes a while: concurrent readers must share it
        oldest = NOW - timedelta(seconds=90) if self.waiting else None
        return QueueSnapshot(tuple(self.waiting), oldest, now)


def board_for(queue: Queue) -> QueueBoard:
    return QueueBoard(queue.read, lambda: NOW, tick_seconds=60.0, review_seconds_estimate=60.0)


def test_one_read_tells_every_applicant_and_only_those_whose_place_changed() -> None:
    async def scenario() -> None:
        queue = Queue(list(range(1, 501)))
        board = board_for(queue)
        sockets = {SessionId(s): FakeSocket() for s in range(1, 501)}
        for place, (session_id, ws) in enumerate(sockets.items(), start=1):
            board.listen(session_id, ws, place, 500)  # type: ignore[arg-type]
        assert await board.tell_everyone() == 0  # nothing changed: nobody is told
        assert queue.reads == 1

        queue.waiting.remove(SessionId(1))  # taken on another instance
        board.queue_changed()
        assert await board.tell_everyone() == 499
        assert queue.reads == 2
        assert sockets[SessionId(2)].sent[-1] == {
            "type": "queued", "session_id": 2, "position": 1, "waiting": 499, "reviewer_signed_in": True,
            "expected_wait_seconds": 60,
        }  # fmt: skip
        assert sockets[SessionId(1)].sent == []  # taken: no place to report

        board.forget(SessionId(500))
        queue.waiting.remove(SessionId(500))  # the last one left: the others' places stay, the count changes
        assert await board.tell_everyone() == 498
        assert sockets[SessionId(499)].sent[-1]["position"] == 498
        assert sockets[SessionId(499)].sent[-1]["waiting"] == 498
        assert len(sockets[SessionId(500)].sent) == 1

    asyncio.run(scenario())


def test_the_summary_comes_from_the_snapshot_and_concurrent_callers_share_one_read() -> None:
    async def scenario() -> None:
        queue = Queue([4, 5, 6])
        board = board_for(queue)
        summaries = await asyncio.gather(*(board.summary() for _ in range(20)))
        assert queue.reads == 1
        assert {(s.waiting, s.longest_wait_seconds) for s in summaries} == {(3, 90.0)}
        await board.summary()
        assert queue.reads == 1  # fresh: no new read

        # A join, a take and a leave on this instance: counted at once, still without a read.
        queue.waiting.append(SessionId(7))
        board.listen(SessionId(7), FakeSocket(), 4, 4)  # type: ignore[arg-type]
        assert (await board.summary()).waiting == 4
        queue.waiting.remove(SessionId(4))
        board.out_of_queue(SessionId(4))
        board.out_of_queue(SessionId(4))  # told twice (the take, then the socket closing): once
        queue.waiting.remove(SessionId(7))
        board.out_of_queue(SessionId(7))
        assert (await board.summary()).waiting == 2
        assert queue.reads == 1

        # Changes on other instances show once the snapshot is a tick old: read again then.
        queue.waiting.append(SessionId(8))
        board.tick_seconds = 0.0
        assert (await board.summary()).waiting == 3
        assert queue.reads == 2

    asyncio.run(scenario())


def test_places_stay_right_after_joins_leaves_and_takes() -> None:
    """Each tick re-reads the queue after local changes: the places told are the database's,
    and whoever left or was taken hears nothing more."""

    async def scenario() -> None:
        queue = Queue([1, 2, 3])
        board = board_for(queue)
        sockets = {SessionId(s): FakeSocket() for s in (1, 2, 3, 4)}
        for place, session_id in enumerate((1, 2, 3), start=1):
            board.listen(SessionId(session_id), sockets[SessionId(session_id)], place, 3)  # type: ignore[arg-type]
        assert await board.tell_everyone() == 0

        queue.waiting.append(SessionId(4))  # joins: told their place on joining, then by the board
        board.listen(SessionId(4), sockets[SessionId(4)], 4, 4)  # type: ignore[arg-type]
        queue.waiting.remove(SessionId(1))  # taken here
        board.out_of_queue(SessionId(1))
        queue.waiting.remove(SessionId(3))  # left
        board.out_of_queue(SessionId(3))
        assert await board.tell_everyone() == 2
        assert sockets[SessionId(2)].sent[-1] == {
            "type": "queued", "session_id": 2, "position": 1, "waiting": 2, "reviewer_signed_in": True,
            "expected_wait_seconds": 60,
        }  # fmt: skip
        assert sockets[SessionId(4)].sent[-1]["position"] == 2
        assert sockets[SessionId(1)].sent == [] and sockets[SessionId(3)].sent == []

        queue.waiting.insert(0, SessionId(9))  # someone joined earlier on another instance
        board.queue_changed()
        assert await board.tell_everyone() == 2
        assert [sockets[SessionId(s)].sent[-1]["position"] for s in (2, 4)] == [2, 3]
        assert board.queued_message(SessionId(4), 3, 3) == json.dumps(sockets[SessionId(4)].sent[-1])

    asyncio.run(scenario())


def test_a_failed_read_is_tried_again_next_time() -> None:
    async def scenario() -> None:
        queue = Queue([1])
        fails = [True]

        async def flaky(now: datetime) -> QueueSnapshot:
            if fails.pop(0) if fails else False:
                raise ConnectionError("database went away")
            return await queue.read(now)

        board = QueueBoard(flaky, lambda: NOW, tick_seconds=60.0, review_seconds_estimate=60.0)
        try:
            await board.summary()
        except ConnectionError:
            pass
        else:
            raise AssertionError("the failure should reach the caller")
        assert (await board.summary()).waiting == 1

    asyncio.run(scenario())


def test_formatted_places_are_the_json_of_their_fields_staffed_or_not() -> None:
    async def scenario() -> None:
        for signed_in, wait in ((2, 120), (0, None)):

            async def read(now: datetime, signed_in: int = signed_in) -> QueueSnapshot:
                return QueueSnapshot((SessionId(5), SessionId(9)), NOW, now, reviewers_signed_in=signed_in)

            board = QueueBoard(read, lambda: NOW, tick_seconds=60.0, review_seconds_estimate=60.0)
            ws = FakeSocket()
            board.listen(SessionId(9), ws, 3, 3)  # type: ignore[arg-type]
            assert await board.tell_everyone() == 1
            fields = {
                "type": "queued", "session_id": 9, "position": 2, "waiting": 2,
                "reviewer_signed_in": signed_in > 0, "expected_wait_seconds": wait,
            }  # fmt: skip
            assert ws.sent == [fields]
            assert board.queued_message(SessionId(9), 2, 2) == json.dumps(fields)

    asyncio.run(scenario())


class SlowConnection(asyncio.WriteTransport):
    """A page's connection with `unsent` bytes still waiting to go out."""

    def __init__(self) -> None:
        super().__init__()
        self.unsent = 0

    def get_write_buffer_size(self) -> int:
        return self.unsent


def test_a_page_that_is_not_keeping_up_gets_the_newest_place_once_it_catches_up() -> None:
    async def scenario() -> None:
        queue = Queue([1, 2, 3])
        board = board_for(queue)
        slow, quick = FakeSocket(), FakeSocket()
        connection = SlowConnection()
        board.listen(SessionId(3), slow, 3, 3, transport=connection)  # type: ignore[arg-type]
        board.listen(SessionId(2), quick, 2, 3, transport=SlowConnection())  # type: ignore[arg-type]

        connection.unsent = 150  # the last place has not left yet: nothing more piles up
        queue.waiting.remove(SessionId(1))
        board.queue_changed()
        assert await board.tell_everyone() == 1
        assert quick.sent[-1]["position"] == 1 and slow.sent == []

        queue.waiting.append(SessionId(4))
        board.queue_changed()
        assert await board.tell_everyone() == 1
        assert slow.sent == []

        connection.unsent = 0  # caught up: told where they are now, once
        board.queue_changed()
        assert await board.tell_everyone() == 1
        assert [(m["position"], m["waiting"]) for m in slow.sent] == [(2, 3)]

    asyncio.run(scenario())
