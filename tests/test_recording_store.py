"""Recordings kept centrally in shared deployments: a call recorded on workstation A is
uploaded to the store in PostgreSQL as it is made; A's data directory is wiped; workstation B
(its own data directory, the same database) replays it, exports its PDF and `audit verify`
passes there. A store outage during the recording loses nothing: the files wait in the local
spool and each goes up exactly once when the store returns."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.settings import load_settings
from media.recording import LegRecorder
from media.recording.upload import RecordingUploader, upload_folder
from storage.database import open_database
from storage.evidence import cover_recording, folder_digest, store_digest
from storage.models import RecordingFile
from storage.recording_store import DatabaseRecordingStore, recording_folder, recording_store_for
from storage.replay import ReplayRecords
from storage.sealing import Sealer
from tests.tcp_cut import CuttableLink
from tests.test_call_client import wait_until
from tests.test_recording_recorder import synthetic_frame

ROOT = Path(__file__).resolve().parent.parent
KEY = os.urandom(32)


def local_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.gui
def test_a_call_recorded_on_one_workstation_is_replayed_and_exported_on_another(
    postgres_url: str, tmp_path: Path, qtbot: Any
) -> None:
    from media.playback import SessionPlayback
    from tools.demo_session import make_demo_session
    from ui.replay.window import ReplayWindow

    a = load_settings({"data_dir": tmp_path / "A", "database_url": postgres_url}, environ={})
    b = load_settings({"data_dir": tmp_path / "B", "database_url": postgres_url}, environ={})
    database = open_database(postgres_url)
    try:
        database.migrate()
        store = recording_store_for(a, database)
        assert isinstance(store, DatabaseRecordingStore)  # PostgreSQL: the shared store by default
        session_id = make_demo_session(
            database, a, seconds=(2.0, 1.5), real_faces=False, amend=False, sealer=Sealer(KEY)
        )
        replay = ReplayRecords(database).session_replay(session_id)
        directory = replay.recording_directory
        assert directory is not None
        folder_a = a.recordings_dir / directory
        state = upload_folder(folder_a, store)
        assert state.pending == 0 and not state.store_down and state.uploaded == len(local_files(folder_a))
        cover_recording(database, a.recordings_dir, session_id, reason="test")
        assert store_digest(store, directory) == folder_digest(folder_a)
        before = local_files(folder_a)

        shutil.rmtree(a.data_dir)  # workstation A's disk is wiped after the upload

        folder_b = recording_folder(b, recording_store_for(b, database), directory)
        assert folder_b.is_relative_to(b.data_dir) and local_files(folder_b) == before
        offsets = {leg.number: leg.offset for leg in replay.legs}
        with SessionPlayback.open(folder_b, offsets, sealer=Sealer(KEY)) as playback:
            assert not playback.problems
            frame = playback.frame_at(1.0)
            assert frame is not None

        # The supervisors' window on B plays it (fetched off the Qt thread into B's cache).
        shutil.rmtree(b.recording_cache_dir)
        from services.replay import LiveReplayServices

        services = LiveReplayServices(b, database, Sealer(KEY))
        window = ReplayWindow(services, b, services.sign_in("zhang.supervisor", "demo-password-2"))
        qtbot.addWidget(window)
        try:
            window.start()
            window.open_session(session_id)
            qtbot.waitUntil(lambda: window.video.has_frame, timeout=30000)
            assert len(window.spans) == 2
        finally:
            window.shutdown()
    finally:
        database.dispose()

    env = dict(
        os.environ,
        AUDIT_DATA_DIR=str(b.data_dir),
        AUDIT_DATABASE_URL=postgres_url,
        AUDIT_KEY=base64.b64encode(KEY).decode(),
    )
    shutil.rmtree(b.recording_cache_dir)  # the export fetches the recording itself
    pdf = tmp_path / "from-b.pdf"
    main = [sys.executable, str(ROOT / "main.py")]
    exported = subprocess.run(
        [*main, "sessions", "export", "--id", str(session_id), "--pdf", str(pdf)],
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    assert "key frame" in exported.stderr and pdf.stat().st_size > 20_000  # frames came from the store
    verified = subprocess.run(
        [*main, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120
    )
    assert verified.returncode == 0, verified.stderr


@pytest.mark.postgres
@pytest.mark.slow
def test_a_store_outage_during_the_recording_loses_nothing_and_stores_each_file_once(
    postgres_url: str, tmp_path: Path
) -> None:
    url = make_url(postgres_url)
    open_database(postgres_url).migrate()
    link = CuttableLink(url.host or "127.0.0.1", url.port or 5432)
    through_link = url.set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False)
    database = open_database(through_link)
    session_folder = tmp_path / "recordings" / "session-00000007"
    try:
        store = DatabaseRecordingStore(database)
        uploader = RecordingUploader(session_folder, store, every_seconds=3600)  # sweeps driven below
        now = [0.0]
        recorder = LegRecorder(
            session_folder, 1, fps=30.0, clock=lambda: now[0], sealer=Sealer(KEY),
            max_queued_video=1000, max_queued_audio=1000,
        )  # fmt: skip
        leg = session_folder / "leg-01"
        tone = (np.sin(np.arange(1600) * 2 * np.pi * 440 / 48000) * 0.2).astype(np.float32)

        def record(frames: range) -> None:
            for index in frames:
                now[0] = index / 30.0
                recorder.add_video(synthetic_frame(index))
                recorder.add_audio(tone, 48000, source="applicant")
            # The recorder writes on its own thread: wait until it has written what it was given.
            wanted = frames.stop // 30
            wait_until(lambda: len(list(leg.glob("seg-*.ts"))) >= wanted, 60, f"{wanted} segments on disk")

        record(range(0, 75))
        uploader.sweep(complete=False)
        stored_before_cut = set(store.listing(session_folder.name))
        assert stored_before_cut  # segments already up during the call

        link.cut()
        record(range(75, 200))
        state = uploader.sweep(complete=False)
        assert state.store_down  # the files wait in the spool
        link.restore()
        recorder.close()
        state = uploader.close()
        assert not state.store_down and state.pending == 0

        on_disk = local_files(session_folder)
        stored = store.listing(session_folder.name)
        assert set(stored) == set(on_disk) and len(on_disk) > len(stored_before_cut)
        assert all(stored[name].sha256 == folder_digest_of(data) for name, data in on_disk.items())
        with database.session() as session:
            rows = session.execute(
                select(func.count()).where(RecordingFile.directory == session_folder.name)
            ).scalar_one()
        assert rows == len(on_disk)  # each file stored once
        assert uploader.sweep(complete=True).uploaded == state.uploaded  # nothing sent twice
    finally:
        database.dispose()
        link.close()


def folder_digest_of(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
