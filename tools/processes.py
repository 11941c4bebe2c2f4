"""Child processes of a self-contained run (benchmarks, the load test, the demo, end-to-end
tests): the entry point, free ports, waiting for a service, CPU time of a process."""

from __future__ import annotations

import os
import time
from pathlib import Path

MAIN = Path(__file__).resolve().parent.parent / "main.py"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def wait_for_http(url: str, timeout: float = 20.0, *, ca_file: str = "") -> None:
    """Until `url` answers 200 (https: checked against `ca_file` when given)."""
    import ssl
    import urllib.request

    context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1, context=context) as response:  # noqa: S310 - localhost only
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call_environment(data_dir: Path, database_url: str) -> dict[str, str]:
    """Environment for child processes of a self-contained call: open review hours all day."""
    env = dict(os.environ)
    env.update(
        {
            "AUDIT_DATA_DIR": str(data_dir),
            "AUDIT_DATABASE_URL": database_url,
            "AUDIT_REVIEW_OPENS": "00:00",
            "AUDIT_REVIEW_CLOSES": "00:00",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env
