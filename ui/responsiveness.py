"""Measures how long the Qt event loop goes without turning: the reviewer's sense of "frozen"."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer


class EventLoopGapMeter(QObject):
    """A precise timer every few milliseconds; the longest gap between two ticks is the longest
    time the Qt thread was busy with anything else (painting, slots, Python work)."""

    def __init__(self, interval_ms: int = 5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.gaps_ms: list[float] = []

    def start(self) -> None:
        self.gaps_ms.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps_ms.append((now - self._last) * 1000.0)
        self._last = now

    @property
    def max_gap_ms(self) -> float:
        return max(self.gaps_ms, default=0.0)

    def percentile_ms(self, fraction: float) -> float:
        if not self.gaps_ms:
            return 0.0
        ordered = sorted(self.gaps_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]

    @staticmethod
    def limit_for_this_machine(target_ms: float = 50.0, overloaded_ms: float = 1000.0) -> tuple[float, str]:
        """The gap limit a test can hold this machine to. The target assumes the console has its
        cores; when the load average is above the core count (other jobs on a shared CI or
        developer machine), the OS alone deschedules the Qt thread for tens to hundreds of
        milliseconds, so only a real freeze (the Qt thread waiting on the network, the database
        or face work: seconds) is caught then."""
        import os

        load = os.getloadavg()[0]
        cores = os.cpu_count() or 1
        if load <= cores:
            return target_ms, f"target {target_ms:.0f} ms (load {load:.1f} on {cores} cores)"
        return overloaded_ms, (
            f"machine overloaded (load {load:.1f} on {cores} cores): limit {overloaded_ms:.0f} ms, "
            f"target {target_ms:.0f} ms not checked"
        )

    def report(self) -> str:
        return (
            f"event-loop gaps over {len(self.gaps_ms)} ticks: max {self.max_gap_ms:.1f} ms, "
            f"p99 {self.percentile_ms(0.99):.1f} ms, median {self.percentile_ms(0.5):.1f} ms"
        )
