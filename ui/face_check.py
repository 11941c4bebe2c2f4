"""The face check of one review as the panel shows it: sustained match, attempts, history.

Plain Python (no Qt), fed FaceScoreView samples on the Qt thread. The bank's rule (a match
counts when sustained; an attempt without one fails after a set time; attempts are limited)
is app.face_policy.FaceVerification's, counted on app.review.ReviewSession; this adds what the
panel shows: the 30-second history, the best figure, flags seen and liveness.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from app.camera import CameraVerdict
from app.decisions import FaceSummary
from app.errors import InvalidTransition
from app.face import ChallengeKind, ChallengeState, ChallengeStatus, FaceScoreView, LivenessRecord
from app.face_policy import AttemptStatus, FaceVerification
from app.review import ReviewSession, SessionState

HISTORY_SECONDS = 30.0


class FaceState(enum.Enum):
    WAITING = "waiting"  # no score yet
    CHECKING = "checking"  # an attempt runs, no sustained match yet
    MATCHED = "matched"  # sustained match seen in this review
    NOT_MATCHED = "not_matched"  # the attempt ran out without a match
    EXHAUSTED = "exhausted"  # every attempt failed


@dataclass(frozen=True)
class HistoryPoint:
    time: float
    similarity: float | None
    match: bool


class FaceCheck:
    def __init__(
        self,
        session: ReviewSession,
        *,
        sustain_seconds: float,
        attempt_seconds: float,
        challenge_seconds: float = 5.0,
    ) -> None:
        self.session = session
        self.sustain_seconds = sustain_seconds
        self.attempt_seconds = attempt_seconds
        self.state = FaceState.WAITING
        self.history: deque[HistoryPoint] = deque()
        self.last: FaceScoreView | None = None
        self.best_similarity: float | None = None
        self.flags_seen: set[str] = set()
        # The same fold as the recording's timeline (services.recording.ScoreTimeline).
        self.liveness_record = LivenessRecord()
        self.observed = 0  # scores seen: the recording's timeline stores the same ones, in order
        # The applicant's camera as reported, and what it raised (flags_seen holds those too).
        self.camera: CameraVerdict | None = None
        self.verification = FaceVerification(
            counter=session, sustain_seconds=sustain_seconds, attempt_seconds=attempt_seconds
        )
        self.challenge_seconds = challenge_seconds
        # The challenge the console asked and the scores do not carry yet (the worker asks it on
        # the next frame it scores), then its status as the scores give it (asked, passed, failed).
        self.challenge_pending = False
        self.challenge_asked: ChallengeKind | None = None  # once the draw is known
        self.challenge: ChallengeStatus | None = None
        self.challenge_now = 0.0  # the newest score's time, for the countdown
        self.challenges_failed = 0
        self.challenges_not_judged = 0
        self.challenges_passed = 0
        # The attempts (started, failed) that failed challenges added to the session's count: the
        # services store those themselves (services.console), the window does not.
        self.attempts_by_challenges = (0, 0)

    @property
    def matched(self) -> bool:
        return self.state is FaceState.MATCHED

    @property
    def attempts_used(self) -> int:
        return self.session.attempts.used

    @property
    def attempts_limit(self) -> int:
        return self.session.attempts.limit

    @property
    def liveness(self) -> str:
        """passed | failed | unknown: the latest verdict, as the recording's timeline reads it."""
        return self.liveness_record.verdict.value

    @property
    def liveness_failed_earlier(self) -> bool:
        return self.liveness_record.failed_earlier

    @property
    def challenge_not_judged(self) -> bool:
        """A challenge of this call could not be judged (the worker fell behind): approving needs
        an override however the later ones went (app/approval_policy.toml)."""
        return self.challenges_not_judged > 0

    @property
    def can_retry(self) -> bool:
        return self.state is FaceState.NOT_MATCHED and self.attempts_used < self.attempts_limit

    @property
    def challenge_running(self) -> bool:
        return self.challenge_pending or (
            self.challenge is not None and self.challenge.state is ChallengeState.ASKED
        )

    @property
    def challenge_seconds_left(self) -> float | None:
        """Of the running challenge's time limit (None: none runs, or not asked yet)."""
        if self.challenge is None or self.challenge.state is not ChallengeState.ASKED:
            return None
        return max(0.0, self.challenge_seconds - (self.challenge_now - self.challenge.t))

    def challenge_requested(self, kind: ChallengeKind | None = None) -> None:
        """The console asks a challenge (drawn by the services: `kind` once known); it runs once
        the scores carry it."""
        self.challenge_pending = True
        self.challenge_asked = kind

    def challenge_not_asked(self) -> None:
        self.challenge_pending = False
        self.challenge_asked = None

    def observe(self, score: FaceScoreView) -> None:
        now = score.frame_time
        self.last = score
        self.history.append(HistoryPoint(now, score.similarity, score.match))
        while self.history and self.history[0].time < now - HISTORY_SECONDS:
            self.history.popleft()
        if score.similarity is not None:
            self.best_similarity = max(self.best_similarity or 0.0, score.similarity)
        self.flags_seen.update(score.flags)
        self.observed += 1
        self.liveness_record.observe(now, score.live)

        if self.state is FaceState.WAITING:
            self._start_attempt(now)
        if self.state is FaceState.CHECKING:
            status = self.verification.observe(score)
            if status is AttemptStatus.VERIFIED:
                self.state = FaceState.MATCHED
            elif status is AttemptStatus.FAILED:
                self.state = FaceState.EXHAUSTED if self.verification.proposal else FaceState.NOT_MATCHED
        if score.challenge is not None:
            self._challenge_seen(score.challenge, now)

    def _challenge_seen(self, status: ChallengeStatus, now: float) -> None:
        self.challenge_pending = False
        self.challenge_asked = None
        self.challenge = status
        self.challenge_now = now
        if status.state is ChallengeState.NOT_JUDGED:
            self.challenges_not_judged += 1
        if status.state is ChallengeState.PASSED:
            self.challenges_passed += 1
        elif status.state is ChallengeState.FAILED:
            self.challenges_failed += 1
            attempts = self.session.attempts
            used, failed = attempts.used, attempts.failed
            try:
                self._challenge_failed(now)
            finally:
                self.attempts_by_challenges = (
                    self.attempts_by_challenges[0] + attempts.used - used,
                    self.attempts_by_challenges[1] + attempts.failed - failed,
                )

    def _challenge_failed(self, now: float) -> None:
        """A failed challenge fails an attempt (app.face_policy), as storage counts it."""
        try:
            proposal = self.verification.challenge_failed(now)
        except InvalidTransition:  # no attempt left to fail, or the review is over
            if self.attempts_used >= self.attempts_limit:
                self.state = FaceState.EXHAUSTED
            return
        self.state = FaceState.EXHAUSTED if proposal else FaceState.NOT_MATCHED

    def observe_camera(self, verdict: CameraVerdict) -> None:
        """The applicant's camera (services checked it against the bank's camera rules): its
        flags count as seen in this review, as the session's timeline keeps them."""
        self.camera = verdict
        self.flags_seen.update(verdict.flags)

    def retry(self, now: float) -> None:
        """The reviewer asks for another attempt (after the applicant adjusted light or position)."""
        if not self.can_retry:
            raise InvalidTransition("No face attempt is left to start.")
        self._start_attempt(now)

    def attempts_used_up(self) -> None:
        """Storage counts no attempt left for this application (used in earlier sessions, or
        refused just now): no attempt starts here, unless one already runs or matched."""
        if self.state in (FaceState.WAITING, FaceState.NOT_MATCHED):
            self.state = FaceState.EXHAUSTED

    def _start_attempt(self, now: float) -> None:
        if self.session.state is SessionState.WAITING:
            self.session.connect()  # a score can only come from a connected call
        self.verification.start(now)
        self.state = FaceState.CHECKING

    def summary(self) -> FaceSummary:
        last = self.last.similarity if self.last is not None else None
        return FaceSummary(
            best_similarity=self.best_similarity,
            last_similarity=last,
            matched=self.matched,
            liveness=self.liveness,
            attempts_used=self.attempts_used,
            flags_seen=tuple(sorted(self.flags_seen)),
            liveness_failed_earlier=self.liveness_failed_earlier,
            challenge_not_judged=self.challenge_not_judged,
        )
