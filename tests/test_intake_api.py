"""The intake service's HTTP and WebSocket API against an in-memory desk: the happy path, and
bad input that must get a clear error and never take the service down."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from app.queue import TokenStatus
from media.intake import IntakeServer, applicant_url
from media.intake.service import MAX_MESSAGE_BYTES
from tests.intake_fakes import FakeConsoleAccess, FakeDesk
from tests.waiting import wait_until


@pytest.fixture
def desk() -> FakeDesk:
    desk = FakeDesk()
    for token in ("alice", "bob", "carol"):
        desk.add(token)
    desk.add("used", TokenStatus.USED)
    desk.add("checking", TokenStatus.BEING_CHECKED)
    desk.add("expired", TokenStatus.EXPIRED)
    desk.add("night", TokenStatus.OUTSIDE_HOURS)
    return desk


@pytest.fixture
def server(desk: FakeDesk) -> Iterator[IntakeServer]:
    with IntakeServer(desk, desk, console_access=desk.access) as running:
        yield running


def http(
    server: IntakeServer,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    request = urllib.request.Request(server.url + path, data=body, method=method)
    if body is not None:
        request.add_header("Content-Type", content_type)
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            status = response.status
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        raw, status, kind = error.read(), error.code, error.headers.get("Content-Type", "")
    if "json" in kind:
        return status, json.loads(raw)
    return status, raw


def signed_in(reviewer_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer {FakeConsoleAccess().token_for(reviewer_id)}"}


def take_next(server: IntakeServer, reviewer_id: int = 1) -> tuple[int, Any]:
    return http(server, "POST", "/api/console/take-next", b"", headers=signed_in(reviewer_id))


async def receive_json(
    ws: aiohttp.ClientWebSocketResponse, kind: str, timeout: float = 5.0
) -> dict[str, Any]:
    """The next message of this type (others, such as position updates, are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            message = await ws.receive()
            assert message.type is aiohttp.WSMsgType.TEXT, (
                f"socket closed while waiting for {kind!r}: {message}"
            )
            body: dict[str, Any] = json.loads(message.data)
            if body["type"] == kind:
                return body


def ws_url(server: IntakeServer, token: str) -> str:
    return server.url.replace("http", "ws") + f"/ws/applicant?t={token}"


# -- the applicant page and status -----------------------------------------------------------


def test_the_applicant_page_and_its_files_are_served(server: IntakeServer) -> None:
    for path in ("/apply", "/a/some-token"):
        status, body = http(server, "GET", path)
        assert status == 200
        assert b'<meta name="viewport"' in body and b"/static/applicant.js" in body
    status, script = http(server, "GET", "/static/applicant.js")
    assert status == 200 and b"iceGatheringState" in script and "加入排队".encode() in script
    assert http(server, "GET", "/static/../service.py")[0] == 404
    assert applicant_url("http://x:1/", "tok") == "http://x:1/apply#t=tok"


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [
        ("alice", "valid", 200),
        ("used", "used", 403),
        ("checking", "being_checked", 403),
        ("expired", "expired", 403),
        ("night", "outside_hours", 403),
        ("nobody", "unknown", 403),
    ],
)
def test_status_says_what_is_wrong_with_a_token(
    server: IntakeServer, token: str, status: str, code: int
) -> None:
    got_code, body = http(server, "GET", f"/api/applicant/status?t={token}")
    assert got_code == code
    assert body["status"] == status
    assert body["message"]
    if status == "being_checked":  # reviewed, but not final: never "already reviewed"
        assert "checking the decision" in body["message"] and "already" not in body["message"]
    if status == "outside_hours":
        assert body["next_opening"]


def test_status_without_a_token_or_with_a_huge_one(server: IntakeServer) -> None:
    assert http(server, "GET", "/api/applicant/status")[1]["error"] == "unknown_token"
    assert http(server, "GET", "/api/applicant/status?t=" + "x" * 5000)[1]["error"] == "unknown_token"


# -- queue and take-next -------------------------------------------------------------------------


def test_join_wait_and_be_taken_exactly_once(server: IntakeServer, desk: FakeDesk) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            alice = await session.ws_connect(ws_url(server, "alice"))
            assert (await receive_json(alice, "status"))["status"] == "valid"
            await alice.send_json({"type": "join"})
            first = await receive_json(alice, "queued")
            assert (first["position"], first["waiting"]) == (1, 1)
            assert first["expected_wait_seconds"] == 60

            bob = await session.ws_connect(ws_url(server, "bob"))
            await receive_json(bob, "status")
            await bob.send_json({"type": "join"})
            assert (await receive_json(bob, "queued"))["position"] == 2

            status, summary = await asyncio.to_thread(
                http, server, "GET", "/api/queue/summary", None, "", signed_in(7)
            )
            assert status == 200 and summary["waiting"] == 2

            status, taken = await asyncio.to_thread(take_next, server, 7)
            assert status == 200
            assert taken["session_id"] == first["session_id"]
            assert taken["signalling_path"] == f"/ws/console/sessions/{first['session_id']}"
            assert taken["reference_photo_b64"]
            assert taken["ice"] == {"iceServers": [], "iceTransportPolicy": "all"}
            told = await receive_json(alice, "taken")
            assert told["reconnect"] is False and told["reviewer"] == "reviewer-7"
            assert (await receive_json(bob, "queued"))["position"] == 1
            await alice.close()
            await bob.close()

    asyncio.run(scenario())
    assert desk.taken_log == [(7, 1)]


def test_concurrent_take_next_gives_each_applicant_to_one_console(
    server: IntakeServer, desk: FakeDesk
) -> None:
    for index in range(12):
        desk.add(f"applicant-{index}")
        desk.join_queue(f"applicant-{index}", datetime.now(UTC))
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda i: take_next(server, i % 3 + 1), range(20)))
    taken = [body["session_id"] for status, body in results if status == 200]
    assert sorted(taken) == list(range(1, 13))
    assert sum(1 for status, _ in results if status == 204) == 8


def test_leaving_removes_the_applicant_from_the_queue(server: IntakeServer, desk: FakeDesk) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            alice = await session.ws_connect(ws_url(server, "alice"))
            await alice.send_json({"type": "join"})
            await receive_json(alice, "queued")
            await alice.close()  # the page was closed
            # The service notices the closed page on its own loop, after the close handshake.
            await asyncio.to_thread(
                wait_until,
                lambda: [s.end_reason for s in desk.sessions.values()] == ["left_queue"],
                10,
                "the closed page to leave the queue",
            )
            bob = await session.ws_connect(ws_url(server, "bob"))
            await bob.send_json({"type": "join"})
            assert (await receive_json(bob, "queued"))["position"] == 1
            await bob.send_json({"type": "leave", "verify_later": True})
            assert (await receive_json(bob, "left"))["verify_later"] is True

    asyncio.run(scenario())
    reasons = sorted(session.end_reason for session in desk.sessions.values())
    assert reasons == ["left_queue", "verify_later"]
    assert take_next(server)[0] == 204


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b"\xff\xfe", b'{"reviewer_id": 4, "reviewer_name": "someone else"}'],
)
def test_take_next_takes_the_reviewer_from_the_credential_never_the_body(
    server: IntakeServer, desk: FakeDesk, body: bytes
) -> None:
    desk.join_queue("alice", datetime.now(UTC))
    got_status, got = http(server, "POST", "/api/console/take-next", body, headers=signed_in(3))
    assert got_status == 200 and got["session_id"]
    assert desk.taken_log == [(3, got["session_id"])]
    assert http(server, "GET", "/healthz") == (200, {"ok": True})


def test_websocket_errors_are_messages_not_crashes(server: IntakeServer) -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            unknown = await session.ws_connect(ws_url(server, "nobody"))
            assert (await receive_json(unknown, "status"))["status"] == "unknown"
            assert (await unknown.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)

            alice = await session.ws_connect(ws_url(server, "alice"))
            await receive_json(alice, "status")
            second = await session.ws_connect(ws_url(server, "alice"))
            assert (await receive_json(second, "error"))["error"] == "already_connected"

            for bad, code in [
                ("{oops", "bad_json"),
                ("[]", "bad_json"),
                ('{"type": "dance"}', "bad_message"),
                ('{"type": "offer", "sdp": "hello"}', "bad_sdp"),
                ('{"type": "offer", "sdp": "v=0\\r\\nm=video 9"}', "not_taken"),
            ]:
                await alice.send_str(bad)
                assert (await receive_json(alice, "error"))["error"] == code
            await alice.send_bytes(b"\x00\x01")
            assert (await receive_json(alice, "error"))["error"] == "bad_json"
            await alice.send_json({"type": "ping"})
            await receive_json(alice, "pong")  # still alive after all that

            await alice.send_str("x" * (MAX_MESSAGE_BYTES + 10))
            closing = await alice.receive()
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert alice.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG

    asyncio.run(scenario())
    assert http(server, "GET", "/healthz") == (200, {"ok": True})


def test_console_socket_checks_session_and_reviewer(server: IntakeServer, desk: FakeDesk) -> None:
    desk.join_queue("carol", datetime.now(UTC))
    status, taken = take_next(server, 3)
    assert status == 200
    base = server.url.replace("http", "ws")

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            for path, reviewer, expected in [
                ("/ws/console/sessions/999", 3, 404),
                (f"/ws/console/sessions/{taken['session_id']}", 4, 403),
                ("/ws/console/sessions/x", 3, 400),
            ]:
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(base + path, headers=signed_in(reviewer))
                assert refused.value.status == expected
            console = await session.ws_connect(
                base + f"/ws/console/sessions/{taken['session_id']}", headers=signed_in(3)
            )
            await console.send_str('{"type": "answer", "sdp": "v=0\\r\\nm=audio 9"}')
            assert (await receive_json(console, "error"))["error"] == "applicant_gone"
            await console.send_str('{"type": "end", "reason": "because"}')
            assert (await receive_json(console, "error"))["error"] == "bad_message"
            await console.send_json({"type": "end", "reason": "connection_failed"})
            await console.receive()

    asyncio.run(scenario())
    assert desk.sessions[taken["session_id"]].end_reason == "connection_failed"


def test_a_console_that_never_connects_ends_the_session_so_the_applicant_may_retry(desk: FakeDesk) -> None:
    with IntakeServer(desk, desk, console_access=desk.access, console_grace_seconds=0.3) as server:

        async def scenario() -> dict[str, Any]:
            async with aiohttp.ClientSession() as session:
                alice = await session.ws_connect(ws_url(server, "alice"))
                await alice.send_json({"type": "join"})
                await receive_json(alice, "queued")
                status, _taken = await asyncio.to_thread(take_next, server, 2)
                assert status == 200
                await receive_json(alice, "taken")
                return await receive_json(alice, "ended")

        ended = asyncio.run(scenario())
    assert ended["reason"] == "connection_failed"
    assert [s.end_reason for s in desk.sessions.values()] == ["console_lost"]


def test_a_failing_database_gives_an_internal_error_not_a_dead_service(desk: FakeDesk) -> None:
    class BrokenDesk(FakeDesk):
        def join_queue(self, token: str, now: datetime) -> Any:
            raise RuntimeError("database went away")

        def take_next(self, reviewer_id: Any, now: datetime) -> Any:
            raise RuntimeError("database went away")

    broken = BrokenDesk()
    broken.add("alice")
    with IntakeServer(broken, broken, console_access=broken.access) as server:

        async def scenario() -> None:
            async with aiohttp.ClientSession() as session:
                alice = await session.ws_connect(ws_url(server, "alice"))
                await alice.send_json({"type": "join"})
                assert (await receive_json(alice, "error"))["error"] == "internal"
                await alice.send_json({"type": "ping"})
                await receive_json(alice, "pong")

        asyncio.run(scenario())
        status, body = take_next(server)
        assert (status, body["error"]) == (500, "internal")
        assert "database" not in body["message"]  # no internals leak to clients
        assert http(server, "GET", "/healthz")[0] == 200


def test_the_page_has_every_link_status_in_both_languages(server: IntakeServer) -> None:
    """Each status the service can answer has its text on the applicant page, English and Chinese."""
    _, script = http(server, "GET", "/static/applicant.js")
    english, chinese = script.decode().split("\n  zh: {", 1)
    for status in TokenStatus:
        if status is not TokenStatus.VALID:
            assert f"\n    {status.value}: " in english and f"\n    {status.value}: " in chinese, status
    assert "银行正在复核审核决定" in chinese
