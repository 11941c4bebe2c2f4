"""What supervisors replay, as values and as the replay window's Protocol: the session browser's
filter, sort and pages; everything about one session (legs, scores, events, answers, decisions,
audit); a recording played back; and ReplayServices, everything blocking the window does.

The window (ui/replay/) is written against these; services/replay.py implements them on storage
and media. Only types from app/ (and plain Python) cross, as for the console (app.console).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.applications import ApplicantCard
from app.consent import GivenConsent
from app.decisions import DecisionDraft
from app.face import FaceBoxInFrame
from app.ids import DecisionId, SessionId
from app.roles import Account


class Flag(enum.IntFlag):
    """Flags seen in a session, as stored in SessionSummary.flags."""

    MULTIPLE_FACES = 1
    LIVENESS_FAILED = 2
    DROPPED_CONNECTION = 4
    # A virtual camera, or another sign of an injected video (app.camera)
    INJECTION_SUSPECTED = 8
    # An approval that overrode rules of the approval policy (app/approval_policy.toml).
    APPROVED_WITH_OVERRIDE = 16


class SortKey(enum.Enum):
    STARTED = "started_at"
    LOWEST_SIMILARITY = "lowest_similarity"
    DURATION = "duration"
    APPLICANT = "applicant_name"
    REVIEWER = "reviewer_name"
    OUTCOME = "outcome"


@dataclass(frozen=True)
class SessionFilter:
    started_from: datetime | None = None  # inclusive
    started_to: datetime | None = None  # exclusive
    reviewer_id: int | None = None
    outcome: str | None = None  # in force (after amendments)
    reason_code: str | None = None
    lowest_similarity_below: float | None = None  # sessions whose lowest similarity is under this
    flags: Flag = Flag(0)  # noqa: RUF009 (immutable) every one of these flags was seen
    amended_only: bool = False


@dataclass(frozen=True)
class SessionListItem:
    session_id: SessionId
    applicant_name: str
    reviewer_name: str
    started_at: datetime
    duration: float | None
    state: str
    outcome: str | None
    amended: bool
    reason_codes: list[str]
    lowest_similarity: float | None
    flags: Flag
    legs: int
    has_recording: bool


@dataclass(frozen=True)
class SessionPage:
    items: list[SessionListItem]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class AnswerEntry:
    question_id: str
    value: Any
    answered_at: datetime
    t: float | None
    answered_by: str


@dataclass(frozen=True)
class DecisionEntry:
    id: int
    outcome: str
    reasons: list[str]
    note: str
    override_reason: str
    decided_by: str
    decided_at: datetime
    t: float | None
    amends_id: int | None
    face_summary: dict[str, Any]
    # The approval policy's rules this decision overrode (their ids, app/approval_policy.toml).
    overridden: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ScoreEntry:
    t: float
    leg_number: int
    faces: int
    similarity: float | None
    distance: float | None
    matched: bool
    live: bool | None
    flags: list[str]
    box: FaceBoxInFrame | None


@dataclass(frozen=True)
class EventEntry:
    t: float
    leg_number: int
    kind: str
    details: dict[str, Any]


@dataclass(frozen=True)
class ChallengeEntry:
    """One liveness challenge of a session, from its timeline events (session clock)."""

    kind: str  # app.face.ChallengeKind's value
    asked_t: float
    result: str | None  # "passed", "failed", "not_judged", or None: the call ended before it was settled
    met_t: float | None = None
    frame: int | None = None  # the call's frame number where it was met


def _same_time(value: Any, t: float) -> bool:
    return isinstance(value, int | float) and abs(float(value) - t) < 0.01


def challenges_of(events: Sequence[EventEntry]) -> list[ChallengeEntry]:
    """The challenges asked in a session, each with its outcome (events "challenge.asked", then
    "challenge.passed", "challenge.failed" or "challenge.not_judged" carrying the asked time), in
    the order asked."""
    settled = ("challenge.passed", "challenge.failed", "challenge.not_judged")
    outcomes = [e for e in events if e.kind in settled]
    challenges = []
    for asked in (e for e in events if e.kind == "challenge.asked"):
        kind = str(asked.details.get("kind", ""))
        of_kind = (e for e in outcomes if e.details.get("kind") == kind)
        outcome = next((e for e in of_kind if _same_time(e.details.get("asked_t"), asked.t)), None)
        if outcome is None:
            challenges.append(ChallengeEntry(kind, asked.t, None))
            continue
        outcomes.remove(outcome)
        met_t, frame = outcome.details.get("met_t"), outcome.details.get("frame")
        challenges.append(
            ChallengeEntry(
                kind,
                asked.t,
                outcome.kind.removeprefix("challenge."),
                None if met_t is None else float(met_t),
                None if frame is None else int(frame),
            )
        )
    return challenges


@dataclass(frozen=True)
class LegEntry:
    number: int
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    offset: float  # on the session clock
    recording_directory: str | None
    recording_state: str | None


@dataclass(frozen=True)
class SessionReplay(ApplicantCard):
    """Everything the replay window and the report show about one session: the applicant's
    card, and the session's own record."""

    session_id: SessionId
    state: str
    reference_photo: bytes
    reference_photo_format: str
    reviewer_name: str
    queued_at: datetime
    taken_at: datetime | None
    ended_at: datetime | None
    legs: list[LegEntry] = field(default_factory=list)
    scores: list[ScoreEntry] = field(default_factory=list)
    events: list[EventEntry] = field(default_factory=list)
    answers: list[AnswerEntry] = field(default_factory=list)
    decisions: list[DecisionEntry] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    # The applicant's consent to the recording and face processing (None: not recorded).
    consent: GivenConsent | None = None
    # The questions the session asked, in the order asked; empty: not drawn (every question).
    questions_asked: list[str] = field(default_factory=list)
    # The decision's four-eyes check: "awaiting", "confirmed", "sent_back"; "" when none was opened.
    four_eyes_check: str = ""

    def latest_answers(self) -> dict[str, AnswerEntry]:
        """Each question's answer as it last stood (a withdrawn answer is None)."""
        latest = {answer.question_id: answer for answer in self.answers}
        return {qid: answer for qid, answer in latest.items() if answer.value is not None}

    @property
    def original_decision(self) -> DecisionEntry | None:
        return next((d for d in self.decisions if d.amends_id is None), None)

    @property
    def decision_in_force(self) -> DecisionEntry | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def challenges(self) -> list[ChallengeEntry]:
        return challenges_of(self.events)

    @property
    def recording_directory(self) -> str | None:
        return next((leg.recording_directory for leg in self.legs if leg.recording_directory), None)


# --- a recording played back -------------------------------------------------------------------


class LegSpanView(Protocol):
    """Where one leg's video is on the session clock."""

    @property
    def leg(self) -> int: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def crashed(self) -> bool:
        """The recording stopped without being closed (the console was killed)."""
        ...


class PlaybackFrame(Protocol):
    @property
    def image(self) -> Any:
        """H x W x 3 uint8 BGR (a numpy array; app/ names no numpy)."""
        ...

    @property
    def t(self) -> float:
        """Seconds on the session clock."""
        ...

    @property
    def leg(self) -> int: ...


class RecordingPlayback(Protocol):
    """One session's recording, every leg on the session clock. Not thread-safe: one thread
    owns it (the window's decoding thread, or the report's). Reading an altered or missing part
    raises app.errors.RecordingUnreadable with a message fit for the supervisor."""

    @property
    def duration(self) -> float: ...
    @property
    def spans(self) -> Sequence[LegSpanView]: ...
    @property
    def problems(self) -> Sequence[str]:
        """Damage found on opening, in words (empty when none)."""
        ...

    def frame_at(self, t: float) -> PlaybackFrame | None:
        """The frame showing at t; None between legs."""
        ...

    def next_frame(self) -> PlaybackFrame | None: ...
    def previous_frame(self) -> PlaybackFrame | None: ...
    def audio(self, t0: float, t1: float) -> Any:
        """float32 mono samples at 48 kHz, both sides mixed (a numpy array)."""
        ...

    def close(self) -> None: ...


# --- the replay window's services ----------------------------------------------------------------


class ReplayServices(Protocol):
    """Everything blocking the replay window does. The window calls them on its workers, never
    on the Qt thread (open_recording on its decoding thread). Errors: app.errors.ReviewError
    subclasses carry a message fit for the supervisor."""

    def sign_in(self, name: str, password: str) -> Account:
        """Check the password; every later call reads and writes as this account, and storage
        enforces its role. Raises SignInRefused on a wrong name or password."""
        ...

    def key_problem(self) -> str | None:
        """Why photos and recordings encrypted at rest cannot be opened here (no key, an
        unreadable key, a key that does not open them), or None when they can."""
        ...

    def reviewers(self) -> list[tuple[int, str]]:
        """(id, name) of every reviewer, for the browser's filter; builds missing summaries first."""
        ...

    def browse(self, spec: SessionFilter, *, sort: SortKey, descending: bool, page: int) -> SessionPage: ...

    def session_replay(self, session_id: SessionId) -> SessionReplay: ...

    def amend_decision(
        self,
        session_id: SessionId,
        original: DecisionId,
        draft: DecisionDraft,
        *,
        reason: str,
        in_force_seen: DecisionId | None,
    ) -> SessionReplay:
        """A supervisor's amendment (a new decision pointing to the original), refused when the
        decision in force is no longer `in_force_seen`; the session as it is now."""
        ...

    def open_recording(self, replay: SessionReplay) -> RecordingPlayback | None:
        """The session's recording, or None when it has none on disk. Raises
        RecordingUnreadable when it cannot be opened (a wrong key, an altered manifest)."""
        ...
