"""The face-match pipeline for one call, frame by frame: detect, track, check, encode, compare.

``FacePipeline.process(frame_bgr, t, index)`` returns one ``FaceScore`` per frame. It is
synchronous and single-threaded: the live worker (media/face/worker.py) runs it in its own
process on the newest frame, and the offline runner (media/face/offline.py) runs it on every
frame of a file. Costs on these CPUs for a 640x480 frame: tracking ~5-10 ms (HOG on a crop
around the last box), a full-frame detection ~38 ms (every ``full_detect_interval``), 68
landmarks ~2 ms, an encoding ~125 ms (at most every ``encode_interval``, and at once when the
tracked face changes).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.face import ChallengeKind, FaceBox, FaceFlag, FaceScore, similarity_from_distance
from app.settings import Settings
from media.face.challenges import DEFAULT_CHALLENGES, ChallengeLimits, ChallengeTracker
from media.face.engine import FaceEngine
from media.face.liveness import DEFAULT_LIVENESS, LivenessLimits, LivenessTracker
from media.face.quality import DEFAULT_LIMITS, QualityLimits, measure, quality_flags

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Frame = npt.NDArray[np.uint8]
    Vector = npt.NDArray[np.float64]

_DEFAULTS = Settings()


@dataclass(frozen=True)
class PipelineConfig:
    """Build it from the settings with ``PipelineConfig.from_settings(settings)``; the bank's
    limits (threshold, quality, liveness, encoding rate) are settings in app/settings.py."""

    threshold: float
    # The engine (setting face_engine) whose distance scale ``threshold`` is on, and where its
    # model files are (setting face_models_dir; empty: the installed wheel's).
    engine: str = _DEFAULTS.face_engine
    models_dir: str = _DEFAULTS.face_models_dir
    # Seconds of frame time between two encodings of the same tracked face (the setting
    # face_max_encodings_per_second: 4 per second, every 0.25 s).
    encode_interval: float = 1.0 / _DEFAULTS.face_max_encodings_per_second
    # Seconds between full-frame detections (to count faces and catch a new one); in
    # between, the face is tracked in a crop around its last box.
    full_detect_interval: float = 0.25
    # Encodings of the tracked face averaged for the distance: steadier, and more accurate
    # than one frame (a face template). Reset whenever the tracked face changes.
    template_size: int = 5
    # When no face is found, how often to look again for small faces (a 4x dearer detection).
    small_face_interval: float = 0.5
    # Frames wider than this are scaled down first (a 640x480 call is left as it is).
    max_width: int = 640
    # A fresh encoding this far from the tracked face's template means another person took
    # the place (a swap in front of the camera): the template and liveness start over. Frames
    # of one person differ by up to ~0.5 on shared/data, different people by 0.64 and more.
    identity_change_distance: float = 0.6
    # A face lost for longer than this starts a new track (and a fresh encoding).
    track_timeout: float = 0.5
    quality: QualityLimits = DEFAULT_LIMITS
    liveness: LivenessLimits = DEFAULT_LIVENESS
    challenges: ChallengeLimits = DEFAULT_CHALLENGES

    @classmethod
    def from_settings(cls, settings: Settings, *, threshold: float | None = None) -> PipelineConfig:
        """The pipeline's limits from the settings; ``threshold`` overrides face_match_threshold."""
        rate = settings.face_max_encodings_per_second
        if not rate > 0:
            raise ValueError(f"setting 'face_max_encodings_per_second' must be more than 0, not {rate}")
        return cls(
            threshold=settings.face_match_threshold if threshold is None else threshold,
            engine=settings.face_engine,
            models_dir=settings.face_models_dir,
            encode_interval=1.0 / rate,
            quality=QualityLimits.from_settings(settings),
            liveness=LivenessLimits.from_settings(settings),
            challenges=ChallengeLimits.from_settings(settings),
        )


def _iou(a: FaceBox, b: FaceBox) -> float:
    top = max(a[0], b[0])
    right = min(a[1], b[1])
    bottom = min(a[2], b[2])
    left = max(a[3], b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    area_a = (a[1] - a[3]) * (a[2] - a[0])
    area_b = (b[1] - b[3]) * (b[2] - b[0])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


class FacePipeline:
    """Scores the frames of one call against one reference encoding."""

    def __init__(self, engine: FaceEngine, reference: Vector, config: PipelineConfig) -> None:
        self.engine = engine
        self.reference = reference
        self.config = config
        self.liveness = LivenessTracker(config.liveness)
        self.challenges = ChallengeTracker(config.challenges)
        self._track: FaceBox | None = None
        self._track_seen_t = float("-inf")
        self._last_full_t = float("-inf")
        self._full_count = 0
        self._last_upsampled_t = float("-inf")
        self._last_encode_t = float("-inf")
        self._template: deque[Vector] = deque(maxlen=config.template_size)
        self._distance: float | None = None
        self._other_faces: tuple[float, int] | None = None  # (frame time, count) from a room scan
        self._other_faces_ttl = 0.0

    def ask(self, kind: ChallengeKind) -> None:
        """Issue a liveness challenge; it is asked on the next frame processed."""
        self.challenges.ask(kind)

    # The room scan (a slower detector, see engine.RoomScanner) reports how many faces it saw.
    def set_room_count(self, t: float, count: int, valid_for: float) -> None:
        self._other_faces = (t, count)
        self._other_faces_ttl = valid_for

    def _room_count(self, t: float) -> int:
        if self._other_faces is None:
            return 0
        seen_t, count = self._other_faces
        return count if abs(t - seen_t) <= self._other_faces_ttl else 0

    def _detect_full(self, rgb: Frame, t: float) -> list[FaceBox]:
        boxes = self.engine.detect(rgb, upsample=0)
        if not boxes and t - self._last_upsampled_t >= self.config.small_face_interval:
            # Faces under ~80 px need one upsample: report them (as too small) rather than
            # "no face". Costs ~4x, so only when nothing was found, and not every frame.
            self._last_upsampled_t = t
            boxes = self.engine.detect(rgb, upsample=1)
        self._last_full_t = t
        self._full_count = len(boxes)
        return boxes

    def _detect_near(self, rgb: Frame, box: FaceBox) -> FaceBox | None:
        height, width = rgb.shape[:2]
        top, right, bottom, left = box
        size = max(right - left, bottom - top)
        margin = int(0.6 * size)
        region: FaceBox = (
            max(top - margin, 0),
            min(right + margin, width),
            min(bottom + margin, height),
            max(left - margin, 0),
        )
        upsample = 0 if size >= 85 else 1
        candidates = self.engine.detect(rgb, upsample=upsample, roi=region)
        if not candidates:
            return None
        best = max(candidates, key=lambda b: _iou(b, box))
        return best if _iou(best, box) > 0.2 else None

    def _new_track(self, box: FaceBox) -> None:
        self._track = box
        self._template.clear()
        self._last_encode_t = float("-inf")  # encode the new face at once

    def process(
        self, frame_bgr: Frame, t: float, index: int = -1, *, core_wait: float | None = None
    ) -> FaceScore:
        """This frame's score. `core_wait`: seconds the caller's scoring of this frame waited for
        a core (the live worker measures it; None: not known), for the challenges' "not judged"
        (media.face.challenges)."""
        import cv2
        import numpy as np

        config = self.config
        height, width = frame_bgr.shape[:2]
        scale = 1.0
        if width > config.max_width:
            scale = config.max_width / width
            size = (config.max_width, round(height * scale))
            frame_bgr = np.asarray(cv2.resize(frame_bgr, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        rgb: Frame = np.ascontiguousarray(frame_bgr[:, :, ::-1])

        box: FaceBox | None = None
        if self._track is not None and t - self._last_full_t < config.full_detect_interval:
            box = self._detect_near(rgb, self._track)
        if box is None:
            boxes = self._detect_full(rgb, t)
            if boxes:
                if self._track is not None and t - self._track_seen_t <= config.track_timeout:
                    # Follow the same face when it is still there; otherwise the largest.
                    best = max(boxes, key=lambda b: _iou(b, self._track))  # type: ignore[arg-type]
                    if _iou(best, self._track) > 0.2:
                        box = best
                if box is None:
                    box = boxes[0]
                    self._new_track(box)
        faces = max(self._full_count, 1 if box else 0, self._room_count(t))
        if box is None:
            self._track = None
            self._template.clear()
            self._distance = None
            live = self.liveness.update(t, None)
            challenge = self.challenges.update(t, None, self.liveness.blink_times, core_wait=core_wait)
            no_face = [FaceFlag.NO_FACE] + ([FaceFlag.MULTIPLE_FACES] if faces > 1 else [])
            return FaceScore(
                frame_time=t, frame=index, faces=faces, box=None, distance=None, similarity=None,
                match=False, flags=tuple(f.value for f in no_face), live=live.live, liveness=live,
                challenge=challenge,
            )  # fmt: skip
        self._track = box
        self._track_seen_t = t

        flags: list[FaceFlag] = []
        if faces > 1:
            flags.append(FaceFlag.MULTIPLE_FACES)
        quality = measure(rgb, box)
        flags += quality_flags(quality, min_face_px=config.quality.min_live_face_px, limits=config.quality)
        points = self.engine.landmarks(rgb, box)
        inside = (
            (points[:, 0] >= 0)
            & (points[:, 0] < rgb.shape[1])
            & (points[:, 1] >= 0)
            & (points[:, 1] < rgb.shape[0])
        )
        out_of_frame = int((~inside).sum())
        if out_of_frame >= 3:
            flags.append(FaceFlag.PARTLY_COVERED)
        live = self.liveness.update(t, points)

        encoded = False
        if t - self._last_encode_t >= config.encode_interval or t < self._last_encode_t:
            encoding = self.engine.encode(rgb, box)
            if (
                self._template
                and self.engine.distance(encoding, np.mean(self._template, axis=0)) > config.threshold
            ):
                # Another person under the same box (a swap in front of the camera): start over.
                self._template.clear()
                self.liveness.reset()
                live = self.liveness.update(t, points)
            self._template.append(encoding)
            self._last_encode_t = t
            self._distance = self.engine.distance(np.mean(self._template, axis=0), self.reference)
            encoded = True

        challenge = self.challenges.update(
            t, self.liveness.current, self.liveness.blink_times, core_wait=core_wait
        )
        distance = self._distance
        similarity = None if distance is None else similarity_from_distance(distance, config.threshold)
        # A face under the live minimum size gives a distance, but no verdict: its features are
        # too coarse to tell look-alikes apart (the reviewer sees "face too small").
        match = distance is not None and distance <= config.threshold and FaceFlag.FACE_TOO_SMALL not in flags
        original_box: FaceBox = (
            (round(box[0] / scale), round(box[1] / scale), round(box[2] / scale), round(box[3] / scale))
            if scale != 1.0
            else box
        )
        return FaceScore(
            frame_time=t,
            frame=index,
            faces=faces,
            box=original_box,
            distance=distance,
            similarity=similarity,
            match=match,
            flags=tuple(f.value for f in flags),
            live=live.live,
            liveness=live,
            encoded=encoded,
            challenge=challenge,
        )


def with_latency(score: FaceScore, latency_ms: float) -> FaceScore:
    return dataclasses.replace(score, latency_ms=round(latency_ms, 1))
