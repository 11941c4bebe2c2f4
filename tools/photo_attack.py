"""A "photo attack" video for liveness tests: a still photo, moved and zoomed a little.

It is what a fraudster holding a printed ID photo in front of the camera looks like to the
pipeline: a face that matches, moving as a rigid plane, never blinking or turning.
"""

from __future__ import annotations

import math
from pathlib import Path


def make_photo_attack_video(
    photo_bytes: bytes,
    out_path: Path,
    *,
    seconds: float = 10.0,
    fps: float = 30.0,
    size: tuple[int, int] = (640, 480),
    face_width_share: float = 0.3,
) -> Path:
    """Write an MP4 (mp4v) of the photo drifting +-4% of the frame and zooming 0.9-1.1."""
    import cv2
    import numpy as np

    from media.face.engine import default_engine
    from media.face.reference import decode_image

    rgb, _format = decode_image(photo_bytes)
    photo = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    width, height = size
    boxes = default_engine().detect(rgb, upsample=1)
    if boxes:
        top, right, bottom, left = boxes[0]
        centre = ((left + right) / 2.0, (top + bottom) / 2.0)
        base_scale = face_width_share * width / max(right - left, 1)
    else:
        centre = (photo.shape[1] / 2.0, photo.shape[0] / 2.0)
        base_scale = min(width / photo.shape[1], height / photo.shape[0])
    writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"cannot write video {out_path}")
    try:
        for i in range(round(seconds * fps)):
            t = i / fps
            scale = base_scale * (1.0 + 0.1 * math.sin(2 * math.pi * t / 5.0))
            dx = 0.04 * width * math.sin(2 * math.pi * t / 3.0)
            dy = 0.04 * height * math.sin(2 * math.pi * t / 4.0)
            # Put the face centre at the frame centre (plus drift), scaled.
            matrix = np.array(
                [
                    [scale, 0.0, width / 2.0 + dx - scale * centre[0]],
                    [0.0, scale, height / 2.0 + dy - scale * centre[1]],
                ]
            )
            frame = cv2.warpAffine(
                photo, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
            writer.write(frame)
    finally:
        writer.release()
    return out_path
