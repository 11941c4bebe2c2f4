"""The intake service as deployed: HTTPS/WSS with a certificate the console checks (a private
CA), the console routes on an address of their own, and the applicant page's security headers."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from media.call import IntakeError, sign_in
from media.intake import IntakeServer
from media.intake.server import server_ssl
from tests.intake_fakes import FAKE_PASSWORD, FakeDesk
from tests.tls_certificates import MadeCertificates, make_test_certificates

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> MadeCertificates:
    return make_test_certificates(tmp_path_factory.mktemp("tls"))


def get(url: str, context: ssl.SSLContext | None = None) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_https_with_a_private_ca_the_console_verifies(certificates: MadeCertificates) -> None:
    desk = FakeDesk()
    context = server_ssl(str(certificates.cert_file), str(certificates.key_file))
    with IntakeServer(desk, desk, console_access=desk.access, ssl_context=context) as server:
        assert server.url.startswith("https://127.0.0.1:")
        signed_in = sign_in(server.url, "reviewer-2", FAKE_PASSWORD, ca_file=str(certificates.ca_file))
        assert signed_in.reviewer_id == 2
        # Without the bank's CA the certificate is not trusted: nothing is sent.
        with pytest.raises(IntakeError, match="certificate"):
            sign_in(server.url, "reviewer-2", FAKE_PASSWORD)
        trusted = ssl.create_default_context(cafile=str(certificates.ca_file))
        status, headers, _ = get(server.url + "/apply", trusted)
        assert status == 200 and headers["Strict-Transport-Security"].startswith("max-age=")

        async def applicant_socket() -> str:
            async with aiohttp.ClientSession() as session:
                wss = server.url.replace("https", "wss") + "/ws/applicant?t=nobody"
                async with session.ws_connect(wss, ssl=trusted) as ws:
                    return str(json.loads((await ws.receive()).data)["status"])

        assert asyncio.run(applicant_socket()) == "unknown"


def test_the_console_routes_can_be_served_apart(certificates: MadeCertificates) -> None:
    desk = FakeDesk()
    with IntakeServer(desk, desk, console_access=desk.access, console_port=0) as server:
        assert server.console_url != server.url
        # The applicants' address has no console route, the console's no applicant page.
        assert get(server.url + "/apply")[0] == 200
        assert get(server.console_url + "/apply")[0] == 404
        assert get(server.url + "/api/queue/summary")[0] == 404
        assert get(server.console_url + "/api/queue/summary")[0] == 401
        assert sign_in(server.console_url, "reviewer-1", FAKE_PASSWORD).reviewer_id == 1
        with pytest.raises(IntakeError):
            sign_in(server.url, "reviewer-1", FAKE_PASSWORD)
        assert get(server.url + "/healthz")[0] == get(server.console_url + "/healthz")[0] == 200


def test_the_applicant_page_sends_security_headers() -> None:
    desk = FakeDesk()
    with IntakeServer(desk, desk, console_access=desk.access) as server:
        status, headers, _ = get(server.url + "/apply")
        assert status == 200
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy
        assert headers["Cache-Control"] == "no-store"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "camera=(self)" in headers["Permissions-Policy"]
        _, api_headers, _ = get(server.url + "/api/applicant/status?t=x")
        assert api_headers["Cache-Control"] == "no-store" and api_headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.slow  # runs main.py intake in a process of its own
def test_main_intake_serves_tls_and_the_console_apart(certificates: MadeCertificates, tmp_path: Path) -> None:
    from tools.processes import free_port

    port, console_port = free_port(), free_port()
    env = dict(os.environ, AUDIT_DATA_DIR=str(tmp_path), AUDIT_DATABASE_URL=f"sqlite:///{tmp_path / 'i.db'}")
    args: list[Any] = [
        sys.executable, str(ROOT / "main.py"), "intake", "--port", port, "--console-host", "127.0.0.1",
        "--console-port", console_port,
        "--tls-cert", certificates.cert_file, "--tls-key", certificates.key_file,
    ]  # fmt: skip
    intake = subprocess.Popen([str(a) for a in args], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert intake.stdout is not None
        line = intake.stdout.readline()
        assert f"https://127.0.0.1:{port}" in line and f"https://127.0.0.1:{console_port}" in line, line
        trusted = ssl.create_default_context(cafile=str(certificates.ca_file))
        assert get(f"https://127.0.0.1:{port}/apply", trusted)[0] == 200
        status, _, body = get(f"https://127.0.0.1:{console_port}/api/queue/summary", trusted)
        assert status == 401 and json.loads(body)["error"] == "credential_missing"
    finally:
        intake.terminate()
        intake.wait(10)
    assert intake.returncode == 0


def test_tls_needs_both_the_certificate_and_the_key(certificates: MadeCertificates) -> None:
    from cli import main

    assert main(["intake", "--tls-cert", str(certificates.cert_file)]) == 2


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    yield
