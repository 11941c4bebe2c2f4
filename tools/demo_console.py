"""The console's demos: in-memory stand-ins for storage and media (`console --in-memory`,
screenshots, UI tests), and the demo applicant queued on the real layers (`--demo`).

DemoConsoleServices keeps reviewers, the queue, answers and decisions in memory;
SimulatedCall plays a video file at its own frame rate on a thread of its own (as the WebRTC
thread would) and reports simulated face scores with an OpenCV box. Neither is a real
implementation: services/console.py is. cv2 is imported on the call's thread, not at import.
`queue_demo_applicant` registers Barack Obama's application and starts the applicant simulator.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.applications import ApplicantCard, mask_national_id
from app.console import AudioState, CallEvents, ConnectionState, HangUp, RefusedDecisionView
from app.decisions import DecisionSubmission
from app.errors import ReviewError
from app.face import ChallengeKind, ChallengeState, ChallengeStatus, draw_challenge
from app.ids import ApplicationId, DecisionId, ReviewerId, SessionId
from app.questionnaire import AnswerValue, Questionnaire, load_questionnaire
from app.queue import QueueSummary, TakenApplicant
from app.review import FaceAttempts
from app.roles import SignInFailed
from app.settings import Settings

if TYPE_CHECKING:
    from storage.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulatedFaceScore:
    """Has the fields of app.face.FaceScore that the console shows (app.face.FaceScoreView)."""

    frame_time: float
    faces: int
    box: tuple[int, int, int, int] | None
    distance: float | None
    similarity: float | None
    match: bool
    flags: tuple[str, ...] = ()
    live: bool | None = None
    challenge: ChallengeStatus | None = None


@dataclass
class DemoApplicant:
    """An applicant of the in-memory demo: their card, ID photo and video (None: no video)."""

    card: ApplicantCard
    reference_photo: bytes
    video: Path | None
    joined_at: float = field(default_factory=time.monotonic)


def _demo_hasher() -> Any:
    """argon2id at a light cost: the in-memory demo's passwords live only in this process."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class DemoConsoleServices:
    """ConsoleServices in memory. Thread-safe: the console calls it from its worker threads."""

    def __init__(
        self,
        *,
        similarity_plan: Sequence[tuple[float, float]] | None = None,
        questionnaire: Questionnaire | None = None,
    ) -> None:
        """questionnaire: each session's questions are drawn from it, as the real desk does;
        None: every session asks every question."""
        self.questionnaire = questionnaire
        self._lock = threading.Lock()
        self._accounts: dict[str, tuple[ReviewerId, str]] = {}
        self._waiting: deque[tuple[SessionId, DemoApplicant]] = deque()
        self._next_session = 1
        self.taken: dict[SessionId, DemoApplicant] = {}
        self.answers: dict[SessionId, dict[str, AnswerValue]] = {}
        self.decisions: list[DecisionSubmission] = []  # the n-th has the decision id n
        self.calls: list[SimulatedCall] = []
        self.similarity_plan = similarity_plan
        # The simulated liveness verdict of the next calls (False: "possibly a photo"), after 2.5 s.
        self.liveness = True
        self.signed_out: list[ReviewerId] = []
        self.abandoned = 0  # sessions a previous run left unfinished (none in memory)
        self.waiting_decisions = 0  # decisions waiting for a database (none in memory)
        self.refused: list[RefusedDecisionView] = []  # refused for good (none in memory)
        self.face_attempts_limit = 3
        # Face attempts per application (one DemoApplicant, added again for a later session):
        # (used, failed), kept across its sessions as storage does.
        self.attempts: dict[int, tuple[int, int]] = {}

    # --- set-up ---

    def add_reviewer(self, name: str, password: str) -> ReviewerId:
        reviewer_id = ReviewerId(len(self._accounts) + 1)
        self._accounts[name] = (reviewer_id, _demo_hasher().hash(password))
        return reviewer_id

    def add_applicant(self, applicant: DemoApplicant) -> SessionId:
        with self._lock:
            session_id = SessionId(self._next_session)
            self._next_session += 1
            self._waiting.append((session_id, applicant))
            return session_id

    # --- ConsoleServices ---

    def sign_in(self, name: str, password: str) -> ReviewerId:
        from argon2.exceptions import VerificationError

        account = self._accounts.get(name)
        if account is None:
            raise SignInFailed("Unknown reviewer or wrong password.")
        try:
            _demo_hasher().verify(account[1], password)
        except VerificationError:
            raise SignInFailed("Unknown reviewer or wrong password.") from None
        return account[0]

    def sign_out(self, reviewer_id: ReviewerId) -> None:
        self.signed_out.append(reviewer_id)

    def queue_summary(self) -> QueueSummary:
        with self._lock:
            now = time.monotonic()
            longest = max((now - a.joined_at for _s, a in self._waiting), default=0.0)
            return QueueSummary(waiting=len(self._waiting), longest_wait_seconds=longest)

    def take_next(self, reviewer_id: ReviewerId) -> TakenApplicant | None:
        with self._lock:
            if not self._waiting:
                return None
            session_id, applicant = self._waiting.popleft()
            self.taken[session_id] = applicant
        return TakenApplicant(
            **applicant.card.card_fields(),
            session_id=session_id,
            reference_photo=applicant.reference_photo,
            waited_seconds=time.monotonic() - applicant.joined_at,
            questions=self.questionnaire.draw() if self.questionnaire is not None else (),
        )

    def start_call(self, applicant: TakenApplicant, events: CallEvents) -> SimulatedCall:
        video = self.taken[applicant.session_id].video
        call = SimulatedCall(video, events, similarity_plan=self.similarity_plan, liveness=self.liveness)
        self.calls.append(call)
        call.start()
        return call

    def save_answer(
        self, session_id: SessionId, reviewer_id: ReviewerId, question_id: str, value: AnswerValue
    ) -> None:
        with self._lock:
            self.answers.setdefault(session_id, {})[question_id] = value

    def save_decision(self, submission: DecisionSubmission) -> DecisionId:
        with self._lock:
            if any(d.session_id == submission.session_id for d in self.decisions):
                raise ReviewError("This review already has a decision.")
            self.answers[submission.session_id] = dict(submission.answers or {})
            self.decisions.append(submission)
            return DecisionId(len(self.decisions))

    def _application(self, session_id: SessionId) -> int:
        return id(self.taken[session_id])

    def face_attempts(self, session_id: SessionId) -> FaceAttempts:
        with self._lock:
            used, failed = self.attempts.get(self._application(session_id), (0, 0))
            return FaceAttempts(limit=self.face_attempts_limit, used=used, failed=failed)

    def record_face_attempt(
        self, session_id: SessionId, reviewer_id: ReviewerId, *, failed: bool
    ) -> FaceAttempts:
        with self._lock:
            key = self._application(session_id)
            attempts = FaceAttempts(self.face_attempts_limit, *self.attempts.get(key, (0, 0)))
            if failed:
                attempts.fail()
            else:
                attempts.start()
            self.attempts[key] = (attempts.used, attempts.failed)
            return attempts

    def record_failed_challenge(self, session_id: SessionId, kind: ChallengeKind) -> FaceAttempts:
        """As storage counts a failed challenge (storage.reviews.record_failed_challenge): the open
        attempt fails, or one more is started and failed while one is left."""
        with self._lock:
            key = self._application(session_id)
            attempts = FaceAttempts(self.face_attempts_limit, *self.attempts.get(key, (0, 0)))
            if attempts.failed >= attempts.used and attempts.used < attempts.limit:
                attempts.start()
            if attempts.failed < attempts.used:
                attempts.fail()
            self.attempts[key] = (attempts.used, attempts.failed)
            return attempts

    def refused_decisions(self) -> list[RefusedDecisionView]:
        return list(self.refused)

    def abandoned_at_sign_in(self) -> int:
        return self.abandoned

    def pending_decisions(self) -> int:
        return self.waiting_decisions

    def close(self) -> None:
        for call in self.calls:
            call.end()


# Similarity over call time: low while the face settles, then a steady match (simulated!).
DEFAULT_SIMILARITY_PLAN: tuple[tuple[float, float], ...] = (
    (0.0, 38.0),
    (1.5, 55.0),
    (3.0, 78.0),
    (30.0, 82.0),
)
MATCH_AT = 70.0


def _planned_similarity(plan: Sequence[tuple[float, float]], t: float) -> float:
    if t <= plan[0][0]:
        return plan[0][1]
    for (t0, v0), (t1, v1) in pairwise(plan):
        if t0 <= t <= t1:
            return v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return plan[-1][1]


class SimulatedCall:
    """Plays a video as the applicant's camera: frames at the file's rate, scores at 5 a second."""

    def __init__(
        self,
        video: Path | None,
        events: CallEvents,
        *,
        width: int = 640,
        similarity_plan: Sequence[tuple[float, float]] | None = None,
        score_interval: float = 0.2,
        liveness: bool = True,
    ) -> None:
        self.video = video
        self.events = events
        self.width = width
        self.plan = tuple(similarity_plan or DEFAULT_SIMILARITY_PLAN)
        self.score_interval = score_interval
        self.liveness = liveness
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="simulated-call", daemon=True)
        self._scorer = threading.Thread(target=self._score_loop, name="simulated-face", daemon=True)
        self._newest: tuple[Any, float] | None = None
        self._newest_lock = threading.Lock()
        self.audio_device = ""
        self.frames_sent = 0
        # A liveness challenge asked: [kind, asked at (None: at the next score)]; the simulated
        # applicant does what is asked after this many seconds.
        self._challenge: list[Any] | None = None
        self._last_challenge: ChallengeStatus | None = None
        self.challenge_answer_seconds = 2.5

    def start(self) -> None:
        self._thread.start()

    def ask_challenge(self) -> ChallengeKind | None:
        """Drawn as the real call draws it; the simulated applicant does it in time."""
        kind = draw_challenge(after=self._last_challenge)
        with self._newest_lock:
            self._challenge = [kind, None]
        return kind

    def _challenge_status(self, t: float) -> ChallengeStatus | None:
        with self._newest_lock:
            challenge = self._challenge
            if challenge is None:
                return None
            kind, asked = challenge
            if asked is None:
                challenge[1] = asked = t
            if t - asked < self.challenge_answer_seconds:
                return ChallengeStatus(kind, ChallengeState.ASKED, asked, asked_t=asked)
            self._challenge = None
            self._last_challenge = ChallengeStatus(kind, ChallengeState.PASSED, t, asked_t=asked)
            return self._last_challenge

    def end(self, why: HangUp = HangUp.REVIEWER) -> None:
        self._stop.set()
        for thread in (self._thread, self._scorer):
            if thread.is_alive() and threading.current_thread() is not thread:
                thread.join(timeout=5)

    def use_audio_output(self, device_id: str) -> None:
        self.audio_device = device_id

    def _run(self) -> None:
        try:
            self._play()
        except Exception:
            log.exception("simulated call failed")
            self.events.connection(ConnectionState.ENDED, 1)

    def _play(self) -> None:
        import cv2
        import numpy as np

        self.events.connection(ConnectionState.CONNECTING, 0)
        capture = cv2.VideoCapture(str(self.video)) if self.video is not None else None
        fps = (capture.get(cv2.CAP_PROP_FPS) if capture is not None else 0) or 30.0
        self.events.connection(ConnectionState.CONNECTED, 1)
        self.events.audio(AudioState.NONE)
        self._scorer.start()
        start = time.monotonic()
        index = 0
        while not self._stop.is_set():
            if capture is not None:
                ok, frame = capture.read()
                if not ok:  # loop the file, as a patient applicant would keep looking at the camera
                    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    continue
                height = int(frame.shape[0] * self.width / frame.shape[1])
                frame = cv2.resize(frame, (self.width, height), interpolation=cv2.INTER_AREA)
            else:
                frame = np.full((360, self.width, 3), 90, dtype=np.uint8)
            frame_time = index / fps
            with self._newest_lock:
                self._newest = (frame, frame_time)
            self.events.frame(np.asarray(frame, dtype=np.uint8), frame_time)
            self.frames_sent += 1
            index += 1
            delay = start + index / fps - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
        if capture is not None:
            capture.release()
        self._stop.wait(0)
        self.events.connection(ConnectionState.ENDED, 1)

    def _score_loop(self) -> None:
        import cv2

        cascade = cv2.CascadeClassifier(
            cv2.data.haarcascades + "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        )
        while not self._stop.wait(self.score_interval):
            with self._newest_lock:
                newest = self._newest
            if newest is None:
                continue
            frame, frame_time = newest
            grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            found = cascade.detectMultiScale(grey, 1.2, 6, minSize=(frame.shape[0] // 6, frame.shape[0] // 6))
            if len(found) == 0:
                score = SimulatedFaceScore(frame_time, 0, None, None, None, False, ("no_face",), None)
            else:
                x, y, w, h = max(found, key=lambda r: int(r[2]) * int(r[3]))
                similarity = _planned_similarity(self.plan, frame_time) + 1.5 * math.sin(frame_time * 3)
                distance = round(1.0 - similarity / 100.0, 3)
                score = SimulatedFaceScore(
                    frame_time=frame_time,
                    faces=1,
                    box=(int(y), int(x + w), int(y + h), int(x)),
                    distance=distance,
                    similarity=similarity,
                    match=similarity >= MATCH_AT,
                    flags=(),
                    live=self.liveness if frame_time > 2.5 else None,
                )
            self.events.face_score(replace(score, challenge=self._challenge_status(frame_time)))


def demo_applicant(
    shared_data_dir: Path, *, waited: timedelta = timedelta(hours=3, minutes=12)
) -> DemoApplicant:
    """Barack Obama's weekly address as the applicant, obama.jpg as the ID photo (see PROVENANCE.md)."""
    photo = shared_data_dir / "faces" / "face_recognition" / "obama.jpg"
    video = shared_data_dir / "videos" / "obama_weekly_address.mp4"
    card = ApplicantCard(
        application_id=ApplicationId(1),
        applicant_name="Barack Obama",
        masked_national_id=mask_national_id("110105196108041234"),
        phone="+86 138 0013 8000",
        amount=Decimal("30000.00"),
        term_months=12,
        purpose="Shop renovation",
        applied_at=datetime.now(UTC) - waited,
    )
    return DemoApplicant(
        card,
        reference_photo=photo.read_bytes() if photo.is_file() else b"",
        video=video if video.is_file() else None,
    )


# --- the demo on the real layers -------------------------------------------------------------------

DEMO_REVIEWER = ("demo", "demo-password")


def queue_demo_applicant(database: Database, settings: Settings, intake_url: str) -> subprocess.Popen[bytes]:
    """Register Barack Obama's application with obama.jpg and start the simulator streaming
    obama_weekly_address.mp4: it joins the queue and waits to be taken."""
    from app.applications import make_application_form
    from services.applications import register_application
    from tools.processes import MAIN

    photo = settings.shared_data_dir / "faces" / "face_recognition" / "obama.jpg"
    video = settings.shared_data_dir / "videos" / "obama_weekly_address.mp4"
    form = make_application_form(
        name="Barack Obama",
        national_id="110105196108041234",
        phone="+86 138 0013 8000",
        amount="30000",
        term_months=12,
        purpose="Shop renovation",
        applied_at=datetime.now(UTC) - timedelta(hours=3, minutes=12),
    )
    registered = register_application(database, settings, form, photo)
    command = [sys.executable, str(MAIN), *simulator_arguments(intake_url, registered.token, video)]
    simulator = subprocess.Popen(command, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    with contextlib.suppress(OSError):
        # It stands in for the applicant's phone, whose cores are not the reviewer's: it takes
        # only what the console and its face worker leave (SCHED_IDLE: any of theirs woken
        # takes its core at once; at nice 10 it still held one 5-8 ms inside the window's
        # longest waits), instead of competing with the console's window for the cores. Set
        # as it starts, before its first thread (which inherits it); nice 10 where there is no
        # SCHED_IDLE.
        if hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(simulator.pid, os.SCHED_IDLE, os.sched_param(0))
        else:
            os.setpriority(os.PRIO_PROCESS, simulator.pid, 10)
    return simulator


def simulator_arguments(intake_url: str, token: str, video: Path) -> list[str]:
    """main.py's arguments for the applicant simulator. The token as --token=T: one in 64
    random tokens begins with "-", and "--token -x..." read it as an option (the demo's
    applicant then never joined the queue)."""
    return ["applicant", "--url", intake_url, f"--token={token}", "--video", str(video), "--loop"]


@contextlib.contextmanager
def demo_applicant_waiting(database: Database, settings: Settings, intake_url: str) -> Iterator[None]:
    """queue_demo_applicant, and its simulator process stopped after."""
    simulator = queue_demo_applicant(database, settings, intake_url)
    try:
        yield
    finally:
        simulator.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            simulator.wait(timeout=5)


def demo_settings(settings: Settings) -> Settings:
    """The demo runs at any hour on a free port: review hours all day, like the call benchmark."""
    from datetime import time as clock_time

    from tools.processes import free_port

    return settings.replace(
        review_opens=clock_time(0, 0), review_closes=clock_time(0, 0), intake_port=free_port()
    )


def build_demo_services(settings: Settings, *, with_applicant: bool) -> DemoConsoleServices:
    """In-memory stand-ins for storage and media, with the demo reviewer."""
    services = DemoConsoleServices(questionnaire=load_questionnaire(settings.questionnaire_file))
    services.add_reviewer(*DEMO_REVIEWER)
    if with_applicant:
        services.add_applicant(demo_applicant(settings.shared_data_dir))
    return services


def run_in_memory_console(settings: Settings, *, demo: bool) -> int:
    """`console --in-memory`: the window on the in-memory stand-ins, for UI work (with `demo`,
    the demo reviewer signs in by itself)."""
    from ui.console_app import run_console_app

    log.warning("in-memory console: no database, no network, simulated face scores")
    services = build_demo_services(settings, with_applicant=True)
    try:
        return run_console_app(settings, services, demo_credentials=DEMO_REVIEWER if demo else None)
    finally:
        services.close()
