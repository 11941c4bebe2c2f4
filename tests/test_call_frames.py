"""The newest-frame slot: consumers see the newest frame and never a backlog."""

from __future__ import annotations

import threading
import time

import numpy as np

from media.call.frames import FrameSlot, VideoSample


def sample(sequence: int) -> VideoSample:
    image = np.full((48, 64, 3), sequence % 256, dtype=np.uint8)
    return VideoSample(image, sequence, 1, time.monotonic(), time.time(), sequence / 30)


def test_a_slow_consumer_gets_the_newest_frame_not_the_next_one() -> None:
    slot = FrameSlot()
    for sequence in range(1, 101):
        slot.put(sample(sequence))
    newest = slot.wait_newer(after_sequence=1, timeout=0.1)
    assert newest is not None and newest.sequence == 100
    assert slot.count == 100
    assert slot.latest() is newest
    assert (newest.width, newest.height) == (64, 48)


def test_wait_newer_times_out_without_a_new_frame_and_wakes_on_one() -> None:
    slot = FrameSlot()
    assert slot.wait_newer(0, timeout=0.05) is None
    slot.put(sample(1))
    assert slot.wait_newer(1, timeout=0.05) is None
    threading.Timer(0.05, slot.put, args=(sample(2),)).start()
    woke = slot.wait_newer(1, timeout=2.0)
    assert woke is not None and woke.sequence == 2


def test_subscribers_see_every_frame_until_they_unsubscribe_and_a_failing_one_does_not_stop_others() -> None:
    slot = FrameSlot()
    seen: list[int] = []

    def broken(_sample: VideoSample) -> None:
        raise RuntimeError("a buggy consumer")

    slot.subscribe(broken)
    unsubscribe = slot.subscribe(lambda s: seen.append(s.sequence))
    slot.put(sample(1))
    slot.put(sample(2))
    unsubscribe()
    slot.put(sample(3))
    assert seen == [1, 2]


def test_a_worker_thread_skips_frames_it_was_too_slow_for() -> None:
    slot = FrameSlot()
    handled: list[int] = []
    done = threading.Event()

    def worker() -> None:
        last = 0
        while not done.is_set():
            frame = slot.wait_newer(last, timeout=0.2)
            if frame is None:
                continue
            handled.append(frame.sequence)
            last = frame.sequence
            time.sleep(0.02)  # slower than the producer

    thread = threading.Thread(target=worker)
    thread.start()
    for sequence in range(1, 201):
        slot.put(sample(sequence))
        time.sleep(0.001)
    time.sleep(0.1)
    done.set()
    thread.join()
    assert handled == sorted(handled)  # always forward, never a stale frame
    assert handled[-1] == 200  # ends on the newest
    assert len(handled) < 200  # skipped what it could not keep up with


def test_fps_counts_the_last_second() -> None:
    slot = FrameSlot()
    now = time.monotonic()
    for index in range(30):
        slot.put(VideoSample(np.zeros((2, 2, 3), np.uint8), index + 1, 1, now - 0.5 + index / 60, 0.0, None))
    assert slot.fps(now=now) == 30
    assert slot.fps(now=now + 5) == 0
