"""A real coturn TURN server on loopback, for tests and the call benchmark: shared-secret
(REST) credentials, its own log file, started and stopped by the caller. Never for a
deployment (it allows loopback peers, which coturn itself warns about)."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class TurnServerUnavailable(RuntimeError):
    """coturn is missing or did not start; the message says why."""


@dataclass(frozen=True)
class TurnServer:
    url: str  # turn:127.0.0.1:PORT?transport=udp
    secret: str
    log_file: Path
    pid: int

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def environment(self) -> dict[str, str]:
        """The intake's and the console's settings for a relay-only call through it."""
        return {
            "AUDIT_ICE_SERVERS": self.url,
            "AUDIT_TURN_SECRET": self.secret,
            "AUDIT_ICE_TRANSPORT_POLICY": "relay",
        }


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_coturn(directory: Path) -> Iterator[TurnServer]:
    binary = shutil.which("turnserver") or "/usr/bin/turnserver"
    if not Path(binary).exists():
        raise TurnServerUnavailable("coturn is not installed (scripts/setup --dev installs it)")
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_udp_port()
    secret = secrets.token_hex(16)
    log_file = directory / "turnserver.log"
    # Loopback only: listening, relaying and peers (the flag is needed for 127.0.0.1 peers).
    args = [
        binary, "-n", "--listening-ip", "127.0.0.1", "--listening-port", str(port),
        "--relay-ip", "127.0.0.1", "--allow-loopback-peers", "--use-auth-secret",
        "--static-auth-secret", secret, "--realm", "bank.test", "--no-tls", "--no-dtls", "--no-cli",
        "--min-port", "49152", "--max-port", "65535", "--log-file", str(log_file), "--simple-log",
        "--pidfile", str(directory / "turnserver.pid"), "--userdb", str(directory / "turndb"), "--verbose",
    ]  # fmt: skip
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while "Total General servers" not in (
            log_file.read_text(errors="replace") if log_file.exists() else ""
        ):
            if process.poll() is not None:
                raise TurnServerUnavailable(
                    f"coturn stopped at start: {log_file.read_text(errors='replace')[-2000:]}"
                )
            if time.monotonic() > deadline:
                break  # its log lines vary by version: go on, a failed allocation will say
            time.sleep(0.1)
        yield TurnServer(f"turn:127.0.0.1:{port}?transport=udp", secret, log_file, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
