"""The event-loop meter names each long gap, and how much of it was the Qt thread's own work."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time

import pytest
from PySide6.QtCore import QTimer

from ui.responsiveness import EventLoopGapMeter

pytestmark = pytest.mark.gui


def test_the_meter_names_each_long_gap_with_the_qt_threads_own_work_in_it(qtbot, qapp) -> None:
    """A slot that computes for 40 ms, then one that waits 40 ms (as for the GIL or a core): both
    are long gaps; only the first is the Qt thread's own work."""

    def compute() -> None:
        end = time.thread_time() + 0.04
        while time.thread_time() < end:
            pass

    meter = EventLoopGapMeter(interval_ms=5)
    meter.start()
    QTimer.singleShot(50, compute)
    QTimer.singleShot(150, lambda: time.sleep(0.04))
    qtbot.wait(300)
    meter.stop()
    long = meter.long_gaps()
    computed = [at for at, _gap, busy in long if busy >= 35]
    waited = [at for at, gap, busy in long if gap >= 38 and busy < 10]
    assert len(computed) == 1, meter.report()  # the computing slot, and only it
    assert any(at > computed[0] for at in waited), meter.report()  # the waiting one, after it
    assert f"{meter.max_gap_ms:.0f} ms at" in meter.report()


def test_the_qt_thread_asks_for_short_scheduler_slices() -> None:
    """Where the kernel keeps a slice per thread (Linux 6.12 and later show it as se.slice in
    /proc/thread-self/sched), the thread that asked has that slice; everywhere, a thread it starts
    keeps the default and the policy stays the normal one
    (all of the console's threads and processes with short slices lost the Qt thread its lead)."""
    import sys
    import threading

    from ui.responsiveness import QT_THREAD_SLICE_NS, ask_for_short_slices

    def slice_ns() -> int | None:
        try:
            with open("/proc/thread-self/sched") as sched:
                for line in sched:
                    if line.startswith("se.slice"):
                        return int(line.split(":")[1])
        except OSError:
            return None
        return None

    import os
    import platform

    release = tuple(int(part) for part in platform.release().split("-")[0].split(".")[:2])
    keeps_slices = sys.platform == "linux" and release >= (6, 12) and slice_ns() is not None
    results: dict[str, object] = {}

    def in_a_thread() -> None:
        before = slice_ns()
        results["asked"] = ask_for_short_slices(QT_THREAD_SLICE_NS)
        results["before"], results["after"] = before, slice_ns()
        if hasattr(os, "sched_getscheduler"):
            results["policy"] = os.sched_getscheduler(0) & ~os.SCHED_RESET_ON_FORK
            results["again"] = ask_for_short_slices(QT_THREAD_SLICE_NS)  # a window opened anew
        child = threading.Thread(target=lambda: results.update(child=slice_ns()))
        child.start()
        child.join()

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    # Everywhere: the thread keeps the normal policy, and a thread it starts its default slice.
    assert isinstance(results["asked"], bool)
    assert results.get("policy", 0) == getattr(os, "SCHED_OTHER", 0)
    assert results["child"] == results["before"]
    if keeps_slices:  # Linux 6.12 and later: the thread that asked has the short slice
        assert results["asked"] is True and results["again"] is True
        assert results["after"] == QT_THREAD_SLICE_NS != results["before"]


def test_the_qt_thread_asks_for_the_gil_after_a_fifth_of_a_millisecond() -> None:
    """For each slot, paint or timer the Qt thread runs in Python, it asks the thread holding the
    GIL to let go after one switch interval: 0.2 ms (at 1 ms, 3 of 20 live calls had a gap over
    one frame at 60 Hz, against 1 of 20 at 0.2 ms; docs/responsiveness.md)."""
    import sys
    import threading

    from ui.responsiveness import favour_the_qt_thread

    previous = sys.getswitchinterval()
    try:
        thread = threading.Thread(target=favour_the_qt_thread)  # its short slices stay in there
        thread.start()
        thread.join()
        assert sys.getswitchinterval() <= 0.0002 + 1e-9
    finally:
        sys.setswitchinterval(previous)
