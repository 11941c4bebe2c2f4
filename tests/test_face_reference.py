"""The reference-photo check with the real face models on the shared photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from app.settings import load_settings
from media.face.reference import ReferenceReport, check_reference_photo, decode_image

FACES = load_settings().shared_data_dir / "faces"


def _photo(name: str) -> bytes:
    return (FACES / name).read_bytes()


def _encode_png(bgr: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", bgr)
    assert ok
    return buffer.tobytes()


def _as_bgr(data: bytes) -> np.ndarray:
    rgb, _format = decode_image(data)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


@pytest.mark.slow  # real dlib
def test_a_good_photo_gives_one_face_and_its_encoding() -> None:
    report = check_reference_photo(_photo("face_recognition/obama.jpg"))
    assert report.ok, report.problems
    assert report.problems == []
    assert report.image_format == "JPEG"
    assert report.encoding is not None and len(report.encoding) == 128
    assert all(isinstance(x, float) for x in report.encoding)
    top, right, bottom, left = report.face_box  # type: ignore[misc]
    assert 0 <= left < right <= report.width  # type: ignore[operator]
    assert 0 <= top < bottom <= report.height  # type: ignore[operator]
    assert right - left > 150


@pytest.mark.slow  # real dlib
def test_format_comes_from_the_content_not_the_extension() -> None:
    report = check_reference_photo(_photo("deepface/img47.jpg"))  # a WebP named .jpg
    assert report.image_format == "WEBP"
    assert report.ok, report.problems


@pytest.mark.slow  # real dlib
def test_rgba_png_is_flattened_and_accepted() -> None:
    report = check_reference_photo(_photo("face_recognition/32bit.png"))
    assert report.image_format == "PNG"
    assert report.ok, report.problems


@pytest.mark.slow  # real dlib
def test_same_person_photos_are_close_and_others_far() -> None:
    from media.face.engine import default_engine

    engine = default_engine()
    obama = np.array(check_reference_photo(_photo("face_recognition/obama.jpg")).encoding)
    obama2 = np.array(check_reference_photo(_photo("face_recognition/obama2.jpg")).encoding)
    biden = np.array(check_reference_photo(_photo("face_recognition/biden.jpg")).encoding)
    threshold = load_settings().face_match_threshold
    assert engine.distance(obama, obama2) <= threshold
    assert engine.distance(obama, biden) > threshold


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "not an image"),
        (b"%PDF-1.4 this is not a photo", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image"),
    ],
)
def test_not_an_image(data: bytes, expected: str) -> None:
    report = check_reference_photo(data)
    assert not report.ok
    assert report.image_format is None
    assert report.encoding is None
    assert report.problems and report.problems[0].startswith(expected)


def test_truncated_jpeg_is_not_an_image() -> None:
    data = _photo("face_recognition/obama.jpg")
    report = check_reference_photo(data[: len(data) // 3])
    assert not report.ok
    assert report.problems[0].startswith("not an image")


@pytest.mark.slow  # real dlib
def test_two_people() -> None:
    report = check_reference_photo(_photo("face_recognition/two_people.jpg"))
    assert not report.ok
    assert report.problems == ["more than one face (2)"]
    assert report.faces == 2
    assert report.encoding is None


@pytest.mark.slow  # real dlib
def test_no_face() -> None:
    gradient = np.tile(np.linspace(30, 220, 400, dtype=np.uint8), (300, 1))
    report = check_reference_photo(_encode_png(cv2.cvtColor(gradient, cv2.COLOR_GRAY2BGR)))
    assert report.image_format == "PNG"
    assert report.problems == ["no face found"]


@pytest.mark.slow  # real dlib
def test_face_too_small() -> None:
    report = check_reference_photo(_photo("face_recognition/obama-240p.jpg"))  # face ~62 px wide
    assert not report.ok
    assert len(report.problems) == 1 and report.problems[0].startswith("face too small")


@pytest.mark.slow  # real dlib
def test_too_dark() -> None:
    dark = (_as_bgr(_photo("face_recognition/obama.jpg")) * 0.2).astype(np.uint8)
    report = check_reference_photo(_encode_png(dark))
    assert "too dark" in report.problems, report.problems
    assert "too blurred" not in report.problems  # sharpness is judged at a fixed contrast


@pytest.mark.slow  # real dlib
def test_too_blurred() -> None:
    bgr = _as_bgr(_photo("face_recognition/obama.jpg"))
    blurred = cv2.GaussianBlur(bgr, (0, 0), bgr.shape[1] * 0.01)
    report = check_reference_photo(_encode_png(blurred))
    assert report.problems == ["too blurred"]


@pytest.mark.slow  # real dlib
def test_face_cut_off_by_the_edge_is_partly_covered() -> None:
    report = check_reference_photo(_photo("face_recognition/obama_partial_face.jpg"))
    assert report.problems == ["face partly covered"]


@pytest.mark.slow  # real dlib
def test_every_unlabelled_single_portrait_in_the_shared_set_passes() -> None:
    # The check must not reject ordinary photos: all single-face deepface images are usable.
    # (img62 is not one: a second person's face shows at its lower right edge.)
    names = [f"img{n}.jpg" for n in (1, 2, 5, 10, 17, 29, 53, 59)]
    reports: dict[str, ReferenceReport] = {n: check_reference_photo(_photo(f"deepface/{n}")) for n in names}
    assert {n: r.problems for n, r in reports.items() if not r.ok} == {}


@pytest.mark.slow  # real dlib
def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    from PIL import Image

    image = Image.open(FACES / "face_recognition/obama.jpg").rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to view", undoing the rotation above
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif)
    report = check_reference_photo(path.read_bytes())
    assert report.ok, report.problems
    assert (report.width, report.height) == (910, 1137)
