"""Image quality of a face: size, brightness and sharpness, with the limits that raise flags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.face import FaceBox, FaceFlag
from app.settings import Settings

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_DEFAULTS = Settings()


@dataclass(frozen=True)
class QualityLimits:
    """Where a face stops being usable. Measured on shared/data (see docs/face-threshold.md):
    the 80 photos there give face brightness 88-189 and sharpness 56-1800 (contrast-normalised);
    a Gaussian blur of 1% of the image width gives 4-13, darkening to 35% gives brightness 36-51.

    The values are settings (``face_min_*`` in app/settings.py, where their defaults live);
    build this from them with ``QualityLimits.from_settings(settings)``."""

    # Smallest face width in pixels for a reference photo (the ResNet input is 150 px; below
    # ~60 px distances get unreliable) and for a live frame (640x480 at arm's length: ~100 px).
    min_reference_face_px: int = _DEFAULTS.face_min_reference_px
    min_live_face_px: int = _DEFAULTS.face_min_live_px
    # Mean luminance (0-255) of the face region.
    min_brightness: float = _DEFAULTS.face_min_brightness
    # Variance of the Laplacian of the face, scaled to 128x128 grey.
    min_sharpness: float = _DEFAULTS.face_min_sharpness

    @classmethod
    def from_settings(cls, settings: Settings) -> QualityLimits:
        return cls(
            min_reference_face_px=settings.face_min_reference_px,
            min_live_face_px=settings.face_min_live_px,
            min_brightness=settings.face_min_brightness,
            min_sharpness=settings.face_min_sharpness,
        )


DEFAULT_LIMITS = QualityLimits()


@dataclass(frozen=True)
class FaceQuality:
    width: int
    brightness: float
    sharpness: float


def face_width(box: FaceBox) -> int:
    _top, right, _bottom, left = box
    return right - left


def measure(rgb: npt.NDArray[np.uint8], box: FaceBox) -> FaceQuality:
    import cv2

    top, right, bottom, left = box
    crop = rgb[max(top, 0) : max(bottom, 0), max(left, 0) : max(right, 0)]
    if crop.size == 0:
        return FaceQuality(width=face_width(box), brightness=0.0, sharpness=0.0)
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    brightness = float(grey.mean())
    # Scale to a fixed size so sharpness does not depend on the face's size in pixels.
    # and stretch it to a fixed contrast so a dim face is not also called blurred.
    norm = cv2.resize(grey, (128, 128), interpolation=cv2.INTER_AREA).astype("float64")
    norm = (norm - norm.mean()) * (50.0 / max(float(norm.std()), 1.0))
    sharpness = float(cv2.Laplacian(norm, cv2.CV_64F).var())
    return FaceQuality(width=face_width(box), brightness=brightness, sharpness=sharpness)


def quality_flags(
    quality: FaceQuality, *, min_face_px: int, limits: QualityLimits = DEFAULT_LIMITS
) -> list[FaceFlag]:
    flags: list[FaceFlag] = []
    if quality.width < min_face_px:
        flags.append(FaceFlag.FACE_TOO_SMALL)
    if quality.brightness < limits.min_brightness:
        flags.append(FaceFlag.TOO_DARK)
    if quality.sharpness < limits.min_sharpness:
        flags.append(FaceFlag.TOO_BLURRED)
    return flags
