"""The intake's side of the applicant page's camera reports (hostile input: only from the
applicant of a taken call, checked for size and types, rate-limited, passed to that call's
console), the applicant's hang-up (ended for both, recorded as abandoned), and queue places
that say when no reviewer is signed in instead of an expected wait."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from media.intake import IntakeServer
from media.intake.service import CAMERA_REPORTS_PER_MINUTE
from tests.intake_fakes import FakeDesk
from tests.test_intake_api import receive_json, signed_in, take_next, ws_url
from tests.waiting import wait_until

CAMERA = {
    "type": "camera",
    "reason": "call_started",
    "label": "OBS Virtual Camera",
    "settings": {"width": 640, "height": 480, "frameRate": 30, "deviceId": "abc", "brightness": 3},
}


@pytest.fixture
def desk() -> FakeDesk:
    desk = FakeDesk()
    for token in ("alice", "bob"):
        desk.add(token)
    return desk


@pytest.fixture
def server(desk: FakeDesk) -> Iterator[IntakeServer]:
    with IntakeServer(desk, desk, console_access=desk.access) as running:
        yield running


async def taken_call(
    server: IntakeServer, session: aiohttp.ClientSession, token: str = "alice", reviewer: int = 5
) -> tuple[aiohttp.ClientWebSocketResponse, aiohttp.ClientWebSocketResponse, int]:
    """The applicant joined and was taken; the console's session socket is open."""
    applicant = await session.ws_connect(ws_url(server, token))
    await applicant.send_json({"type": "join"})
    await receive_json(applicant, "queued")
    status, taken = await asyncio.to_thread(take_next, server, reviewer)
    assert status == 200
    await receive_json(applicant, "taken")
    console = await session.ws_connect(
        server.url.replace("http", "ws") + taken["signalling_path"], headers=signed_in(reviewer)
    )
    return applicant, console, int(taken["session_id"])


def test_a_camera_report_reaches_the_console_of_the_call_checked(server: IntakeServer) -> None:
    async def scenario() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            applicant, console, _session_id = await taken_call(server, session)
            await applicant.send_json(CAMERA)
            return await receive_json(console, "camera")

    relayed = asyncio.run(scenario())
    assert relayed == {
        "type": "camera",
        "leg": 1,  # sent before the first offer: it belongs to the leg that starts
        "report": {
            "reason": "call_started",
            "label": "OBS Virtual Camera",
            "settings": {
                "width": 640,
                "height": 480,
                "frameRate": 30.0,
                "deviceId": "abc",
            },  # no "brightness"
        },
    }


def test_a_report_as_the_page_renegotiates_belongs_to_the_leg_it_starts(server: IntakeServer) -> None:
    """The page reports 'call_started' before each offer, also when its media failed and it
    starts a new leg while the old one is still open: that report is the new leg's (the console
    checks that each leg delivering video was reported); a change mid-call is the open leg's."""

    async def scenario() -> list[int]:
        async with aiohttp.ClientSession() as session:
            applicant, console, _session_id = await taken_call(server, session)
            legs = []
            await applicant.send_json(CAMERA)
            legs.append((await receive_json(console, "camera"))["leg"])
            await applicant.send_json({"type": "offer", "sdp": "v=0\r\nm=video 9 first"})
            assert (await receive_json(console, "offer"))["leg"] == 1
            await applicant.send_json(CAMERA | {"reason": "camera_changed"})
            legs.append((await receive_json(console, "camera"))["leg"])
            await applicant.send_json(CAMERA)  # leg 1 still open: the page renegotiates
            legs.append((await receive_json(console, "camera"))["leg"])
            await applicant.send_json({"type": "offer", "sdp": "v=0\r\nm=video 9 second"})
            assert (await receive_json(console, "offer"))["leg"] == 2
            return legs

    assert asyncio.run(scenario()) == [1, 1, 2]


def test_camera_reports_only_from_the_applicant_of_a_taken_call(server: IntakeServer) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            waiting = await session.ws_connect(ws_url(server, "bob"))
            await receive_json(waiting, "status")
            await waiting.send_json(CAMERA)  # not joined
            assert (await receive_json(waiting, "error"))["error"] == "not_taken"
            await waiting.send_json({"type": "join"})
            await receive_json(waiting, "queued")
            await waiting.send_json(CAMERA)  # waiting, not taken
            assert (await receive_json(waiting, "error"))["error"] == "not_taken"
            await waiting.send_json({"type": "hang_up"})  # nothing to hang up
            assert (await receive_json(waiting, "error"))["error"] == "not_taken"
            await waiting.send_json({"type": "ping"})
            await receive_json(waiting, "pong")

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "bad",
    [
        {"label": "x" * 1000},
        {"settings": {"width": "640"}},
        {"settings": {"frameRate": True}},
        {"settings": []},
        {"reason": "why not"},
        {"label": None},
    ],
)
def test_a_malformed_report_is_refused_and_the_console_hears_of_it_once(
    server: IntakeServer, bad: Any
) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            applicant, console, _session_id = await taken_call(server, session)
            await applicant.send_json(CAMERA | bad)
            error = await receive_json(applicant, "error")
            await applicant.send_json(CAMERA | bad)
            await receive_json(applicant, "error")
            refused = await receive_json(console, "camera_refused")
            await applicant.send_json(CAMERA)  # a good one still goes through
            return error, refused, await receive_json(console, "camera")

    error, refused, good = asyncio.run(scenario())
    assert error["error"] == "bad_camera_report" and "not valid" in error["message"]
    assert refused == {"type": "camera_refused", "why": "malformed"}
    assert good["report"]["label"] == "OBS Virtual Camera"  # the second refusal was not relayed


def test_a_flood_of_camera_reports_is_cut_off(server: IntakeServer) -> None:
    async def scenario() -> tuple[list[dict[str, Any]], list[str]]:
        async with aiohttp.ClientSession() as session:
            applicant, console, _session_id = await taken_call(server, session)
            for _ in range(CAMERA_REPORTS_PER_MINUTE + 3):
                await applicant.send_json(CAMERA)
            error = await receive_json(applicant, "error")
            relayed = [await receive_json(console, "camera") for _ in range(CAMERA_REPORTS_PER_MINUTE)]
            refused = await receive_json(console, "camera_refused")
            return relayed, [error["error"], refused["why"]]

    relayed, codes = asyncio.run(scenario())
    assert len(relayed) == CAMERA_REPORTS_PER_MINUTE
    assert codes == ["too_many_camera_reports", "too_many"]


@pytest.fixture(params=["one instance", pytest.param("two instances", marks=pytest.mark.postgres)])
def servers(request: pytest.FixtureRequest, desk: FakeDesk) -> Iterator[tuple[IntakeServer, IntakeServer]]:
    """Two intakes the page may reconnect to: the same one, or two sharing PostgreSQL."""
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


async def next_of(ws: aiohttp.ClientWebSocketResponse, *kinds: str) -> dict[str, Any]:
    """The next message of one of these types (others are skipped)."""
    async with asyncio.timeout(5):
        while True:
            message = await ws.receive()
            assert message.type is aiohttp.WSMsgType.TEXT, f"closed waiting for {kinds}: {message}"
            body: dict[str, Any] = json.loads(message.data)
            if body["type"] in kinds:
                return body


def test_reconnecting_resets_neither_the_camera_rate_nor_the_one_refusal_notice(
    servers: tuple[IntakeServer, IntakeServer],
) -> None:
    """F6b: the limit and the console's one notice are the call's, not the socket's: a page that
    reconnects (to the same intake or another) cannot send more reports a minute, nor make the
    console hear of its refused reports again."""
    first, second = servers

    async def reconnect(
        http: aiohttp.ClientSession, page: aiohttp.ClientWebSocketResponse, server: IntakeServer
    ) -> aiohttp.ClientWebSocketResponse:
        await page.close()
        for instance in {id(s): s for s in servers}.values():  # the old socket is gone there
            await asyncio.to_thread(
                wait_until,
                lambda instance=instance: "alice" not in instance.service.applicants,
                5,
                "the old socket to close",
            )
        again = await http.ws_connect(ws_url(server, "alice"))
        await receive_json(again, "taken")
        return again

    async def scenario() -> tuple[list[str], list[dict[str, Any]], str]:
        async with aiohttp.ClientSession() as http:
            page, console, _session_id = await taken_call(first, http)
            await page.send_json(CAMERA | {"label": None})  # refused: the console hears of it
            errors = [(await receive_json(page, "error"))["error"]]
            heard = [await next_of(console, "camera", "camera_refused")]

            page = await reconnect(http, page, second)
            await page.send_json(CAMERA | {"label": None})  # refused again: told once a call
            errors.append((await receive_json(page, "error"))["error"])
            for _ in range(CAMERA_REPORTS_PER_MINUTE - 2):
                await page.send_json(CAMERA)
            heard += [await next_of(console, "camera", "camera_refused") for _ in range(4)]

            page = await reconnect(http, page, first)
            await page.send_json(CAMERA)  # the seventh in the minute
            return errors, heard, (await receive_json(page, "error"))["error"]

    errors, heard, seventh = asyncio.run(scenario())
    assert errors == ["bad_camera_report", "bad_camera_report"]
    assert [m["type"] for m in heard] == ["camera_refused", "camera", "camera", "camera", "camera"]
    assert heard[0]["why"] == "malformed"
    assert seventh == "too_many_camera_reports"


def test_the_applicant_hangs_up_the_call_ends_for_both_and_is_recorded(
    server: IntakeServer, desk: FakeDesk
) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any], int]:
        async with aiohttp.ClientSession() as session:
            applicant, console, session_id = await taken_call(server, session)
            await applicant.send_json({"type": "hang_up"})
            ended = await receive_json(applicant, "ended")
            told = await receive_json(console, "ended")
            return ended, told, session_id

    ended, told, session_id = asyncio.run(scenario())
    assert ended == {"type": "ended", "reason": "applicant_hung_up", "decided": False}
    assert told == {"type": "ended", "reason": "applicant_hung_up", "outcome": "abandoned"}
    assert desk.sessions[session_id].end_reason == "applicant_hung_up"  # the applicant may come back


@pytest.fixture
def ticking_server(desk: FakeDesk, monkeypatch: pytest.MonkeyPatch) -> Iterator[IntakeServer]:
    """The intake with its queue ticking every 0.1 s instead of every second: what a tick tells
    the page is the same, the test waits for two of them."""
    monkeypatch.setattr("media.intake.service.QUEUE_POLL_SECONDS", 0.1)
    with IntakeServer(desk, desk, console_access=desk.access) as running:
        yield running


def test_no_expected_wait_while_no_reviewer_is_signed_in(
    ticking_server: IntakeServer, desk: FakeDesk
) -> None:
    server = ticking_server
    desk.reviewers_signed_in = 0

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            alice = await session.ws_connect(ws_url(server, "alice"))
            await alice.send_json({"type": "join"})
            first = await receive_json(alice, "queued")
            while first["reviewer_signed_in"] is not False:  # the join may come before the first tick
                first = await receive_json(alice, "queued")
            desk.reviewers_signed_in = 1  # a reviewer signs in: the next tick tells the page
            return first, await receive_json(alice, "queued", timeout=5)

    nobody, somebody = asyncio.run(scenario())
    assert (nobody["position"], nobody["expected_wait_seconds"]) == (1, None)
    assert somebody["reviewer_signed_in"] is True and somebody["expected_wait_seconds"] == 60


@pytest.mark.parametrize("decided", [True, False])
def test_the_page_learns_whether_the_review_was_decided_when_the_console_hangs_up(
    server: IntakeServer, desk: FakeDesk, decided: bool
) -> None:
    """So it can say what happens next: the bank's answer, or open the link again."""

    async def scenario() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            applicant, console, session_id = await taken_call(server, session)
            if decided:
                desk.sessions[session_id].state = "ended"  # a decision was recorded meanwhile
            await console.send_json({"type": "end", "reason": "hang_up"})
            return await receive_json(applicant, "ended")

    ended = asyncio.run(scenario())
    assert ended == {"type": "ended", "reason": "hang_up", "decided": decided}
