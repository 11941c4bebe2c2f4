"""A wall-clock time code drawn into video frames, to measure frame latency end to end.

The sender draws the time it hands a frame to the encoder as 40 large black/white blocks
(32 bits of milliseconds plus an 8-bit checksum) in the top-left corner; the receiver reads
them back from the decoded BGR image. Blocks are 16x16 pixels, so VP8/H.264 at normal
bitrates keep them readable; a corrupted code fails its checksum and is ignored.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

BLOCK = 16
COLUMNS = 20
ROWS = 2
BITS = COLUMNS * ROWS  # 32 time bits + 8 checksum bits


def _bits(value_ms: int) -> list[int]:
    stamp = value_ms & 0xFFFFFFFF
    checksum = sum(stamp.to_bytes(4, "big")) & 0xFF
    word = (stamp << 8) | checksum
    return [(word >> (BITS - 1 - i)) & 1 for i in range(BITS)]


def draw_time_code(yuv420p: npt.NDArray[np.uint8], width: int, height: int, now: float | None = None) -> None:
    """Draw the time code into a yuv420p image as returned by `VideoFrame.to_ndarray()`
    (height*3/2 rows of `width` bytes), in place."""
    if width < BLOCK * COLUMNS or height < BLOCK * ROWS:
        return
    stamp_ms = int((time.time() if now is None else now) * 1000)
    luma = yuv420p[:height]
    u = yuv420p[height : height + height // 4].reshape(height // 2, width // 2)
    v = yuv420p[height + height // 4 : height + height // 2].reshape(height // 2, width // 2)
    for index, bit in enumerate(_bits(stamp_ms)):
        row, column = divmod(index, COLUMNS)
        y0, x0 = row * BLOCK, column * BLOCK
        luma[y0 : y0 + BLOCK, x0 : x0 + BLOCK] = 235 if bit else 16
        half = BLOCK // 2
        u[y0 // 2 : y0 // 2 + half, x0 // 2 : x0 // 2 + half] = 128
        v[y0 // 2 : y0 // 2 + half, x0 // 2 : x0 // 2 + half] = 128


def read_time_code(bgr: npt.NDArray[np.uint8], now: float | None = None) -> float | None:
    """The wall-clock time (seconds) drawn into a received BGR frame, or None when there is no
    readable code."""
    if bgr.shape[0] < BLOCK * ROWS or bgr.shape[1] < BLOCK * COLUMNS:
        return None
    region = bgr[: BLOCK * ROWS, : BLOCK * COLUMNS].astype(np.float32).mean(axis=2)
    inner = region.reshape(ROWS, BLOCK, COLUMNS, BLOCK)[:, 4:12, :, 4:12].mean(axis=(1, 3))
    bits = (inner.reshape(-1) > 128).astype(int)
    word = 0
    for bit in bits:
        word = (word << 1) | int(bit)
    stamp, checksum = word >> 8, word & 0xFF
    if sum(stamp.to_bytes(4, "big")) & 0xFF != checksum:
        return None
    now_ms = int((time.time() if now is None else now) * 1000)
    # Undo the 32-bit wrap (about 49 days) relative to the receiver's clock.
    base = now_ms - (now_ms & 0xFFFFFFFF)
    value = base + stamp
    if value > now_ms + 60_000:
        value -= 1 << 32
    return value / 1000.0
