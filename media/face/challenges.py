"""Active liveness: challenges the applicant must answer (turn left or right, blink twice, open
the mouth and hold it), verified from the 68 landmarks within a time limit.

A replayed video of the applicant blinks and moves on its own; it does not do what it is asked
at the moment it is asked. So each challenge needs the action to *begin after the prompt*: the
face must be seen at rest (not doing it) after the challenge was asked, and then doing it (a
turn on 2 of 3 updates in a row, the open mouth for half a second), before ``seconds`` run out.
Two blinks must both start after the prompt, each be short (closed at most ``blink_seconds``),
and the second begin within ``double_blink_seconds`` of the first one's end: a deliberate double
blink. Natural blinking comes in such pairs too (Obama's replay passes a third of the prompts
under the first rule, a fifth under this one: docs/liveness-challenges.md), so the console never
asks "blink twice" on its own (app.face.draw_challenge): only right after a head turn or an open
mouth that passed. The console asks two different challenges in a row (app.face.
draw_challenge_pair), each through this tracker, the second once the first passed: a replay
that keeps doing one action passes one challenge whenever it is that one, two rarely.

A challenge whose time runs out with too few updates to judge it is "not judged" rather than
failed when the face worker was kept from scoring by the machine: fewer than
``min_updates_per_second`` scored within the time limit on average (``blink_min_updates_per_
second`` for "blink twice") while the worker spent at least ``not_judged_core_wait_share`` of
the time limit waiting for a core (the live worker measures it for each frame it scores: the
run-queue delay Linux keeps, else its wall time less its CPU time). Not the applicant's failure,
so not a failed face attempt; the reviewer may ask again. Frames that do not come (a camera
stopped, a stream sent slowly or in bursts) and frames dear to score (a face that jumps about)
keep no one waiting for a core: such a challenge fails as before. Where the wait is not known
(a file scored frame by frame) it counts as none.

Signals (media/face/liveness.py): yaw is the nose's sideways offset from the eye midpoint in
eye distances (positive = the person's own left in a camera image that is not mirrored, as
browsers send it); the mouth aspect ratio is the inner-lip opening over the mouth width.
Measured on the shared videos: a talking head turns to |yaw| 0.24 at most (Obama), a singer
turning away reaches 0.41-0.43 (Hamilton); talking opens the mouth to 0.35 at most.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.face import ChallengeKind, ChallengeResult, ChallengeState, ChallengeStatus
from app.settings import Settings
from media.face.liveness import LandmarkSignals

_DEFAULTS = Settings()


@dataclass(frozen=True)
class ChallengeLimits:
    """The challenge settings (``face_challenge_*`` in app/settings.py, where their defaults live)."""

    seconds: float = _DEFAULTS.face_challenge_seconds
    turn_yaw: float = _DEFAULTS.face_challenge_turn_yaw
    mouth_open: float = _DEFAULTS.face_challenge_mouth_open
    mouth_hold_seconds: float = _DEFAULTS.face_challenge_mouth_hold_seconds
    double_blink_seconds: float = _DEFAULTS.face_challenge_double_blink_seconds
    blink_seconds: float = _DEFAULTS.face_challenge_blink_seconds
    min_updates_per_second: float = _DEFAULTS.face_challenge_min_updates_per_second
    blink_min_updates_per_second: float = _DEFAULTS.face_challenge_blink_min_updates_per_second
    not_judged_core_wait_share: float = _DEFAULTS.face_challenge_not_judged_core_wait_share

    @classmethod
    def from_settings(cls, settings: Settings) -> ChallengeLimits:
        for name in (
            "face_challenge_min_updates_per_second",
            "face_challenge_blink_min_updates_per_second",
            "face_challenge_not_judged_core_wait_share",
        ):
            value = getattr(settings, name)
            if not value >= 0:  # a negative share would call every starved challenge not judged
                raise ValueError(f"setting '{name}' must be 0 or more, not {value}")
        return cls(
            seconds=settings.face_challenge_seconds,
            turn_yaw=settings.face_challenge_turn_yaw,
            mouth_open=settings.face_challenge_mouth_open,
            mouth_hold_seconds=settings.face_challenge_mouth_hold_seconds,
            double_blink_seconds=settings.face_challenge_double_blink_seconds,
            blink_seconds=settings.face_challenge_blink_seconds,
            min_updates_per_second=settings.face_challenge_min_updates_per_second,
            blink_min_updates_per_second=settings.face_challenge_blink_min_updates_per_second,
            not_judged_core_wait_share=settings.face_challenge_not_judged_core_wait_share,
        )

    def judged(self, kind: ChallengeKind, scored: int, core_wait: float) -> bool:
        """Whether a challenge of `kind` that ran out of time can be judged failed: `scored`
        updates within the time limit were enough, or the worker did not wait for a core
        (`core_wait` seconds of it within the limit) for a good share of it."""
        blink = kind is ChallengeKind.BLINK_TWICE
        rate = self.blink_min_updates_per_second if blink else self.min_updates_per_second
        if scored >= rate * self.seconds:
            return True
        return core_wait < self.not_judged_core_wait_share * self.seconds


DEFAULT_CHALLENGES = ChallengeLimits()


def parse_challenge(text: str) -> tuple[ChallengeKind, float]:
    """``KIND@SECONDS`` (``turn_left@3.5``) as given to ``match --challenge``."""
    kind, _at, seconds = text.partition("@")
    try:
        return ChallengeKind(kind.strip()), float(seconds)
    except ValueError as error:
        names = ", ".join(k.value for k in ChallengeKind)
        raise ValueError(f"challenge {text!r}: expected KIND@SECONDS with KIND one of {names}") from error


@dataclass
class _Running:
    kind: ChallengeKind
    asked_t: float
    rest_seen: bool = False
    # Updates after the prompt within the time limit, with a face or not, and how long the
    # worker waited for a core while scoring them: how closely it was watched, and whether the
    # machine kept the worker from watching.
    updates: int = 0
    core_wait: float = 0.0
    # (time, doing it) of the updates with a face since the rest was seen.
    recent: deque[tuple[float, bool]] = field(default_factory=lambda: deque(maxlen=64))


class ChallengeTracker:
    """One challenge at a time; a challenge asked while another runs waits for it to end."""

    def __init__(self, limits: ChallengeLimits = DEFAULT_CHALLENGES) -> None:
        self.limits = limits
        self._waiting: deque[ChallengeKind] = deque()
        self._running: _Running | None = None
        self.results: list[ChallengeResult] = []

    @property
    def active(self) -> bool:
        return self._running is not None or bool(self._waiting)

    def ask(self, kind: ChallengeKind) -> None:
        """Issue a challenge; it is asked on the next update (at that update's time)."""
        self._waiting.append(kind)

    def _at_rest(self, kind: ChallengeKind, sig: LandmarkSignals) -> bool:
        if kind is ChallengeKind.TURN_LEFT:
            return sig.yaw < self.limits.turn_yaw / 2
        if kind is ChallengeKind.TURN_RIGHT:
            return sig.yaw > -self.limits.turn_yaw / 2
        if kind is ChallengeKind.OPEN_MOUTH:
            return sig.mar < self.limits.mouth_open * 0.6
        return True

    def _doing(self, kind: ChallengeKind, sig: LandmarkSignals) -> bool:
        if kind is ChallengeKind.TURN_LEFT:
            return sig.yaw >= self.limits.turn_yaw
        if kind is ChallengeKind.TURN_RIGHT:
            return sig.yaw <= -self.limits.turn_yaw
        if kind is ChallengeKind.OPEN_MOUTH:
            return sig.mar >= self.limits.mouth_open
        return False

    def _held(self, kind: ChallengeKind, recent: deque[tuple[float, bool]], t: float) -> bool:
        """A turn: shown on 2 of the last 3 updates (one landmark glitch is not a turn; the
        landmarks of a real turn flicker around the limit). The open mouth: shown on at least
        2 of 3 updates over the last mouth_hold_seconds."""
        if not recent or not recent[-1][1]:
            return False
        if kind is not ChallengeKind.OPEN_MOUTH:
            return sum(doing for _t, doing in list(recent)[-3:]) >= 2
        hold = self.limits.mouth_hold_seconds
        if recent[0][0] > t - hold:
            return False  # not watched for long enough yet
        window = [doing for when, doing in recent if when >= t - hold]
        return 3 * sum(window) >= 2 * len(window)

    def _double_blink(self, asked_t: float, blinks: Sequence[tuple[float, float]]) -> float | None:
        """When a deliberate double blink completed: two blinks in a row, both beginning after the
        prompt, each closed at most blink_seconds (a long closure is a glance down or a slow
        natural blink), the second beginning within double_blink_seconds of the first's end."""
        limits = self.limits
        after = [blink for blink in blinks if blink[0] >= asked_t]
        for first, second in itertools.pairwise(after):
            short = all(end - start <= limits.blink_seconds for start, end in (first, second))
            if short and second[0] - first[1] <= limits.double_blink_seconds:
                return second[1]
        return None

    def update(
        self,
        t: float,
        sig: LandmarkSignals | None,
        blinks: Sequence[tuple[float, float]] = (),
        *,
        core_wait: float | None = None,
    ) -> ChallengeStatus | None:
        """Feed this frame's signals (None: no face), the blinks so far and how long the worker
        waited for a core while scoring this frame (None: not known, counted as none); the
        status to report."""
        running = self._running
        if running is None:
            if not self._waiting:
                return None
            running = self._running = _Running(self._waiting.popleft(), asked_t=t)
        elif t - running.asked_t <= self.limits.seconds:
            running.updates += 1
            running.core_wait += core_wait or 0.0
        kind = running.kind
        met_t: float | None = None
        if kind is ChallengeKind.BLINK_TWICE:
            met_t = self._double_blink(running.asked_t, blinks)
        elif sig is not None:
            if not running.rest_seen:
                running.rest_seen = self._at_rest(kind, sig)
            else:
                running.recent.append((t, self._doing(kind, sig)))
                if self._held(kind, running.recent, t):
                    met_t = t
        if met_t is not None:
            return self._finish(running, passed=True, t=met_t)
        if t - running.asked_t > self.limits.seconds:
            judged = self.limits.judged(kind, running.updates, running.core_wait)
            return self._finish(running, passed=False, t=t, judged=judged)
        return ChallengeStatus(kind, ChallengeState.ASKED, running.asked_t, asked_t=running.asked_t)

    def _finish(self, running: _Running, *, passed: bool, t: float, judged: bool = True) -> ChallengeStatus:
        self._running = None
        result = ChallengeResult(running.kind, running.asked_t, passed, t if passed else None, judged=judged)
        self.results.append(result)
        return ChallengeStatus(running.kind, result.state, t, asked_t=running.asked_t)
