"""Liveness challenges in the console window (fake services, a call the test drives): one asked as
soon as the face matches and one on the reviewer's button or shortcut, the countdown and outcome
in the face panel, and a failed challenge counted as a failed face attempt in storage, up to the
approval being blocked; the replay's markers and the report's table of challenges."""

# ruff: noqa: F811 (the console tests' fixtures, imported by name, are parameters here)

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from app.console import ConnectionState
from app.decisions import Outcome
from app.face import ChallengeKind, ChallengeState, ChallengeStatus
from app.replay import EventEntry
from tests.test_ui_console import (  # noqa: F401 (fixtures)
    connect_and_match,
    from_media_thread,
    make_window,
    services,
    take_applicant,
    window,
)
from tests.ui_fakes import applicant as applicant_named
from tests.ui_fakes import score
from ui.face_check import FaceState

pytestmark = pytest.mark.gui
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def challenge_scores(call, kind: ChallengeKind, start: float, *, outcome: ChallengeState, steps: int = 10):  # type: ignore[no-untyped-def]
    """Scores carrying a challenge asked at `start`, the last one settling it."""

    def media() -> None:
        for step in range(steps):
            t = start + step * 0.5
            state = ChallengeState.ASKED if step < steps - 1 else outcome
            status = ChallengeStatus(
                kind, state, start if state is ChallengeState.ASKED else t, asked_t=start
            )
            call.events.face_score(score(t, 84.0, challenge=status))

    from_media_thread(media)


def test_a_challenge_is_asked_at_the_match_and_its_countdown_and_pass_are_shown(
    qtbot, window, services
) -> None:  # type: ignore[no-untyped-def]
    call = take_applicant(qtbot, window, services)
    call.next_challenge = ChallengeKind.BLINK_TWICE
    connect_and_match(qtbot, window, call)
    qtbot.waitUntil(lambda: call.challenges_asked == [ChallengeKind.BLINK_TWICE])
    panel = window.face_panel
    qtbot.waitUntil(lambda: panel.challenge_label.text() == "Challenge asked: blink twice…")
    assert not panel.challenge_button.isEnabled()  # one at a time

    def running() -> None:
        status = ChallengeStatus(ChallengeKind.BLINK_TWICE, ChallengeState.ASKED, 2.0, asked_t=2.0)
        call.events.face_score(score(3.6, 84.0, challenge=status))

    from_media_thread(running)
    qtbot.waitUntil(lambda: panel.challenge_label.text() == "Challenge: blink twice (3 s left)")
    challenge_scores(call, ChallengeKind.BLINK_TWICE, 2.0, outcome=ChallengeState.PASSED, steps=5)
    qtbot.waitUntil(lambda: panel.challenge_label.text() == "Challenge passed: blink twice")
    assert window.face is not None and window.face.state is FaceState.MATCHED
    assert services.face_attempts(call_session(window)).failed == 0
    assert panel.challenge_button.isEnabled()

    # The reviewer asks another: button or shortcut, the draw is the services' (never the window's).
    call.next_challenge = ChallengeKind.OPEN_MOUTH
    window.activateWindow()
    qtbot.keyClick(
        window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(lambda: call.challenges_asked == [ChallengeKind.BLINK_TWICE, ChallengeKind.OPEN_MOUTH])
    qtbot.keyClick(
        window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert len(call.challenges_asked) == 2  # not while one runs
    assert (
        "Ctrl+Shift+C",
        "Ask the applicant a liveness challenge, drawn at random",
    ) in window.shortcut_rows()


def test_a_face_that_matched_before_the_call_reached_the_window_is_challenged_when_it_arrives(
    qtbot, window, services, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The call's scores flow (the services hand them to the window at once) while the call
    object is still on its way (start_call returns after the face worker's models loaded): the
    face matches with no call to ask a challenge of; it is asked as soon as the call arrives."""
    import threading

    release = threading.Event()
    start_call = services.start_call

    def slow_start_call(applicant, events):  # type: ignore[no-untyped-def]
        call = start_call(applicant, events)
        assert release.wait(20), "the test never let the call through"
        return call

    monkeypatch.setattr(services, "start_call", slow_start_call)
    services.add_applicant(applicant_named("Wang Fang"))
    window.poll_queue()
    qtbot.waitUntil(
        lambda: window.queue_panel.summary is not None and window.queue_panel.summary.waiting == 1
    )
    window.take_next()
    qtbot.waitUntil(lambda: len(services.fake_calls) == 1)
    call = services.fake_calls[0]
    try:

        def media() -> None:
            call.events.connection(ConnectionState.CONNECTED, 1)
            for step in range(16):
                call.events.face_score(score(step * 0.1, 84.0))

        from_media_thread(media)
        qtbot.waitUntil(lambda: window.face_panel.state_text == "Match")
        assert window.call is None and call.challenges_asked == []  # no call to ask it of yet
    finally:
        release.set()
    qtbot.waitUntil(lambda: window.call is call)
    qtbot.waitUntil(lambda: call.challenges_asked == [ChallengeKind.TURN_LEFT])
    qtbot.waitUntil(
        lambda: window.face_panel.challenge_label.text() == "Challenge asked: turn the head left…"
    )
    # Once only: the scores that carry it do not ask another.
    status = ChallengeStatus(ChallengeKind.TURN_LEFT, ChallengeState.ASKED, 1.7, asked_t=1.7)
    from_media_thread(lambda: call.events.face_score(score(1.8, 84.0, challenge=status)))
    qtbot.waitUntil(
        lambda: window.face_panel.challenge_label.text().startswith("Challenge: turn the head left")
    )
    assert call.challenges_asked == [ChallengeKind.TURN_LEFT]


def call_session(window):  # type: ignore[no-untyped-def]
    assert window.applicant is not None
    return window.applicant.session_id


def test_failed_challenges_are_failed_face_attempts_until_approval_is_blocked(
    qtbot, window, services, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    # The services count a failed challenge (tests.ui_fakes.ServicesSide, as services.console
    # does); the window stores only the attempt its first score started, never a failure.
    stored_by_window: list[bool] = []
    record_face_attempt = services.record_face_attempt

    def window_records(session_id, reviewer_id, *, failed):  # type: ignore[no-untyped-def]
        stored_by_window.append(failed)
        return record_face_attempt(session_id, reviewer_id, failed=failed)

    monkeypatch.setattr(services, "record_face_attempt", window_records)
    call = take_applicant(qtbot, window, services)
    connect_and_match(qtbot, window, call)
    qtbot.waitUntil(lambda: len(call.challenges_asked) == 1)
    session_id = call_session(window)
    start = 2.0
    for number in (1, 2, 3):
        challenge_scores(call, ChallengeKind.TURN_LEFT, start, outcome=ChallengeState.FAILED)
        qtbot.waitUntil(lambda number=number: services.face_attempts(session_id).failed == number)
        qtbot.waitUntil(
            lambda: (
                window.face_panel.challenge_label.text()
                == "Challenge failed: turn the head left (a failed face attempt)"
            )
        )
        start += 6.0
        if number < 3:
            assert window.face is not None and window.face.state is FaceState.NOT_MATCHED
            window.face_panel.challenge_button.click()  # the reviewer asks again
            qtbot.waitUntil(lambda number=number: len(call.challenges_asked) == number + 1)
    stored = services.face_attempts(session_id)
    assert (stored.used, stored.failed) == (3, 3)
    qtbot.waitUntil(lambda: window.face is not None and window.face.state is FaceState.EXHAUSTED)
    assert window.face_panel.state_text == "No match: attempts used up"
    qtbot.waitUntil(lambda: window.decision_bar.approval_blocked)
    assert not window.decision_bar.buttons[Outcome.APPROVE].isEnabled()
    assert stored_by_window == [False]
    assert (window.session.attempts.used, window.session.attempts.failed) == (3, 3)  # type: ignore[union-attr]


def test_a_challenge_not_judged_is_said_and_counts_no_attempt(qtbot, window, services) -> None:  # type: ignore[no-untyped-def]
    """Too few updates to judge it: the face panel says so, the face stays matched, no attempt
    is counted, and the reviewer can ask again."""
    call = take_applicant(qtbot, window, services)
    connect_and_match(qtbot, window, call)
    qtbot.waitUntil(lambda: len(call.challenges_asked) == 1)
    session_id = call_session(window)
    challenge_scores(call, ChallengeKind.TURN_LEFT, 2.0, outcome=ChallengeState.NOT_JUDGED)
    text = (
        "Challenge not judged: turn the head left "
        "(this workstation fell behind the video; not counted, ask again)"
    )
    qtbot.waitUntil(lambda: window.face_panel.challenge_label.text() == text)
    assert window.face is not None and window.face.state is FaceState.MATCHED
    assert window.face.challenges_failed == 0 and window.face.challenges_passed == 0
    assert services.face_attempts(session_id).failed == 0
    # Approving now needs an override.
    qtbot.waitUntil(
        lambda: [f.rule.id for f in window.approval_conditions.findings][:1] == ["challenge_not_judged"]
    )
    assert window.face_panel.challenge_button.isEnabled()
    window.face_panel.challenge_button.click()  # the reviewer asks again
    qtbot.waitUntil(lambda: len(call.challenges_asked) == 2)
    # Passed when asked again: the override is still needed (it was not judged once).
    challenge_scores(call, ChallengeKind.OPEN_MOUTH, 8.0, outcome=ChallengeState.PASSED)
    qtbot.waitUntil(lambda: window.face_panel.challenge_label.text().startswith("Challenge passed"))
    assert window.face.summary().challenge_not_judged
    assert "challenge_not_judged" in [f.rule.id for f in window.approval_conditions.findings]


def test_replay_markers_and_report_show_the_challenges(qapp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.replay import SessionReplay
    from tests.test_report_fonts import pdf_text
    from ui.replay.report import write_report
    from ui.replay.timeline import markers_of

    replay = SessionReplay(
        session_id=1, state="decided", application_id=1, applicant_name="Wang Fang",  # type: ignore[arg-type]
        masked_national_id="**************002X", phone="+86", amount=Decimal("20000.00"), term_months=12,
        purpose="shop", applied_at=datetime(2026, 11, 30, tzinfo=UTC), reference_photo=b"",
        reference_photo_format="jpeg", reviewer_name="li.na", queued_at=datetime(2026, 11, 30, tzinfo=UTC),
        taken_at=None, ended_at=None,
        events=[
            EventEntry(4.0, 1, "challenge.asked", {"kind": "turn_left"}),
            EventEntry(5.5, 1, "challenge.passed", {"kind": "turn_left", "asked_t": 4.0, "met_t": 5.5,
                                                    "frame": 160}),
            EventEntry(12.0, 1, "challenge.asked", {"kind": "open_mouth"}),
            EventEntry(17.1, 1, "challenge.failed", {"kind": "open_mouth", "asked_t": 12.0, "met_t": None}),
            EventEntry(20.0, 1, "challenge.asked", {"kind": "turn_right"}),
            EventEntry(25.2, 1, "challenge.not_judged", {"kind": "turn_right", "asked_t": 20.0,
                                                         "met_t": None}),
        ],
    )  # fmt: skip
    labels = [(m.t, m.kind, m.label) for m in markers_of(replay)]
    assert labels == [
        (4.0, "challenge", "challenge asked: turn the head left"),
        (5.5, "challenge", "challenge passed: turn the head left"),
        (12.0, "challenge", "challenge asked: open the mouth and hold it"),
        (17.1, "challenge_failed", "challenge failed: open the mouth and hold it"),
        (20.0, "challenge", "challenge asked: turn the head right"),
        (25.2, "challenge_not_judged", "challenge not judged: turn the head right"),
    ]
    pdf = tmp_path / "report.pdf"
    write_report(replay, pdf)
    words = " ".join(pdf_text(pdf).split())
    assert "Liveness challenges" in words
    assert "turn the head left passed 5.5, #160" in words, words
    assert "open the mouth and hold it failed: a failed face attempt" in words, words
    not_judged = (
        "turn the head right not judged: this workstation fell behind the video (not a failed attempt)"
    )
    assert not_judged in words, words
