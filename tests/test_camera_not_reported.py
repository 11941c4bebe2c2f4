"""A leg whose page sent no camera report: the bank's applicant page reports its camera before
each offer, so a leg that delivers video with no report within the setting's seconds
(camera_report_seconds) is a modified page or a script feeding WebRTC directly. It raises
"injection suspected" (app.camera.CameraProblem.NOT_REPORTED) for the console and the timeline,
like the other camera findings; a call whose page reports raises nothing."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.camera import NOT_REPORTED_DETAIL, CameraProblem, CameraReport, CameraRules, load_camera_rules
from tests.test_camera_timeline import report
from tests.test_face_challenges_live import _Listener


class _Call:
    """The ReviewerCall's camera and video subscriptions, driven by the test."""

    def __init__(self) -> None:
        self.camera_callbacks: list[Any] = []
        self.video_callbacks: list[Any] = []

    def on_camera(self, callback: Any) -> Any:
        self.camera_callbacks.append(callback)
        return lambda: self.camera_callbacks.remove(callback)

    def on_video(self, callback: Any) -> Any:
        self.video_callbacks.append(callback)
        return lambda: self.video_callbacks.remove(callback)

    def report(self, camera: CameraReport | None, refused: str = "", leg: int = 1) -> None:
        for callback in list(self.camera_callbacks):
            callback(camera, refused, leg)

    def video(self, leg: int) -> None:
        for callback in list(self.video_callbacks):
            callback(leg)


class _Clock:
    """The checks the timeline scheduled, run when the test says the time has passed."""

    def __init__(self) -> None:
        self.scheduled: list[tuple[float, Callable[[], None]]] = []
        self.cancelled = 0

    def schedule(self, seconds: float, check: Callable[[], None]) -> Callable[[], None]:
        entry = (seconds, check)
        self.scheduled.append(entry)

        def cancel() -> None:
            if entry in self.scheduled:
                self.scheduled.remove(entry)
                self.cancelled += 1

        return cancel

    def run_all(self) -> None:
        scheduled, self.scheduled = self.scheduled, []
        for _seconds, check in scheduled:
            check()


def _timeline(rules: CameraRules | None = None) -> tuple[Any, _Call, _Clock, _Listener, list[Any]]:
    from services.recording import CameraTimeline

    clock = _Clock()
    camera = CameraTimeline(
        rules or load_camera_rules(), wall_clock=lambda: 100.0, report_seconds=4.0, schedule=clock.schedule
    )
    listener = _Listener()
    timeline = _Events(listener)
    seen: list[Any] = []
    camera.listeners.append(seen.append)
    call = _Call()
    camera.follow(call, timeline, 7)  # type: ignore[arg-type]
    return camera, call, clock, listener, seen


class _Events:
    """ScoreTimeline.camera's part: the events it would store."""

    def __init__(self, listener: _Listener) -> None:
        self.events: list[tuple[str, dict[str, Any], int]] = []

    def camera(self, verdict: Any, leg: int, wall: float) -> None:
        if verdict.report is not None and not any(
            f.problem in (CameraProblem.REPORT_REFUSED, CameraProblem.NOT_REPORTED) for f in verdict.new
        ):
            self.events.append(("camera.reported", verdict.report.as_json(), leg))
        for finding in verdict.new:
            self.events.append((f"flag.{finding.flag}", finding.as_json(), leg))


def test_video_without_a_camera_report_raises_injection_suspected_once() -> None:
    camera, call, clock, _listener, seen = _timeline()
    call.video(1)
    assert [seconds for seconds, _check in clock.scheduled] == [4.0]
    assert seen == []  # not before the time allowed
    clock.run_all()
    assert camera.timeline.events == [
        ("flag.injection_suspected", {
            "problem": "not_reported", "flag": "injection_suspected", "detail": NOT_REPORTED_DETAIL,
        }, 1),
    ]  # fmt: skip
    assert NOT_REPORTED_DETAIL == "the page did not report its camera"
    assert len(seen) == 1 and seen[0].flags == {"injection_suspected"} and seen[0].report is None
    # A second leg without a report raises nothing new (each finding once a call).
    call.video(2)
    clock.run_all()
    assert len(camera.timeline.events) == 1 and len(seen) == 1


def test_a_page_that_reports_raises_nothing() -> None:
    camera, call, clock, _listener, seen = _timeline()
    call.report(report("Front Camera"))  # before the offer, as the applicant page does
    call.video(1)
    clock.run_all()
    assert clock.scheduled == [] and [kind for kind, _d, _l in camera.timeline.events] == ["camera.reported"]
    assert [sorted(verdict.flags) for verdict in seen] == [[]]


def test_a_report_arriving_within_the_time_allowed_is_in_time_and_each_leg_must_report() -> None:
    camera, call, clock, _listener, seen = _timeline()
    call.video(1)
    call.report(report("Front Camera"), leg=1)  # late, but within the seconds allowed
    clock.run_all()
    assert [sorted(verdict.flags) for verdict in seen] == [[]]
    # The applicant came back on a second leg that sent video without a report.
    call.video(2)
    clock.run_all()
    assert [kind for kind, _d, leg in camera.timeline.events] == [
        "camera.reported",
        "flag.injection_suspected",
    ]
    assert camera.timeline.events[-1][2] == 2
    assert seen[-1].report is not None and seen[-1].report.label == "Front Camera"  # the last report stays


def test_stopping_cancels_the_checks_not_run_yet() -> None:
    camera, call, clock, _listener, seen = _timeline()
    call.video(1)
    camera.stop()
    assert clock.scheduled == [] and clock.cancelled == 1
    assert call.camera_callbacks == [] and call.video_callbacks == []
    assert seen == []


def test_the_setting_is_the_recordings_time_allowed(tmp_path: Path) -> None:
    from app.settings import load_settings

    settings = load_settings({"data_dir": tmp_path}, environ={"AUDIT_CAMERA_REPORT_SECONDS": "2.5"})
    assert settings.camera_report_seconds == 2.5
    assert load_settings({"data_dir": tmp_path}, environ={}).camera_report_seconds == 5.0


# -- real WebRTC: the console's call and the applicant simulator ---------------------------------


class _Applicant:
    def __init__(self, url: str, token: str, video: Path, *, report_camera: bool) -> None:
        from tools.applicant_simulator import run_applicant

        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[Any] | None = None

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._task = self._loop.create_task(
                run_applicant(url, token, video, seconds=30, report_camera=report_camera)
            )
            try:
                self._loop.run_until_complete(self._task)
            except asyncio.CancelledError:
                pass
            finally:
                self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        while self._task is None:
            time.sleep(0.01)
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(10)


@pytest.fixture
def server() -> Iterator[Any]:
    from media.intake import IntakeServer
    from tests.intake_fakes import FakeDesk

    desk = FakeDesk()
    desk.add("applicant-token")
    with IntakeServer(desk, desk, console_access=desk.access) as running:
        yield running


@pytest.mark.slow
@pytest.mark.parametrize("report_camera", [False, True], ids=["no report", "the simulator reports"])
def test_a_call_whose_client_sends_no_report_is_flagged_and_one_that_reports_is_not(
    server: Any, shared_data: Path, report_camera: bool
) -> None:
    from media.call import ReviewerCall
    from services.recording import CameraTimeline, _timer
    from tests.intake_fakes import fake_sign_in
    from tests.waiting import wait_until

    checked, scheduled = threading.Event(), threading.Event()

    def schedule(seconds: float, check: Callable[[], None]) -> Callable[[], None]:
        scheduled.set()

        def check_then_say() -> None:
            check()
            checked.set()

        return _timer(seconds, check_then_say)

    camera = CameraTimeline(load_camera_rules(), report_seconds=1.0, schedule=schedule)
    seen: list[Any] = []
    camera.listeners.append(seen.append)
    video = shared_data / "videos" / "obama_weekly_address.mp4"
    applicant = _Applicant(server.url, "applicant-token", video, report_camera=report_camera)
    call = ReviewerCall(server.url, fake_sign_in(5), grace_seconds=10).start()
    try:
        taken = None
        deadline = time.monotonic() + 10
        while taken is None and time.monotonic() < deadline:
            taken = call.take_next().result(10)
            if taken is None:
                time.sleep(0.1)
        assert taken is not None, "the simulator never reached the queue"
        camera.follow(call, None, taken.session_id)
        assert call.frames.wait_newer(0, timeout=15) is not None, "no video from the simulator"
        wait_until(lambda: 1 in camera.video_legs, 5, "the video of leg 1 told to the camera check")
        if scheduled.is_set():  # the report was not in before the video: the check decides
            wait_until(checked.is_set, 10, "the camera report check")
        problems = [f.problem for verdict in seen for f in verdict.findings]
        if report_camera:
            assert problems == [] and seen and seen[-1].report is not None
            assert seen[-1].report.label == "camera2 1, facing front"
        else:
            assert problems == [CameraProblem.NOT_REPORTED]
            assert seen[-1].flags == {"injection_suspected"}
    finally:
        camera.stop()
        call.close()
        applicant.stop()
