"""End-to-end helpers: a real database desk, intake services and consoles as separate
processes (`python main.py ...`), open review hours whatever the time of day."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings, load_settings
from tools.bench_call import BENCH_PASSWORD, seed_call
from tools.processes import MAIN, call_environment, free_port, wait_for_http


@pytest.fixture
def open_settings(tmp_path: Path) -> Settings:
    """Reviews open all day, so the tests pass at any hour."""
    return load_settings(
        {"data_dir": tmp_path / "data", "review_opens": "00:00", "review_closes": "00:00"}, environ={}
    )


class CallWorld:
    """A database, the environment child processes share, and the processes started."""

    def __init__(self, tmp_path: Path, database_url: str, settings: Settings) -> None:
        from storage.database import open_database

        self.tmp_path = tmp_path
        self.database_url = database_url
        self.settings = settings
        self.database = open_database(database_url)
        self.env = call_environment(tmp_path / "data", database_url)
        # The reviewer seed() adds ("call-bench") signs in with this.
        self.env["AUDIT_REVIEWER_PASSWORD"] = BENCH_PASSWORD
        self.processes: list[subprocess.Popen[str]] = []

    def seed(self, names: list[str]) -> tuple[int, list[str]]:
        return seed_call(self.database, self.settings, names)

    def desk(self) -> Any:
        from app.rules import ReviewRules
        from storage.desk import DatabaseReviewDesk

        return DatabaseReviewDesk(self.database, ReviewRules.from_settings(self.settings))

    def queue(self, tokens: list[str]) -> list[int]:
        desk = self.desk()
        return [int(desk.join_queue(token, datetime.now(UTC)).session_id) for token in tokens]

    def run(self, *args: str, env: dict[str, str] | None = None, **options: Any) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, str(MAIN), *args],
            env={**self.env, **(env or {})},
            text=True,
            stdout=subprocess.PIPE,
            **options,
        )
        self.processes.append(process)
        return process

    def intake(self) -> str:
        port = free_port()
        self.run("intake", "--port", str(port), stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/healthz", timeout=30)
        return url

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
            if process.stdout is not None:
                process.stdout.close()
        self.database.dispose()


@pytest.fixture
def sqlite_world(tmp_path: Path, open_settings: Settings) -> Iterator[CallWorld]:
    world = CallWorld(tmp_path, f"sqlite:///{tmp_path / 'console.db'}", open_settings)
    yield world
    world.close()


@pytest.fixture
def postgres_world(tmp_path: Path, open_settings: Settings, postgres_url: str) -> Iterator[CallWorld]:
    world = CallWorld(tmp_path, postgres_url, open_settings)
    yield world
    world.close()


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


JsonLines = Callable[[str], list[dict[str, Any]]]
