"""The face limits are settings: their defaults live in app/settings.py, and an AUDIT_* variable
changes what the face pipeline, the worker and the reference-photo check use."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from app.face import FaceFlag
from app.settings import Settings, load_settings
from media.face.liveness import DEFAULT_LIVENESS, LivenessLimits
from media.face.pipeline import FacePipeline, PipelineConfig
from media.face.quality import DEFAULT_LIMITS, QualityLimits
from media.face.reference import check_reference_photo
from media.face.worker import FaceWorker

FACES = (
    load_settings(
        environ={k: v for k, v in os.environ.items() if k == "AUDIT_SHARED_DATA_DIR"}
    ).shared_data_dir
    / "faces"
)


def test_media_defaults_are_the_settings_defaults() -> None:
    defaults = Settings()
    assert DEFAULT_LIMITS == QualityLimits() == QualityLimits.from_settings(defaults)
    assert DEFAULT_LIVENESS == LivenessLimits() == LivenessLimits.from_settings(defaults)
    assert PipelineConfig(threshold=0.45) == PipelineConfig.from_settings(defaults, threshold=0.45)
    # The values that were calibrated on shared/data (docs/face-threshold.md) are unchanged.
    assert (DEFAULT_LIMITS.min_reference_face_px, DEFAULT_LIMITS.min_live_face_px) == (80, 50)
    assert (DEFAULT_LIMITS.min_brightness, DEFAULT_LIMITS.min_sharpness) == (45.0, 25.0)
    assert (
        LivenessLimits(
            blink_drop=0.7,
            blink_recover=0.85,
            open_level_seconds=1.5,
            max_blink_seconds=0.6,
            min_head_rotation=0.08,
            blinks_needed=1,
            decide_after_seconds=8.0,
            history_seconds=30.0,
        )
        == DEFAULT_LIVENESS
    )
    assert PipelineConfig(threshold=0.45).encode_interval == 0.25
    assert defaults.face_room_scan_seconds == 5.0


def test_environment_variables_reach_the_face_config() -> None:
    settings = load_settings(
        environ={
            "AUDIT_FACE_MIN_LIVE_PX": "120",
            "AUDIT_FACE_BLINKS_NEEDED": "2",
            "AUDIT_FACE_LIVENESS_SECONDS": "12.5",
            "AUDIT_FACE_MAX_ENCODINGS_PER_SECOND": "2",
            "AUDIT_FACE_ROOM_SCAN_SECONDS": "0",
        }
    )
    config = PipelineConfig.from_settings(settings)
    assert config.threshold == settings.face_match_threshold
    assert config.quality.min_live_face_px == 120
    assert config.liveness.blinks_needed == 2
    assert config.liveness.decide_after_seconds == 12.5
    assert config.encode_interval == 0.5
    worker = FaceWorker(settings=settings)  # not started: only its configuration is read
    assert worker.config == config
    assert worker.room_scan_interval == 0.0


@pytest.mark.slow  # real dlib
def test_an_environment_variable_changes_what_the_pipeline_flags() -> None:
    from media.face.engine import default_engine

    frame = cv2.imread(str(FACES / "face_recognition" / "obama.jpg"))
    assert frame is not None
    engine = default_engine()
    reference = np.asarray(
        check_reference_photo((FACES / "face_recognition" / "obama.jpg").read_bytes()).encoding
    )

    def flags(environ: dict[str, str]) -> tuple[str, ...]:
        config = PipelineConfig.from_settings(load_settings(environ=environ))
        score = FacePipeline(engine, reference, config).process(frame, 0.0, 0)
        assert score.box is not None and score.distance is not None
        # A face under the live minimum size gets no verdict; otherwise this photo matches itself.
        assert score.match is (FaceFlag.FACE_TOO_SMALL.value not in score.flags)
        return score.flags

    assert flags({}) == ()
    # The same frame, with the live minimum face width raised above the face's width.
    assert FaceFlag.FACE_TOO_SMALL.value in flags({"AUDIT_FACE_MIN_LIVE_PX": "5000"})
    assert FaceFlag.TOO_DARK.value in flags({"AUDIT_FACE_MIN_BRIGHTNESS": "250"})


@pytest.mark.slow  # real dlib
def test_an_environment_variable_changes_the_reference_photo_check() -> None:
    photo = (FACES / "face_recognition" / "obama.jpg").read_bytes()
    assert check_reference_photo(photo, limits=QualityLimits.from_settings(load_settings(environ={}))).ok
    strict = load_settings(environ={"AUDIT_FACE_MIN_REFERENCE_PX": "5000"})
    report = check_reference_photo(photo, limits=QualityLimits.from_settings(strict))
    assert not report.ok
    assert "at least 5000 needed" in report.problems[0]
