"""The applicant page's camera and the end of a call, end to end: headless Chromium as the
applicant through the real page (its fake capture device plays the shared Obama clip), the
embedded intake on SQLite, and the console window on its real services (WebRTC, the recording;
no face worker: the camera check does not need one).

1. Waiting with no reviewer signed in, the page says so instead of an expected wait; once one
   signs in, the wait is shown. In the call, Chromium's fake device (labelled with the file it
   plays) raises the virtual-camera flag in the console's face panel and blocks approval; a
   video track replaced mid-call raises "injection suspected". The applicant hangs up: the call
   ends on both sides, the console shows the outcome the service recorded (abandoned, the
   applicant hung up) and offers no decision, the page says what happens next with no video box
   left. The camera report and both flags are on the session's timeline, in the session
   browser's flags, the replay window and the PDF report.
2. In Chinese, "verify later" while waiting leaves no video box and says what happens next.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from app.console import ConnectionState
from app.replay import Flag, SessionFilter
from app.roles import Role
from tests.ui_fakes import OBAMA_VIDEO
from tools.applicant_page_screenshots import applicant_page_world, launch_chromium, open_and_join
from ui.main_window import ConsoleWindow, UnsavedDecisionQuestion
from ui.sign_in import SignedIn

pytestmark = [
    pytest.mark.slow,
    pytest.mark.gui,
    pytest.mark.skipif(not OBAMA_VIDEO.is_file(), reason="shared data video missing"),
]

# Replace the call's video track with a canvas: what a page switching to an injected source does.
REPLACE_VIDEO_TRACK = """(() => {
  const canvas = document.createElement("canvas");
  canvas.width = 640; canvas.height = 480;
  const context = canvas.getContext("2d");
  let shade = 0;
  setInterval(() => { shade = (shade + 10) % 256; context.fillStyle = `rgb(${shade}, 80, 120)`;
                      context.fillRect(0, 0, 640, 480); }, 100);
  const track = canvas.captureStream(30).getVideoTracks()[0];
  const sender = window.applicantState.pc.getSenders().find((s) => s.track && s.track.kind === "video");
  return sender.replaceTrack(track).then(() => true);
})()"""


def page_says(qtbot: Any, page: Any, expression: str, timeout_ms: int) -> None:
    """Poll the page while the console's Qt events keep running."""
    qtbot.waitUntil(lambda: bool(page.evaluate(expression)), timeout=timeout_ms)


def visible(page: Any, element: str) -> bool:
    return bool(page.evaluate(f"!document.getElementById('{element}').hidden"))


def test_the_fake_camera_is_flagged_in_the_console_on_the_record_and_the_applicant_hangs_up(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import sync_playwright

    from services import configured_sealer
    from services.replay import LiveReplayServices
    from storage.recordings import RecordingRecords
    from storage.replay import ReplayRecords
    from storage.reviewers import Accounts
    from storage.reviews import ReviewRecords
    from tests.test_report_fonts import pdf_text
    from tools.bench_call import BENCH_PASSWORD, BENCH_REVIEWER
    from ui.replay.report import write_report
    from ui.replay.window import ReplayWindow

    monkeypatch.setattr(UnsavedDecisionQuestion, "ask", classmethod(lambda cls, parent: True))
    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "photo.key"))
    window = None
    with applicant_page_world(tmp_path, ["Wang Fang"]) as world, sync_playwright() as playwright:
        services, database, (token,) = world.services, world.database, world.tokens
        Accounts(database).add("zhang.supervisor", "supervisor-password", Role.SUPERVISOR)
        browser = launch_chromium(playwright, world)
        try:
            page = open_and_join(browser, world.url, token, "en-US")
            # Nobody signed in: no expected wait, and the page says why.
            page_says(qtbot, page, "!document.getElementById('queue-note').hidden", 10000)
            assert page.locator("#queue").inner_text() == "You are number 1 in the queue."
            assert page.locator("#queue-note").inner_text().startswith("No reviewer is signed in right now")
            assert visible(page, "tips") and "recorded" in page.locator("#tips").inner_text()

            with ThreadPoolExecutor(1) as thread:  # Playwright's loop runs on this thread
                reviewer_id = thread.submit(services.sign_in, BENCH_REVIEWER, BENCH_PASSWORD).result()
            page_says(
                qtbot, page, "document.getElementById('queue').textContent.includes('Expected wait')", 10000
            )
            assert not visible(page, "queue-note")

            qsettings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
            window = ConsoleWindow(services, SignedIn(reviewer_id, BENCH_REVIEWER), world.settings, qsettings)
            qtbot.addWidget(window)
            window.show()
            qtbot.waitUntil(
                lambda: window.queue_panel.summary is not None and window.queue_panel.summary.waiting == 1,
                timeout=15000,
            )
            with qtbot.waitSignal(window.review_started, timeout=30000):
                window.take_next()
            assert window.applicant is not None
            session_id = window.applicant.session_id

            # The fake capture device's label reaches the console: flagged, approval blocked.
            qtbot.waitUntil(
                lambda: (
                    window.face is not None
                    and window.face.camera is not None
                    and "virtual_camera" in window.face.camera.flags
                ),
                timeout=30000,
            )
            camera_line = window.face_panel.camera_label.text()
            # The fake device plays a file: its label is the file's path.
            assert "applicant.y4m: virtual camera (Chromium's fake capture device)" in camera_line, (
                camera_line
            )
            assert str(world.y4m) in window.face_panel.camera_label.toolTip()
            assert window.face_panel.camera_label.isVisible()
            assert window.approval_conditions.blocked
            assert "injection_suspected" in [f.rule.id for f in window.approval_conditions.findings]
            # The page says the call is recorded and offers a hang-up.
            page_says(
                qtbot,
                page,
                "window.applicantState.inCall && !document.getElementById('recorded').hidden",
                15000,
            )
            assert page.locator("#recorded").inner_text() == "● This video call is recorded"
            assert visible(page, "hang-up") and visible(page, "stage")

            # Another video source mid-call: the page reports the change, the console flags it.
            page_says(
                qtbot,
                page,
                "window.applicantState.pc && window.applicantState.pc.connectionState === 'connected'",
                20000,
            )
            assert page.evaluate(REPLACE_VIDEO_TRACK) is True
            qtbot.waitUntil(
                lambda: (
                    window.face is not None
                    and window.face.camera is not None
                    and "injection_suspected" in window.face.camera.flags
                ),
                timeout=15000,
            )
            assert "changed during the call" in window.face_panel.camera_label.text()

            # The applicant hangs up (two taps): ended on both sides, as recorded.
            page.locator("#hang-up").click()
            assert page.locator("#hang-up").inner_text() == "Tap again to end the call"
            page.locator("#hang-up").click()
            page_says(qtbot, page, "window.applicantState.finished", 15000)
            assert page.locator("#status").inner_text() == "You ended the video call."
            assert page.locator("#next-text").inner_text().startswith("Your video review was not completed.")
            assert not visible(page, "stage") and not visible(page, "hang-up")
            assert page.evaluate("document.getElementById('preview').srcObject === null")
            qtbot.waitUntil(lambda: window.recorded_by_service == "applicant_hung_up", timeout=15000)
            assert window.call_status.state is ConnectionState.APPLICANT_HUNG_UP
            assert "The applicant hung up" in window.call_status.state_label.text()
            assert not any(button.isEnabled() for button in window.decision_bar.buttons.values())
            records = ReviewRecords(database)
            qtbot.waitUntil(lambda: records.state(session_id).value == "abandoned", timeout=10000)
            window.close_review()
        finally:
            browser.close()
            if window is not None:
                window.close()

        # On the record: the camera as reported, and both flags.
        recordings = RecordingRecords(database)
        kinds = [e.kind for e in recordings.events(session_id)]
        for kind in ("camera.reported", "flag.virtual_camera", "flag.injection_suspected"):
            assert kind in kinds, kinds
        reported = next(e for e in recordings.events(session_id) if e.kind == "camera.reported")
        assert reported.details["label"] == str(world.y4m)
        assert reported.details["settings"]["width"] == 640 and reported.details["settings"]["height"] == 480
        replay_records = ReplayRecords(database)
        flagged = replay_records.browse(SessionFilter(flags=Flag.INJECTION_SUSPECTED))
        assert [item.session_id for item in flagged.items] == [session_id]

        replay = replay_records.session_replay(session_id)
        pdf = write_report(replay, tmp_path / "report.pdf", settings=world.settings)
        words = " ".join(pdf_text(pdf).split())
        assert "The applicant's camera" in words
        assert "virtual camera: Chromium's fake capture device" in words, words[:4000]

        replay_services = LiveReplayServices(world.settings, database, configured_sealer())
        supervisor = replay_services.sign_in("zhang.supervisor", "supervisor-password")
        replay_window = ReplayWindow(replay_services, world.settings, supervisor)
        qtbot.addWidget(replay_window)
        replay_window.start()
        replay_window.open_session(session_id)
        qtbot.waitUntil(lambda: replay_window.events.rowCount() > 0, timeout=15000)
        rows = [replay_window.events.item(row, 1).text() for row in range(replay_window.events.rowCount())]
        assert f"camera: {world.y4m}, 640x480, 30 fps" in rows, rows
        assert any(
            row.startswith("video injection suspected: the camera changed during the call") for row in rows
        )
        assert "virtual camera: Chromium's fake capture device" in rows
        replay_window.close()


def test_verify_later_leaves_no_video_box_and_says_what_happens_next_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import sync_playwright

    from tools.applicant_page_screenshots import wait_for

    monkeypatch.setenv("AUDIT_KEY_FILE", str(tmp_path / "photo.key"))
    with applicant_page_world(tmp_path, ["Wang Fang"]) as world, sync_playwright() as playwright:
        browser = launch_chromium(playwright, world)
        try:
            page = open_and_join(browser, world.url, world.tokens[0], "zh-CN")
            wait_for(page, "!document.getElementById('queue-note').hidden")
            assert page.locator("#queue").inner_text() == "您排在第1位。"
            assert "目前没有审核员在线" in page.locator("#queue-note").inner_text()
            assert "预计等待" not in page.locator("main").inner_text()
            assert visible(page, "stage")
            page.locator("#later").click()
            wait_for(page, "window.applicantState.finished")
            assert page.locator("#status").inner_text().startswith("好的，请在")
            assert visible(page, "next")
            assert page.locator("#next h2").inner_text() == "接下来"
            assert page.locator("#next-text").inner_text().startswith("请在审核时间内")
            for element in ("stage", "queue", "queue-note", "join", "later", "leave", "tips"):
                assert not visible(page, element), element
            assert page.evaluate("document.getElementById('preview').srcObject === null")
        finally:
            browser.close()
    from storage.database import open_database

    database = open_database(world.settings.effective_database_url)
    try:
        from sqlalchemy import select

        from storage.models import ReviewSessionRow

        with database.session() as session:
            reasons = list(session.execute(select(ReviewSessionRow.end_reason)).scalars())
        assert reasons == ["verify_later"]
    finally:
        database.dispose()
