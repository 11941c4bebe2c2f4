"""Copies a session's recording files from the local folder (the spool) to the shared
recording store as they are made: each segment once it is complete (the next one has begun,
or the leg closed), and the manifest whenever it grows. When the store is down the files stay
in the spool and go up when it returns; a file already in the store with the same content is
never sent again, so each is stored exactly once.

    uploader = RecordingUploader(folder, store).start()   # during the call
    uploader.close()                                      # after the leg: a last, complete sweep

`upload_folder(folder, store)` does one complete sweep (after a crash, at the next start).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from app.recording_store import RecordingStore, StoreUnavailable

log = logging.getLogger(__name__)

_SEGMENT = re.compile(r"^seg-(\d{6})\.ts$")
MANIFEST = "manifest.jsonl"


@dataclass
class UploadState:
    uploaded: int = 0  # files sent
    bytes: int = 0
    pending: int = 0  # files waiting in the spool after the last sweep
    store_down: bool = False
    last_error: str = ""


def _ready_files(folder: Path, *, complete: bool) -> list[Path]:
    """The files worth sending now: manifests, and segments that are finished (all of them when
    `complete`: the leg is over)."""
    ready: list[Path] = []
    if not folder.is_dir():
        return ready
    for leg in sorted(p for p in folder.iterdir() if p.is_dir()):
        segments = sorted(
            (int(m.group(1)), p) for p in leg.iterdir() if (m := _SEGMENT.match(p.name)) and p.is_file()
        )
        last = segments[-1][0] if segments else None
        ready += [path for index, path in segments if complete or index != last]
        manifest = leg / MANIFEST
        if manifest.is_file():
            ready.append(manifest)
    return ready


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RecordingUploader:
    def __init__(self, folder: Path, store: RecordingStore, *, every_seconds: float = 1.0) -> None:
        self.folder = folder
        self.directory = folder.name
        self.store = store
        self.every_seconds = every_seconds
        self.state = UploadState()
        self._sent: dict[str, str] = {}  # name -> SHA-256 the store holds
        self._seen: dict[str, tuple[int, int, str]] = {}  # name -> size, mtime, SHA-256 on disk
        self._listed = False
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"upload-{self.directory}", daemon=True)

    def start(self) -> RecordingUploader:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every_seconds):
            self.sweep(complete=False)

    def close(self, timeout: float = 30.0) -> UploadState:
        """Stop the periodic sweeps and send everything that is left (when the store is up)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.sweep(complete=True)
        return self.state

    def sweep(self, *, complete: bool) -> UploadState:
        """Send what is ready and not yet in the store. Never raises: a store that is down
        leaves the files in the spool for the next sweep."""
        with self._lock:
            ready: list[Path] = []
            try:
                if not self._listed:
                    listing = self.store.listing(self.directory)
                    self._sent = {name: info.sha256 for name, info in listing.items()}
                    self._listed = True
                ready = _ready_files(self.folder, complete=complete)
                for path in ready:
                    self._send_if_new(path)
                if self.state.store_down:
                    log.info("recording store reachable again: %s is uploaded", self.directory)
                self.state.store_down = False
            except StoreUnavailable as error:
                if not self.state.store_down:
                    log.warning(
                        "recording store down; %s stays in the local spool: %s", self.directory, error
                    )
                self.state.store_down = True
                self.state.last_error = str(error)
                self._listed = False  # learn again what it holds when it returns
            except OSError as error:  # a file vanished or cannot be read: the next sweep sees
                self.state.last_error = str(error)
                log.warning("cannot upload from %s: %s", self.folder, error)
            self.state.pending = sum(1 for path in ready if not self._stored(path))
            return self.state

    def _stored(self, path: Path) -> bool:
        """The store holds this file as it was when last read."""
        name = path.relative_to(self.folder).as_posix()
        seen = self._seen.get(name)
        return seen is not None and self._sent.get(name) == seen[2]

    def _send_if_new(self, path: Path) -> None:
        name = path.relative_to(self.folder).as_posix()
        stat = path.stat()
        seen = self._seen.get(name)
        if seen is not None and seen[:2] == (stat.st_size, stat.st_mtime_ns) and self._stored(path):
            return  # unchanged since it was stored
        data = path.read_bytes()
        digest = _digest(data)
        self._seen[name] = (stat.st_size, stat.st_mtime_ns, digest)
        if self._sent.get(name) == digest:
            return
        self.store.put(self.directory, name, data)
        self._sent[name] = digest
        self.state.uploaded += 1
        self.state.bytes += len(data)


def upload_folder(folder: Path, store: RecordingStore) -> UploadState:
    """One complete sweep of a session's folder (a recording left by a crashed console)."""
    return RecordingUploader(folder, store).sweep(complete=True)
