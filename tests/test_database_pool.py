"""The PostgreSQL pool pings a connection only after it sat idle: a busy service saves a round
trip per transaction, and a connection the server dropped while idle is replaced unnoticed."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

import storage.database
from storage.database import open_database


def _drop_connections_of(server_url: str, database_url: str) -> int:
    from sqlalchemy.engine import make_url

    name = make_url(database_url).database
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).all()
            )
    finally:
        admin.dispose()


@pytest.mark.postgres
def test_a_connection_dropped_while_idle_is_replaced_and_a_busy_one_is_not_pinged(
    postgres_server: str, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = open_database(postgres_url)
    try:
        pings: list[object] = []
        ping = database.engine.dialect.do_ping

        def counted_ping(dbapi_connection: object) -> bool:
            pings.append(dbapi_connection)
            return ping(dbapi_connection)

        monkeypatch.setattr(database.engine.dialect, "do_ping", counted_ping)
        for number in range(3):  # used a moment ago each time: no ping first
            with database.session() as session:
                assert session.execute(text(f"SELECT {number}")).scalar_one() == number
        assert pings == []

        # Idle "long enough" (the limit lowered to none): the dropped connection is found by
        # the ping and replaced, and the caller never sees it.
        assert _drop_connections_of(postgres_server, postgres_url) >= 1
        monkeypatch.setattr(storage.database, "PING_AFTER_IDLE_SECONDS", 0.0)
        with database.session() as session:
            assert session.execute(text("SELECT 3")).scalar_one() == 3
        assert len(pings) >= 1
    finally:
        database.dispose()
