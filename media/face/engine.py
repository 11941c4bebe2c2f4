"""The face engine interface, dlib's engine (the models face_recognition ships) behind it,
and the choice between engines (setting ``face_engine``: ``sface``, the default, or ``dlib``).

Everything above this module (reference check, tracker, worker, CLI) talks to a
``FaceEngine``; SFace + YuNet (media/face/sface.py) implements the same methods with its own
distance scale, so each engine has its own calibrated threshold (docs/face-threshold.md).
Images are numpy ``uint8`` RGB arrays, boxes are (top, right, bottom, left) pixels.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

from app.face import FaceBox
from app.settings import FACE_ENGINES

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

    name: str  # the model, for reports ("dlib-resnet-v1")
    kind: str  # the setting face_engine that selects it ("dlib")

    def detect(self, rgb: RGBImage, upsample: int = 0, roi: FaceBox | None = None) -> list[FaceBox]:
        """Face boxes in ``rgb`` (within ``roi`` when given), in ``rgb``'s pixels, largest first."""
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
    kind = "dlib"

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

    def detect(self, rgb: RGBImage, upsample: int = 0, roi: FaceBox | None = None) -> list[FaceBox]:
        import numpy as np

        y0, x0 = 0, 0
        if roi is not None:
            y0, x1, y1, x0 = roi
            rgb = np.ascontiguousarray(rgb[y0:y1, x0:x1])
        height, width = rgb.shape[:2]
        with self._lock:
            rects = self._detector(rgb, upsample)
        boxes: list[FaceBox] = []
        for r in rects:
            # Clip to the image as face_recognition does (_trim_css_to_bounds).
            top, right = max(r.top(), 0), min(r.right(), width)
            bottom, left = min(r.bottom(), height), max(r.left(), 0)
            boxes.append((top + y0, right + x0, bottom + y0, left + x0))
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


ENGINES = FACE_ENGINES

_engines: dict[tuple[str, str], FaceEngine] = {}
_engines_lock = threading.Lock()


def load_engine(kind: str, models_dir: str = "") -> FaceEngine:
    """A new engine of ``kind`` (one of ENGINES); ``models_dir`` overrides where SFace's
    files are (their digests are checked all the same)."""
    if kind == "sface":
        from media.face.sface import SFaceEngine

        return SFaceEngine(models_dir)
    if kind == "dlib":
        return DlibEngine()
    raise ValueError(f"unknown face engine {kind!r}: choose one of {', '.join(ENGINES)}")


def default_engine(kind: str | None = None, models_dir: str | None = None) -> FaceEngine:
    """The process-wide engine of ``kind`` (default: the setting face_engine), loaded on first use."""
    if kind is None or models_dir is None:
        from app.settings import load_settings

        settings = load_settings()
        kind = settings.face_engine if kind is None else kind
        models_dir = settings.face_models_dir if models_dir is None else models_dir
    with _engines_lock:
        engine = _engines.get((kind, models_dir))
        if engine is None:
            engine = _engines[(kind, models_dir)] = load_engine(kind, models_dir)
        return engine


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


def default_room_scanner(kind: str, models_dir: str = "") -> RoomScanner:
    """The room scan that goes with an engine: YuNet upsampled for SFace, dlib's CNN for dlib."""
    if kind == "sface":
        from media.face.sface import YuNetRoomScanner

        return YuNetRoomScanner(models_dir)
    return DlibCnnScanner()
