"""Fakes for the console's UI tests: services in memory and a call the test drives itself."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np

from app.applications import ApplicantCard, mask_national_id
from app.console import CallEvents, HangUp
from app.decisions import DecisionSubmission
from app.face import ChallengeKind, ChallengeState, FaceScoreView
from app.ids import ApplicationId, DecisionId, SessionId
from app.queue import TakenApplicant
from app.settings import load_settings
from tools.demo_console import DemoApplicant, DemoConsoleServices, SimulatedFaceScore
from tools.fixtures import COMPLETE_ANSWERS

REVIEWER = ("li.na", "correct horse battery staple")
SHARED = load_settings().shared_data_dir
OBAMA_PHOTO = SHARED / "faces" / "face_recognition" / "obama.jpg"
OBAMA_VIDEO = SHARED / "videos" / "obama_weekly_address.mp4"
APPLICATION_IDS = itertools.count(1)  # each applicant() is an application of its own

# Every required answer, as a reviewer would give them for a sound applicant (the applicant of
# `applicant` below): to every question, whichever of the pools' questions a session asks.
GOOD_ANSWERS: dict[str, object] = {
    **COMPLETE_ANSWERS,
    "identity_id_last4": "002X",
    "identity_date_of_birth": "1988-01-01",
    "identity_amount_applied": "20000",
}


class ServicesSide:
    """The CallEvents a FakeCall's test pushes to, as the real services pass them on
    (services.console.MediaApplicantCall): a failed challenge is counted in storage as a failed
    face attempt before its score reaches the window."""

    def __init__(self, events: CallEvents, services: DemoConsoleServices, session_id: SessionId) -> None:
        self._events = events
        self._services = services
        self._session_id = session_id

    def face_score(self, score: FaceScoreView) -> None:
        challenge = score.challenge
        if challenge is not None and challenge.state is ChallengeState.FAILED:
            self._services.record_failed_challenge(self._session_id, challenge.kind)
        self._events.face_score(score)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._events, name)


class FakeCall:
    """A call the test drives: it pushes frames, scores and connection events itself."""

    def __init__(self, events: CallEvents) -> None:
        self.events = events
        self.ended = threading.Event()
        self.audio_device = ""
        self.ended_because: HangUp | None = None
        self.challenges_asked: list[ChallengeKind] = []
        self.next_challenge = ChallengeKind.TURN_LEFT

    def end(self, why: HangUp = HangUp.REVIEWER) -> None:
        self.ended_because = why
        self.ended.set()

    def use_audio_output(self, device_id: str) -> None:
        self.audio_device = device_id

    def ask_challenge(self) -> ChallengeKind | None:
        self.challenges_asked.append(self.next_challenge)
        return self.next_challenge


class FakeConsoleServices(DemoConsoleServices):
    """The demo services, with calls the test drives (or the video simulator) and saves that can fail."""

    def __init__(self, *, simulated_video: bool = False) -> None:
        super().__init__()
        self.simulated_video = simulated_video
        self.fake_calls: list[FakeCall] = []
        self.fail_next_saves = 0
        self.refuse_saves: Exception | None = None
        self.save_attempts = 0
        self.add_reviewer(*REVIEWER)

    def start_call(self, applicant: TakenApplicant, events: CallEvents):  # type: ignore[override]
        if self.simulated_video:
            return super().start_call(applicant, events)
        call = FakeCall(ServicesSide(events, self, applicant.session_id))  # type: ignore[arg-type]
        self.fake_calls.append(call)
        return call

    def save_decision(self, submission: DecisionSubmission) -> DecisionId:
        self.save_attempts += 1
        if self.refuse_saves is not None:
            raise self.refuse_saves
        if self.fail_next_saves:
            self.fail_next_saves -= 1
            raise OSError("database is locked")
        return super().save_decision(submission)


def applicant(name: str = "Wang Fang", *, video: bool = False) -> DemoApplicant:
    card = ApplicantCard(
        application_id=ApplicationId(next(APPLICATION_IDS)),
        applicant_name=name,
        masked_national_id=mask_national_id("11010519880101002X"),
        phone="+86 139 1000 2000",
        amount=Decimal("20000.00"),
        term_months=12,
        purpose="Stock for the shop",
        applied_at=datetime.now(UTC) - timedelta(hours=2),
    )
    return DemoApplicant(
        card,
        reference_photo=OBAMA_PHOTO.read_bytes() if OBAMA_PHOTO.is_file() else b"",
        video=OBAMA_VIDEO if video else None,
    )


def grey_frame(width: int = 640, height: int = 360, level: int = 100) -> np.ndarray:
    return np.full((height, width, 3), level, dtype=np.uint8)


def score(
    frame_time: float, similarity: float | None, *, match: bool | None = None, **fields
) -> SimulatedFaceScore:
    values = dict(
        frame_time=frame_time,
        faces=1 if similarity is not None else 0,
        box=(80, 380, 280, 260) if similarity is not None else None,
        distance=None if similarity is None else 1 - similarity / 100,
        similarity=similarity,
        match=(similarity or 0) >= 50 if match is None else match,
        flags=() if similarity is not None else ("no_face",),
        live=True,
    )
    values.update(fields)
    return SimulatedFaceScore(**values)  # type: ignore[arg-type]


def type_text(widget, text: str) -> None:
    """Type text into a widget key by key, as a keyboard (or an input method) would; QTest's
    keyClicks aborts on characters outside Latin-1 (万, full-width digits)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            )


Modal = TypeVar("Modal")


def when_modal_shows(
    kind: type[Modal], act: Callable[[Modal], None], *, after_ms: int = 0, every_ms: int = 50
) -> None:
    """Act on the modal widget of `kind` once it is open (its exec() holds the test meanwhile):
    looked for every `every_ms`, from `after_ms` on."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def look() -> None:
        widget = QApplication.activeModalWidget()
        if isinstance(widget, kind):
            act(widget)
        else:
            QTimer.singleShot(every_ms, look)

    QTimer.singleShot(after_ms, look)
