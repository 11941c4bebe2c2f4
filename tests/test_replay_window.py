"""The replay window (offscreen Qt) and the PDF report, on a small recorded demo session:
browse and filter, open, seek, frame step, markers, the face box, amend a decision (the
original stays visible), export the PDF with its progress; and `sessions export` as a command.
The demo recording is encrypted at rest, as the console records; a damaged one gives a clear
message in the window and from `sessions export`."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from app.decisions import DecisionDraft, Outcome, RejectReason
from app.ids import SessionId
from app.settings import Settings, load_settings
from storage.database import Database, open_database
from storage.replay import Flag, ReplayRecords, SessionFilter
from storage.sealing import Sealer
from tests.recorded_demo import DEMO_KEY, DEMO_SEALER, copy_of

ROOT = Path(__file__).resolve().parent.parent
KEY, SEALER = DEMO_KEY, DEMO_SEALER  # the recording's key; `sessions export` gets it as AUDIT_KEY


@pytest.fixture(scope="module")
def demo(
    recorded_demo: tuple[Path, SessionId], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Database, SessionId]]:
    data, session_id = recorded_demo
    settings = load_settings({"data_dir": copy_of(data, tmp_path_factory.mktemp("replay"))}, environ={})
    database = open_database(settings.effective_database_url)
    yield settings, database, session_id
    database.dispose()


def replay_services(settings: Settings, database: Database, sealer: Sealer | None = SEALER) -> Any:
    """The replay window's real services, signed in as the demo's supervisor."""
    from services.replay import LiveReplayServices

    services = LiveReplayServices(settings, database, sealer)
    return services, services.sign_in("zhang.supervisor", "demo-password-2")


@pytest.mark.gui
def test_replay_window_browse_play_amend_export(
    qtbot: Any, demo: tuple[Settings, Database, SessionId], tmp_path: Path
) -> None:
    from ui.replay.texts import question_prompts
    from ui.replay.window import AmendDialog, ReplayWindow

    settings, database, session_id = demo
    services, account = replay_services(settings, database)
    window = ReplayWindow(services, settings, account)
    qtbot.addWidget(window)
    try:
        window.start()
        qtbot.waitUntil(lambda: window.browser.model.rowCount() == 1, timeout=5000)
        assert window.browser.status.text().startswith("1 session ·")
        assert window.key_warning.isHidden()  # the right key: nothing to say
        window.browser.flag_boxes[Flag.LIVENESS_FAILED].setChecked(True)
        qtbot.waitUntil(lambda: window.browser.model.rowCount() == 0, timeout=5000)
        window.browser.flag_boxes[Flag.LIVENESS_FAILED].setChecked(False)
        window.browser.flag_boxes[Flag.DROPPED_CONNECTION].setChecked(True)
        qtbot.waitUntil(lambda: window.browser.model.rowCount() == 1, timeout=5000)

        window.open_session(session_id)
        qtbot.waitUntil(lambda: window.video.has_frame, timeout=10000)
        assert len(window.spans) == 2 and window.duration > 7.5
        # It fits a 1024x768 screen: nothing forces it wider (the tables scroll, texts wrap).
        assert window.minimumSizeHint().width() <= 1024, window.minimumSizeHint()
        # Every question the session drew except the optional notes: 9 fixed, 2 of each pool.
        assert window.answers.rowCount() == 13
        replay = ReplayRecords(database).session_replay(session_id)
        prompts = question_prompts(settings.questionnaire_file, "en")
        shown = [window.asked.item(row, 1).text() for row in range(window.asked.rowCount())]
        assert shown == [prompts[qid] for qid in replay.questions_asked]  # in the order asked
        assert [window.asked.item(row, 0).text() for row in range(3)] == ["1", "2", "3"]
        assert window.asked.item(len(shown) - 1, 2).text() == "not answered"  # the optional notes
        assert window.audit.rowCount() > 5

        # Seek into leg 2: the frame shown is from leg 2, with the face box and similarity.
        leg2 = window.spans[1]
        window.seek(leg2.start + 1.0)
        qtbot.waitUntil(lambda: "leg 2" in window.state_line.text(), timeout=5000)
        assert "similarity" in window.state_line.text()
        assert window.video._box is not None
        # Between the legs: no video, and it says why.
        window.seek((window.spans[0].end + leg2.start) / 2 + 0.6)
        qtbot.waitUntil(lambda: not window.video.has_frame, timeout=5000)
        assert "disconnected" in window.video._message
        # Frame step forward from the end of leg 1 lands on leg 2's first frame.
        window.seek(window.spans[0].end - 0.01)
        qtbot.waitUntil(lambda: "leg 1" in window.state_line.text(), timeout=5000)
        window.step(1)
        qtbot.waitUntil(lambda: "leg 2" in window.state_line.text(), timeout=5000)
        assert abs(window.clock.position() - leg2.start) < 0.05
        # A marker click seeks there (the first connection event).
        marker = next(m for m in window.chart.markers if m.kind == "connection")
        window.chart.seek_requested.emit(marker.t)
        assert abs(window.clock.position() - marker.t) < 1e-6
        # Play at 2x for a moment: the playhead advances about twice as fast as the clock.
        window.seek(0.5)
        window.speed.setCurrentIndex(4)
        window.play()
        qtbot.wait(500)
        window.pause()
        assert 1.2 < window.clock.position() < 2.2

        # Amend: a new decision pointing to the original; both stay visible.
        AmendDialog.ask = classmethod(  # type: ignore[method-assign]
            lambda cls, original, parent=None, **_in_force: (
                DecisionDraft(Outcome.REJECT, reasons=(RejectReason.FRAUD_SUSPECTED,)),
                "Forged payslip found after the call",
            )
        )
        window.amend()
        qtbot.waitUntil(lambda: "Amendment of" in window.decision_view.toPlainText(), timeout=5000)
        text = window.decision_view.toPlainText()
        # The header says the outcome in force now.
        assert "Reject (amended)" in window.header.text() and "Approve" not in window.header.text()
        # Outcomes show as the console names them (ui.decision.outcome_text).
        assert "Original decision" in text and "Approve" in text and "Forged payslip" in text
        decisions = ReplayRecords(database).session_replay(session_id).decisions
        assert [d.outcome for d in decisions] == ["approve", "reject"] and decisions[
            1
        ].amends_id == decisions[0].id
        assert ReplayRecords(database).browse(SessionFilter(amended_only=True)).total == 1

        # Export with a progress bar.
        pdf = tmp_path / "report.pdf"
        window.export_pdf(pdf)
        qtbot.waitUntil(lambda: window.export_label.text().startswith("Saved"), timeout=20000)
        assert window.export_bar.value() == window.export_bar.maximum()
        assert pdf.stat().st_size > 20000
        print(f"seek times in the window: {[round(ms) for ms in window.decoder.seek_ms]} ms")
    finally:
        window.shutdown()


@pytest.mark.gui
def test_report_has_the_photo_frames_chart_answers_decisions_and_hashes(
    demo: tuple[Settings, Database, SessionId], tmp_path: Path
) -> None:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtPdf import QPdfDocument

    from services.replay import open_recording
    from ui.replay.report import key_frame_times, write_report

    settings, database, session_id = demo
    replay = ReplayRecords(database).session_replay(session_id)
    steps: list[str] = []
    path = write_report(
        replay,
        tmp_path / "r.pdf",
        settings=settings,
        progress=lambda d, t, what: steps.append(what),
        recording=lambda: open_recording(settings, replay, SEALER),
    )
    assert steps[0] == "starting" and steps[-1] == "done" and any("key frame" in s for s in steps)
    assert len(key_frame_times(replay, 8.0)) >= 2
    _app = QGuiApplication.instance() or QGuiApplication([])
    document = QPdfDocument()
    document.load(str(path))
    text = " ".join(document.getAllText(page).text() for page in range(document.pageCount()))
    assert "Video review session" in text and "Wang Fang" in text
    assert "Monthly income" in text  # answers with their prompts
    # The questions asked, numbered in the order asked (the pools' draw, not the file's order).
    from ui.replay.texts import question_prompts

    prompts = question_prompts(settings.questionnaire_file, "en")
    assert "Questions asked, in the order asked" in text
    flat = " ".join(text.split())
    places = [flat.find(" ".join(prompts[qid].split())[:30]) for qid in replay.questions_asked]
    assert -1 not in places and places == sorted(places), places
    assert replay.audit[-1].hash in "".join(text.split())  # the chain hash, in full
    assert "Approve" in text  # the outcome, as the console names it


@pytest.mark.slow  # runs main.py in processes of their own
@pytest.mark.gui
def test_sessions_export_command(demo: tuple[Settings, Database, SessionId], tmp_path: Path) -> None:
    settings, _database, session_id = demo
    env = dict(os.environ, AUDIT_DATA_DIR=str(settings.data_dir), AUDIT_KEY=base64.b64encode(KEY).decode())
    pdf = tmp_path / "cli.pdf"
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "sessions", "export", "--id", str(session_id), "--pdf", str(pdf)],  # noqa: E501
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "[8/8] done" in result.stderr and pdf.stat().st_size > 20000
    missing = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "sessions", "export", "--id", "999", "--pdf", str(pdf)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert missing.returncode == 1 and "999" in missing.stderr
    # A segment deleted from the recording: refused, with what is missing, and no traceback.
    segment = next(settings.recordings_dir.glob("*/leg-01/seg-000001.ts"))
    backup = tmp_path / "seg-000001.ts"
    shutil.move(segment, backup)
    try:
        damaged = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "sessions", "export", "--id", str(session_id), "--pdf", str(pdf)],  # noqa: E501
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        shutil.move(backup, segment)
    assert damaged.returncode == 1, damaged.stderr
    assert "Segment 000001 of leg 1 is missing" in damaged.stderr and "Traceback" not in damaged.stderr


@pytest.mark.gui
def test_window_says_which_segment_is_damaged(
    qtbot: Any, demo: tuple[Settings, Database, SessionId], tmp_path: Path
) -> None:
    from ui.replay.window import ReplayWindow

    settings, database, session_id = demo
    segment = next(settings.recordings_dir.glob("*/leg-01/seg-000001.ts"))
    original = segment.read_bytes()
    altered = bytearray(original)
    altered[len(altered) // 2] ^= 0x01
    services, account = replay_services(settings, database)
    window = ReplayWindow(services, settings, account)
    qtbot.addWidget(window)
    try:
        segment.write_bytes(bytes(altered))
        window.open_session(session_id)
        qtbot.waitUntil(lambda: window.video.has_frame, timeout=10000)
        window.seek(1.5)
        qtbot.waitUntil(lambda: "has been altered" in window.video._message, timeout=5000)
        assert "Segment 000001 of leg 1" in window.video._message and not window.video.has_frame
        window.seek(0.5)  # the rest still plays
        qtbot.waitUntil(lambda: window.video.has_frame, timeout=5000)
    finally:
        segment.write_bytes(original)
        window.shutdown()
    # Without the key: the window says so at the top, and that the recording is encrypted.
    services, account = replay_services(settings, database, sealer=None)
    window = ReplayWindow(services, settings, account)
    qtbot.addWidget(window)
    try:
        window.start()
        qtbot.waitUntil(lambda: window.key_warning.text() != "", timeout=10000)
        assert "cannot be opened" in window.key_warning.text() and not window.key_warning.isHidden()
        window.open_session(session_id)
        qtbot.waitUntil(lambda: "encrypted" in window.video._message, timeout=10000)
    finally:
        window.shutdown()
    # With the wrong key: said at the top too.
    services, account = replay_services(settings, database, sealer=Sealer(os.urandom(32)))
    window = ReplayWindow(services, settings, account)
    qtbot.addWidget(window)
    try:
        window.start()
        qtbot.waitUntil(lambda: window.key_warning.text() != "", timeout=10000)
        assert "does not open" in window.key_warning.text() and not window.key_warning.isHidden()
    finally:
        window.shutdown()


def _replay_window_on(qtbot: Any, demo: tuple[Settings, Database, SessionId], tmp_path: Path) -> Any:
    from PySide6.QtCore import QSettings

    from ui.replay.window import ReplayWindow

    settings, database, session_id = demo
    services, account = replay_services(settings, database)
    qsettings = QSettings(str(tmp_path / "replay.ini"), QSettings.Format.IniFormat)
    window = ReplayWindow(services, settings, account, qsettings=qsettings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.start(int(session_id), at=2.0)
    qtbot.waitUntil(lambda: window.video.has_frame, timeout=10000)
    return window


@pytest.mark.gui
def test_a_language_chosen_during_an_export_waits_for_the_report(
    qtbot: Any, demo: tuple[Settings, Database, SessionId], tmp_path: Path
) -> None:
    """The window opens again in the language chosen once the report is saved, on the session and
    moment it showed; the next window says where the report went and keeps its place."""
    from ui.replay.window import ReplayWindow

    settings, _database, session_id = demo
    window = _replay_window_on(qtbot, demo, tmp_path)
    chosen: list[str] = []
    window.language_chosen.connect(chosen.append)
    try:
        # The supervisor's search: carried to the window opened in the other language.
        window.browser.flag_boxes[Flag.DROPPED_CONNECTION].setChecked(True)
        window.browser.lowest.setValue(99.0)
        window.browser.sort.setCurrentIndex(window.browser.sort.count() - 1)
        searched = window.browser.current_filter()
        report = tmp_path / "during.pdf"
        window.export_pdf(report)
        window.choose_language("zh_CN")
        assert window.export_worker.pending and chosen == [] and window.isVisible()
        qtbot.waitUntil(lambda: chosen == ["zh_CN"], timeout=30000)
        assert report.stat().st_size > 20000  # made whole before the window closed
        assert not window.isVisible()
        session, at = window.reopen_at
        assert session == int(session_id) and at is not None and abs(at - 2.0) < 0.2
        assert window.qsettings.value("language") == "zh_CN"
        after = ReplayWindow(window.services, settings, window.supervisor, language="zh_CN")
        qtbot.addWidget(after)
        after.carry_over(window)
        assert str(report) in after.export_label.text() and after.last_export_folder == tmp_path
        after.start()
        qtbot.waitUntil(lambda: after.browser.model.rowCount() == 1, timeout=5000)
        assert after.browser.current_filter() == searched
        assert after.browser.sort.currentIndex() == after.browser.sort.count() - 1
        after.shutdown()
    finally:
        window.shutdown()


@pytest.mark.gui
@pytest.mark.parametrize("then", ["closed by the supervisor", "the report fails"])
def test_a_language_waiting_for_a_report_is_dropped_when_the_window_closes_or_the_report_fails(
    qtbot: Any, demo: tuple[Settings, Database, SessionId], tmp_path: Path, then: str
) -> None:
    """Closed meanwhile, the window stays closed (not opened again in the other language); a
    failed report stays in sight, in the language it is in, and the choice is not kept."""
    window = _replay_window_on(qtbot, demo, tmp_path)
    try:
        if then == "closed by the supervisor":
            window.export_pdf(tmp_path / "closing.pdf")
            window.choose_language("zh_CN")
            with qtbot.assertNotEmitted(window.language_chosen, wait=800):
                window.close()
            assert not window.isVisible()
        else:
            (tmp_path / "not-a-folder").write_text("a file where the folder should be")
            window.export_pdf(tmp_path / "not-a-folder" / "report.pdf")
            window.choose_language("zh_CN")
            with qtbot.assertNotEmitted(window.language_chosen, wait=800):
                qtbot.waitUntil(lambda: "could not be made" in window.export_label.text(), timeout=30000)
            assert window.isVisible() and window.language_actions["en"].isChecked()
        assert window.qsettings.value("language") is None
    finally:
        window.shutdown()
