"""The reference (ID) photo check at registration: exactly one usable face, and its encoding.

    from media.face.reference import check_reference_photo
    report = check_reference_photo(Path("photo.jpg").read_bytes())
    if not report.ok:
        print("; ".join(report.problems))   # clear messages for the registering clerk
    else:
        store(report.encoding)               # 128 floats, reused by the live face worker

Problems reported: "not an image", "no face found", "more than one face (N)", "face too small
(W px wide, at least M needed)", "too dark", "too blurred", "face partly covered" (cut off by
the edge of the photo). The format is detected from the content (a WebP named .jpg is
accepted as WebP). Loads the face models on first use (~1-2 s); later calls take 0.1-1 s
depending on the image size.
Raises ``media.face.engine.FaceModelsMissing`` if the models are not installed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.face import FaceBox, FaceFlag
from media.face.engine import FaceEngine, default_engine
from media.face.quality import DEFAULT_LIMITS, QualityLimits, measure, quality_flags

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# Large photos are scaled down to this longer side before detection: HOG with one upsample
# on a 4000 px phone photo would take many seconds, and faces there are large anyway.
MAX_DETECT_SIDE = 1280
MAX_IMAGE_PIXELS = 50_000_000  # refuse decompression bombs with a message, not a crash


@dataclass(frozen=True)
class ReferenceReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    encoding: list[float] | None = None  # 128 floats when ok
    face_box: FaceBox | None = None  # (top, right, bottom, left) in the original image's pixels
    image_format: str | None = None  # "JPEG", "PNG", "WEBP"... from the content; None if not an image
    faces: int = 0
    width: int | None = None
    height: int | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "problems": list(self.problems),
            "image_format": self.image_format,
            "width": self.width,
            "height": self.height,
            "faces": self.faces,
            "face_box": list(self.face_box) if self.face_box else None,
            "encoding": self.encoding,
        }


def decode_image(image_bytes: bytes) -> tuple[npt.NDArray[np.uint8], str]:
    """RGB pixels and the detected format; raises ValueError("not an image") otherwise.

    EXIF orientation is applied (phone photos), alpha and palettes are flattened to RGB.
    """
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not image_bytes:
        raise ValueError("not an image (empty file)")
    try:
        with Image.open(io.BytesIO(image_bytes)) as image:
            image_format = image.format or "unknown"
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ValueError(f"image too large ({image.width}x{image.height})")
            image.load()
            oriented = ImageOps.exif_transpose(image)
            if oriented.mode in {"RGBA", "LA", "PA"} or (
                oriented.mode == "P" and "transparency" in oriented.info
            ):
                rgba = oriented.convert("RGBA")
                background = Image.new("RGB", rgba.size, (255, 255, 255))
                background.paste(rgba, mask=rgba.getchannel("A"))
                rgb = background
            else:
                rgb = oriented.convert("RGB")
            return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8)), image_format
    except (UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise ValueError("not an image") from error
    except OSError as error:  # truncated or corrupt data
        raise ValueError(f"not an image (unreadable: {error})") from error


def check_reference_photo(
    image_bytes: bytes,
    *,
    engine: FaceEngine | None = None,
    limits: QualityLimits = DEFAULT_LIMITS,
) -> ReferenceReport:
    """Check a reference (ID) photo: exactly one face, large enough, whole, not too dark or blurred."""
    try:
        rgb, image_format = decode_image(image_bytes)
    except ValueError as error:
        return ReferenceReport(ok=False, problems=[str(error)])
    height, width = rgb.shape[:2]
    engine = engine or default_engine()

    scale = 1.0
    work = rgb
    if max(width, height) > MAX_DETECT_SIDE:
        import cv2
        import numpy as np

        scale = MAX_DETECT_SIDE / max(width, height)
        size = (round(width * scale), round(height * scale))
        work = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    # One upsample finds faces down to ~40 px: small ones are reported as "too small"
    # rather than "no face found", which is the more useful message.
    boxes = engine.detect(work, upsample=1)
    base = {"image_format": image_format, "faces": len(boxes), "width": width, "height": height}
    if not boxes:
        return ReferenceReport(ok=False, problems=[FaceFlag.NO_FACE.message], **base)
    if len(boxes) > 1:
        return ReferenceReport(ok=False, problems=[f"more than one face ({len(boxes)})"], **base)

    box = boxes[0]
    original_box: FaceBox = (
        round(box[0] / scale),
        round(box[1] / scale),
        round(box[2] / scale),
        round(box[3] / scale),
    )
    quality = measure(work, box)
    points = engine.landmarks(work, box)
    work_height, work_width = work.shape[:2]
    outside = sum(1 for x, y in points if x < 0 or y < 0 or x >= work_width or y >= work_height)
    # Size is judged in the original pixels (what the photo really holds).
    original_width = original_box[1] - original_box[3]
    flags = quality_flags(quality, min_face_px=0, limits=limits)
    if original_width < limits.min_reference_face_px:
        flags.insert(0, FaceFlag.FACE_TOO_SMALL)
    if outside >= 3:  # the face runs off the edge of the photo
        flags.append(FaceFlag.PARTLY_COVERED)
    if flags:
        problems = [flag.message for flag in flags]
        if FaceFlag.FACE_TOO_SMALL in flags:
            problems[0] = (
                f"face too small ({original_width} px wide, at least {limits.min_reference_face_px} needed)"
            )
        return ReferenceReport(ok=False, problems=problems, face_box=original_box, **base)

    encoding = engine.encode(work, box)
    return ReferenceReport(
        ok=True,
        problems=[],
        encoding=[float(x) for x in encoding],
        face_box=original_box,
        **base,
    )
