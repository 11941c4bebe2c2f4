"""The replay player: decoding on a thread of its own, the video with the face box over it,
and audio through QtMultimedia when the workstation has an output.

The decoder thread opens the recording (app.replay.RecordingPlayback, through the replay
services) and serves one request at a time, always the newest (a seek while another is decoding
replaces it, never queues behind it); frames come back to the Qt thread through a queued signal.
Recordings encrypted at rest are decrypted on that thread; a damaged or missing segment comes
back as `failed` with a message that names it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.errors import RecordingUnreadable
from app.face import FaceBoxInFrame
from app.replay import RecordingPlayback, SessionReplay
from ui.bridge import bgr_to_qimage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Request:
    kind: str  # "seek" | "next" | "previous" | "audio" | "open"
    t: float = 0.0
    until: float = 0.0
    serial: int = 0


class DecoderThread(QObject):
    """Owns one RecordingPlayback on a worker thread, opened there with `open_recording`."""

    opened = Signal(object)  # (duration, spans) or an Exception
    frame_ready = Signal(object, float, int, int)  # QImage | None, frame t, leg, request serial
    audio_ready = Signal(object, float)  # int16 mono bytes at 48 kHz, start t
    failed = Signal(str)  # a frame could not be shown: the recording is damaged there (in words)

    def __init__(
        self,
        open_recording: Callable[[SessionReplay], RecordingPlayback | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._open_recording = open_recording
        self._condition = threading.Condition()
        self._video: _Request | None = None
        self._audio: _Request | None = None
        self._open: SessionReplay | None = None
        self._stop = False
        self._serial = 0
        self._playback: Any = None
        self.seek_ms: list[float] = []
        self._thread = threading.Thread(target=self._run, name="replay-decoder", daemon=True)
        self._thread.start()

    def open_session(self, replay: SessionReplay) -> None:
        with self._condition:
            self._open = replay
            self._video = self._audio = None
            self._condition.notify()

    def request(self, kind: str, t: float = 0.0) -> int:
        """Ask for a frame; returns the request's serial (replies to older ones are stale)."""
        with self._condition:
            self._serial += 1
            self._video = _Request(kind, t, serial=self._serial)
            self._condition.notify()
            return self._serial

    def request_audio(self, t0: float, t1: float) -> None:
        with self._condition:
            self._audio = _Request("audio", t0, t1)
            self._condition.notify()

    def stop(self) -> None:
        with self._condition:
            self._stop = True
            self._condition.notify()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            with self._condition:
                while not (self._stop or self._open or self._video or self._audio):
                    self._condition.wait()
                if self._stop:
                    break
                opening, self._open = self._open, None
                video, self._video = self._video, None
                audio, self._audio = (None, None) if opening else (self._audio, None)
            try:
                if opening is not None:
                    self._do_open(opening)
                if video is not None and self._playback is not None:
                    self._do_video(video)
                if audio is not None and self._playback is not None:
                    samples = self._playback.audio(audio.t, audio.until)
                    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
                    self.audio_ready.emit(pcm, audio.t)
            except RecordingUnreadable as error:
                log.warning("replay: %s", error)
                if opening is not None:
                    self.opened.emit(error)
                else:
                    self.failed.emit(str(error))
            except Exception as error:
                log.exception("replay decoding failed")
                if opening is not None:
                    self.opened.emit(error)
        if self._playback is not None:
            self._playback.close()

    def _do_open(self, replay: SessionReplay) -> None:
        if self._playback is not None:
            self._playback.close()
            self._playback = None
        playback = self._open_recording(replay)
        if playback is None:
            raise RecordingUnreadable("This session has no recording.")
        self._playback = playback
        self.opened.emit((playback.duration, list(playback.spans)))

    def _do_video(self, request: _Request) -> None:
        playback = self._playback
        begin = time.perf_counter()
        if request.kind == "next":
            frame = playback.next_frame()
        elif request.kind == "previous":
            frame = playback.previous_frame()
        else:
            frame = playback.frame_at(request.t)
        if request.kind == "seek":
            self.seek_ms.append((time.perf_counter() - begin) * 1000)
        if frame is None:
            self.frame_ready.emit(None, request.t, 0, request.serial)
        else:
            self.frame_ready.emit(bgr_to_qimage(frame.image), frame.t, frame.leg, request.serial)


# The face box as the console draws it: green at or over the match threshold, red under it,
# grey without a similarity.
BOX_COLOURS: dict[bool | None, str] = {True: "#4caf50", False: "#e53935", None: "#9e9e9e"}


class RecordingView(QWidget):
    """The recorded frame, scaled to fit, with the face box of the nearest score sample."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(240, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image: QImage | None = None
        self._box: FaceBoxInFrame | None = None
        self._box_label = ""
        self.box_colour = BOX_COLOURS[None]
        self._message = self.tr("No session open.")

    def show_frame(
        self,
        image: QImage | None,
        box: FaceBoxInFrame | None,
        label: str,
        message: str = "",
        *,
        matched: bool | None = None,
    ) -> None:
        """`matched`: the box's score against the match threshold (None: no score)."""
        self._image = image
        self._box = box
        self._box_label = label
        self.box_colour = BOX_COLOURS[matched]
        self._message = message
        self.update()

    @property
    def has_frame(self) -> bool:
        return self._image is not None

    def paintEvent(self, _event: Any) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#101418"))
        if self._image is None:
            painter.setPen(QColor("#c8d0d8"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._message)
            painter.end()
            return
        image = self._image
        scale = min(self.width() / image.width(), self.height() / image.height())
        width, height = image.width() * scale, image.height() * scale
        target = QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, image)
        if self._box is not None:
            left, top, right, bottom = self._box.in_picture(
                width, height, frame_width=image.width(), frame_height=image.height()
            )
            rect = QRectF(target.x() + left, target.y() + top, right - left, bottom - top)
            painter.setPen(QPen(QColor(self.box_colour), 2))
            painter.drawRect(rect)
            if self._box_label:
                painter.fillRect(
                    QRectF(rect.x(), rect.y() - 18, max(60.0, rect.width()), 18), QColor(0, 0, 0, 150)
                )
                painter.setPen(QColor("white"))
                painter.drawText(QPointF(rect.x() + 4, rect.y() - 5), self._box_label)
        painter.end()


class AudioOut(QObject):
    """Push-mode audio at 48 kHz mono; absent (and said so) on a workstation without output."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.available = False
        self.message = self.tr("No audio output on this workstation: playing without sound.")
        self._sink: Any = None
        self._device: Any = None
        try:
            from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

            output = QMediaDevices.defaultAudioOutput()
            if output.isNull():
                return
            audio_format = QAudioFormat()
            audio_format.setSampleRate(48000)
            audio_format.setChannelCount(1)
            audio_format.setSampleFormat(QAudioFormat.SampleFormat.Int16)
            if not output.isFormatSupported(audio_format):
                self.message = self.tr("The audio output cannot play 48 kHz mono: playing without sound.")
                return
            self._sink = QAudioSink(output, audio_format, self)
            self.available = True
            self.message = ""
        except Exception as error:  # QtMultimedia without a backend
            log.info("no audio output: %s", error)

    def start(self) -> None:
        if self._sink is not None:
            self._device = self._sink.start()

    def stop(self) -> None:
        if self._sink is not None:
            self._sink.stop()
            self._device = None

    def buffered_seconds(self) -> float:
        if self._sink is None or self._device is None:
            return 0.0
        queued = self._sink.bufferSize() - self._sink.bytesFree()
        return float(max(0, queued)) / 96000

    def write(self, pcm: bytes) -> None:
        if self._device is not None:
            self._device.write(pcm)


class PlayClock(QObject):
    """Where playback is: a position that advances with real time times the speed."""

    tick = Signal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.speed = 1.0
        self.playing = False
        self._anchor_position = 0.0
        self._anchor_time = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(33)
        self._timer.timeout.connect(lambda: self.tick.emit(self.position()))

    def position(self) -> float:
        if not self.playing:
            return self._anchor_position
        return self._anchor_position + (time.monotonic() - self._anchor_time) * self.speed

    def set_position(self, t: float) -> None:
        self._anchor_position = t
        self._anchor_time = time.monotonic()

    def set_speed(self, speed: float) -> None:
        self.set_position(self.position())
        self.speed = speed

    def play(self) -> None:
        self.set_position(self.position())
        self.playing = True
        self._timer.start()

    def pause(self) -> None:
        self.set_position(self.position())
        self.playing = False
        self._timer.stop()
