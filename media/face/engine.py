"""The face engine interface, and dlib's engine (the models face_recognition ships) behind it.

Everything above this module (reference check, tracker, worker, CLI) talks to a
``FaceEngine``; another model (YuNet + SFace, ArcFace...) can replace dlib's by implementing
the same five methods and its own distance scale (then recalibrate the threshold).
Images are numpy ``uint8`` RGB arrays, boxes are (top, right, bottom, left) pixels.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

from app.face import FaceBox

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    RGBImage = npt.NDArray[np.uint8]
    Vector = npt.NDArray[np.float64]
    Points = npt.NDArray[np.float64]


class FaceModelsMissing(RuntimeError):
    """The model files are not installed, or cannot be loaded."""


class FaceEngine(Protocol):
    """A face detector + landmark model + encoder with its own distance scale."""

    name: str

    def detect(self, rgb: RGBImage, upsample: int = 0) -> list[FaceBox]:
        """Face boxes in ``rgb``, largest first."""
        ...

    def landmarks(self, rgb: RGBImage, box: FaceBox) -> Points:
        """68 (x, y) landmarks in the iBUG 300-W order (eyes are 36-41 and 42-47)."""
        ...

    def encode(self, rgb: RGBImage, box: FaceBox) -> Vector:
        """The identity vector of the face in ``box``."""
        ...

    def distance(self, a: Vector, b: Vector) -> float:
        """Lower is more alike; the match threshold is on this scale."""
        ...


def _box_area(box: FaceBox) -> int:
    top, right, bottom, left = box
    return max(0, right - left) * max(0, bottom - top)


class DlibEngine:
    """dlib HOG detector, 68/5-point shape predictors and the ResNet encoder (face_recognition's models).

    Loading takes about a second; the encoder takes ~125 ms per face and holds the GIL, so
    use it from the face worker process, not from a GUI or media thread. Thread-safe by a
    lock (dlib objects are not re-entrant).
    """

    name = "dlib-resnet-v1"

    def __init__(self) -> None:
        try:
            import dlib
        except ImportError as error:  # pragma: no cover - environment problem
            raise FaceModelsMissing(f"dlib cannot be imported: {error}") from error
        paths = model_paths()
        self._dlib: Any = dlib
        self._detector: Any = dlib.get_frontal_face_detector()
        self._shape68: Any = dlib.shape_predictor(paths["shape68"])
        self._shape5: Any = dlib.shape_predictor(paths["shape5"])
        self._encoder: Any = dlib.face_recognition_model_v1(paths["encoder"])
        self._lock = threading.Lock()

    def _rect(self, box: FaceBox) -> Any:
        top, right, bottom, left = box
        return self._dlib.rectangle(int(left), int(top), int(right), int(bottom))

    def detect(self, rgb: RGBImage, upsample: int = 0) -> list[FaceBox]:
        height, width = rgb.shape[:2]
        with self._lock:
            rects = self._detector(rgb, upsample)
        boxes: list[FaceBox] = []
        for r in rects:
            # Clip to the image as face_recognition does (_trim_css_to_bounds).
            boxes.append((max(r.top(), 0), min(r.right(), width), min(r.bottom(), height), max(r.left(), 0)))
        boxes.sort(key=_box_area, reverse=True)
        return boxes

    def landmarks(self, rgb: RGBImage, box: FaceBox) -> Points:
        import numpy as np

        with self._lock:
            shape = self._shape68(rgb, self._rect(box))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    def encode(self, rgb: RGBImage, box: FaceBox) -> Vector:
        import numpy as np

        # The 5-point alignment and one jitter: what face_recognition.face_encodings() does by
        # default, so its published distances (and our calibration) apply.
        with self._lock:
            shape = self._shape5(rgb, self._rect(box))
            descriptor = self._encoder.compute_face_descriptor(rgb, shape, 1)
        return np.array(descriptor, dtype=np.float64)

    def distance(self, a: Vector, b: Vector) -> float:
        import numpy as np

        return float(np.linalg.norm(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)))


def model_paths() -> dict[str, str]:
    """Paths of the model files from face_recognition_models; raises FaceModelsMissing loudly.

    face_recognition itself prints a hint and calls quit() (exit code 0) when the models are
    missing, which would make a failed check look like success; we never let it get there.
    """
    from pathlib import Path

    try:
        import face_recognition_models as models
    except Exception as error:  # ImportError, or pkg_resources missing with setuptools>=82
        raise FaceModelsMissing(
            "face_recognition_models cannot be loaded "
            f"({type(error).__name__}: {error}). Install it, with setuptools<82 for pkg_resources."
        ) from error
    paths = {
        "shape68": models.pose_predictor_model_location(),
        "shape5": models.pose_predictor_five_point_model_location(),
        "encoder": models.face_recognition_model_location(),
    }
    for name, path in paths.items():
        if not Path(path).is_file():
            raise FaceModelsMissing(f"face model file {name} is missing: {path}")
    return paths


_default_engine: FaceEngine | None = None
_default_lock = threading.Lock()


def default_engine() -> FaceEngine:
    """The process-wide engine, loaded on first use."""
    global _default_engine  # noqa: PLW0603 - one lazily loaded model set per process
    with _default_lock:
        if _default_engine is None:
            _default_engine = DlibEngine()
        return _default_engine


class RoomScanner(Protocol):
    """A slower, more sensitive detector for people in the background (turned or small faces)."""

    def scan(self, rgb: RGBImage) -> list[FaceBox]: ...


class DlibCnnScanner:
    """dlib's MMOD CNN face detector: finds turned and background faces HOG misses (an audience,
    someone beside the applicant), at ~1.3 s per 640x360 frame on these CPUs and holding the
    GIL. Run it at a low rate, in its own process (the live worker does)."""

    def __init__(self, min_confidence: float = 0.5) -> None:
        import dlib

        try:
            import face_recognition_models as models
        except Exception as error:
            raise FaceModelsMissing(f"face_recognition_models cannot be loaded: {error}") from error
        self._detector: Any = dlib.cnn_face_detection_model_v1(models.cnn_face_detector_model_location())
        self.min_confidence = min_confidence

    def scan(self, rgb: RGBImage) -> list[FaceBox]:
        height, width = rgb.shape[:2]
        boxes: list[FaceBox] = []
        for found in self._detector(rgb, 0):
            if found.confidence < self.min_confidence:
                continue
            r = found.rect
            boxes.append((max(r.top(), 0), min(r.right(), width), min(r.bottom(), height), max(r.left(), 0)))
        boxes.sort(key=_box_area, reverse=True)
        return boxes
