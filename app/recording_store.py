"""Where recordings are kept for every workstation to replay: the interface of a recording
store (the local folder in the embedded default; a table in the shared PostgreSQL database in
shared deployments), and the names it files them under.

A file is named by its session directory (e.g. ``session-00000042``) and its path below it
(``leg-01/seg-000003.ts``, ``leg-01/manifest.jsonl``); the store keeps each file's size and
SHA-256, so coverage by the audit chain can be checked against the store itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class StoreUnavailable(Exception):
    """The store cannot be reached now; what was not stored stays in the local spool."""


@dataclass(frozen=True)
class StoredFile:
    size: int
    sha256: str


class RecordingStore(Protocol):
    def put(self, directory: str, name: str, data: bytes) -> None:
        """Store (or replace) one file. Raises StoreUnavailable when the store is down."""
        ...

    def listing(self, directory: str) -> dict[str, StoredFile]:
        """Every file stored under the session directory, by name."""
        ...

    def get(self, directory: str, name: str) -> bytes: ...
