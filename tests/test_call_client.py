"""The console's call against an in-process intake service (in-memory desk) and the aiortc
applicant simulator: real WebRTC on loopback, a few seconds each."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from media.call import AudioOutput, CallState, CallStatus, ReviewerCall
from media.intake import IntakeServer
from tests.intake_fakes import FakeDesk, fake_sign_in
from tests.waiting import wait_until
from tools.applicant_simulator import ApplicantResult, run_applicant

# Real WebRTC between a ReviewerCall and an applicant peer.
pytestmark = pytest.mark.slow


class ApplicantThread:
    """The simulator on a loop of its own; `drop()` cuts it off as a lost phone would be."""

    def __init__(self, url: str, token: str, video: Path) -> None:
        self.result: ApplicantResult | None = None
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[ApplicantResult] | None = None
        self._thread = threading.Thread(target=self._run, args=(url, token, video), daemon=True)
        self._thread.start()

    def _run(self, url: str, token: str, video: Path) -> None:
        asyncio.set_event_loop(self._loop)
        self._task = self._loop.create_task(run_applicant(url, token, video, seconds=60))
        try:
            self.result = self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            self._loop.close()

    def drop(self) -> None:
        while self._task is None:
            time.sleep(0.01)
        self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(10)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


@pytest.fixture
def video(shared_data: Path) -> Path:
    return shared_data / "videos" / "obama_weekly_address.mp4"


@pytest.fixture
def desk() -> FakeDesk:
    desk = FakeDesk()
    desk.add("applicant-token")
    return desk


@pytest.fixture
def server(desk: FakeDesk) -> Iterator[IntakeServer]:
    with IntakeServer(desk, desk, console_access=desk.access) as running:
        yield running


def start_call(
    server: IntakeServer, grace: float, *, send_camera: bool = False
) -> tuple[ReviewerCall, list[CallStatus]]:
    call = ReviewerCall(server.url, fake_sign_in(5), grace_seconds=grace, send_camera=send_camera).start()
    states: list[CallStatus] = []
    call.on_status(states.append)
    applicant = None
    deadline = time.monotonic() + 10
    while applicant is None and time.monotonic() < deadline:
        applicant = call.take_next().result(10)
        if applicant is None:
            time.sleep(0.1)
    assert applicant is not None, "the simulator never reached the queue"
    return call, states


def test_a_call_delivers_640x480_video_and_audio_and_hangs_up(
    server: IntakeServer, desk: FakeDesk, video: Path
) -> None:
    assert server.service is not None
    applicant = ApplicantThread(server.url, "applicant-token", video)
    call, states = start_call(server, grace=10, send_camera=True)
    try:
        first = call.frames.wait_newer(0, timeout=10)
        assert first is not None and (first.width, first.height) == (640, 480)
        assert first.image.shape == (480, 640, 3)
        later = call.frames.wait_newer(first.sequence + 30, timeout=5)
        assert later is not None and later.sequence > first.sequence
        wait_until(lambda: call.audio_status.packets > 10, 5, "applicant audio")
        # This machine has no sound card: the call works and says so.
        assert call.audio_status.output in (AudioOutput.NO_DEVICE, AudioOutput.PLAYING)
        assert call.status.state is CallState.CONNECTED and call.status.leg == 1
        # The reviewer's camera is optional: without one (as here) the call goes on and says so.
        assert call.camera_available is not None
        assert ("No camera" in call.audio_status.message) is (not call.camera_available)
        call.hang_up().result(10)
        applicant.join(10)
    finally:
        call.close()
    assert applicant.result is not None and applicant.result.ended_reason == "hang_up"
    assert [s.state for s in states][-1] is CallState.HUNG_UP
    legs = desk.sessions[call.status.session_id].legs  # type: ignore[index]
    assert len(legs) == 1 and legs[0]["reason"] == "hang_up"


def test_an_applicant_who_comes_back_in_time_continues_as_a_second_leg(
    server: IntakeServer, desk: FakeDesk, video: Path
) -> None:
    first = ApplicantThread(server.url, "applicant-token", video)
    call, states = start_call(server, grace=15)
    try:
        wait_until(lambda: call.status.state is CallState.CONNECTED, 10, "the first leg")
        session_id = call.status.session_id
        first.drop()
        wait_until(lambda: call.status.state is CallState.RECONNECTING, 5, "the console to notice the drop")
        assert call.status.grace_deadline is not None
        frames_before = call.frames.count
        second = ApplicantThread(server.url, "applicant-token", video)
        wait_until(lambda: call.status.state is CallState.CONNECTED, 10, "the second leg")
        assert (call.status.session_id, call.status.leg) == (session_id, 2)
        newer = call.frames.wait_newer(
            call.frames.latest().sequence if call.frames.latest() else 0, timeout=5
        )
        assert newer is not None and newer.leg == 2 and call.frames.count > frames_before
        call.hang_up().result(10)
        second.join(10)
    finally:
        call.close()
    legs = desk.sessions[session_id].legs  # type: ignore[index]
    assert [leg["reason"] for leg in legs] == ["dropped", "hang_up"]
    assert CallState.RECONNECTING in [s.state for s in states]


def test_an_applicant_who_does_not_come_back_ends_as_connection_failed(
    server: IntakeServer, desk: FakeDesk, video: Path
) -> None:
    applicant = ApplicantThread(server.url, "applicant-token", video)
    call, _states = start_call(server, grace=1.5)
    try:
        wait_until(lambda: call.status.state is CallState.CONNECTED, 10, "the call")
        session_id = call.status.session_id
        applicant.drop()
        wait_until(lambda: call.status.state is CallState.CONNECTION_FAILED, 6, "the grace period to end")
    finally:
        call.close()
    session = desk.sessions[session_id]  # type: ignore[index]
    assert session.end_reason == "connection_failed"
    # The application may be retried: the token is valid again and joins a new session.
    from datetime import UTC, datetime

    ticket = desk.join_queue("applicant-token", datetime.now(UTC))
    assert ticket.session_id != session_id and ticket.position == 1
