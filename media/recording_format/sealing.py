"""Encryption at rest of recordings, without media knowing where the key lives.

The services (services/) pass in any object with `seal` and `open` (storage.sealing's
Sealer satisfies SegmentSealer structurally; media never imports storage). What is sealed:

- every segment file, whole: ``seal(mpeg_ts_bytes, "recording:<session dir>:leg<N>:seg<I>")``.
  The purpose binds the session directory's name, the leg and the segment's index, so a
  segment cannot be moved to another index, leg or session without failing to open;
- every manifest line: ``{"n": <line number>, "sealed": "<base64 of the sealed JSON entry>"}``,
  purpose ``"recording-manifest:<session dir>:leg<N>:line<n>"``. Line numbers must run 0, 1,
  2... with no gap, so a line cannot be deleted, reordered or copied from another leg. Each
  segment line carries the sealed file's size and SHA-256, so the manifest pins the exact
  file (a deleted segment is reported as missing, an older copy of it as replaced).

Not covered (see the report of issue 7): cutting off the end of a leg (its last segments and
the last manifest lines together) looks like a console crash, and removing a whole leg
directory goes unnoticed here; the database's leg records (segments, bytes) are the check for
those.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Protocol

from app.errors import RecordingUnreadable


class SegmentSealer(Protocol):
    """Authenticated encryption with an associated `purpose` (storage.sealing.Sealer)."""

    def seal(self, data: bytes, purpose: str) -> bytes: ...

    def open(self, blob: bytes, purpose: str, *, what: str = ...) -> bytes: ...


class RecordingError(RecordingUnreadable):
    """A recording cannot be read; the message says why, in words fit for the reviewer."""


class RecordingDamaged(RecordingError):
    """Part of a recording was altered, deleted or replaced (or the key is the wrong one)."""


def segment_purpose(binding: str, leg: int, index: int) -> str:
    return f"recording:{binding}:leg{leg}:seg{index}"


def manifest_purpose(binding: str, leg: int, line: int) -> str:
    return f"recording-manifest:{binding}:leg{leg}:line{line}"


def seal_manifest_line(
    sealer: SegmentSealer, entry: dict[str, Any], binding: str, leg: int, line: int
) -> str:
    blob = sealer.seal(json.dumps(entry).encode(), manifest_purpose(binding, leg, line))
    return json.dumps({"n": line, "sealed": base64.b64encode(blob).decode("ascii")})


def open_manifest_line(
    sealer: SegmentSealer, line: dict[str, Any], binding: str, leg: int, number: int
) -> dict[str, Any]:
    """The entry of manifest line `number`; RecordingDamaged when it does not open."""
    try:
        blob = base64.b64decode(str(line["sealed"]), validate=True)
        entry = json.loads(sealer.open(blob, manifest_purpose(binding, leg, number), what="A manifest line"))
    except Exception:
        if number == 0:
            raise RecordingDamaged(
                f"Leg {leg} of this recording cannot be decrypted: the key is not the one it was "
                "recorded with, or its manifest was altered."
            ) from None
        raise RecordingDamaged(
            f"The manifest of leg {leg} has been altered (line {number + 1} does not open)."
        ) from None
    if not isinstance(entry, dict):
        raise RecordingDamaged(f"The manifest of leg {leg} has been altered (line {number + 1}).")
    return entry


def open_segment(sealer: SegmentSealer, blob: bytes, binding: str, leg: int, index: int) -> bytes:
    """The MPEG-TS bytes of a sealed segment; RecordingDamaged naming it when it does not open."""
    try:
        return sealer.open(blob, segment_purpose(binding, leg, index), what=f"Segment {index:06d}")
    except Exception:
        raise RecordingDamaged(
            f"Segment {index:06d} of leg {leg} has been altered, or the key is the wrong one."
        ) from None
