"""The applicant's camera on the session's timeline (services.recording): the call's camera
reports are checked by the recording (as the console and record-probe record), each report and
each finding become events on the session clock, stored with the next scores, and listeners
(the console's window) get every verdict."""

from __future__ import annotations

from typing import Any

from app.camera import CameraReport, load_camera_rules
from tests.test_face_challenges_live import _Listener


class _Call:
    """The ReviewerCall's camera subscription, driven by the test."""

    def __init__(self) -> None:
        self.callbacks: list[Any] = []

    def on_camera(self, callback: Any) -> Any:
        self.callbacks.append(callback)
        return lambda: self.callbacks.remove(callback)

    def report(self, report: CameraReport | None, refused: str = "", leg: int = 1) -> None:
        for callback in list(self.callbacks):
            callback(report, refused, leg)


def report(label: str, reason: str = "call_started") -> CameraReport:
    return CameraReport.from_json(
        {"reason": reason, "label": label, "settings": {"width": 640, "height": 480, "frameRate": 30}}
    )


def test_camera_reports_become_timeline_events_on_the_session_clock(database) -> None:  # type: ignore[no-untyped-def]
    from services.recording import CameraTimeline, ScoreTimeline
    from storage.reviewers import Accounts
    from tests.test_replay_storage import NOW, make_session

    reviewer = Accounts(database).add("li.reviewer", "correct horse")
    session_id = make_session(database, reviewer, "Wang Fang", NOW)
    listener = _Listener()
    clock = iter([NOW.timestamp() + 2.0, NOW.timestamp() + 7.5, NOW.timestamp() + 9.0])
    camera = CameraTimeline(load_camera_rules(), wall_clock=lambda: next(clock))
    seen: list[Any] = []
    camera.listeners.append(seen.append)
    timeline = ScoreTimeline(database, session_id, listener)  # type: ignore[arg-type]
    call = _Call()
    camera.follow(call, timeline, session_id)

    call.report(report("Front Camera"))
    call.report(report("OBS Virtual Camera", reason="camera_changed"))
    call.report(None, refused="too_many", leg=2)
    assert timeline.store() == 0  # no scores: the events went all the same
    events = [(kind, round(t, 2), leg, details.get("problem")) for kind, t, leg, details in listener.events]
    assert events == [
        ("camera.reported", 2.0, 1, None),
        ("camera.reported", 7.5, 1, None),
        ("flag.virtual_camera", 7.5, 1, "virtual_camera"),
        ("flag.injection_suspected", 7.5, 1, "camera_changed"),
        ("flag.injection_suspected", 9.0, 2, "report_refused"),
    ]
    assert listener.events[2][3] | {} == {
        "problem": "virtual_camera", "flag": "virtual_camera", "detail": "OBS Virtual Camera",
        "label": "OBS Virtual Camera",
    }  # fmt: skip
    assert [sorted(verdict.flags) for verdict in seen] == [
        [],
        ["injection_suspected", "virtual_camera"],
        ["injection_suspected", "virtual_camera"],
    ]
    camera.stop()
    assert call.callbacks == [] and camera.listeners == []
