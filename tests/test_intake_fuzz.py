"""A little fuzzing of the signalling endpoints: whatever arrives, the answer is a clear 4xx
error or a proper result, never a 500, and the service keeps serving."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from media.intake import IntakeServer
from tests.intake_fakes import FakeDesk
from tests.test_intake_api import http

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
messages = st.one_of(
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["join", "offer", "leave", "answer", "end", "ping", "x"])},
        optional={"sdp": st.text(max_size=50) | st.just("v=0\r\nm=video 9"), "verify_later": json_values},
    ).map(json.dumps),
)


@pytest.fixture(scope="module")
def desk() -> FakeDesk:
    return FakeDesk()


@pytest.fixture(scope="module")
def server(desk: FakeDesk) -> Iterator[IntakeServer]:
    with IntakeServer(desk, desk, console_access=desk.access) as running:
        yield running


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_take_next_never_fails_with_a_server_error(server: IntakeServer, body: bytes) -> None:
    status, answer = http(server, "POST", "/api/console/take-next", body)
    assert status == 401, (status, answer)  # no credential: refused before the body matters
    if status >= 400:
        assert set(answer) == {"error", "message"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.text(max_size=60))
def test_status_answers_any_token(server: IntakeServer, token: str) -> None:
    from urllib.parse import quote

    status, answer = http(server, "GET", "/api/applicant/status?t=" + quote(token, safe=""))
    assert status in (200, 403, 404)
    assert answer["message"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(messages, min_size=1, max_size=6))
def test_applicant_socket_survives_any_messages(
    server: IntakeServer, desk: FakeDesk, batch: list[str]
) -> None:
    token = f"fuzz-{len(desk.tokens)}"  # a fresh applicant each time
    desk.add(token)

    async def scenario() -> list[dict[str, Any]]:
        replies: list[dict[str, Any]] = []
        url = server.url.replace("http", "ws") + f"/ws/applicant?t={token}"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            for text in batch:
                await ws.send_str(text)
            await ws.send_json({"type": "ping"})
            while True:
                message = await ws.receive(timeout=5)
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                replies.append(json.loads(message.data))
                if replies[-1]["type"] in ("pong", "left"):
                    break
        return replies

    replies = asyncio.run(scenario())
    assert replies and replies[0]["type"] == "status"
    for reply in replies:
        assert reply["type"] in {"status", "queued", "error", "left", "pong"}
        if reply["type"] == "error":
            assert reply["message"]
    assert http(server, "GET", "/healthz")[0] == 200
