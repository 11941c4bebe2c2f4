"""Consoles signing in to the intake service: credentials kept as digests, expiry, sign-out,
revocation by deactivating the account, and the lock-out after failed sign-ins (storage and
the sign-in route)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.console_access import SignInLimits, SignInRefused, turn_credential
from app.roles import Role
from media.intake import IntakeServer
from storage.audit_log import verify_audit_chain
from storage.console_credentials import ConsoleCredentials
from storage.database import open_database
from storage.models import AuditEventRow, ConsoleCredentialRow
from storage.reviewers import Accounts
from tests.intake_fakes import FakeDesk

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
LIMITS = SignInLimits(per_account=3, per_address=6, lockout=timedelta(minutes=10))
PASSWORD = "correct horse battery"


@pytest.fixture
def credentials(database) -> ConsoleCredentials:  # type: ignore[no-untyped-def]
    accounts = Accounts(database)
    accounts.add("Li Na", PASSWORD)
    accounts.add("Zhou Min", PASSWORD, Role.SUPERVISOR)
    return ConsoleCredentials(database, LIMITS)


def audit_actions(database) -> list[str]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return list(session.execute(select(AuditEventRow.action).order_by(AuditEventRow.seq)).scalars())


def test_a_credential_names_its_reviewer_and_only_its_digest_is_stored(credentials, database) -> None:  # type: ignore[no-untyped-def]
    credential = credentials.sign_in("Li Na", PASSWORD, "10.0.0.5", NOW)
    assert len(credential.token) >= 40
    assert credential.expires_at == NOW + LIMITS.credential_lifetime
    reviewer = credentials.reviewer_for(credential.token, NOW + timedelta(hours=1))
    assert reviewer is not None and reviewer.name == "Li Na" and reviewer.role is Role.REVIEWER
    with database.session() as session:
        digests = list(session.execute(select(ConsoleCredentialRow.token_digest)).scalars())
    assert digests and credential.token not in digests
    assert credentials.reviewer_for(credential.token + "x", NOW) is None
    assert credentials.reviewer_for("", NOW) is None
    assert "console.signed_in" in audit_actions(database)


def test_expired_signed_out_and_deactivated_credentials_are_refused(credentials, database) -> None:  # type: ignore[no-untyped-def]
    first = credentials.sign_in("Li Na", PASSWORD, "10.0.0.5", NOW)
    assert credentials.reviewer_for(first.token, first.expires_at) is None  # expired
    second = credentials.sign_in("Li Na", PASSWORD, "10.0.0.5", NOW)
    credentials.sign_out(second.token, NOW)
    assert credentials.reviewer_for(second.token, NOW) is None
    third = credentials.sign_in("Li Na", PASSWORD, "10.0.0.5", NOW)
    Accounts(database).set_active("Li Na", False, actor="test")
    assert credentials.reviewer_for(third.token, NOW) is None
    with pytest.raises(SignInRefused):
        credentials.sign_in("Li Na", PASSWORD, "10.0.0.5", NOW)
    Accounts(database).set_active("Li Na", True, actor="test")
    assert credentials.reviewer_for(third.token, NOW) is not None


def test_an_account_is_locked_out_after_failed_sign_ins_and_it_is_audited(credentials, database) -> None:  # type: ignore[no-untyped-def]
    for attempt in range(LIMITS.per_account):
        with pytest.raises(SignInRefused) as refused:
            credentials.sign_in("Li Na", f"guess {attempt}", f"10.0.0.{attempt}", NOW)
        assert not refused.value.locked
    # From another address, with the right password: still locked.
    with pytest.raises(SignInRefused) as refused:
        credentials.sign_in("Li Na", PASSWORD, "10.9.9.9", NOW + timedelta(minutes=1))
    assert refused.value.locked
    # Another account is not affected.
    assert credentials.sign_in("Zhou Min", PASSWORD, "10.9.9.9", NOW).reviewer.name == "Zhou Min"
    # After the lock-out time it opens again.
    later = NOW + LIMITS.lockout + timedelta(seconds=1)
    assert credentials.sign_in("Li Na", PASSWORD, "10.9.9.9", later).reviewer.name == "Li Na"
    actions = audit_actions(database)
    assert actions.count("console.sign_in_refused") == LIMITS.per_account
    assert actions.count("console.locked_out") == 1
    with database.session() as session:
        _, broken = verify_audit_chain(session)
    assert broken is None


def test_an_address_is_locked_out_after_failed_sign_ins_on_many_accounts(credentials) -> None:  # type: ignore[no-untyped-def]
    for attempt in range(LIMITS.per_address):
        with pytest.raises(SignInRefused):
            credentials.sign_in(f"nobody {attempt}", "guess", "10.6.6.6", NOW)
    with pytest.raises(SignInRefused) as refused:
        credentials.sign_in("Li Na", PASSWORD, "10.6.6.6", NOW)
    assert refused.value.locked
    assert credentials.sign_in("Li Na", PASSWORD, "10.0.0.7", NOW).reviewer.name == "Li Na"


def test_turn_credentials_follow_coturns_rest_scheme() -> None:
    credential = turn_credential("s3cret", "session-7", NOW, timedelta(minutes=60))
    expiry, _, who = credential.username.partition(":")
    assert int(expiry) == int((NOW + timedelta(minutes=60)).timestamp()) and who == "session-7"
    # base64(HMAC-SHA1("s3cret", username)), computed independently
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(b"s3cret", credential.username.encode(), hashlib.sha1).digest())
    assert credential.password == expected.decode()


# -- the route -----------------------------------------------------------------------------


@pytest.fixture
def route_credentials(tmp_path: Path) -> Iterator[ConsoleCredentials]:
    """The route tests need one database, not both."""
    database = open_database(f"sqlite:///{tmp_path / 'routes.db'}")
    accounts = Accounts(database)
    accounts.add("Li Na", PASSWORD)
    yield ConsoleCredentials(database, LIMITS)
    database.dispose()


@pytest.fixture
def server(route_credentials: ConsoleCredentials) -> Iterator[IntakeServer]:
    desk = FakeDesk()
    with IntakeServer(desk, desk, console_access=route_credentials) as running:
        yield running


def post(
    server: IntakeServer, path: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data=raw, method="POST")
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_sign_in_route_answers_with_the_contract(server: IntakeServer) -> None:
    status, body = post(server, "/api/console/sign-in", {"name": "Li Na", "password": PASSWORD})
    assert status == 200
    assert set(body) == {"token", "expires_at", "reviewer"}
    assert set(body["reviewer"]) == {"id", "name", "role"}
    assert body["reviewer"]["name"] == "Li Na" and body["reviewer"]["role"] == "reviewer"
    assert datetime.fromisoformat(body["expires_at"]) > datetime.now(UTC) + timedelta(hours=11)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Li Na"},
        {"password": PASSWORD},
        {"name": "", "password": PASSWORD},
        {"name": ["Li Na"], "password": PASSWORD},
        {"name": "Li Na", "password": 12345678},
        {"name": "x" * 101, "password": PASSWORD},
        {"name": "Li Na", "password": "p" * 5000},
        b"not json",
        [1, 2],
    ],
)
def test_bad_sign_in_requests_get_a_clear_400(server: IntakeServer, body: Any) -> None:
    status, answer = post(server, "/api/console/sign-in", body)
    assert status == 400 and answer["error"] in ("bad_sign_in", "bad_json") and "token" not in answer


def test_brute_force_against_the_sign_in_route_is_locked_out(server: IntakeServer) -> None:
    statuses = []
    for attempt in range(12):
        status, answer = post(
            server, "/api/console/sign-in", {"name": "Li Na", "password": f"guess{attempt}"}
        )
        statuses.append(status)
        assert "token" not in answer and answer["message"]
    assert statuses[: LIMITS.per_account] == [401] * LIMITS.per_account
    assert set(statuses[LIMITS.per_account :]) == {429}
    # The right password does not get through while the lock-out lasts.
    status, answer = post(server, "/api/console/sign-in", {"name": "Li Na", "password": PASSWORD})
    assert status == 429 and answer["error"] == "locked_out" and "token" not in answer


def test_sign_out_ends_a_credential(server: IntakeServer, route_credentials: ConsoleCredentials) -> None:
    credentials = route_credentials
    _, body = post(server, "/api/console/sign-in", {"name": "Li Na", "password": PASSWORD})
    assert credentials.reviewer_for(body["token"], datetime.now(UTC)) is not None
    status, _ = post(server, "/api/console/sign-out", {}, {"Authorization": f"Bearer {body['token']}"})
    assert status == 200
    assert credentials.reviewer_for(body["token"], datetime.now(UTC)) is None
    status, answer = post(server, "/api/console/sign-out", {})
    assert status == 401 and answer["error"] == "credential_missing"


# -- every console route refuses a bad credential -------------------------------------------

APPLICANT_SECRETS = ("Applicant", "1234", "138 0000", "5000", "shop stock", "reference_photo", "session_id")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[IntakeServer, FakeDesk, ConsoleCredentials, Any]]:
    database = open_database(f"sqlite:///{tmp_path / 'world.db'}")
    accounts = Accounts(database)
    for name, role in (("Li Na", Role.REVIEWER), ("Wu Lei", Role.REVIEWER), ("Zhou Min", Role.SUPERVISOR)):
        accounts.add(name, PASSWORD, role)
    credentials = ConsoleCredentials(database, LIMITS)
    desk = FakeDesk()
    desk.add("alice")
    desk.add("bob")
    with IntakeServer(desk, desk, console_access=credentials) as running:
        yield running, desk, credentials, accounts
    database.dispose()


def bad_credentials(credentials: ConsoleCredentials, accounts: Accounts) -> dict[str, dict[str, str]]:
    now = datetime.now(UTC)
    expired = credentials.sign_in("Li Na", PASSWORD, "127.0.0.1", now - timedelta(hours=13)).token
    signed_out = credentials.sign_in("Li Na", PASSWORD, "127.0.0.1", now).token
    credentials.sign_out(signed_out, now)
    accounts.add("Gone Reviewer", PASSWORD)
    revoked = credentials.sign_in("Gone Reviewer", PASSWORD, "127.0.0.1", now).token
    accounts.set_active("Gone Reviewer", False, actor="test")
    return {
        "missing": {},
        "empty": {"Authorization": "Bearer "},
        "not bearer": {"Authorization": f"Basic {signed_out}"},
        "wrong": {"Authorization": "Bearer " + "A" * 43},
        "huge": {"Authorization": "Bearer " + "A" * 5000},
        "expired": {"Authorization": f"Bearer {expired}"},
        "signed out": {"Authorization": f"Bearer {signed_out}"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
    }


def request(server: IntakeServer, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes, str]:
    raw = b"{}" if method == "POST" else None
    call = urllib.request.Request(server.url + path, data=raw, method=method, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Content-Type", "")


def test_every_console_route_refuses_missing_wrong_expired_and_revoked_credentials(world: Any) -> None:
    import asyncio

    import aiohttp

    server, desk, credentials, accounts = world
    desk.join_queue("alice", datetime.now(UTC))
    # A session taken by Li Na, so its socket exists.
    li_na = credentials.sign_in("Li Na", PASSWORD, "127.0.0.1", datetime.now(UTC)).token
    status, body, _ = request(server, "POST", "/api/console/take-next", {"Authorization": f"Bearer {li_na}"})
    assert status == 200
    session_path = json.loads(body)["signalling_path"]
    desk.join_queue("bob", datetime.now(UTC))  # waiting: what a refused take-next must not reveal
    routes = [
        ("POST", "/api/console/take-next"),
        ("GET", "/api/queue/summary"),
        ("POST", "/api/console/sign-out"),
    ]
    for label, headers in bad_credentials(credentials, accounts).items():
        for method, path in routes:
            status, body, kind = request(server, method, path, headers)
            assert status == 401, (label, path, status)
            assert "json" in kind
            answer = json.loads(body)
            assert answer["error"] in ("credential_missing", "credential_invalid"), (label, path)
            assert answer["message"] and set(answer) == {"error", "message"}
            assert not any(secret in body.decode() for secret in APPLICANT_SECRETS), (label, path)

        async def socket(headers: dict[str, str] = headers) -> int:
            async with aiohttp.ClientSession() as session:
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(server.url + session_path, headers=headers)
                return refused.value.status

        assert asyncio.run(socket()) == 401, label
    assert [reviewer for reviewer, _ in desk.taken_log] == [accounts_id(credentials, li_na)]
    assert desk.summary(datetime.now(UTC)).waiting == 1  # bob was never taken


def accounts_id(credentials: ConsoleCredentials, token: str) -> int:
    reviewer = credentials.reviewer_for(token, datetime.now(UTC))
    assert reviewer is not None
    return int(reviewer.id)


def test_reviewer_a_cannot_open_reviewer_bs_session_socket(world: Any) -> None:
    import asyncio

    import aiohttp

    server, desk, credentials, _accounts = world
    desk.join_queue("alice", datetime.now(UTC))
    now = datetime.now(UTC)
    li_na = {"Authorization": f"Bearer {credentials.sign_in('Li Na', PASSWORD, '127.0.0.1', now).token}"}
    wu_lei = {"Authorization": f"Bearer {credentials.sign_in('Wu Lei', PASSWORD, '127.0.0.1', now).token}"}
    status, body, _ = request(server, "POST", "/api/console/take-next", wu_lei)
    assert status == 200
    path = json.loads(body)["signalling_path"]

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(server.url + path, headers=li_na)
            assert refused.value.status == 403
            # ?reviewer_id= in the address changes nothing: identity is the credential's.
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(server.url + path + "?reviewer_id=2", headers=li_na)
            assert refused.value.status == 403
            owner = await session.ws_connect(server.url + path, headers=wu_lei)
            await owner.send_json({"type": "ping"})
            assert json.loads((await owner.receive()).data)["type"] == "pong"
            await owner.close()

    asyncio.run(scenario())


def test_a_supervisor_may_not_take_applicants(world: Any) -> None:
    server, desk, credentials, _accounts = world
    desk.join_queue("alice", datetime.now(UTC))
    token = credentials.sign_in("Zhou Min", PASSWORD, "127.0.0.1", datetime.now(UTC)).token
    status, body, _ = request(server, "POST", "/api/console/take-next", {"Authorization": f"Bearer {token}"})
    assert status == 403 and json.loads(body)["error"] == "forbidden"
    assert not any(secret in body.decode() for secret in APPLICANT_SECRETS)
    assert desk.taken_log == []
    status, body, _ = request(server, "GET", "/api/queue/summary", {"Authorization": f"Bearer {token}"})
    assert status == 200 and json.loads(body)["waiting"] == 1


def test_the_queue_snapshot_counts_reviewers_signed_in(credentials, database) -> None:  # type: ignore[no-untyped-def]
    """Waiting applicants are told no wait when nobody can take them (media.intake.positions)."""
    from app.rules import ReviewRules
    from app.settings import load_settings
    from storage.desk import DatabaseReviewDesk

    desk = DatabaseReviewDesk(database, ReviewRules.from_settings(load_settings(environ={})))
    assert desk.queue_snapshot(NOW).reviewers_signed_in == 0
    credentials.sign_in("Zhou Min", PASSWORD, "10.0.0.9", NOW)  # a supervisor takes nobody
    assert desk.queue_snapshot(NOW).reviewers_signed_in == 0
    first = credentials.sign_in("Li Na", PASSWORD, "10.0.0.5", NOW)
    second = credentials.sign_in("Li Na", PASSWORD, "10.0.0.6", NOW)  # two consoles, one reviewer
    assert desk.queue_snapshot(NOW).reviewers_signed_in == 1
    credentials.sign_out(first.token, NOW)
    assert desk.queue_snapshot(NOW).reviewers_signed_in == 1
    credentials.sign_out(second.token, NOW)
    assert desk.queue_snapshot(NOW).reviewers_signed_in == 0
    credentials.sign_in("Li Na", PASSWORD, "10.0.0.5", NOW)
    assert (
        desk.queue_snapshot(NOW + LIMITS.credential_lifetime + timedelta(seconds=1)).reviewers_signed_in == 0
    )
