"""Opening the database: SQLite (WAL) under the data directory by default, PostgreSQL when a
URL is given. Alembic migrations bring the schema up to date."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message says which and why."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# A pooled connection used this recently is taken as alive; one idle longer is pinged before use
# (a restarted server or a dropped link is found then, and the pool connects afresh). Pinging at
# every checkout, as pool_pre_ping does, costs a round trip per transaction on a busy intake.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("checked_in_at")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError(f"a pooled connection is gone: {error}") from error
        if not alive:
            raise DisconnectionError("a pooled connection is gone")

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)


def normalise_url(url: str) -> str:
    """Accept postgresql:// URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


class Database:
    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        kwargs: dict[str, Any] = {"future": True}
        if self.url.startswith("sqlite"):
            path = self.url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 10, "check_same_thread": False}
        else:
            kwargs["connect_args"] = {"connect_timeout": 5}
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            _ping_when_idle(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def migrate(self) -> str:
        """Create or upgrade the schema to the newest revision; harmless when already there."""
        import logging

        # Each start would otherwise log alembic's plugins and every migration step at INFO.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        with self.engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
        return revision or ""

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, migrate: bool = True) -> Database:
    from sqlalchemy.exc import OperationalError

    database = Database(url)
    if migrate:
        try:
            database.migrate()
        except OperationalError as error:
            raise DatabaseUnavailable(
                f"cannot open the database at {database.engine.url!r}: {error.orig}"
            ) from error
    return database


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone columns; everything here is stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
