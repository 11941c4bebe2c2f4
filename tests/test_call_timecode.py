"""The latency time code survives the trip into BGR and rejects garbage."""

from __future__ import annotations

import av
import numpy as np

from tools.timecode import draw_time_code, read_time_code


def test_round_trip_through_a_bgr_conversion() -> None:
    width, height = 640, 480
    rng = np.random.default_rng(1)
    yuv = rng.integers(0, 255, size=(height * 3 // 2, width), dtype=np.uint8)
    draw_time_code(yuv, width, height, now=1_763_900_000.123)
    bgr = av.VideoFrame.from_ndarray(yuv, format="yuv420p").to_ndarray(format="bgr24")
    assert read_time_code(bgr, now=1_763_900_000.200) == 1_763_900_000.123


def test_an_image_without_a_code_reads_as_none() -> None:
    rng = np.random.default_rng(2)
    noise = rng.integers(0, 255, size=(480, 640, 3), dtype=np.uint8)
    assert read_time_code(noise) is None
    assert read_time_code(np.zeros((10, 10, 3), np.uint8)) is None
