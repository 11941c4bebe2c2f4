"""How a recorded leg sits on disk: the leg directory, its segment files and its manifest.

    <session directory>/leg-01/manifest.jsonl   one JSON object a line, appended and fsynced
    <session directory>/leg-01/seg-000000.ts     MPEG-TS, about a second each, each one starting
    <session directory>/leg-01/seg-000001.ts     with a key frame, so each decodes on its own

Every timestamp inside the files is the leg's clock (seconds since the recorder started)
plus PTS_BASE, so that the AAC encoder's priming samples never go below zero (the TS muxer
would otherwise shift every stream). The manifest's first line describes the leg; a line is
added when each segment is complete, and a last line when the recorder closed cleanly. A
crash leaves the last segment without a manifest line: readers probe it instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from media.recording_format.sealing import (
    RecordingDamaged,
    RecordingError,
    SegmentSealer,
    open_manifest_line,
)

PTS_BASE = 10.0
MANIFEST = "manifest.jsonl"
SEGMENT_PATTERN = re.compile(r"^seg-(\d{6})\.ts$")
# Stream order in every segment (audio streams are present in every segment, even if silent).
STREAM_TITLES = ("video", "applicant", "reviewer")


def leg_directory(session_directory: Path, leg_number: int) -> Path:
    return session_directory / f"leg-{leg_number:02d}"


def segment_name(index: int) -> str:
    return f"seg-{index:06d}.ts"


def recording_binding(session_directory: Path) -> str:
    """What sealed segments and manifest lines are bound to besides leg and index: the name of
    the session's directory (e.g. session-00000042), so nothing moves between sessions."""
    return Path(session_directory).absolute().name


@dataclass
class SegmentInfo:
    path: Path
    index: int
    start: float | None  # leg clock of its first video frame (None: not known from the manifest)
    end: float | None  # leg clock just after its last video frame
    frames: int | None
    complete: bool  # False: the recorder stopped (or crashed) while writing it
    size: int | None = None  # sealed recordings: the file's size and SHA-256 from the manifest
    sha256: str | None = None
    missing: bool = False  # named in the manifest, but the file is gone


@dataclass
class LegManifest:
    directory: Path
    leg_number: int
    started_at: float | None  # wall clock (time.time()) at the leg clock's zero
    fps: float
    closed: bool  # the recorder closed cleanly
    end: float | None
    segments: list[SegmentInfo] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)  # disk-full and similar events
    sealed: bool = False  # read with a sealer: every segment is encrypted
    binding: str = ""  # see recording_binding
    problems: list[str] = field(default_factory=list)  # segments named in the manifest but gone


def _manifest_entries(directory: Path, leg: int, sealer: SegmentSealer | None) -> list[dict[str, Any]]:
    manifest = directory / MANIFEST
    if not manifest.is_file():
        return []
    binding = recording_binding(directory.parent)
    entries: list[dict[str, Any]] = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        try:
            raw = json.loads(line)
        except ValueError:
            continue  # a line torn by a crash (a gap it hides shows as a gap in the numbers)
        if not isinstance(raw, dict):
            continue
        if isinstance(raw.get("sealed"), str):
            if sealer is None:
                raise RecordingError(
                    f"Leg {leg} of this recording is encrypted: it opens only with the console's "
                    "key (AUDIT_KEY or the key file)."
                )
            if raw.get("n") != len(entries):
                raise RecordingDamaged(
                    f"The manifest of leg {leg} has been altered: line {len(entries) + 1} is "
                    "missing or out of order."
                )
            entries.append(open_manifest_line(sealer, raw, binding, leg, len(entries)))
        elif sealer is not None:
            raise RecordingError(
                f"Leg {leg} of this recording is not encrypted, so it is not trusted: it was "
                "recorded before encryption at rest was turned on, or it was replaced."
            )
        else:
            entries.append(raw)
    return entries


def read_manifest(directory: Path, sealer: SegmentSealer | None = None) -> LegManifest:
    """What the manifest says, plus any segment file it does not mention yet (a crash). With a
    sealer the leg must be encrypted and its manifest intact (RecordingError otherwise)."""
    header: dict[str, Any] = {}
    segments: dict[int, SegmentInfo] = {}
    notes: list[dict[str, Any]] = []
    closed = False
    end: float | None = None
    named_leg = _number_from_name(directory)
    entries = _manifest_entries(directory, named_leg, sealer)
    for entry in entries:
        kind = entry.get("type")
        if kind == "leg":
            header = entry
        elif kind == "segment":
            index = int(entry["index"])
            size = entry.get("size")
            segments[index] = SegmentInfo(
                directory / segment_name(index) if sealer is not None else directory / entry["file"],
                index,
                float(entry["start"]),
                float(entry["end"]),
                int(entry["frames"]),
                True,
                size=None if size is None else int(size),
                sha256=entry.get("sha256"),
            )
        elif kind == "closed":
            closed = True
            end = float(entry.get("end", 0.0))
        else:
            notes.append(entry)
    files = [
        (int(match.group(1)), path)
        for path in sorted(directory.glob("seg-*.ts"))
        if (match := SEGMENT_PATTERN.match(path.name)) is not None
    ]
    if sealer is not None and not entries and files:
        # The recorder writes (and fsyncs) the manifest's first line before any segment.
        raise RecordingDamaged(f"The manifest of leg {named_leg} is missing or was emptied.")
    for index, path in files:
        if index not in segments and path.stat().st_size > 0:
            segments[index] = SegmentInfo(path, index, None, None, None, False)
    number = named_leg if sealer is not None else (int(header.get("leg", 0)) or named_leg)
    problems = []
    for index in sorted(segments):
        info = segments[index]
        if info.complete and not info.path.is_file():
            info.missing = True
            problems.append(
                f"Segment {index:06d} of leg {number} is missing: it was deleted after it was recorded."
            )
    return LegManifest(
        directory=directory,
        leg_number=number,
        started_at=header.get("started_at"),
        fps=float(header.get("fps", 30.0)),
        closed=closed,
        end=end,
        segments=[segments[i] for i in sorted(segments)],
        notes=notes,
        sealed=sealer is not None,
        binding=recording_binding(directory.parent),
        problems=problems,
    )


def _number_from_name(directory: Path) -> int:
    match = re.search(r"(\d+)$", directory.name)
    return int(match.group(1)) if match else 1
