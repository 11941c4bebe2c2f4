"""SDP edits the console makes to its answer: raising the browser's video bitrate floor."""

from __future__ import annotations

import re

# Without a floor Chromium starts low and sends 480x360; with it, 640x480 from the start.
BITRATE_FLOOR_PARAMS = "x-google-min-bitrate=1000;x-google-start-bitrate=1000"
_HELPER_CODECS = {"rtx", "red", "ulpfec", "flexfec-03"}
_RTPMAP = re.compile(r"^a=rtpmap:(\d+) ([^/\s]+)/", re.IGNORECASE)
_FMTP = re.compile(r"^a=fmtp:(\d+) (.*)$", re.IGNORECASE)


def raise_video_bitrate_floor(sdp: str, params: str = BITRATE_FLOOR_PARAMS) -> str:
    """Add the bitrate floor to every video codec's fmtp line (adding the line when a codec has
    none); audio sections and retransmission codecs are left alone. Idempotent."""
    newline = "\r\n" if "\r\n" in sdp else "\n"
    lines = sdp.split(newline)
    out: list[str] = []
    in_video = False
    section: list[str] = []

    def flush() -> None:
        if in_video:
            out.extend(_edit_video_section(section, params))
        else:
            out.extend(section)
        section.clear()

    for line in lines:
        if line.startswith("m="):
            flush()
            in_video = line.startswith("m=video")
        section.append(line)
    flush()
    return newline.join(out)


def _edit_video_section(section: list[str], params: str) -> list[str]:
    media_codecs: dict[str, str] = {}
    with_fmtp: set[str] = set()
    for line in section:
        if match := _RTPMAP.match(line):
            media_codecs[match.group(1)] = match.group(2).lower()
        elif match := _FMTP.match(line):
            with_fmtp.add(match.group(1))
    targets = {pt for pt, name in media_codecs.items() if name not in _HELPER_CODECS}
    keys = [part.split("=", 1)[0] for part in params.split(";")]
    edited: list[str] = []
    for line in section:
        fmtp = _FMTP.match(line)
        if fmtp and fmtp.group(1) in targets:
            existing = fmtp.group(2)
            kept = [part for part in existing.split(";") if part and part.split("=", 1)[0] not in keys]
            edited.append(f"a=fmtp:{fmtp.group(1)} " + ";".join([*kept, params]))
        else:
            edited.append(line)
        rtpmap = _RTPMAP.match(line)
        if rtpmap and rtpmap.group(1) in targets and rtpmap.group(1) not in with_fmtp:
            edited.append(f"a=fmtp:{rtpmap.group(1)} {params}")
    return edited
