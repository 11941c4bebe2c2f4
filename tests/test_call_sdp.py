"""The console's answer raises the browser's video bitrate floor on video codecs only."""

from __future__ import annotations

from media.call.sdp import BITRATE_FLOOR_PARAMS, raise_video_bitrate_floor

ANSWER = "\r\n".join(
    [
        "v=0",
        "o=- 1 1 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:0 PCMU/8000",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103",
        "a=rtpmap:96 VP8/90000",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "a=rtpmap:102 H264/90000",
        "a=fmtp:102 packetization-mode=1;profile-level-id=42e01f",
        "a=rtpmap:103 rtx/90000",
        "a=fmtp:103 apt=102",
        "",
    ]
)


def fmtp_lines(sdp: str) -> dict[str, str]:
    return {
        line.split()[0].split(":")[1]: line.split(" ", 1)[1]
        for line in sdp.split("\r\n")
        if line.startswith("a=fmtp:")
    }


def test_video_codecs_get_the_floor_and_nothing_else_changes() -> None:
    munged = raise_video_bitrate_floor(ANSWER)
    fmtp = fmtp_lines(munged)
    assert fmtp["96"] == BITRATE_FLOOR_PARAMS  # VP8 had no fmtp line: one is added
    assert fmtp["102"] == "packetization-mode=1;profile-level-id=42e01f;" + BITRATE_FLOOR_PARAMS
    assert fmtp["97"] == "apt=96"  # retransmission codecs untouched
    assert fmtp["103"] == "apt=102"
    assert fmtp["111"] == "minptime=10;useinbandfec=1"  # audio untouched
    lines = munged.split("\r\n")
    assert lines.index("a=fmtp:96 " + BITRATE_FLOOR_PARAMS) == lines.index("a=rtpmap:96 VP8/90000") + 1
    assert munged.endswith("\r\n")


def test_idempotent_and_keeps_line_endings() -> None:
    once = raise_video_bitrate_floor(ANSWER)
    assert raise_video_bitrate_floor(once) == once
    unix = raise_video_bitrate_floor(ANSWER.replace("\r\n", "\n"))
    assert "\r" not in unix
    assert f"a=fmtp:96 {BITRATE_FLOOR_PARAMS}" in unix


def test_audio_only_sdp_is_unchanged() -> None:
    audio_only = ANSWER.split("m=video")[0]
    assert raise_video_bitrate_floor(audio_only) == audio_only
