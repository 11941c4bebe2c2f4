"""The shared recording store on the database (a table of recording files), and what readers
need from it: a session's files fetched into a local cache folder (replay, PDF export and the
player read folders), and the digest of what the store holds (audit coverage).

Which store a deployment uses: `recording_store_for(settings, database)`: the database's
table when the database is shared (PostgreSQL) or `recording_store = "database"` says so;
otherwise none (the local folder is the recording's only home, as in the embedded default).
"""

from __future__ import annotations

import hashlib
import logging
import os
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.recording_store import RecordingStore, StoredFile, StoreUnavailable
from app.settings import Settings
from storage.database import Database
from storage.evidence import file_sha256
from storage.models import RecordingFile
from storage.recordings import recording_path

log = logging.getLogger(__name__)


def _check_name(directory: str, name: str) -> None:
    """Names come from our own recorder, but a store must never write outside its folder."""
    for part in (directory, name):
        path = PurePosixPath(part)
        if not part or path.is_absolute() or ".." in path.parts or "\\" in part:
            raise ValueError(f"not a recording file name: {part!r}")


class DatabaseRecordingStore:
    """Implements app.recording_store.RecordingStore on the `recording_files` table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def put(self, directory: str, name: str, data: bytes) -> None:
        _check_name(directory, name)
        digest = hashlib.sha256(data).hexdigest()
        values = {"size": len(data), "sha256": digest, "data": data, "stored_at": datetime.now(UTC)}
        for attempt in range(2):
            try:
                with self.database.session() as session:
                    changed = session.execute(
                        update(RecordingFile)
                        .where(RecordingFile.directory == directory, RecordingFile.name == name)
                        .values(**values)
                        .execution_options(synchronize_session=False)
                    ).rowcount  # type: ignore[attr-defined]
                    if not changed:
                        session.add(RecordingFile(directory=directory, name=name, **values))
                return
            except IntegrityError:
                if attempt:  # not a race with another uploader: something else is wrong
                    raise
                # Another uploader stored it meanwhile: the second try replaces it.
            except OperationalError as error:
                raise StoreUnavailable(f"the recording store cannot be reached: {error.orig}") from error

    def listing(self, directory: str) -> dict[str, StoredFile]:
        try:
            with self.database.session() as session:
                rows = session.execute(
                    select(RecordingFile.name, RecordingFile.size, RecordingFile.sha256).where(
                        RecordingFile.directory == directory
                    )
                ).all()
        except OperationalError as error:
            raise StoreUnavailable(f"the recording store cannot be reached: {error.orig}") from error
        return {row.name: StoredFile(row.size, row.sha256) for row in rows}

    def get(self, directory: str, name: str) -> bytes:
        with self.database.session() as session:
            data = session.execute(
                select(RecordingFile.data).where(
                    RecordingFile.directory == directory, RecordingFile.name == name
                )
            ).scalar_one_or_none()
        if data is None:
            raise FileNotFoundError(f"{directory}/{name} is not in the recording store")
        return bytes(data)


def recording_store_for(settings: Settings, database: Database) -> RecordingStore | None:
    wanted = settings.recording_store
    if wanted not in ("auto", "database", "local"):
        raise ValueError(f"recording_store must be auto, database or local, not {wanted!r}")
    if wanted == "database" or (wanted == "auto" and not database.is_sqlite):
        return DatabaseRecordingStore(database)
    return None


def fetch_directory(store: RecordingStore, directory: str, cache_root: Path) -> Path:
    """The session's files from the store in a local folder (only what is missing or differs
    is fetched); files the store does not have are removed from the cache."""
    _check_name(directory, "x")
    folder = cache_root / directory
    stored = store.listing(directory)
    for name, info in stored.items():
        _check_name(directory, name)
        target = folder / name
        if target.is_file() and target.stat().st_size == info.size and file_sha256(target) == info.sha256:
            continue
        data = store.get(directory, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".part")
        temporary.write_bytes(data)
        os.replace(temporary, target)
    if folder.is_dir():
        for path in folder.rglob("*"):
            if path.is_file() and path.relative_to(folder).as_posix() not in stored:
                path.unlink()
    return folder


def recording_folder(settings: Settings, store: RecordingStore | None, directory: str) -> Path:
    """Where to read a session's recording on this workstation: its own folder when it made
    the recording (the most complete copy, even before the upload); else the files fetched
    from the shared store. Blocks on the store: never call it on the Qt thread."""
    local = recording_path(settings.recordings_dir, directory)
    if store is None or local.is_dir():
        return local
    # The store files a recording under its session directory's name (see media.recording.upload).
    return fetch_directory(store, Path(directory).name, settings.recording_cache_dir)
