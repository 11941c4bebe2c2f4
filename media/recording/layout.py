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

PTS_BASE = 10.0
MANIFEST = "manifest.jsonl"
SEGMENT_PATTERN = re.compile(r"^seg-(\d{6})\.ts$")
# Stream order in every segment (audio streams are present in every segment, even if silent).
STREAM_TITLES = ("video", "applicant", "reviewer")


def leg_directory(session_directory: Path, leg_number: int) -> Path:
    return session_directory / f"leg-{leg_number:02d}"


def segment_name(index: int) -> str:
    return f"seg-{index:06d}.ts"


@dataclass
class SegmentInfo:
    path: Path
    index: int
    start: float | None  # leg clock of its first video frame (None: not known from the manifest)
    end: float | None  # leg clock just after its last video frame
    frames: int | None
    complete: bool  # False: the recorder stopped (or crashed) while writing it


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


def read_manifest(directory: Path) -> LegManifest:
    """What the manifest says, plus any segment file it does not mention yet (a crash)."""
    header: dict[str, Any] = {}
    segments: dict[int, SegmentInfo] = {}
    notes: list[dict[str, Any]] = []
    closed = False
    end: float | None = None
    manifest = directory / MANIFEST
    if manifest.is_file():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash
            kind = entry.get("type")
            if kind == "leg":
                header = entry
            elif kind == "segment":
                index = int(entry["index"])
                segments[index] = SegmentInfo(
                    directory / entry["file"],
                    index,
                    float(entry["start"]),
                    float(entry["end"]),
                    int(entry["frames"]),
                    True,
                )
            elif kind == "closed":
                closed = True
                end = float(entry.get("end", 0.0))
            else:
                notes.append(entry)
    for path in sorted(directory.glob("seg-*.ts")):
        match = SEGMENT_PATTERN.match(path.name)
        if match is None:
            continue
        index = int(match.group(1))
        if index not in segments and path.stat().st_size > 0:
            segments[index] = SegmentInfo(path, index, None, None, None, False)
    number = int(header.get("leg", 0)) or _number_from_name(directory)
    return LegManifest(
        directory=directory,
        leg_number=number,
        started_at=header.get("started_at"),
        fps=float(header.get("fps", 30.0)),
        closed=closed,
        end=end,
        segments=[segments[i] for i in sorted(segments)],
        notes=notes,
    )


def _number_from_name(directory: Path) -> int:
    match = re.search(r"(\d+)$", directory.name)
    return int(match.group(1)) if match else 1
