"""The applicant's camera as their page reports it (the device's label and the browser's track
settings), and what it suggests: a known virtual camera, settings no phone camera has, a camera
changed mid-call. The rules are the bank's data (app/cameras.toml).

A report comes from the applicant's browser: hostile input. `CameraReport.from_json` checks
sizes and types before anything reads it (the intake on arrival, the console again on receipt).
The findings are signals, not proof: a page can lie about its camera.
"""

from __future__ import annotations

import enum
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CAMERA_RULES_FILE = Path(__file__).resolve().parent / "cameras.toml"

MAX_LABEL_LENGTH = 256
MAX_TEXT_LENGTH = 256
MAX_SETTINGS = 40  # keys in the settings object; browsers report about 15
MAX_PIXELS_SIDE = 16384
MAX_FRAME_RATE = 1000.0


class CameraReportReason(enum.StrEnum):
    CALL_STARTED = "call_started"  # the page sends its camera as each leg of the call starts
    CAMERA_CHANGED = "camera_changed"  # the page saw another device or a replaced video track


class CameraReportInvalid(ValueError):
    """A camera report that is not what the applicant page sends; the message says what is wrong."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")

# The track settings read (MediaTrackSettings names) and their types; other keys are ignored.
_INTEGERS = ("width", "height")
_NUMBERS = ("frameRate", "aspectRatio")
_TEXTS = ("deviceId", "groupId", "facingMode", "resizeMode")


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise CameraReportInvalid(f"{name} must be a text")
    if len(value) > limit:
        raise CameraReportInvalid(f"{name} may be at most {limit} characters")
    return _CONTROL.sub(" ", value).strip()


def _number(value: Any, name: str, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CameraReportInvalid(f"{name} must be a number")
    number = float(value)
    if not math.isfinite(number) or number < 0 or number > limit:
        raise CameraReportInvalid(f"{name} must be a number from 0 to {limit:g}")
    return number


@dataclass(frozen=True)
class CameraReport:
    """One report of the camera in use: its label and the track's settings (None / "" when the
    browser did not say)."""

    reason: CameraReportReason
    label: str
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    aspect_ratio: float | None = None
    device_id: str = ""
    group_id: str = ""
    facing_mode: str = ""
    resize_mode: str = ""

    @classmethod
    def from_json(cls, body: Any) -> CameraReport:
        """From the page's message ``{"reason", "label", "settings": {...}}``. Raises
        CameraReportInvalid, with what is wrong, for anything the page never sends."""
        if not isinstance(body, Mapping):
            raise CameraReportInvalid("a camera report must be a JSON object")
        try:
            reason = CameraReportReason(str(body.get("reason")))
        except ValueError:
            reasons = ", ".join(repr(r.value) for r in CameraReportReason)
            raise CameraReportInvalid(f"reason must be one of {reasons}") from None
        label = _text(body.get("label", ""), "label", MAX_LABEL_LENGTH)
        settings = body.get("settings", {})
        if not isinstance(settings, Mapping):
            raise CameraReportInvalid("settings must be a JSON object")
        if len(settings) > MAX_SETTINGS:
            raise CameraReportInvalid(f"settings may have at most {MAX_SETTINGS} entries")
        values: dict[str, Any] = {}
        for name in _INTEGERS:
            if settings.get(name) is not None:
                number = _number(settings[name], f"settings.{name}", MAX_PIXELS_SIDE)
                if number != int(number):
                    raise CameraReportInvalid(f"settings.{name} must be a whole number")
                values[name] = int(number)
        for name in _NUMBERS:
            if settings.get(name) is not None:
                values[name] = _number(settings[name], f"settings.{name}", MAX_FRAME_RATE)
        for name in _TEXTS:
            if settings.get(name) is not None:
                values[name] = _text(settings[name], f"settings.{name}", MAX_TEXT_LENGTH)
        return cls(
            reason=reason,
            label=label,
            width=values.get("width"),
            height=values.get("height"),
            frame_rate=values.get("frameRate"),
            aspect_ratio=values.get("aspectRatio"),
            device_id=values.get("deviceId", ""),
            group_id=values.get("groupId", ""),
            facing_mode=values.get("facingMode", ""),
            resize_mode=values.get("resizeMode", ""),
        )

    def as_json(self) -> dict[str, Any]:
        """The checked report in the page's own form (what the intake passes on and the
        timeline keeps); only the settings the page gave."""
        settings = {
            "width": self.width,
            "height": self.height,
            "frameRate": self.frame_rate,
            "aspectRatio": self.aspect_ratio,
            "deviceId": self.device_id,
            "groupId": self.group_id,
            "facingMode": self.facing_mode,
            "resizeMode": self.resize_mode,
        }
        return {
            "reason": self.reason.value,
            "label": self.label,
            "settings": {k: v for k, v in settings.items() if v not in (None, "")},
        }

    @property
    def size_text(self) -> str:
        return f"{self.width}x{self.height}" if self.width and self.height else ""

    @property
    def frame_rate_text(self) -> str:
        return "" if self.frame_rate is None else f"{self.frame_rate:g} fps"


class CameraProblem(enum.StrEnum):
    """Why a camera is suspect (stored on the timeline; the console words each)."""

    VIRTUAL_CAMERA = "virtual_camera"  # detail: the virtual camera's name in the rules (label: the report's)
    FRAME_RATE = "frame_rate"  # detail: e.g. "120 fps"
    PICTURE_SIZE = "picture_size"  # detail: e.g. "1000x333"
    CAMERA_CHANGED = "camera_changed"  # detail: "old label -> new label" (or the labels alike)
    REPORT_REFUSED = "report_refused"  # the page sent what the bank's page never sends
    # A leg delivered video but its page sent no camera report in time (the bank's page reports
    # before its offer): a modified page, or a script feeding WebRTC directly.
    NOT_REPORTED = "not_reported"  # detail: NOT_REPORTED_DETAIL

    @property
    def flag(self) -> str:
        """The face flag it raises (approval_policy.toml blocks approval on both)."""
        return "virtual_camera" if self is CameraProblem.VIRTUAL_CAMERA else "injection_suspected"


NOT_REPORTED_DETAIL = "the page did not report its camera"


@dataclass(frozen=True)
class CameraFinding:
    problem: CameraProblem
    detail: str

    @property
    def flag(self) -> str:
        return self.problem.flag

    def as_json(self) -> dict[str, str]:
        return {"problem": self.problem.value, "flag": self.flag, "detail": self.detail}


@dataclass(frozen=True)
class VirtualCamera:
    name: str
    label_contains: tuple[str, ...]

    def matches(self, label: str) -> bool:
        folded = label.casefold()
        return any(part in folded for part in self.label_contains)


@dataclass(frozen=True)
class PhoneCamera:
    """What a phone's camera gives the page; anything else does not fit a phone."""

    min_frame_rate: float = 10.0
    max_frame_rate: float = 60.0
    min_short_side: int = 144
    max_long_side: int = 4096
    aspect_ratios: tuple[float, ...] = (4 / 3, 16 / 9, 1.0)
    aspect_tolerance: float = 0.04

    def frame_rate_fits(self, frame_rate: float) -> bool:
        return self.min_frame_rate <= frame_rate <= self.max_frame_rate

    def size_fits(self, width: int, height: int) -> bool:
        short, long = sorted((width, height))
        if short < self.min_short_side or long > self.max_long_side or short == 0:
            return False
        ratio = long / short
        return any(abs(ratio - known) / known <= self.aspect_tolerance for known in self.aspect_ratios)


@dataclass(frozen=True)
class CameraRules:
    virtual_cameras: tuple[VirtualCamera, ...] = ()
    phone: PhoneCamera = field(default_factory=PhoneCamera)
    change_is_suspect: bool = True

    def virtual_camera(self, label: str) -> VirtualCamera | None:
        return next((camera for camera in self.virtual_cameras if camera.matches(label)), None)

    def findings(self, report: CameraReport) -> list[CameraFinding]:
        """What this one report shows, on its own (a change needs the call: CameraWatch)."""
        found = []
        virtual = self.virtual_camera(report.label)
        if virtual is not None:
            found.append(CameraFinding(CameraProblem.VIRTUAL_CAMERA, virtual.name))
        if report.frame_rate is not None and not self.phone.frame_rate_fits(report.frame_rate):
            found.append(CameraFinding(CameraProblem.FRAME_RATE, report.frame_rate_text))
        if report.width and report.height and not self.phone.size_fits(report.width, report.height):
            found.append(CameraFinding(CameraProblem.PICTURE_SIZE, report.size_text))
        return found


@dataclass(frozen=True)
class CameraVerdict:
    """The camera of one call as the reviewer sees it: the latest report, every finding so far,
    and those the latest report raised."""

    report: CameraReport | None
    findings: tuple[CameraFinding, ...] = ()
    new: tuple[CameraFinding, ...] = ()

    @property
    def flags(self) -> frozenset[str]:
        return frozenset(finding.flag for finding in self.findings)


class CameraWatch:
    """Follows one call's camera reports: each finding is raised once per call."""

    def __init__(self, rules: CameraRules) -> None:
        self.rules = rules
        self.first: CameraReport | None = None
        self.latest: CameraReport | None = None
        self.findings: list[CameraFinding] = []

    def observe(self, report: CameraReport) -> CameraVerdict:
        found = self.rules.findings(report)
        if self.rules.change_is_suspect:
            changed = self._change(report)
            if changed is not None:
                found.append(changed)
        if self.first is None:
            self.first = report
        self.latest = report
        return self._raise(found)

    def refused(self, why: str) -> CameraVerdict:
        """The intake refused a report from the page (malformed, or too many)."""
        return self._raise([CameraFinding(CameraProblem.REPORT_REFUSED, why)])

    def not_reported(self) -> CameraVerdict:
        """A leg delivered video with no camera report from its page within the time allowed."""
        return self._raise([CameraFinding(CameraProblem.NOT_REPORTED, NOT_REPORTED_DETAIL)])

    def verdict(self) -> CameraVerdict:
        return CameraVerdict(self.latest, tuple(self.findings))

    def _change(self, report: CameraReport) -> CameraFinding | None:
        before = self.latest
        if before is None:
            return None
        # Device ids are per page load in some browsers (a reload is a new leg): the label says more.
        other_label = bool(before.label or report.label) and before.label != report.label
        if report.reason is CameraReportReason.CAMERA_CHANGED or other_label:
            return CameraFinding(
                CameraProblem.CAMERA_CHANGED, f"{before.label or '?'} -> {report.label or '?'}"
            )
        return None

    def _raise(self, found: list[CameraFinding]) -> CameraVerdict:
        new = tuple(finding for finding in found if finding not in self.findings)
        self.findings.extend(new)
        return CameraVerdict(self.latest, tuple(self.findings), new)


def _ratio(text: Any, where: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*", str(text))
    if match is None or float(match.group(2)) == 0:
        raise ValueError(f"{where}: aspect ratio {text!r} must read like '4:3'")
    first, second = float(match.group(1)), float(match.group(2))
    return max(first, second) / min(first, second)


def load_camera_rules(path: Path = DEFAULT_CAMERA_RULES_FILE) -> CameraRules:
    """Read and check the rules file; a mistake names the entry and the field."""
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"camera rules {path}: {error}") from error
    cameras = []
    for index, entry in enumerate(data.get("virtual_camera", []), start=1):
        where = f"camera rules {path.name}: virtual_camera {entry.get('name', index)!r}"
        parts = entry.get("label_contains")
        if not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise ValueError(f"{where}: needs a name")
        if (
            not isinstance(parts, list)
            or not parts
            or not all(isinstance(p, str) and p.strip() for p in parts)
        ):
            raise ValueError(f"{where}: label_contains must be a list of non-empty texts")
        cameras.append(VirtualCamera(entry["name"].strip(), tuple(p.strip().casefold() for p in parts)))
    phone_data = data.get("phone_camera", {})
    where = f"camera rules {path.name}: phone_camera"
    defaults = PhoneCamera()
    try:
        phone = PhoneCamera(
            min_frame_rate=float(phone_data.get("min_frame_rate", defaults.min_frame_rate)),
            max_frame_rate=float(phone_data.get("max_frame_rate", defaults.max_frame_rate)),
            min_short_side=int(phone_data.get("min_short_side", defaults.min_short_side)),
            max_long_side=int(phone_data.get("max_long_side", defaults.max_long_side)),
            aspect_ratios=tuple(_ratio(r, where) for r in phone_data["aspect_ratios"])
            if "aspect_ratios" in phone_data
            else defaults.aspect_ratios,
            aspect_tolerance=float(phone_data.get("aspect_tolerance", defaults.aspect_tolerance)),
        )
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from None
    if phone.min_frame_rate > phone.max_frame_rate or phone.min_short_side > phone.max_long_side:
        raise ValueError(f"{where}: a minimum is above its maximum")
    change = data.get("camera_change", {})
    return CameraRules(
        virtual_cameras=tuple(cameras),
        phone=phone,
        change_is_suspect=bool(change.get("change_is_suspect", True)),
    )
