"""Audio on the reviewer's workstation: playing the applicant, and the reviewer's microphone.

A workstation without an audio device still takes calls: playback reports NO_DEVICE (the
audio is still received and counted) and the microphone is replaced by silence or a quiet
tone, so the applicant's page always gets an audio track.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import fractions
import logging
import math
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms


class AudioOutput(enum.Enum):
    WAITING = "waiting"  # no applicant audio yet
    PLAYING = "playing"
    NO_DEVICE = "no_device"  # received, counted, not played: this workstation has no audio output


class MicrophoneSource(enum.Enum):
    DEVICE = "device"
    SILENCE = "silence"  # no microphone found
    TONE = "tone"  # no microphone found; a quiet tone instead (for tests and demos)


@dataclass(frozen=True)
class AudioStatus:
    output: AudioOutput
    microphone: MicrophoneSource
    packets: int  # audio frames received from the applicant in this call
    message: str


def sound_device_present() -> bool:
    """ALSA devices or a PulseAudio/PipeWire server: without either there is nothing to open."""
    if os.environ.get("AUDIT_NO_AUDIO"):
        return False
    if Path("/dev/snd").exists():
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    return bool(os.environ.get("PULSE_SERVER")) or (
        bool(runtime) and Path(runtime, "pulse", "native").exists()
    )


class ToneTrack(AudioStreamTrack):
    """20 ms frames of silence, or of a quiet 440 Hz tone, paced in real time."""

    def __init__(self, tone: bool = False) -> None:
        super().__init__()
        self.tone = tone
        self._sample = 0
        self._started_at: float | None = None

    async def recv(self) -> Any:
        import av

        if self.readyState != "live":
            raise MediaStreamError
        if self._started_at is None:
            self._started_at = time.time()
        else:
            wait = self._started_at + self._sample / SAMPLE_RATE - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        if self.tone:
            n = np.arange(self._sample, self._sample + FRAME_SAMPLES)
            wave = (0.1 * 32767 * np.sin(2 * math.pi * 440 * n / SAMPLE_RATE)).astype(np.int16)
        else:
            wave = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._sample
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._sample += FRAME_SAMPLES
        return frame


def open_microphone(
    prefer_device: bool = True, tone: bool = False
) -> tuple[MediaStreamTrack, MicrophoneSource, Any]:
    """The reviewer's microphone track, with what it is and the player to stop at the end."""
    if prefer_device and sound_device_present():
        try:
            from aiortc.contrib.media import MediaPlayer

            player = MediaPlayer("default", format="alsa", options={"channels": "1", "sample_rate": "48000"})
            if player.audio is not None:
                return player.audio, MicrophoneSource.DEVICE, player
        except Exception as error:
            log.warning("no usable microphone (%s); sending %s", error, "a tone" if tone else "silence")
    return ToneTrack(tone), (MicrophoneSource.TONE if tone else MicrophoneSource.SILENCE), None


class AudioPlayback:
    """Receives the applicant's audio track: counts it and plays it when a device exists.

    Writing to the device blocks, so it happens on a thread of its own fed by a short queue
    (old audio is dropped rather than played late)."""

    def __init__(self, prefer_device: bool = True) -> None:
        self.packets = 0
        self.output = AudioOutput.WAITING
        self._want_device = prefer_device and sound_device_present()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=25)
        self._writer: threading.Thread | None = None

    async def consume(
        self,
        track: MediaStreamTrack,
        on_change: Callable[[], None] | None = None,
        on_frame: Callable[[Any], None] | None = None,
    ) -> None:
        """Until the track ends: `on_frame(frame)` for every frame received, `on_change()`
        when the output state changes."""
        try:
            while True:
                frame = await track.recv()
                self.packets += 1
                if on_frame is not None:
                    on_frame(frame)
                if self.output is AudioOutput.WAITING:
                    self.output = AudioOutput.PLAYING if self._start_device() else AudioOutput.NO_DEVICE
                    if on_change is not None:
                        on_change()
                if self.output is AudioOutput.PLAYING:
                    with contextlib.suppress(queue.Full):
                        self._queue.put_nowait(frame)
        except (MediaStreamError, asyncio.CancelledError):
            pass

    def _start_device(self) -> bool:
        if not self._want_device:
            return False
        ready = threading.Event()
        result: list[bool] = []
        self._writer = threading.Thread(
            target=self._write_loop, args=(ready, result), name="audio-out", daemon=True
        )
        self._writer.start()
        ready.wait(3.0)
        return bool(result and result[0])

    def _write_loop(self, ready: threading.Event, result: list[bool]) -> None:
        import av

        try:
            container = av.open("default", mode="w", format="alsa")
            stream = container.add_stream("pcm_s16le", rate=SAMPLE_RATE)
            stream.layout = "stereo"
            resampler = av.AudioResampler(format="s16", layout="stereo", rate=SAMPLE_RATE)
        except Exception as error:
            log.warning("no audio output device (%s): applicant audio is received but not played", error)
            result.append(False)
            ready.set()
            return
        result.append(True)
        ready.set()
        try:
            while True:
                frame = self._queue.get()
                if frame is None:
                    break
                for chunk in resampler.resample(frame):
                    chunk.pts = None
                    for packet in stream.encode(chunk):
                        container.mux(packet)
        except Exception as error:
            log.warning("audio output stopped: %s", error)
        finally:
            container.close()

    def stop(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)
