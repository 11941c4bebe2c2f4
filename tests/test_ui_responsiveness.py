"""The Qt thread is never blocked: the longest gap between event-loop turns during a live call.

The applicant is the simulator playing obama_weekly_address.mp4 at 30 frames a second on its own
thread (as the WebRTC thread delivers frames), with face scores five times a second. Printed
with the result; the target is under 50 ms.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings

from app.ids import ReviewerId
from app.settings import load_settings
from tests.ui_fakes import OBAMA_VIDEO, FakeConsoleServices, applicant
from ui.face_check import FaceState
from ui.main_window import ConsoleWindow
from ui.responsiveness import EventLoopGapMeter
from ui.sign_in import SignedIn
from ui.style import STYLE_SHEET

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(not OBAMA_VIDEO.is_file(), reason="shared data video missing"),
]

MAX_GAP_MS = 50.0


def test_the_qt_thread_keeps_turning_during_a_live_call(qtbot, qapp, tmp_path, capsys):
    services = FakeConsoleServices(simulated_video=True)
    services.add_applicant(applicant("Barack Obama", video=True))
    settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={})
    qsettings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
    qapp.setStyleSheet(STYLE_SHEET)
    window = ConsoleWindow(services, SignedIn(ReviewerId(1), "li.na"), settings, qsettings)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    try:
        window.take_next()
        qtbot.waitUntil(lambda: window.video.frames_shown >= 15, timeout=15000)  # cv2 loaded, video flowing
        meter = EventLoopGapMeter(interval_ms=5)
        meter.start()
        first = window.video.frames_shown
        qtbot.waitUntil(lambda: window.video.frames_shown - first >= 150, timeout=20000)
        qtbot.waitUntil(
            lambda: window.face is not None and window.face.state is FaceState.MATCHED, timeout=10000
        )
        for question_id in ("identity_name_confirmed", "applied_personally"):  # the reviewer works meanwhile
            window.form.enter(question_id, True)
        meter.stop()
        fps = window.video.frames_per_second()
        call = services.calls[0]
        limit, why = EventLoopGapMeter.freeze_limit_for_this_machine(MAX_GAP_MS)
        with capsys.disabled():
            print(
                f"\nlive call: {meter.report()}; video shown at {fps:.1f} frames/s "
                f"({call.frames_sent} sent, {window.bridge.frames_dropped if window.bridge else 0} dropped "
                f"as older than the newest); {why}"
            )
        assert meter.max_gap_ms < limit, meter.report()
        assert fps > (20 if limit < 1000 else 10)  # 30 sent; fewer shown only when overloaded
    finally:
        window.close()
        services.close()
