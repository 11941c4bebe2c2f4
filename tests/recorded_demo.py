"""One small recorded demo session (two short legs, scores, a decision not amended), encrypted
at rest with DEMO_KEY, recorded once a test session (tools.demo_session): the replay tests each
take a copy of its data directory (SQLite database and recordings), so they may change it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from app.ids import SessionId
from app.settings import load_settings
from storage.sealing import Sealer

DEMO_KEY = os.urandom(32)  # the recording's key; commands reading it get it as AUDIT_KEY
DEMO_SEALER = Sealer(DEMO_KEY)


def record_demo(directory: Path) -> tuple[Path, SessionId]:
    """The demo session recorded under `directory`; its data directory and id."""
    from storage.database import open_database
    from tools.demo_session import make_demo_session

    data = directory / "data"
    settings = load_settings({"data_dir": data}, environ={})
    database = open_database(settings.effective_database_url)
    try:
        session_id = make_demo_session(
            database, settings, seconds=(3.0, 2.0), real_faces=False, amend=False, sealer=DEMO_SEALER
        )
    finally:
        database.dispose()  # the last connection closed: the WAL is folded into the database
    return data, SessionId(session_id)


def copy_of(data: Path, directory: Path) -> Path:
    """A copy of a recorded demo's data directory under `directory`."""
    return Path(shutil.copytree(data, directory / "data"))
