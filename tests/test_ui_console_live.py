"""A whole review in the console on the real layers: SQLite, the embedded intake service, the
applicant simulator streaming obama_weekly_address.mp4 over WebRTC, the FaceWorker matching it
against obama.jpg. Take the applicant, see "Match", answer, approve, and find the decision with
its answers and face summary in the database, and the session's recording with its timeline
(score samples with boxes, events) on the session clock; and the longest event-loop gap, printed."""

from __future__ import annotations

import gc
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer

from app.console import RecordingState
from app.decisions import Outcome
from app.face import Liveness, LivenessRecord
from storage.recordings import RecordingRecords
from storage.replay import ReplayRecords
from tests.live_console import live_console_services
from tests.ui_fakes import GOOD_ANSWERS, OBAMA_VIDEO, when_modal_shows
from ui.decision import DecisionDialog
from ui.face_check import FaceState
from ui.main_window import ConsoleWindow, UnsavedDecisionQuestion
from ui.responsiveness import EventLoopGapMeter, favour_the_qt_thread, freeze_the_start_up_heap
from ui.sign_in import SignedIn

pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.skipif(not OBAMA_VIDEO.is_file(), reason="shared data video missing"),
]

PASSWORD = "correct horse battery staple"


@pytest.fixture
def live_console(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(UnsavedDecisionQuestion, "ask", classmethod(lambda cls, parent: True))
    switch_interval = sys.getswitchinterval()
    favour_the_qt_thread()  # as the console's start-up does (ui/console_app.py)
    with live_console_services(tmp_path, monkeypatch, PASSWORD) as services:
        window = None
        try:
            reviewer_id = services.sign_in("li.na", PASSWORD)
            qsettings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
            window = ConsoleWindow(services, SignedIn(reviewer_id, "li.na"), services.settings, qsettings)
            qtbot.addWidget(window)
            freeze_the_start_up_heap()  # as the console's start-up does
            window.show()
            qtbot.waitExposed(window)
            yield window, services
        finally:
            if window is not None:
                window.close()
            sys.setswitchinterval(switch_interval)
            gc.unfreeze()


def simulated_phone_threads() -> list[int]:
    """The thread ids of the applicant simulator this process started (main.py applicant)."""
    from pathlib import Path

    threads = []
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            parent = (process / "stat").read_text().rsplit(")", 1)[1].split()[1]
            command = (process / "cmdline").read_bytes().split(b"\0")
            if parent == str(os.getpid()) and b"applicant" in command:
                threads += [int(task.name) for task in (process / "task").iterdir()]
        except OSError:  # it ended meanwhile
            continue
    return threads


def idle_or_gone(thread_id: int) -> bool:
    try:
        return os.sched_getscheduler(thread_id) == os.SCHED_IDLE
    except ProcessLookupError:  # a thread that ended since it was listed
        return True


def one_action_per_turn(actions: list[Callable[[], None]], pause_ms: int = 40) -> None:
    """Do the reviewer's actions one per event-loop turn, as a person does, not in one go."""

    def next_action() -> None:
        actions.pop(0)()
        if actions:
            QTimer.singleShot(pause_ms, next_action)

    QTimer.singleShot(0, next_action)


def test_a_whole_review_on_the_real_layers(qtbot, live_console, capsys):
    window, services = live_console

    qtbot.waitUntil(
        lambda: window.queue_panel.summary is not None and window.queue_panel.summary.waiting == 1,
        timeout=30000,
    )
    # The simulated phone, whose cores in life are not the reviewer's, takes only what the
    # console leaves: every one of its threads.
    phone = simulated_phone_threads()
    assert phone and all(idle_or_gone(tid) for tid in phone)
    # The console prepared the first call's face worker as it started (its models loading
    # before anyone waits for them); the call takes that one.
    prepared = services.prepared_face_worker._worker
    assert prepared is not None and prepared.prepared
    meter = EventLoopGapMeter(interval_ms=5)
    meter.start()
    window.activateWindow()
    with qtbot.waitSignal(window.review_started, timeout=30000):
        qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.call is not None, timeout=30000)
    assert window.call.face_match.worker is prepared
    qtbot.waitUntil(lambda: window.video.frames_shown > 30, timeout=30000)
    qtbot.waitUntil(lambda: window.face is not None and window.face.state is FaceState.MATCHED, timeout=60000)
    assert window.face_panel.state_text == "Match"
    qtbot.waitUntil(lambda: window.call_status.recording is RecordingState.RECORDING, timeout=5000)
    assert window.call_status.recording_label.text() == "● Recording"
    qtbot.waitUntil(lambda: window.video.frames_shown > 120, timeout=30000)
    bridge = window.bridge
    assert bridge is not None
    shown_fps = window.video.frames_per_second()
    frames = (
        f"video at {shown_fps:.1f} frames/s "
        f"({bridge.frames_received} received, {bridge.frames_dropped} dropped)"
    )
    one_action_per_turn(
        [
            lambda qid=qid, raw=raw: window.form.enter(qid, raw)
            for qid, raw in GOOD_ANSWERS.items()
            if qid in window.form.question_ids  # the questions drawn for this session
        ]
    )
    qtbot.waitUntil(lambda: window.form.missing_required() == [], timeout=10000)
    face = window.face
    assert face is not None
    # The real DecisionDialog.ask, modal: recorded once it shows.
    when_modal_shows(DecisionDialog, lambda dialog: dialog.record_button.click(), after_ms=300)
    with qtbot.waitSignal(window.decision_saved, timeout=30000):
        QTimer.singleShot(0, window.decision_bar.buttons[Outcome.APPROVE].click)
    meter.stop()
    limit, why = EventLoopGapMeter.freeze_limit_for_this_machine(50.0)
    with capsys.disabled():
        print(f"\nlive call on the real layers: {meter.report()}; {frames}; {why}")
    # 9.3-22.7 ms measured on a quiet 2-core machine (28 of 30 runs 16 ms or less; 22.2-72.9 ms before
    # this work; docs/responsiveness.md), with the simulator and the face worker on it too.
    assert meter.max_gap_ms < limit, meter.report()
    assert shown_fps > (20 if limit < 1000 else 10)  # 30 sent; fewer shown only when overloaded

    [decision] = services.records.decisions(window.last_decision_session)
    assert decision.outcome == "approve"
    # The form asked what storage drew for the session (carried by the intake's take-next answer).
    asked = services.records.questions_asked(window.last_decision_session)
    assert asked and window.form.question_ids == asked and set(decision.answers) <= set(asked)
    assert decision.overridden == []
    assert decision.answers["monthly_income"] == "18000.00"
    assert decision.answers["employment_status"] == "self_employed"
    assert decision.face_summary["matched"] is True
    assert decision.face_summary["best_similarity"] > 50
    assert decision.face_summary["attempts_used"] == 1
    # The call is hung up and its score samples are stored.
    session_id = window.last_decision_session
    qtbot.waitUntil(lambda: len(RecordingRecords(services.database).samples(session_id)) > 5, timeout=15000)
    assert window.applicant is None and window.queue_panel.take_button.isEnabled()
    # Once the call ended, the next call's face worker is prepared (new processes).
    qtbot.waitUntil(lambda: services.prepared_face_worker._worker is not None, timeout=15000)
    assert not prepared.prepared and services.prepared_face_worker._worker.prepared

    # The session was recorded: its leg closed at hang-up, its files where the database says.
    recordings = RecordingRecords(services.database)
    qtbot.waitUntil(
        lambda: [leg.state for leg in recordings.recordings(session_id)][:1] == ["closed"], timeout=15000
    )
    legs = recordings.recordings(session_id)
    assert len(legs) >= 1 and legs[0].segments > 3 and legs[0].duration is not None
    assert list((services.settings.recordings_dir / legs[0].directory / "leg-01").glob("seg-*"))
    # Its timeline is on the session clock (seconds since the first leg started), like the video:
    # every score inside the recorded span, with its box, before the decision was taken.
    start = legs[0].offset
    end = legs[-1].offset + (legs[-1].duration or 0.0)
    samples = recordings.samples(session_id)
    assert len(samples) > 5
    assert all(start - 0.5 <= sample.t <= end + 0.5 for sample in samples), (start, end, samples[:3])
    with_faces = [sample for sample in samples if sample.faces > 0]
    assert with_faces and all(sample.box is not None and sample.box.frame_width > 0 for sample in with_faces)
    first_leg_start = services.records.legs(session_id)[0][1]
    assert max(sample.t for sample in samples) <= (decision.decided_at - first_leg_start).total_seconds() + 2
    assert all(start - 0.5 <= event.t <= end + 0.5 for event in recordings.events(session_id))
    # One truth for the face state: the scores the console saw until the decision are the
    # timeline's first ones, and the console's liveness and flags are what they say. (The leg
    # is closed at the hang-up; the last second of scores is written just after it.)
    qtbot.waitUntil(lambda: len(recordings.samples(session_id)) >= face.observed, timeout=15000)
    samples = recordings.samples(session_id)
    seen = samples[: face.observed]
    assert len(seen) == face.observed
    on_record = LivenessRecord.of([(sample.t, sample.live) for sample in seen])
    assert (face.liveness, face.liveness_failed_earlier) == (
        on_record.verdict.value,
        on_record.failed_earlier,
    )
    assert face.flags_seen == {flag for sample in seen for flag in sample.flags}
    turns_to_failed = [t for t, verdict in on_record.turns if verdict is Liveness.FAILED]
    marked = [e.t for e in recordings.events(session_id) if e.kind == "flag.liveness_failed"]
    assert len(marked) >= len(turns_to_failed)  # each turn to failed is on the timeline
    print(f"\nface state: {face.observed} scores, liveness {face.liveness}, flags {sorted(face.flags_seen)}")
    summary = [
        item for item in ReplayRecords(services.database).browse().items if item.session_id == session_id
    ]
    assert summary and summary[0].outcome == "approve" and summary[0].legs == len(legs)
    # audit verify: the decision and the closed leg's files are covered by the audit chain.
    from storage.evidence import coverage_problems

    qtbot.waitUntil(
        lambda: coverage_problems(services.database, services.settings.recordings_dir) == [], timeout=15000
    )
