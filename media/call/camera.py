"""The reviewer's camera, optional (a setting): frames from an OpenCV capture device, sent back
to the applicant. Without a camera the call goes on audio-only in that direction."""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
from aiortc import VideoStreamTrack

log = logging.getLogger(__name__)


class CameraTrack(VideoStreamTrack):
    """Paced at 30 fps by aiortc; each frame is the newest the capture thread has read."""

    def __init__(self, capture: Any, width: int = 640, height: int = 480) -> None:
        super().__init__()
        self._capture = capture
        self._latest = np.zeros((height, width, 3), dtype=np.uint8)
        self._lock = threading.Lock()
        self._running = True
        self._thread = threading.Thread(target=self._read, name="reviewer-camera", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while self._running:
            ok, image = self._capture.read()
            if not ok:
                log.warning("the reviewer's camera stopped delivering frames")
                break
            with self._lock:
                self._latest = image

    async def recv(self) -> Any:
        import av

        pts, time_base = await self.next_timestamp()
        with self._lock:
            image = self._latest
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = pts, time_base
        return frame

    def stop(self) -> None:
        super().stop()
        self._running = False
        self._capture.release()


def open_camera(index: int = 0, width: int = 640, height: int = 480) -> CameraTrack | None:
    """The camera as a track, or None when there is none (the caller says so on screen)."""
    import cv2

    capture = cv2.VideoCapture(index)
    if not capture.isOpened():
        capture.release()
        return None
    capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
    capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
    return CameraTrack(capture, width, height)
