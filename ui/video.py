"""The live video: paints the newest frame, fitted to the widget, with the tracked face box."""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui import style

BOX_MAX_AGE_SECONDS = 1.0  # an older box no longer says where the face is


class VideoView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._image: QImage | None = None
        self._frame_time = 0.0
        self._box: tuple[int, int, int, int] | None = None  # top, right, bottom, left
        self._box_time = 0.0
        self._box_matched = False
        self._notice = ""
        self._shown: deque[float] = deque(maxlen=60)
        self.frames_shown = 0

    @property
    def image(self) -> QImage | None:
        return self._image

    @property
    def face_box(self) -> tuple[int, int, int, int] | None:
        return self._box

    def set_frame(self, image: QImage, frame_time: float) -> None:
        self._image = image
        self._frame_time = frame_time
        self.frames_shown += 1
        self._shown.append(time.monotonic())
        self.update()

    def set_face_box(self, box: tuple[int, int, int, int] | None, frame_time: float, matched: bool) -> None:
        self._box = box
        self._box_time = frame_time
        self._box_matched = matched
        self.update()

    def set_notice(self, text: str) -> None:
        """A line over the video (waiting, applicant dropped...); empty to clear."""
        self._notice = text
        self.update()

    def clear(self) -> None:
        self._image = None
        self._box = None
        self._shown.clear()
        self.update()

    def frames_per_second(self) -> float:
        if len(self._shown) < 2:
            return 0.0
        span = self._shown[-1] - self._shown[0]
        return (len(self._shown) - 1) / span if span > 0 else 0.0

    def live_face_crop(self) -> QImage | None:
        """The face region of the newest frame, for the ID-photo comparison."""
        if self._image is None or self._box is None:
            return None
        top, right, bottom, left = self._box
        margin = (bottom - top) // 3
        rect = QRect(left - margin, top - margin, right - left + 2 * margin, bottom - top + 2 * margin)
        return self._image.copy(rect.intersected(self._image.rect()))

    def _target_rect(self) -> QRectF:
        assert self._image is not None
        scale = min(self.width() / self._image.width(), self.height() / self._image.height())
        width, height = self._image.width() * scale, self._image.height() * scale
        return QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#101417"))
        if self._image is not None and not self._image.isNull():
            target = self._target_rect()
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self._image)
            if self._box is not None and self._frame_time - self._box_time <= BOX_MAX_AGE_SECONDS:
                scale = target.width() / self._image.width()
                top, right, bottom, left = self._box
                box = QRectF(
                    target.x() + left * scale,
                    target.y() + top * scale,
                    (right - left) * scale,
                    (bottom - top) * scale,
                )
                colour = QColor(style.GOOD if self._box_matched else style.CAUTION)
                painter.setPen(QPen(colour, 3))
                painter.drawRect(box)
        if self._notice:
            self._paint_notice(painter, self._notice, self.width(), self.height())
        painter.end()

    def _paint_notice(self, painter: QPainter, text: str, width: int, height: int) -> None:
        painter.setPen(QColor("#e8edf1"))
        font = self.font()
        font.setPointSize(13)
        painter.setFont(font)
        band = QRectF(0, height - 44, width, 44)
        painter.fillRect(band, QColor(16, 20, 23, 190))
        painter.drawText(band, Qt.AlignmentFlag.AlignCenter, text)

    def warm_up(self, sample: str) -> None:
        """Draw a notice once where nobody sees it, at start-up: the first notice drawn on
        screen ("Connecting to ...", at the first take) otherwise pays for its font (2-5 ms of
        the Qt thread, in the take's busiest turn)."""
        image = QImage(max(self.width(), 64), 44, QImage.Format.Format_ARGB32_Premultiplied)
        painter = QPainter(image)
        self._paint_notice(painter, sample, image.width(), image.height())
        painter.end()
