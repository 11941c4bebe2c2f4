"""The applicant's camera reports (app.camera): hostile input checked for size and types, and the
bank's camera rules (app/cameras.toml): known virtual cameras, settings no phone camera has, a
camera changed mid-call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.camera import (
    MAX_LABEL_LENGTH,
    CameraProblem,
    CameraReport,
    CameraReportInvalid,
    CameraReportReason,
    CameraWatch,
    load_camera_rules,
)
from app.settings import load_settings
from tests.camera_rules import rules_allowing_chromium_fake_device

PHONE = {"width": 640, "height": 480, "frameRate": 30, "deviceId": "a1", "facingMode": "user"}


def report(
    label: str = "camera2 1, facing front", reason: str = "call_started", **settings: Any
) -> CameraReport:
    return CameraReport.from_json({"reason": reason, "label": label, "settings": PHONE | settings})


@pytest.fixture(scope="module")
def rules() -> Any:
    return load_camera_rules()


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("OBS Virtual Camera", "OBS Virtual Camera"),
        ("ManyCam Virtual Webcam", "ManyCam"),
        ("Dummy video device (0x0000)", "v4l2loopback"),
        ("XSplit VCam", "XSplit VCam"),
        ("Snap Camera", "Snap Camera"),
        ("e2eSoft VCam", "e2eSoft VCam"),
        ("CamTwist", "CamTwist"),
        ("Camera (NVIDIA Broadcast)", "NVIDIA Broadcast"),
        ("fake_device_0", "Chromium's fake capture device"),
        ("/tmp/fake-media/applicant.y4m", "Chromium's fake capture device"),  # a file played as a camera
        ("obs virtual camera", "OBS Virtual Camera"),  # case does not matter
    ],
)
def test_known_virtual_cameras_are_flagged_by_label(rules: Any, label: str, name: str) -> None:
    [finding] = rules.findings(report(label))
    assert finding.problem is CameraProblem.VIRTUAL_CAMERA
    assert finding.flag == "virtual_camera"
    assert finding.detail == name


@pytest.mark.parametrize(
    "label",
    ["camera2 1, facing front", "Front Camera", "前置相机", "FaceTime HD Camera", "Integrated Webcam", ""],
)
def test_real_cameras_raise_nothing(rules: Any, label: str) -> None:
    assert rules.findings(report(label)) == []


@pytest.mark.parametrize(
    ("settings", "problem", "detail"),
    [
        ({"frameRate": 120}, CameraProblem.FRAME_RATE, "120 fps"),
        ({"frameRate": 5}, CameraProblem.FRAME_RATE, "5 fps"),
        ({"width": 1000, "height": 333}, CameraProblem.PICTURE_SIZE, "1000x333"),
        ({"width": 100, "height": 75}, CameraProblem.PICTURE_SIZE, "100x75"),
        ({"width": 7680, "height": 4320}, CameraProblem.PICTURE_SIZE, "7680x4320"),
    ],
)
def test_settings_no_phone_camera_has_are_suspect(
    rules: Any, settings: dict[str, Any], problem: CameraProblem, detail: str
) -> None:
    [finding] = rules.findings(report(**settings))
    assert (finding.problem, finding.detail, finding.flag) == (problem, detail, "injection_suspected")


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"width": 480, "height": 640},  # portrait
        {"width": 1280, "height": 720, "frameRate": 60},
        {"width": 720, "height": 1280, "frameRate": 24},
        {"width": 640, "height": 640, "frameRate": 15},
        {"width": 640, "height": 360, "frameRate": 29.97},
        {"width": None, "height": None, "frameRate": None},  # not reported: nothing to judge
    ],
)
def test_phone_camera_settings_fit(rules: Any, settings: dict[str, Any]) -> None:
    assert rules.findings(report(**settings)) == []


def test_a_camera_change_mid_call_is_flagged_once(rules: Any) -> None:
    watch = CameraWatch(rules)
    first = watch.observe(report())
    assert first.findings == () and first.flags == frozenset()
    again = watch.observe(report())  # the same camera as a new leg starts
    assert again.findings == ()
    changed = watch.observe(report("OBS Virtual Camera", reason="camera_changed", deviceId="b2"))
    assert {f.problem for f in changed.new} == {CameraProblem.VIRTUAL_CAMERA, CameraProblem.CAMERA_CHANGED}
    assert changed.flags == {"virtual_camera", "injection_suspected"}
    [change] = [f for f in changed.findings if f.problem is CameraProblem.CAMERA_CHANGED]
    assert change.detail == "camera2 1, facing front -> OBS Virtual Camera"
    next_leg = watch.observe(report("OBS Virtual Camera", deviceId="b2"))  # a reconnect: the same camera
    assert next_leg.new == ()  # raised once per call
    assert next_leg.findings == changed.findings


def test_another_label_after_a_reload_is_a_change_even_with_the_page_saying_call_started(rules: Any) -> None:
    watch = CameraWatch(rules)
    watch.observe(report("Front Camera"))
    verdict = watch.observe(report("Back Camera", deviceId="other"))
    assert [f.problem for f in verdict.new] == [CameraProblem.CAMERA_CHANGED]


def test_a_refused_report_is_suspect(rules: Any) -> None:
    verdict = CameraWatch(rules).refused("too_many")
    assert [(f.problem, f.detail) for f in verdict.findings] == [(CameraProblem.REPORT_REFUSED, "too_many")]
    assert verdict.flags == {"injection_suspected"}


def test_the_report_keeps_what_the_page_sent_and_drops_unknown_settings() -> None:
    body = {
        "reason": "call_started",
        "label": "Front\nCamera\u202e",
        "settings": PHONE | {"brightness": 128, "torch": False, "aspectRatio": 1.3333},
    }
    checked = CameraReport.from_json(body)
    assert checked.reason is CameraReportReason.CALL_STARTED
    assert checked.label == "Front Camera"  # control and bidi characters become spaces
    assert checked.as_json() == {
        "reason": "call_started",
        "label": "Front Camera",
        "settings": {
            "width": 640, "height": 480, "frameRate": 30.0, "aspectRatio": 1.3333,
            "deviceId": "a1", "facingMode": "user",
        },
    }  # fmt: skip
    assert CameraReport.from_json(json.loads(json.dumps(checked.as_json()))) == checked


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "must be a JSON object"),
        ({"reason": "because"}, "reason must be one of"),
        ({"reason": "call_started", "label": 12}, "label must be a text"),
        ({"reason": "call_started", "label": "x" * (MAX_LABEL_LENGTH + 1)}, "at most 256 characters"),
        ({"reason": "call_started", "settings": []}, "settings must be a JSON object"),
        ({"reason": "call_started", "settings": {str(i): i for i in range(41)}}, "at most 40 entries"),
        ({"reason": "call_started", "settings": {"width": "640"}}, "settings.width must be a number"),
        ({"reason": "call_started", "settings": {"width": True}}, "settings.width must be a number"),
        ({"reason": "call_started", "settings": {"width": 640.5}}, "whole number"),
        ({"reason": "call_started", "settings": {"width": -1}}, "from 0 to"),
        ({"reason": "call_started", "settings": {"height": 10**9}}, "from 0 to"),
        ({"reason": "call_started", "settings": {"frameRate": float("nan")}}, "from 0 to"),
        ({"reason": "call_started", "settings": {"frameRate": float("inf")}}, "from 0 to"),
        ({"reason": "call_started", "settings": {"deviceId": {"$gt": ""}}}, "deviceId must be a text"),
        ({"reason": "call_started", "settings": {"deviceId": "d" * 300}}, "at most 256"),
    ],
)
def test_reports_the_page_never_sends_are_refused_with_what_is_wrong(body: Any, message: str) -> None:
    with pytest.raises(CameraReportInvalid, match=message):
        CameraReport.from_json(body)


def test_the_rules_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "cameras.toml"
    bad.write_text('[[virtual_camera]]\nname = "X"\nlabel_contains = []\n')
    with pytest.raises(ValueError, match="label_contains"):
        load_camera_rules(bad)
    bad.write_text('[phone_camera]\naspect_ratios = ["wide"]\n')
    with pytest.raises(ValueError, match="aspect ratio"):
        load_camera_rules(bad)
    bad.write_text("[phone_camera]\nmin_frame_rate = 70\n")
    with pytest.raises(ValueError, match="minimum is above"):
        load_camera_rules(bad)
    with pytest.raises(ValueError, match="camera rules"):
        load_camera_rules(tmp_path / "missing.toml")


def test_the_setting_names_the_rules_file_and_tests_that_approve_say_so(tmp_path: Path) -> None:
    """The default flags Chromium's fake capture device (a bank wants that); a test whose
    Chromium applicant must be approvable names a rules file without it, explicitly."""
    default = load_settings(environ={})
    assert load_camera_rules(default.camera_rules_file).virtual_camera("fake_device_0") is not None
    allowed = rules_allowing_chromium_fake_device(tmp_path)
    settings = load_settings(environ={"AUDIT_CAMERA_RULES_FILE": str(allowed)})
    rules = load_camera_rules(settings.camera_rules_file)
    assert rules.virtual_camera("fake_device_0") is None
    assert rules.virtual_camera("OBS Virtual Camera") is not None  # nothing else weakened
    assert len(rules.virtual_cameras) == len(load_camera_rules().virtual_cameras) - 1
