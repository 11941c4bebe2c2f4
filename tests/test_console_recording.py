"""The live console's services record every session (services.console.LiveConsoleServices, wired as
record-probe is), on the real layers: SQLite, the intake service, the applicant simulator
streaming the shared Obama video over WebRTC.

1. Disk full while recording: the call goes on, the recording state reaches the window's
   CallEvents as a warning, and what was written before stays readable.
2. The console process is SIGKILLed mid-call: at the next sign-in of that reviewer the session
   is marked abandoned (the window says so), its summary is built and its recording replays up
   to at most 3 s before the kill.

`python tests/test_console_recording.py URL NAME PASSWORD` is the console of test 2: the
services of the real console without a window, printing one JSON line every half second."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.console import AudioState, ConnectionState, RecordingState
from app.ids import SessionId
from app.settings import load_settings
from tests.live_console import live_console_services
from tests.ui_fakes import OBAMA_VIDEO
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not OBAMA_VIDEO.is_file(), reason="shared data video missing"),
]


class CollectedEvents:
    """app.console.CallEvents that keeps what the call reported (the window's side)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.frames = 0
        self.connections: list[tuple[ConnectionState, int]] = []
        self.recordings: list[tuple[RecordingState, str]] = []

    def frame(self, image: Any, frame_time: float) -> None:
        with self.lock:
            self.frames += 1

    def face_score(self, score: Any) -> None:
        pass

    def connection(self, state: ConnectionState, leg: int) -> None:
        with self.lock:
            self.connections.append((state, leg))

    def audio(self, state: AudioState) -> None:
        pass

    def recording(self, state: RecordingState, message: str) -> None:
        with self.lock:
            self.recordings.append((state, message))

    def queue(self, summary: Any) -> None:
        pass

    def camera(self, verdict: Any) -> None:
        pass


# --- 1. disk full ---------------------------------------------------------------------------


@pytest.fixture
def console_services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # No face worker: this test is about the recording, and the machine is shared.
    with live_console_services(tmp_path, monkeypatch, "password-li-na", face_matching=False) as services:
        yield services


def test_disk_full_warns_the_reviewer_the_call_goes_on_and_what_was_written_is_kept(console_services):
    from media.playback import SessionPlayback
    from storage.recordings import RecordingRecords, session_directory_name

    services = console_services
    reviewer = services.sign_in("li.na", "password-li-na")
    assert services.abandoned_at_sign_in() == 0
    wait_until(lambda: services.queue_summary().waiting == 1, 30, "the applicant in the queue")
    taken = services.take_next(reviewer)
    assert taken is not None
    session_dir = services.settings.recordings_dir / session_directory_name(taken.session_id)
    leg = session_dir / "leg-01"
    leg.mkdir(parents=True)
    # The third segment's file is /dev/full: every write to it fails with ENOSPC (an encrypted
    # recording writes it under a temporary name first).
    third = [leg / "seg-000002.ts", leg / "seg-000002.ts.tmp"]
    for path in third:
        path.symlink_to("/dev/full")

    events = CollectedEvents()
    call = services.start_call(taken, events)
    try:
        wait_until(lambda: (RecordingState.RECORDING, "") in events.recordings, 30, "the recording to start")
        wait_until(
            lambda: any(s is RecordingState.DISK_FULL for s, _m in events.recordings),
            20,
            "the disk-full warning",
        )
        state, message = events.recordings[-1]
        assert state is RecordingState.DISK_FULL and "Disk full" in message
        frames_at_warning = events.frames
        time.sleep(1.5)
        # The call goes on: frames keep reaching the window, the applicant is still connected.
        assert events.frames > frames_at_warning + 10
        assert events.connections[-1] == (ConnectionState.CONNECTED, 1)
    finally:
        call.end()

    recordings = RecordingRecords(services.database)
    [leg_row] = recordings.recordings(SessionId(taken.session_id))
    assert leg_row.state == "warning: disk full"
    kinds = [event.kind for event in recordings.events(SessionId(taken.session_id))]
    assert "recording.warning" in kinds
    for path in third:
        path.unlink(missing_ok=True)
    with SessionPlayback.open(session_dir, sealer=services.sealer) as playback:
        assert playback.segment_count == 2
        assert playback.duration > 1.5
        assert playback.frame_at(playback.duration - 0.1) is not None


# --- 2. the console killed mid-call ---------------------------------------------------------


def console_child(url: str, name: str, password: str) -> int:
    """A console (its services, no window) that takes the next applicant and stays in the call."""
    from cli.common import settings_from_env
    from cli.database import open_configured_database
    from services.console import LiveConsoleServices

    settings = settings_from_env()
    database = open_configured_database()
    services = LiveConsoleServices(settings, database, url, face_matching=False)
    reviewer = services.sign_in(name, password)
    taken = None
    deadline = time.monotonic() + 90  # the simulator starts and joins first: slow on a busy machine
    while taken is None and time.monotonic() < deadline:
        taken = services.take_next(reviewer)
        if taken is None:
            time.sleep(0.3)
    if taken is None:
        return 1
    events = CollectedEvents()
    call = services.start_call(taken, events)
    print(json.dumps({"session_id": int(taken.session_id)}), flush=True)
    while True:
        time.sleep(0.5)
        recorder = call.recording.recording.recorder
        print(
            json.dumps(
                {
                    "leg_clock": recorder.elapsed() if recorder else None,
                    "frames": events.frames,
                    "recording": events.recordings[-1][0].value if events.recordings else None,
                }
            ),
            flush=True,
        )


def read_until(process: subprocess.Popen[str], until: Any, timeout: float) -> dict[str, Any]:
    assert process.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout
    for raw in process.stdout:
        if raw.startswith("{"):
            line = json.loads(raw)
            seen.append(line)
            if until(line):
                return line
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"the console did not get there; it said: {seen[-5:]}")


@pytest.mark.gui
def test_a_console_killed_mid_call_is_abandoned_at_the_next_sign_in_and_its_recording_replays(
    tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QSettings

    from media.playback import SessionPlayback
    from services.console import LiveConsoleServices
    from storage.recordings import recording_path
    from storage.replay import ReplayRecords
    from storage.reviews import ReviewRecords
    from tests.e2e.conftest import CallWorld
    from ui.main_window import ConsoleWindow
    from ui.sign_in import SignedIn

    settings = load_settings(
        {"data_dir": tmp_path / "data", "review_opens": "00:00", "review_closes": "00:00"}, environ={}
    )
    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "photo.key"))  # the children's key too
    world = CallWorld(tmp_path, f"sqlite:///{tmp_path / 'console.db'}", settings)
    services = window = None
    try:
        _reviewer_id, (token,) = world.seed(["Li Lei"])
        url = world.intake()
        world.run("applicant", "--url", url, f"--token={token}", "--video", str(OBAMA_VIDEO), "--loop",
                  stderr=subprocess.DEVNULL)  # fmt: skip
        console = subprocess.Popen(
            [sys.executable, __file__, url, "call-bench", "call-bench-password"],
            env=dict(world.env, PYTHONPATH=str(ROOT)),
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        world.processes.append(console)
        session_id = SessionId(read_until(console, lambda line: "session_id" in line, 120)["session_id"])
        last = read_until(console, lambda line: (line.get("leg_clock") or 0) >= 5.0, 40)
        assert last["recording"] == "recording" and last["frames"] > 50
        os.kill(console.pid, signal.SIGKILL)
        killed_at = time.time()
        console.wait(10)

        # The console starts again; the same reviewer signs in.
        services = LiveConsoleServices(world.settings, world.database, url, face_matching=False)
        reviewer_id = services.sign_in("call-bench", "call-bench-password")
        assert services.abandoned == [session_id]
        assert ReviewRecords(world.database).state(session_id).value == "abandoned"
        # What the crash left is now covered by the audit chain, and tampering with it shows.
        from storage.evidence import coverage_problems

        assert coverage_problems(world.database, world.settings.recordings_dir) == []
        page = ReplayRecords(world.database).browse()
        [item] = [item for item in page.items if item.session_id == session_id]
        assert item.state == "abandoned" and item.legs == 1  # its summary, built at sign-in

        replay = ReplayRecords(world.database).session_replay(session_id)
        assert replay.recording_directory is not None
        with SessionPlayback.open(
            recording_path(world.settings.recordings_dir, replay.recording_directory),
            {leg.number: leg.offset for leg in replay.legs},
            sealer=services.sealer,  # the console's recordings are encrypted at rest
        ) as playback:
            zero = replay.legs[0].started_at.timestamp()
            lost = (killed_at - zero) - playback.duration
            killed_t = killed_at - zero
            print(f"killed at t={killed_t:.2f} s, replays to {playback.duration:.2f} s: lost {lost:.2f} s")
            assert lost <= 3.0
            assert playback.spans[0].crashed
            assert playback.frame_at(playback.duration - 0.2) is not None

        qsettings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
        window = ConsoleWindow(services, SignedIn(reviewer_id, "call-bench"), world.settings, qsettings)
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.notices.abandoned == 1, timeout=10000)
        assert window.notices.abandoned_label.text() == (
            "1 unfinished session from the last run was marked abandoned; its recording is kept."
        )
        # Signing in again finds nothing more to abandon.
        services.sign_in("call-bench", "call-bench-password")
        assert services.abandoned_at_sign_in() == 0
    finally:
        if window is not None:
            window.close()
        if services is not None:
            services.close()
        world.close()


if __name__ == "__main__":
    sys.exit(console_child(*sys.argv[1:4]))
