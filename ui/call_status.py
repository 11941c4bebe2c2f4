"""The call clock (amber once a review runs longer than a normal one, settings.review_target_seconds)
and the connection state with the grace countdown."""

from __future__ import annotations

import math
import time

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.console import AudioState, ConnectionState, RecordingState
from ui import style


class CallStatusBar(QWidget):
    def __init__(
        self, grace_seconds: float, parent: QWidget | None = None, *, target_seconds: float = 300.0
    ) -> None:
        super().__init__(parent)
        self.grace_seconds = grace_seconds
        self.target_seconds = target_seconds
        self.clock_label = QLabel()
        self.clock_label.setObjectName("bigFigure")
        self.state_label = QLabel()
        self.audio_label = QLabel()
        self.audio_label.setObjectName("caption")
        self.recording_label = QLabel()
        self.recording_label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state_label)
        layout.addWidget(self.audio_label)
        layout.addWidget(self.recording_label, 4)  # a warning gets the room to say it
        layout.addStretch(1)
        layout.addWidget(self.clock_label)
        self.state = ConnectionState.IDLE
        self.leg = 0
        self.recording = RecordingState.OFF
        self._started: float | None = None
        self._stopped: float | None = None
        self._dropped_at: float | None = None
        self.refresh()

    def start_clock(self, now: float | None = None) -> None:
        self._started = time.monotonic() if now is None else now
        self._stopped = None

    def stop_clock(self) -> None:
        if self._started is not None and self._stopped is None:
            self._stopped = time.monotonic()

    def reset(self) -> None:
        self._started = self._stopped = self._dropped_at = None
        self.state = ConnectionState.IDLE
        self.leg = 0
        self.audio_label.setText("")
        self.set_recording(RecordingState.OFF, "")
        self.refresh()

    def elapsed(self, now: float | None = None) -> float:
        if self._started is None:
            return 0.0
        end = self._stopped if self._stopped is not None else (time.monotonic() if now is None else now)
        return end - self._started

    def grace_left(self, now: float | None = None) -> float | None:
        if self.state is not ConnectionState.DROPPED or self._dropped_at is None:
            return None
        now = time.monotonic() if now is None else now
        return max(0.0, self.grace_seconds - (now - self._dropped_at))

    def set_connection(self, state: ConnectionState, leg: int) -> None:
        if state is ConnectionState.DROPPED and self.state is not ConnectionState.DROPPED:
            self._dropped_at = time.monotonic()
        elif state is not ConnectionState.DROPPED:
            self._dropped_at = None
        if state in (ConnectionState.ENDED, ConnectionState.FAILED, ConnectionState.APPLICANT_HUNG_UP):
            self.stop_clock()
        self.state = state
        self.leg = leg
        self.refresh()

    def set_audio(self, state: AudioState) -> None:
        texts = {
            AudioState.RECEIVING: self.tr("Audio: receiving"),
            AudioState.SILENT: self.tr("Audio: silent"),
            AudioState.NONE: self.tr("Audio: none"),
            AudioState.NO_DEVICE: self.tr("Audio: received, no output device"),
        }
        self.audio_label.setText(texts.get(state, ""))

    def set_recording(self, state: RecordingState, message: str) -> None:
        """The call's recording (app.console.CallEvents.recording); OFF hides it."""
        self.recording = state
        warnings = {
            RecordingState.DISK_FULL: self.tr(
                "Recording stopped: the disk is full. The call goes on; what was recorded is kept."
            ),
            RecordingState.WRITE_FAILED: self.tr(
                "Recording stopped: it could not be written. The call goes on; what was recorded is kept."
            ),
        }
        if state is RecordingState.RECORDING:
            self.recording_label.setText(self.tr("● Recording"))
            style.restyle(self.recording_label, f"color: {style.NEUTRAL};")
            self.recording_label.setToolTip(self.tr("This call is recorded for the session's replay"))
        elif state in warnings:
            self.recording_label.setText(warnings[state])
            style.restyle(self.recording_label, f"color: {style.BAD}; font-weight: 600;")
            self.recording_label.setToolTip(message)
        else:
            self.recording_label.setText("")
            self.recording_label.setToolTip("")
        self.recording_label.setVisible(bool(self.recording_label.text()))

    def refresh(self) -> None:
        """Called every quarter second by the window."""
        elapsed = int(self.elapsed())
        self.clock_label.setText(f"{elapsed // 60}:{elapsed % 60:02d}")
        colour = style.TEXT if elapsed <= self.target_seconds else style.CAUTION
        style.restyle(self.clock_label, f"color: {colour};")
        self.clock_label.setToolTip(
            self.tr("Call time; it turns amber after {0} min, longer than a normal review").format(
                f"{self.target_seconds / 60:g}"
            )
        )
        if self.state is ConnectionState.CONNECTED:
            text = (
                self.tr("Connected")
                if self.leg <= 1
                else self.tr("Connected (reconnect {0})").format(self.leg - 1)
            )
            colour = style.GOOD
        elif self.state is ConnectionState.CONNECTING:
            text, colour = self.tr("Connecting…"), style.CAUTION
        elif self.state is ConnectionState.DROPPED:
            left = self.grace_left() or 0.0
            if left > 0:
                text = self.tr("Applicant dropped: waiting {0} s for a reconnect").format(math.ceil(left))
                colour = style.CAUTION
            else:
                text, colour = self.tr("Applicant dropped: the grace time is over"), style.BAD
        elif self.state is ConnectionState.ENDED:
            text, colour = self.tr("Call ended"), style.NEUTRAL
        elif self.state is ConnectionState.FAILED:
            text, colour = self.tr("Call ended: recorded as connection failed"), style.BAD
        elif self.state is ConnectionState.APPLICANT_HUNG_UP:
            text, colour = self.tr("The applicant hung up: recorded as abandoned"), style.BAD
        else:
            text, colour = self.tr("No call"), style.NEUTRAL
        self.state_label.setText(text)
        style.restyle(self.state_label, style.state_label_css(colour))
