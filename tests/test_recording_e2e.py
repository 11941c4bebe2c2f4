"""Recording real calls end to end, each part its own process (`python main.py ...`): the
intake service, the applicant simulator (the shared Obama video, with a wall-clock time code
drawn into every frame), and a headless reviewer console that records (`record-probe`).

1. The console is killed with SIGKILL mid-call: what was recorded replays, up to at most 3 s
   before the kill, with its timeline (legs, an answer entered during the call).
2. The applicant drops and returns within the grace period: both legs replay as one timeline
   on the session clock, with the drop and the return on it.

The time code lets the test check that the frame shown at session time t was sent at wall
time (leg 1 start + t), give or take the call's latency."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import update

from app.ids import SessionId
from app.settings import load_settings
from media.playback import SessionPlayback
from storage.models import Application
from storage.recordings import recording_path
from storage.replay import Flag, ReplayRecords, SessionReplay
from storage.reviews import ReviewRecords
from storage.sealing import Sealer, load_or_create_key
from tests.e2e.conftest import CallWorld
from tools.bench_call import BENCH_REVIEWER
from tools.timecode import read_time_code

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path: Path) -> Iterator[CallWorld]:
    settings = load_settings(
        {"data_dir": tmp_path / "data", "review_opens": "00:00", "review_closes": "00:00"}, environ={}
    )
    world = CallWorld(tmp_path, f"sqlite:///{tmp_path / 'console.db'}", settings)
    yield world
    world.close()


def read_lines(
    process: subprocess.Popen[str], until: Callable[[dict[str, Any]], bool], timeout: float
) -> list[dict[str, Any]]:
    assert process.stdout is not None
    lines: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    for raw in process.stdout:
        if raw.startswith("{"):
            lines.append(json.loads(raw))
            if until(lines[-1]):
                return lines
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"the console did not get there; it said: {lines}")


def start_call(
    world: CallWorld, seconds: float, *extra: str
) -> tuple[str, list[str], subprocess.Popen[str], subprocess.Popen[str], int]:
    _reviewer_id, (token,) = world.seed(["Li Lei"])
    # The ID photo on file: the person in the video.
    photo = (world.settings.shared_data_dir / "faces" / "face_recognition" / "obama.jpg").read_bytes()
    with world.database.session() as session:
        session.execute(update(Application).values(reference_photo=photo, reference_photo_format="jpeg"))
    url = world.intake()
    video = str(world.settings.shared_data_dir / "videos" / "obama_weekly_address.mp4")
    applicant_args = ["applicant", "--url", url, f"--token={token}", "--video", video]
    applicant_args += ["--loop", "--stamp-time"]
    applicant = world.run(*applicant_args, stderr=subprocess.DEVNULL)
    console = world.run(
        "record-probe", "--url", url, "--reviewer", BENCH_REVIEWER, "--seconds", str(seconds), *extra,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    first = read_lines(console, lambda line: "session_id" in line, 40)[0]
    return url, applicant_args, applicant, console, int(first["session_id"])


def open_replay(world: CallWorld, session_id: int) -> tuple[SessionReplay, SessionPlayback]:
    records = ReplayRecords(world.database)
    replay = records.session_replay(SessionId(session_id))
    directory = replay.recording_directory
    assert directory is not None, "the recording was not stored with the session"
    playback = SessionPlayback.open(
        recording_path(world.settings.recordings_dir, directory),
        {leg.number: leg.offset for leg in replay.legs},
        sealer=Sealer(load_or_create_key(environ=world.env)),
    )
    return replay, playback


def sent_wall_time(image: np.ndarray, now: float) -> float:
    sent = read_time_code(image, now=now)
    assert sent is not None, "the frame's time code is unreadable"
    return sent


def assert_frames_match_the_clock(
    replay: SessionReplay, playback: SessionPlayback, times: list[float]
) -> None:
    """The frame on screen at session time t was sent at about (leg 1 start + t)."""
    zero = replay.legs[0].started_at.timestamp()
    for t in times:
        frame = playback.frame_at(t)
        assert frame is not None, f"no frame at t={t:.2f}"
        assert frame.image.shape[:2] == (480, 640)
        sent = sent_wall_time(frame.image, now=zero + t + 60)
        # Sent before it was received (recorded), and not long before.
        assert -0.05 <= (zero + frame.t) - sent <= 1.0, (t, frame.t, zero + frame.t - sent)


def test_console_killed_mid_call_keeps_the_recording_but_the_last_seconds(world: CallWorld) -> None:
    _url, _args, _applicant, console, session_id = start_call(world, seconds=60)
    records = ReviewRecords(world.database)
    lines = read_lines(console, lambda line: (line.get("leg_clock") or 0) >= 3.0, 40)
    # The reviewer enters an answer during the call: it lands on the recording's clock.
    records.save_answer(
        SessionId(session_id), "applied_personally", True, reviewer_id=None, now=datetime.now(UTC)
    )
    lines += read_lines(console, lambda line: (line.get("leg_clock") or 0) >= 6.0, 20)
    os.kill(console.pid, signal.SIGKILL)
    killed_at = time.time()
    console.wait(10)
    assert console.returncode == -signal.SIGKILL
    assert lines[-1]["frames_recorded"] > 100

    # The console restarts: its unfinished session is marked abandoned, the recording kept.
    assert records.abandon_unfinished(datetime.now(UTC)) == [session_id]
    assert ReplayRecords(world.database).refresh_missing() == 0  # listed as it was marked
    replay, playback = open_replay(world, session_id)
    with playback:
        zero = replay.legs[0].started_at.timestamp()
        killed_t = killed_at - zero
        lost = killed_t - playback.duration
        print(
            f"killed at t={killed_t:.2f} s; the recording replays to t={playback.duration:.2f} s: lost {lost:.2f} s"  # noqa: E501
        )
        assert lost <= 3.0
        assert playback.spans[0].crashed
        start = playback.spans[0].start
        assert_frames_match_the_clock(
            replay, playback, list(np.linspace(start + 0.2, playback.duration - 0.1, 12))
        )
        # Both sides' audio: the applicant's speech and the console's (tone) microphone.
        for source in ("applicant", "reviewer"):
            audio = playback.audio(start + 1.0, playback.duration - 0.5, (source,))
            assert 0.005 < float(np.sqrt(np.mean(audio**2))) < 0.5, source
        # The timeline: the answer sits inside the recording, on the same clock.
        (answer,) = replay.answers
        assert answer.t is not None and start < answer.t < playback.duration
        assert playback.frame_at(answer.t) is not None
    assert replay.state == "abandoned"
    assert [leg.recording_state for leg in replay.legs] == ["recording"]  # never closed: crashed
    page = ReplayRecords(world.database).browse()
    assert [item.session_id for item in page.items] == [session_id]


def test_a_reconnect_replays_both_legs_as_one_timeline(world: CallWorld) -> None:
    _url, applicant_args, applicant, console, session_id = start_call(world, 16, "--faces")
    read_lines(console, lambda line: (line.get("leg_clock") or 0) >= 4.0, 40)
    applicant.kill()  # the phone is gone without a goodbye
    read_lines(console, lambda line: line.get("state") == "reconnecting", 15)
    world.run(*applicant_args, stderr=subprocess.DEVNULL)
    read_lines(console, lambda line: line.get("leg") == 2 and (line.get("leg_clock") or 0) >= 3.0, 30)
    assert console.wait(40) == 0

    # The probe hung up without a decision: the session ended abandoned (and is listed, below).
    assert ReviewRecords(world.database).state(SessionId(session_id)).value == "abandoned"
    replay, playback = open_replay(world, session_id)
    with playback:
        assert [span.leg for span in playback.spans] == [1, 2]
        leg1, leg2 = playback.spans
        assert leg2.start > leg1.end, "leg 2 follows leg 1 on the one clock"
        assert not leg1.crashed and not leg2.crashed
        print(f"leg 1 {leg1.start:.2f}-{leg1.end:.2f} s, leg 2 {leg2.start:.2f}-{leg2.end:.2f} s")
        assert_frames_match_the_clock(
            replay,
            playback,
            [
                *np.linspace(leg1.start + 0.2, leg1.end - 0.1, 5),
                *np.linspace(leg2.start + 0.2, leg2.end - 0.1, 5),
            ],
        )
        assert playback.frame_at((leg1.end + leg2.start) / 2 + 0.3) is None or leg2.start - leg1.end < 1.2
        # Frame step walks from the end of leg 1 into leg 2.
        last = playback.frame_at(leg1.end)
        assert last is not None and last.leg == 1
        after = playback.next_frame()
        assert after is not None and after.leg == 2 and after.t >= leg2.start - 1e-6
        # The applicant's audio after the reconnect (a field complaint about aiortc recordings).
        audio = playback.audio(leg2.start + 0.5, leg2.end - 0.2, ("applicant",))
        assert 0.005 < float(np.sqrt(np.mean(audio**2))) < 0.5
        reviewer = playback.audio(leg2.start + 0.5, leg2.end - 0.2, ("reviewer",))
        # What the reviewer sent in leg 2 (each leg has its own microphone track).
        assert 0.005 < float(np.sqrt(np.mean(reviewer**2))) < 0.5, "no reviewer audio in leg 2"
    # Face scores from the face worker, with boxes, on both legs, on the same clock as the video.
    scored = [s for s in replay.scores if s.similarity is not None]
    assert {s.leg_number for s in scored} == {1, 2}
    spans = [(leg1.start - 0.5, leg1.end + 0.5), (leg2.start - 0.5, leg2.end + 0.5)]
    assert all(any(a <= s.t <= b for a, b in spans) for s in scored)
    assert all(s.box is not None and (s.box.frame_width, s.box.frame_height) == (640, 480) for s in scored)
    median = sorted(s.similarity or 0.0 for s in scored)[len(scored) // 2]
    print(f"{len(scored)} face scores on the timeline, median similarity {median}")
    assert median > 50  # the ID photo's person
    kinds = [event.kind for event in replay.events]
    assert "connection.dropped" in kinds and "connection.restored" in kinds
    dropped = next(e for e in replay.events if e.kind == "connection.dropped")
    assert leg1.start < dropped.t < leg2.start + 0.5
    item = ReplayRecords(world.database).browse().items[0]
    assert item.session_id == session_id and Flag.DROPPED_CONNECTION in item.flags and item.legs == 2
