"""Liveness from the 68 landmarks: blinks (eye aspect ratio) and head rotation over the call.

A held-up photo matches a face too. A photo moved, tilted in its plane or zoomed keeps its
eye aspect ratio and the nose's position relative to the eyes, so both signals below are
computed in a frame tied to the eyes (invariant to shift, scale and roll): only a real eye
closing, or a real head turning or nodding, changes them.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.face import Liveness, LiveState
from app.settings import Settings

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_DEFAULTS = Settings()


@dataclass(frozen=True)
class LivenessLimits:
    """The liveness settings (``face_blink_*``, ``face_liveness_*``... in app/settings.py, where
    their defaults live); build this from them with ``LivenessLimits.from_settings(settings)``."""

    # A blink: the eye aspect ratio falls below this share of the open-eye level, then recovers.
    # On shared/data: real blinks go to 0.42-0.66; a zoomed still photo's landmark noise to 0.79.
    blink_drop: float = _DEFAULTS.face_blink_drop
    blink_recover: float = _DEFAULTS.face_blink_recover
    open_level_seconds: float = _DEFAULTS.face_open_eye_seconds
    max_blink_seconds: float = _DEFAULTS.face_blink_max_seconds
    # Head rotation: range (5th-95th percentile) of the nose offset relative to the eyes,
    # in eye distances. Talking heads on shared/data move 0.1-0.3; a photo moved or
    # zoomed stays below 0.03 (landmark noise).
    min_head_rotation: float = _DEFAULTS.face_min_head_movement
    blinks_needed: int = _DEFAULTS.face_blinks_needed
    # With this much face time seen and no proof yet, liveness is "failed" (not "unknown").
    decide_after_seconds: float = _DEFAULTS.face_liveness_seconds
    history_seconds: float = _DEFAULTS.face_liveness_history_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> LivenessLimits:
        return cls(
            blink_drop=settings.face_blink_drop,
            blink_recover=settings.face_blink_recover,
            open_level_seconds=settings.face_open_eye_seconds,
            max_blink_seconds=settings.face_blink_max_seconds,
            min_head_rotation=settings.face_min_head_movement,
            blinks_needed=settings.face_blinks_needed,
            decide_after_seconds=settings.face_liveness_seconds,
            history_seconds=settings.face_liveness_history_seconds,
        )


DEFAULT_LIVENESS = LivenessLimits()


def eye_aspect_ratio(eye: npt.NDArray[np.float64]) -> float:
    """Soukupova & Cech (2016): (|p2-p6| + |p3-p5|) / (2 |p1-p4|) for the 6 points of one eye."""
    import numpy as np

    vertical = float(np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4]))
    horizontal = float(np.linalg.norm(eye[0] - eye[3]))
    return vertical / (2.0 * horizontal) if horizontal > 0 else 0.0


@dataclass(frozen=True)
class LandmarkSignals:
    ear: float  # mean of both eyes
    # Nose sideways from the eye midpoint, in eye distances; positive towards the image's right,
    # which is the person's own left in a camera image that is not mirrored.
    yaw: float
    pitch: float  # nose below the eye line, in eye distances
    # Mouth aspect ratio: the opening between the inner lips over the mouth's width (closed ~0,
    # talking up to ~0.35 on the shared videos, a wide-open mouth 0.5 and more).
    mar: float = 0.0


def mouth_aspect_ratio(points: npt.NDArray[np.float64]) -> float:
    """Inner-lip opening (points 61-63 against 67-65) over the inner mouth width (60 to 64)."""
    import numpy as np

    inner = points[60:68]
    width = float(np.linalg.norm(inner[0] - inner[4]))
    if width <= 0:
        return 0.0
    opening = sum(float(np.linalg.norm(inner[i] - inner[8 - i])) for i in (1, 2, 3))
    return opening / (3.0 * width)


def signals(points: npt.NDArray[np.float64]) -> LandmarkSignals:
    import numpy as np

    left_eye = points[36:42]
    right_eye = points[42:48]
    ear = (eye_aspect_ratio(left_eye) + eye_aspect_ratio(right_eye)) / 2.0
    left = left_eye.mean(axis=0)
    right = right_eye.mean(axis=0)
    axis = right - left
    distance = float(np.linalg.norm(axis))
    mar = mouth_aspect_ratio(points)
    if distance <= 0:
        return LandmarkSignals(ear=ear, yaw=0.0, pitch=0.0, mar=mar)
    unit = axis / distance
    normal = np.array([-unit[1], unit[0]])
    nose = points[30] - (left + right) / 2.0
    yaw, pitch = float(nose @ unit) / distance, float(nose @ normal) / distance
    return LandmarkSignals(ear=ear, yaw=yaw, pitch=pitch, mar=mar)


def _spread(values: list[float]) -> float:
    if len(values) < 5:
        return 0.0
    ordered = sorted(values)
    low = ordered[int(0.05 * (len(ordered) - 1))]
    high = ordered[math.ceil(0.95 * (len(ordered) - 1))]
    return high - low


class LivenessTracker:
    """Feed it the landmarks of the tracked face, frame by frame; read ``state``.

    Once passed, liveness stays passed for the call (a reviewer saw a live person); call
    ``reset()`` when the tracked person changes.
    """

    def __init__(self, limits: LivenessLimits = DEFAULT_LIVENESS) -> None:
        self.limits = limits
        self.reset()

    def reset(self) -> None:
        self._ears: deque[tuple[float, float]] = deque()
        self._yaw: deque[tuple[float, float]] = deque()
        self._pitch: deque[tuple[float, float]] = deque()
        self._closed_since: float | None = None
        self._blinks = 0
        # (closed at, open again at) of the latest blinks, and this frame's signals: what the
        # active challenges (media/face/challenges.py) read.
        self.blink_times: deque[tuple[float, float]] = deque(maxlen=16)
        self.current: LandmarkSignals | None = None
        self._face_seconds = 0.0
        self._last_t: float | None = None
        self._passed = False
        self._rotation = 0.0

    def _open_level(self, t: float) -> float | None:
        since = t - self.limits.open_level_seconds
        values = sorted(ear for when, ear in self._ears if when >= since)
        if len(values) < 5:
            return None
        return values[int(0.75 * (len(values) - 1))]  # open eyes: the upper part of the range

    def update(self, t: float, points: npt.NDArray[np.float64] | None) -> LiveState:
        limits = self.limits
        if points is None:
            self._last_t = None
            self._closed_since = None
            self.current = None
            return self.state
        if self._last_t is not None and t > self._last_t:
            self._face_seconds += min(t - self._last_t, 1.0)
        self._last_t = t
        sig = signals(points)
        self.current = sig
        open_level = self._open_level(t)
        if open_level is not None and open_level > 0:
            ratio = sig.ear / open_level
            if self._closed_since is None and ratio < limits.blink_drop:
                self._closed_since = t
            elif self._closed_since is not None and ratio > limits.blink_recover:
                if t - self._closed_since <= limits.max_blink_seconds:
                    self._blinks += 1
                    self.blink_times.append((self._closed_since, t))
                self._closed_since = None
        self._ears.append((t, sig.ear))
        self._yaw.append((t, sig.yaw))
        self._pitch.append((t, sig.pitch))
        for series in (self._ears, self._yaw, self._pitch):
            while series and series[0][0] < t - limits.history_seconds:
                series.popleft()
        self._rotation = max(
            self._rotation,
            _spread([v for _, v in self._yaw]),
            _spread([v for _, v in self._pitch]),
        )
        if self._blinks >= limits.blinks_needed and self._rotation >= limits.min_head_rotation:
            self._passed = True
        return self.state

    @property
    def state(self) -> LiveState:
        if self._passed:
            verdict = Liveness.PASSED
        elif self._face_seconds >= self.limits.decide_after_seconds:
            verdict = Liveness.FAILED
        else:
            verdict = Liveness.UNKNOWN
        return LiveState(blinks=self._blinks, head_movement=round(self._rotation, 3), state=verdict)
