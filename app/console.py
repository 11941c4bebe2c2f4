"""What the reviewer console's window needs from storage and media, as narrow Protocols.

The window (ui/) is written against these and tested with fakes (tests/ui_fakes.py,
tools/demo_console.py); services/console.py implements them on the real layers
(LiveConsoleServices: storage's Accounts, ReviewRecords, PendingDecisions and DatabaseReviewDesk;
media's ReviewerCall and FaceWorker). They live in app/ so that ui/ and services/ both see them
without importing each other.
Every method of ConsoleServices may block (database, network, password hashing): the window
only ever calls them through ui.bridge.ServiceWorker, never on the Qt thread. CallEvents is implemented by
ui.bridge.CallBridge; the media layer calls it from its own threads.

Only types from app/ (and plain Python) cross these interfaces, so storage and media can
satisfy them structurally without importing ui.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from app.camera import CameraVerdict
from app.decisions import DecisionSubmission
from app.face import ChallengeKind, FaceScoreView
from app.ids import DecisionId, ReviewerId, SessionId
from app.questionnaire import AnswerValue
from app.queue import QueueSummary, TakenApplicant
from app.review import FaceAttempts

# An H x W x 3 uint8 BGR numpy array; app/ names no numpy (ui.bridge types it precisely).
BgrFrame = Any


class ConnectionState(enum.Enum):
    """The applicant's media connection as the reviewer sees it."""

    IDLE = "idle"  # no call
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DROPPED = "dropped"  # the applicant's media stopped; a reconnect within the grace time is a new leg
    ENDED = "ended"
    # The service ended the session: the applicant did not come back within the grace time, and
    # the session was recorded as "connection failed". No other decision can be stored for it.
    FAILED = "failed"
    # The applicant pressed hang up: the service recorded the session as abandoned ("applicant
    # hung up"; they may come back within their window). No decision can be stored for it.
    APPLICANT_HUNG_UP = "applicant_hung_up"


class AudioState(enum.Enum):
    """The applicant's audio as the reviewer hears it."""

    RECEIVING = "receiving"
    SILENT = "silent"
    NONE = "none"  # no audio track, or nothing received
    NO_DEVICE = "no_device"  # received, but this workstation has no output to play it on


class RecordingState(enum.Enum):
    """The call's recording. OFF: nothing recorded yet (no leg has started)."""

    OFF = "off"
    RECORDING = "recording"
    DISK_FULL = "disk_full"  # the recorder stopped writing; the call goes on, what was written is kept
    WRITE_FAILED = "write_failed"


class CallEvents(Protocol):
    """What the media layer reports about one live call. Callable from any thread."""

    def frame(self, image: BgrFrame, frame_time: float) -> None:
        """The newest decoded frame, H x W x 3 uint8 BGR. The callee copies what it keeps."""
        ...

    def face_score(self, score: FaceScoreView) -> None: ...

    def connection(self, state: ConnectionState, leg: int) -> None: ...

    def audio(self, state: AudioState) -> None: ...

    def recording(self, state: RecordingState, message: str) -> None:
        """The call's recording, when it changes: RECORDING, or a warning (DISK_FULL,
        WRITE_FAILED: `message` is the recorder's own, untranslated)."""
        ...

    def queue(self, summary: QueueSummary) -> None: ...

    def camera(self, verdict: CameraVerdict) -> None:
        """The applicant's camera as their page reported it, with every finding of this call
        so far (a virtual camera, settings no phone has, a change mid-call); the same findings
        go onto the session's timeline."""
        ...


class HangUp(enum.StrEnum):
    """Why the console hangs up; a session not decided ends abandoned with this reason."""

    REVIEWER = "hang_up"  # stored as "hung_up"
    CONSOLE_CLOSED = "console_closed"  # the reviewer closed the console window mid-call


class ApplicantCall(Protocol):
    """A handle on the call with one applicant, returned by ConsoleServices.start_call."""

    def end(self, why: HangUp = HangUp.REVIEWER) -> None:
        """Hang up (idempotent). May block briefly: the window calls it on the worker.
        When it returns, the call makes no more calls to its CallEvents (the bridge is freed)."""
        ...

    def use_audio_output(self, device_id: str) -> None:
        """Play the applicant's audio on this output (a QAudioDevice id, as text; "" = default)."""
        ...

    def ask_challenge(self) -> ChallengeKind | None:
        """Issue liveness challenges drawn at random (two different ones in a row,
        app.face.draw_challenge_pair: the window never chooses them), returning the first kind:
        the applicant's page shows each with its time limit, the face worker verifies it, and
        the scores from then on carry the running one's status (FaceScoreView.challenge): the
        first one's pass arrives as the second one asked, the second one's outcome ends it (a
        failed first one ends it too). None when it cannot be asked (no face matching in this
        call). May block briefly."""
        ...


class RefusedDecisionView(Protocol):
    """A decision kept on this workstation that the database refused for good (the session was
    decided or closed meanwhile) or that cannot be read: it will never be stored as it is."""

    @property
    def path(self) -> Path:
        """Where it is kept (never deleted)."""
        ...

    @property
    def session_id(self) -> SessionId | None:
        """None when the file cannot be read."""
        ...

    @property
    def outcome(self) -> str | None: ...

    @property
    def decided_at(self) -> datetime | None: ...

    @property
    def reason(self) -> str:
        """Why it was refused, in the database's words (untranslated)."""
        ...


class ConsoleServices(Protocol):
    """Everything blocking the console does. Errors: app.errors.ReviewError subclasses carry a
    message fit for the reviewer; any other exception is shown as a technical failure."""

    def sign_in(self, name: str, password: str) -> ReviewerId:
        """Sign in to the intake service (argon2 there, counted toward its lock-out; on the
        database when the intake cannot be reached). Raises ReviewError when refused."""
        ...

    def sign_out(self, reviewer_id: ReviewerId) -> None:
        """Forget the reviewer's credential: nothing more is done in their name from here."""
        ...

    def queue_summary(self) -> QueueSummary: ...

    def take_next(self, reviewer_id: ReviewerId) -> TakenApplicant | None:
        """Claim the longest-waiting applicant for this reviewer (None: nobody waits)."""
        ...

    def start_call(self, applicant: TakenApplicant, events: CallEvents) -> ApplicantCall:
        """Connect the media of a taken applicant; report to events until the call ends."""
        ...

    def save_answer(
        self, session_id: SessionId, reviewer_id: ReviewerId, question_id: str, value: AnswerValue
    ) -> None: ...

    def save_decision(self, submission: DecisionSubmission) -> DecisionId:
        """Store the decision with the answers and the face summary (draft.face) in one
        transaction; return only after the commit. The window acknowledges it after that."""
        ...

    def face_attempts(self, session_id: SessionId) -> FaceAttempts:
        """The face-recognition attempts of this session's application over all its sessions,
        as storage counts them (the bank's limit is per application)."""
        ...

    def record_face_attempt(
        self, session_id: SessionId, reviewer_id: ReviewerId, *, failed: bool
    ) -> FaceAttempts:
        """Count an attempt started (failed=False) or failed in this session; the application's
        count after it. Raises ReviewError when the application has no attempt left to start."""
        ...

    def refused_decisions(self) -> Sequence[RefusedDecisionView]:
        """Decisions this workstation kept that the database refused for good: shown with what to
        do. Must not wait on the database."""
        ...

    def abandoned_at_sign_in(self) -> int:
        """How many of the signed-in reviewer's sessions a console that stopped mid-call (killed,
        crashed) left unfinished, marked abandoned at sign-in (their recordings are kept)."""
        ...

    def pending_decisions(self) -> int:
        """Decisions kept on this workstation until the database takes them (stored by a
        background retry): 0 normally. Must not wait on the database."""
        ...
