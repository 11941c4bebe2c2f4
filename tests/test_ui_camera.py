"""The console window with the applicant's camera checked (app.camera) and with an applicant who
hangs up, on fake services and a call the test drives: what the reviewer sees, in English and
Chinese, and what an approval may do."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator

import pytest

from app.camera import CameraReport, CameraWatch, load_camera_rules
from app.console import ConnectionState
from app.decisions import DecisionDraft, Outcome
from tests.test_ui_console import answer_all, connect_and_match, from_media_thread, take_applicant
from tests.ui_fakes import FakeConsoleServices
from ui.face_panel import camera_text
from ui.main_window import ConsoleWindow, UnsavedDecisionQuestion

pytestmark = pytest.mark.gui


@pytest.fixture
def services() -> Iterator[FakeConsoleServices]:
    services = FakeConsoleServices()
    yield services
    services.close()


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, services) -> ConsoleWindow:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    from app.ids import ReviewerId
    from app.settings import load_settings
    from ui.sign_in import SignedIn

    monkeypatch.setattr(UnsavedDecisionQuestion, "ask", classmethod(lambda cls, parent: True))
    settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={})
    qsettings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
    window = ConsoleWindow(services, SignedIn(ReviewerId(1), "li.na"), settings, qsettings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def report(label: str, reason: str = "call_started", **settings: object) -> CameraReport:
    return CameraReport.from_json(
        {
            "reason": reason,
            "label": label,
            "settings": {"width": 640, "height": 480, "frameRate": 30} | settings,
        }
    )


def test_a_virtual_camera_shows_in_the_face_panel_and_blocks_approval(qtbot, window, services) -> None:
    call = take_applicant(qtbot, window, services)
    connect_and_match(qtbot, window, call)
    answer_all(window)
    watch = CameraWatch(load_camera_rules())

    from_media_thread(lambda: call.events.camera(watch.observe(report("camera2 1, facing front"))))
    qtbot.waitUntil(lambda: window.face is not None and window.face.camera is not None)
    assert window.face_panel.camera_label.text() == "Camera: camera2 1, facing front (640x480, 30 fps)"
    assert not window.approval_conditions.blocked

    changed = report("OBS Virtual Camera", reason="camera_changed", frameRate=120)
    from_media_thread(lambda: call.events.camera(watch.observe(changed)))
    qtbot.waitUntil(lambda: "virtual_camera" in window.face.flags_seen)  # type: ignore[union-attr]
    text = window.face_panel.camera_label.text()
    assert (
        text == "⚠ Camera OBS Virtual Camera: a virtual camera; frame rate 120 fps; changed during the call"
    )
    tooltip = window.face_panel.camera_label.toolTip()
    assert "the camera changed during the call: camera2 1, facing front -> OBS Virtual Camera" in tooltip
    assert window.approval_conditions.blocked
    assert window.approval_conditions.findings[0].rule.id == "injection_suspected"
    # The decision records what was seen (four-eyes, replay).
    summary = window.face.summary()  # type: ignore[union-attr]
    assert {"virtual_camera", "injection_suspected"} <= set(summary.flags_seen)
    assert not window.record_decision(DecisionDraft(Outcome.APPROVE, face=summary))
    assert services.decisions == [] and services.save_attempts == 0


def test_the_camera_line_in_chinese(qtbot) -> None:
    from PySide6.QtCore import QCoreApplication

    from ui.languages import install_translators

    app = QCoreApplication.instance()
    translators = install_translators(app, "zh_CN")  # type: ignore[arg-type]
    try:
        watch = CameraWatch(load_camera_rules())
        watch.observe(report("Front Camera"))
        verdict = watch.observe(report("/tmp/applicant.y4m", reason="camera_changed"))
        text = camera_text(verdict)
        assert (
            text == "⚠ 摄像头 /tmp/applicant.y4m：虚拟摄像头（Chromium's fake capture device）；通话中被更换"
        )
    finally:
        for translator in translators:
            app.removeTranslator(translator)  # type: ignore[union-attr]


def test_an_applicant_who_hangs_up_ends_the_review_as_recorded(qtbot, window, services) -> None:
    call = take_applicant(qtbot, window, services)
    connect_and_match(qtbot, window, call)
    from_media_thread(lambda: call.events.connection(ConnectionState.APPLICANT_HUNG_UP, 1))
    qtbot.waitUntil(lambda: window.recorded_by_service == "applicant_hung_up")
    assert window.call_status.state_label.text() == "The applicant hung up: recorded as abandoned"
    assert window.video._notice == "The applicant hung up."
    assert "the session was recorded as 'abandoned: the applicant hung up'" in window.banner.label.text()
    assert not any(button.isEnabled() for button in window.decision_bar.buttons.values())
    assert not window.record_decision(DecisionDraft(Outcome.REJECT))
    assert services.save_attempts == 0
    window.close_review()
    assert window.recorded_by_service is None and window.applicant is None
