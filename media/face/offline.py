"""Offline runs of the face pipeline over a video file (``main.py match``).

Without ``realtime`` every frame is scored in this process, in order (repeatable: the same
file gives the same lines). With ``realtime`` the frames are offered to a ``FaceWorker`` at
the video's own pace, and the worker drops what it cannot keep up with, as in a live call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.face import ChallengeKind, ChallengeResult, ChallengeState, FaceScore, Liveness
from app.face_policy import SustainedMatch
from media.face.engine import FaceEngine, RoomScanner, default_engine
from media.face.pipeline import FacePipeline, PipelineConfig

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True)
class MatchSummary:
    verdict: str  # match | no_match | no_face
    matched_share: float
    first_match_t: float | None
    liveness: str  # passed | failed | unknown
    updates: int
    frames: int
    sustained_match_t: float | None = None
    liveness_passed_t: float | None = None
    max_faces: int = 0
    flags_seen: tuple[str, ...] = ()
    challenges: tuple[ChallengeResult, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "summary": {
                "verdict": self.verdict,
                "matched_share": round(self.matched_share, 4),
                "first_match_t": None if self.first_match_t is None else round(self.first_match_t, 3),
                "liveness": self.liveness,
                "sustained_match_t": None
                if self.sustained_match_t is None
                else round(self.sustained_match_t, 3),
                "liveness_passed_t": None
                if self.liveness_passed_t is None
                else round(self.liveness_passed_t, 3),
                "updates": self.updates,
                "frames": self.frames,
                "max_faces": self.max_faces,
                "flags_seen": list(self.flags_seen),
                "challenges": [c.as_json() for c in self.challenges],
            }
        }


class SummaryBuilder:
    """Folds scores into the end-of-run summary."""

    def __init__(self, sustain_seconds: float) -> None:
        self._sustained = SustainedMatch(sustain_seconds)
        self.updates = 0
        self.matched = 0
        self.with_face = 0
        self.first_match_t: float | None = None
        self.sustained_match_t: float | None = None
        self.liveness_passed_t: float | None = None
        self.liveness = Liveness.UNKNOWN
        self.max_faces = 0
        self.flags: dict[str, None] = {}
        self.challenges: list[ChallengeResult] = []
        self._asked: tuple[ChallengeKind, float] | None = None

    def add(self, score: FaceScore) -> None:
        self.updates += 1
        self.max_faces = max(self.max_faces, score.faces)
        if score.box is not None:
            self.with_face += 1
        if score.match:
            self.matched += 1
            if self.first_match_t is None:
                self.first_match_t = score.t
        if self._sustained.observe(score) and self.sustained_match_t is None:
            self.sustained_match_t = score.t
        self.liveness = score.liveness.state
        if self.liveness is Liveness.PASSED and self.liveness_passed_t is None:
            self.liveness_passed_t = score.t
        for flag in score.flags:
            self.flags.setdefault(flag, None)
        challenge = score.challenge
        if challenge is not None:
            if challenge.state is ChallengeState.ASKED:
                self._asked = (challenge.kind, challenge.t)
            else:
                asked_t = self._asked[1] if self._asked and self._asked[0] is challenge.kind else challenge.t
                passed = challenge.state is ChallengeState.PASSED
                met_t = challenge.t if passed else None
                judged = challenge.state is not ChallengeState.NOT_JUDGED
                self.challenges.append(ChallengeResult(challenge.kind, asked_t, passed, met_t, judged=judged))
                self._asked = None

    def summary(self, frames: int) -> MatchSummary:
        challenges = list(self.challenges)
        if self._asked is not None:  # the video ended before the challenge was answered
            challenges.append(ChallengeResult(self._asked[0], self._asked[1], passed=False))
        if self.with_face == 0:
            verdict = "no_face"
        elif self.sustained_match_t is not None:
            verdict = "match"
        else:
            verdict = "no_match"
        return MatchSummary(
            verdict=verdict,
            matched_share=self.matched / self.updates if self.updates else 0.0,
            first_match_t=self.first_match_t,
            liveness=self.liveness.value,
            updates=self.updates,
            frames=frames,
            sustained_match_t=self.sustained_match_t,
            liveness_passed_t=self.liveness_passed_t,
            max_faces=self.max_faces,
            flags_seen=tuple(self.flags),
            challenges=tuple(challenges),
        )


def video_frames(path: Path) -> tuple[float, Iterator[tuple[int, float, npt.NDArray[np.uint8]]]]:
    """The file's frame rate, and its frames as (index, seconds, BGR array)."""
    import cv2
    import numpy as np

    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ValueError(f"cannot open video {path}")
    fps = float(capture.get(cv2.CAP_PROP_FPS)) or 30.0

    def frames() -> Iterator[tuple[int, float, npt.NDArray[np.uint8]]]:
        index = 0
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    return
                yield index, index / fps, np.asarray(frame, dtype=np.uint8)
                index += 1
        finally:
            capture.release()

    return fps, frames()


def run_match(
    reference: Sequence[float],
    video: Path,
    config: PipelineConfig,
    *,
    sustain_seconds: float,
    realtime: bool = False,
    room_scan_interval: float = 2.0,
    until: float | None = None,
    on_score: Callable[[FaceScore], None] | None = None,
    engine: FaceEngine | None = None,
    room_scanner: RoomScanner | None = None,
    challenges: Sequence[tuple[ChallengeKind, float]] = (),
) -> MatchSummary:
    """Score a video against a reference encoding; ``on_score`` sees every update in order.

    ``until``: stop after this many seconds of video. ``room_scan_interval``: seconds of video
    between two looks for other people (0: never). ``challenges``: liveness challenges to issue,
    each at a time of the video (asked on the first frame at or after it).
    """
    import numpy as np

    builder = SummaryBuilder(sustain_seconds)
    _fps, frames = video_frames(video)

    def emit(score: FaceScore) -> None:
        builder.add(score)
        if on_score is not None:
            on_score(score)

    schedule = sorted(challenges, key=lambda item: item[1])

    def due(t: float) -> list[ChallengeKind]:
        kinds = []
        while schedule and schedule[0][1] <= t:
            kinds.append(schedule.pop(0)[0])
        return kinds

    count = 0
    if not realtime:
        engine = engine or default_engine(config.engine, config.models_dir)
        pipeline = FacePipeline(engine, np.asarray(reference, dtype=np.float64), config)
        scanner = room_scanner
        if scanner is None and room_scan_interval > 0:
            from media.face.engine import default_room_scanner

            scanner = default_room_scanner(config.engine, config.models_dir)
        next_scan = 0.0
        for index, t, frame in frames:
            if until is not None and t > until:
                break
            count += 1
            if scanner is not None and room_scan_interval > 0 and t >= next_scan:
                small = _scan_input(frame, config.max_width)
                pipeline.set_room_count(t, len(scanner.scan(small)), valid_for=room_scan_interval * 1.5)
                next_scan = t + room_scan_interval
            for kind in due(t):
                pipeline.ask(kind)
            emit(pipeline.process(frame, t, index))
        return builder.summary(count)

    from media.face.worker import FaceWorker

    with FaceWorker(config=config, room_scan_interval=room_scan_interval, on_score=emit) as worker:
        worker.start(reference_encoding=list(reference))
        started = time.monotonic()
        for index, t, frame in frames:
            if until is not None and t > until:
                break
            count += 1
            delay = started + t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            for kind in due(t):
                worker.ask_challenge(kind)
            worker.offer_frame(frame, t, index)
        worker.drain(timeout=3.0)
    return builder.summary(count)


def _scan_input(frame_bgr: npt.NDArray[np.uint8], max_width: int) -> npt.NDArray[np.uint8]:
    import cv2
    import numpy as np

    height, width = frame_bgr.shape[:2]
    if width > max_width:
        size = (max_width, round(height * max_width / width))
        frame_bgr = np.asarray(cv2.resize(frame_bgr, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return np.ascontiguousarray(frame_bgr[:, :, ::-1])
