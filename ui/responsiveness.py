"""Measures how long the Qt event loop goes without turning: the reviewer's sense of "frozen"."""

from __future__ import annotations

import gc
import logging
import sys
import time

from PySide6.QtCore import QObject, Qt, QTimer

log = logging.getLogger(__name__)

# How long a thread may hold the GIL while another waits for it (Python's default is 5 ms):
# after this long, a waiting thread asks the holder to let go, which it does at its next check
# (later when it is inside C code that keeps the GIL). The Qt thread re-enters Python for every
# slot, paint and timer; behind the call's threads (RTP, decoding, the recorder, the embedded
# intake) each entry could wait about an interval, so one turn of the event loop that calls
# Python a few times took 30-45 ms of wall time for under 11 ms of its own work at 5 ms. At
# 0.2 ms rather than 1 ms, twenty alternating live calls each: the longest gap at most 16 ms in
# 19 runs against 17, 16.1 ms at most against 23.2 ms (a small gain, within what chance could
# give; docs/responsiveness.md). The cost: three threads counting in Python at once took about
# 4% more wall time than at 1 ms.
QT_THREAD_SWITCH_INTERVAL_S = 0.0002


# The scheduler slice the Qt thread asks Linux for (EEVDF, kernel 6.12 and later; the default
# is 0.7 ms per core's log, 1.4 ms on two cores). A thread that asks for shorter slices gets
# earlier deadlines, so woken by its timer or an event it takes a core from a busy thread at
# once rather than after that thread's slice: on a 2-core machine shared with the call's
# threads, the face worker and the simulated phone, the Qt thread waited 3-12 ms for a core
# inside most gaps over 13 ms (its run-queue delay, /proc/thread-self/schedstat).
QT_THREAD_SLICE_NS = 200_000

# sched_setattr(2) by machine (the C library has no wrapper for it).
_SCHED_SETATTR = {"x86_64": 314, "aarch64": 274}


def favour_the_qt_thread() -> None:
    """Keep the Qt thread's waits for the GIL short (see QT_THREAD_SWITCH_INTERVAL_S), and its
    waits for a core (ask_for_short_slices); called on the Qt thread when a window's
    application starts."""
    sys.setswitchinterval(QT_THREAD_SWITCH_INTERVAL_S)
    ask_for_short_slices(QT_THREAD_SLICE_NS)


def ask_for_short_slices(slice_ns: int) -> bool:
    """Ask the kernel to schedule the calling thread in slices of `slice_ns`, when it runs under
    the normal policy (SCHED_OTHER; its nice value unchanged). True when the kernel took it;
    False where it cannot be asked (not Linux, not a 64-bit x86 or Arm process, another policy)
    or refuses. A kernel before 6.12 takes it and ignores it: harmless."""
    import ctypes
    import os
    import platform
    import struct

    number = _SCHED_SETATTR.get(platform.machine())
    if sys.platform != "linux" or number is None or struct.calcsize("P") != 8:
        return False  # a 32-bit process on a 64-bit kernel has other syscall numbers
    if os.sched_getscheduler(0) & ~os.SCHED_RESET_ON_FORK != os.SCHED_OTHER:
        return False  # (asked before: the policy reads with the reset-on-fork flag)
    # struct sched_attr, version 1 (56 bytes): size, policy, flags, nice, priority, runtime,
    # deadline, period, util_min, util_max. SCHED_OTHER (0) with a runtime: the slice. Flag
    # SCHED_FLAG_RESET_ON_FORK (1): the threads and processes this thread starts later (the
    # call's, the face worker) keep the default slice; inherited, it was worse than none.
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    attributes = ctypes.create_string_buffer(
        struct.pack("=IIQiIQQQII", 56, 0, 1, nice, 0, slice_ns, 0, 0, 0, 0), 56
    )
    libc = ctypes.CDLL(None, use_errno=True)
    result: int = libc.syscall(number, 0, attributes, 0)
    if result != 0:
        log.debug("short scheduler slices not taken: %s", os.strerror(ctypes.get_errno()))
    return result == 0


def freeze_the_start_up_heap() -> None:
    """Put every object alive once a window is built (modules, Qt wrappers, the services) out of
    the garbage collector's reach, so that a full collection scans only what calls and reviews
    made since. Over the whole heap, a full collection held every thread, the Qt thread
    included, for 100-120 ms, at moments such as the recording of a decision. Called once the
    window is built, before it is shown; again for a window opened anew (a sign-out, another
    language), when what the last window left is first let go and collected."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class EventLoopGapMeter(QObject):
    """A precise timer every few milliseconds; the longest gap between two ticks is the longest
    time the Qt thread was busy with anything else (painting, slots, Python work) or could not
    run (waiting for the GIL or for a core). The Qt thread's own CPU time between two ticks
    is kept too: it tells the two apart."""

    def __init__(self, interval_ms: int = 5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._start = 0.0
        self._last = 0.0
        self._last_cpu = 0.0
        self.gaps_ms: list[float] = []
        self.busy_ms: list[float] = []  # the Qt thread's CPU time between two ticks
        self.at_s: list[float] = []  # when each gap began, from the start

    def start(self) -> None:
        self.gaps_ms.clear()
        self.busy_ms.clear()
        self.at_s.clear()
        self._start = self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        cpu = time.thread_time()
        self.gaps_ms.append((now - self._last) * 1000.0)
        self.busy_ms.append((cpu - self._last_cpu) * 1000.0)
        self.at_s.append(self._last - self._start)
        self._last = now
        self._last_cpu = cpu

    @property
    def max_gap_ms(self) -> float:
        return max(self.gaps_ms, default=0.0)

    def percentile_ms(self, fraction: float) -> float:
        if not self.gaps_ms:
            return 0.0
        ordered = sorted(self.gaps_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @staticmethod
    def freeze_limit_for_this_machine(
        target_ms: float = 50.0, quiet_ms: float = 250.0, overloaded_ms: float = 1000.0
    ) -> tuple[float, str]:
        """The gap a test holds this machine to, and a line saying how the figure compares with
        the target. A test asserts only "never frozen" (work on the Qt thread that should not be
        there: a network round trip, a database write or a face encoding shows as a long gap);
        the 50 ms target itself is a figure to print, not a timed assertion that would flake
        on a busy machine. Above one runnable job per core the OS alone deschedules the Qt
        thread for hundreds of milliseconds, so the limit is looser then."""
        import os

        load = os.getloadavg()[0]
        cores = os.cpu_count() or 1
        if load <= cores:
            where = f"load {load:.1f} on {cores} cores"
            return quiet_ms, f"target {target_ms:.0f} ms; freeze limit {quiet_ms:.0f} ms ({where})"
        return overloaded_ms, (
            f"target {target_ms:.0f} ms; machine overloaded (load {load:.1f} on {cores} cores): "
            f"freeze limit {overloaded_ms:.0f} ms"
        )

    def long_gaps(self, over_ms: float = 16.0) -> list[tuple[float, float, float]]:
        """(when, from the start in s; the gap in ms; the Qt thread's own work in it in ms) for
        each gap longer than one frame at 60 Hz: where to look next."""
        return [
            (at, gap, busy)
            for at, gap, busy in zip(self.at_s, self.gaps_ms, self.busy_ms, strict=True)
            if gap > over_ms
        ]

    def report(self) -> str:
        long = "; ".join(
            f"{gap:.0f} ms at {at:.2f} s (own work {busy:.0f})" for at, gap, busy in self.long_gaps()
        )
        return (
            f"event-loop gaps over {len(self.gaps_ms)} ticks: max {self.max_gap_ms:.1f} ms, "
            f"p99 {self.percentile_ms(0.99):.1f} ms, median {self.percentile_ms(0.5):.1f} ms; "
            f"the Qt thread's own work between ticks at most {max(self.busy_ms, default=0.0):.1f} ms; "
            f"over 16 ms: {long or 'none'}"
        )
