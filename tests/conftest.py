"""Shared fixtures: settings pointing at a temporary data directory, and a migrated database on
SQLite and on the PostgreSQL server (127.0.0.1:5432 unless AUDIT_TEST_POSTGRES_URL says otherwise)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app.applications import ApplicationForm, make_application_form
from app.settings import Settings, load_settings

if TYPE_CHECKING:
    from app.ids import ReviewerId, SessionId
    from app.queue import TakenApplicant
    from services.console import LiveConsoleServices
    from storage.database import Database


def pytest_configure(config: pytest.Config) -> None:
    """Tests and the processes they start use a key of their own, never a workstation's."""
    import tempfile

    if "AUDIT_KEY" not in os.environ and "AUDIT_KEY_FILE" not in os.environ:
        os.environ["AUDIT_KEY_FILE"] = str(Path(tempfile.mkdtemp(prefix="audit-test-key-")) / "key")


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes() -> Iterator[None]:
    """Accounts made in tests hash their passwords with argon2id at a test's cost (1 pass over
    1 MiB) instead of the deployment's (3 passes over 64 MiB, a tenth of a second or more of CPU
    a hash, several hundred times a run). Verifying reads the cost from each hash, so hashes
    made either way check the same; what the tests check (argon2id, the right password and no
    other) is unchanged."""
    from argon2 import PasswordHasher

    import storage.reviewers

    deployed = storage.reviewers._hasher
    storage.reviewers._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    storage.reviewers._unknown_user_hash.cache_clear()
    try:
        yield
    finally:
        storage.reviewers._hasher = deployed
        storage.reviewers._unknown_user_hash.cache_clear()


class NotMarkedSlow(AssertionError):
    """A test that starts a process, real WebRTC or real dlib is not marked slow."""


_HEAVY_MODULES = ("face_recognition", "dlib")


class _RefuseHeavyImports:
    """A meta path finder refusing the face models' imports inside a quick test."""

    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".", maxsplit=1)[0] in _HEAVY_MODULES:
            raise NotMarkedSlow(f"{self.nodeid} loads {name} (real dlib): mark it slow")


@pytest.fixture(autouse=True)
def _quick_tests_stay_quick(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """`-m "not slow"` is the quick loop: a test that spawns a process (the CLI, a face worker,
    a browser), opens a real WebRTC peer connection or runs real dlib must be marked slow."""
    if request.node.get_closest_marker("slow") is not None:
        yield
        return
    import multiprocessing.process
    import subprocess
    import sys

    nodeid = request.node.nodeid

    def refuse(what: str) -> Any:
        def refused(*_args: Any, **_kwargs: Any) -> Any:
            raise NotMarkedSlow(f"{nodeid} {what}: mark it slow")

        return refused

    popen = subprocess.Popen.__init__

    def spawn(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        program = str(args[0] if isinstance(args, list | tuple) else args)
        if program == sys.executable or Path(program).name in ("chromium", "turnserver"):
            raise NotMarkedSlow(f"{nodeid} starts {Path(program).name}: mark it slow")
        popen(self, args, *rest, **kwargs)  # small tools (lupdate, fc-match) are fine

    monkeypatch.setattr(subprocess.Popen, "__init__", spawn)
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse("starts a process"))
    if "aiortc" in sys.modules:
        monkeypatch.setattr(
            sys.modules["aiortc"].RTCPeerConnection, "__init__", refuse("opens a real WebRTC peer connection")
        )
    if "face_recognition" in sys.modules:
        face_recognition = sys.modules["face_recognition"]
        for name in ("face_locations", "face_encodings", "face_landmarks"):
            monkeypatch.setattr(face_recognition, name, refuse("runs real dlib"))
    finder = _RefuseHeavyImports(nodeid)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


POSTGRES_URL = os.environ.get("AUDIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# Migrating a database from nothing costs about a second a test (alembic, every step's DDL):
# each kind is migrated from nothing once a session, and every test gets a copy of that.
_SQLITE_TEMPLATE: list[Path] = []


def migrated_sqlite(path: Path) -> str:
    """A SQLite database at `path` with the schema at its newest revision (a copy of one
    migrated once this session); its URL."""
    import sqlite3
    import tempfile

    from storage.database import open_database

    if not _SQLITE_TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="audit-test-schema-")) / "template.db"
        open_database(f"sqlite:///{template}").dispose()
        _SQLITE_TEMPLATE.append(template)
    path.parent.mkdir(parents=True, exist_ok=True)
    source, target = sqlite3.connect(_SQLITE_TEMPLATE[0]), sqlite3.connect(path)
    try:
        source.backup(target)  # the WAL's content too
    finally:
        source.close()
        target.close()
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def recorded_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SessionId]:
    """The recorded demo session (tests.recorded_demo), made once: copy it before use."""
    from tests.recorded_demo import record_demo

    return record_demo(tmp_path_factory.mktemp("recorded-demo"))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({"data_dir": tmp_path / "data"}, environ={})


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = load_settings(
        environ={k: v for k, v in os.environ.items() if k == "AUDIT_SHARED_DATA_DIR"}
    ).shared_data_dir
    if not path.is_dir():
        pytest.fail(f"the shared test data is missing at {path} (set AUDIT_SHARED_DATA_DIR)")
    return path


def _postgres_admin_url() -> str:
    return POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The server's URL; fails (never skips) when the server is down, so CI cannot pass without it."""
    from sqlalchemy import create_engine, text

    engine = create_engine(_postgres_admin_url(), connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # pragma: no cover - the message is the point
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error}")
    finally:
        engine.dispose()
    return POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_test_database(postgres_server: str) -> Iterator[str]:
    """This session's PostgreSQL database, migrated from nothing once (its URL); each test gets it
    emptied (postgres_url). Dropped at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from storage.database import open_database

    name = f"audit_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
        open_database(url).dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_postgres(url: str) -> None:
    """No connection left from an earlier test (a straggler's is ended), no rows, every sequence
    from 1; the schema stays (a fresh database each test cost a second of CREATE and DROP)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    name = make_url(url).database
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            tables = (
                connection.execute(
                    text(
                        "SELECT tablename FROM pg_tables"
                        " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                    )
                )
                .scalars()
                .all()
            )
            sequences = (
                connection.execute(text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"))
                .scalars()
                .all()
            )
            # Foreign keys do not hold the deletes to an order.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))
            for sequence in sequences:
                connection.execute(text(f"SELECT setval('\"{sequence}\"', 1, false)"))
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url(postgres_test_database: str) -> Iterator[str]:
    """The session's PostgreSQL database for one test: the schema at its newest revision, no rows,
    sequences from 1, no connection of an earlier test; a straggler of this one is ended after."""
    _empty_postgres(postgres_test_database)
    yield postgres_test_database
    _empty_postgres(postgres_test_database)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return migrated_sqlite(tmp_path / "console.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def database(database_url: str):  # type: ignore[no-untyped-def]
    from storage.database import open_database

    db = open_database(database_url, migrate=False)  # a copy of a migrated one
    yield db
    db.dispose()


def sample_form(name: str = "Wang Fang", applied_at: datetime | None = None) -> ApplicationForm:
    return make_application_form(
        name=name,
        national_id="110101199001011234",
        phone="+86 138 0013 8000",
        amount="5000",
        term_months=12,
        purpose="Shop stock",
        applied_at=applied_at or datetime.now(UTC),
    )


def taken_session(database: Database, reviewer_id: ReviewerId, now: datetime) -> TakenApplicant:
    """A session just taken by `reviewer_id`: an application (applied an hour before `now`)
    registered, queued at `now` and taken at `now`, on the default review rules."""
    from app.rules import ReviewRules
    from storage.applications import ApplicationBook
    from storage.desk import DatabaseReviewDesk

    registered = ApplicationBook(database).register(
        sample_form(applied_at=now - timedelta(hours=1)), photo=b"x", photo_format="JPEG", encoding=None
    )
    desk = DatabaseReviewDesk(database, ReviewRules.from_settings(load_settings(environ={})))
    desk.join_queue(registered.token, now)
    taken = desk.take_next(reviewer_id, now)
    assert taken is not None
    return taken


@pytest.fixture
def command_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The SQLite database that `cli.main([...])` opens in this test: AUDIT_DATA_DIR points at a
    temporary data directory (recordings under data/recordings), no URL or settings file."""
    from storage.database import open_database

    data = tmp_path / "data"
    monkeypatch.setenv("AUDIT_DATA_DIR", str(data))
    monkeypatch.delenv("AUDIT_DATABASE_URL", raising=False)
    monkeypatch.delenv("AUDIT_CONFIG", raising=False)
    database = open_database(migrated_sqlite(data / "console.db"))
    yield database
    database.dispose()


@contextmanager
def live_console_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, pending_retry_seconds: float
) -> Iterator[LiveConsoleServices]:
    """The live console's services on a SQLite file, with no intake service behind them (the
    call is never opened): what a console does with storage."""
    from services.console import LiveConsoleServices
    from storage.database import open_database

    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "photo.key"))
    settings = load_settings(overrides={"data_dir": str(tmp_path / "data")}, environ={})
    database = open_database(migrated_sqlite(tmp_path / "console.db"))
    services = LiveConsoleServices(
        settings, database, "http://127.0.0.1:9", pending_retry_seconds=pending_retry_seconds
    )
    try:
        yield services
    finally:
        services.close()
        database.dispose()
