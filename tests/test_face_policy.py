"""The face verdict policy, the similarity figure and liveness arithmetic: fast, no models."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.decisions import RejectReason
from app.errors import InvalidTransition
from app.face import FaceFlag, FaceScore, similarity_from_distance
from app.face_policy import AttemptStatus, FaceVerification, StandaloneAttempts, SustainedMatch
from app.review import FaceAttempts, ReviewSession, SessionState
from app.rules import ReviewRules
from app.settings import load_settings

RATE = 0.1  # seconds between fake updates


def score(t: float, distance: float | None, threshold: float = 0.45) -> FaceScore:
    """A fake update: distance None means no face in the frame."""
    if distance is None:
        return FaceScore(t, -1, 0, None, None, None, False, flags=(FaceFlag.NO_FACE.value,))
    return FaceScore(
        t,
        -1,
        1,
        (10, 110, 110, 10),
        distance,
        similarity_from_distance(distance, threshold),
        distance <= threshold,
    )


def feed(
    verification: FaceVerification, start: float, seconds: float, distance: float | None
) -> AttemptStatus:
    status = verification.status
    steps = round(seconds / RATE)
    for i in range(steps):
        status = verification.observe(score(start + i * RATE, distance))
    return status


def make(limit: int = 3, sustain: float = 1.0, attempt: float = 20.0) -> FaceVerification:
    return FaceVerification(StandaloneAttempts(FaceAttempts(limit=limit)), sustain, attempt)


def test_a_match_counts_only_when_sustained() -> None:
    verification = make()
    verification.start(0.0)
    assert feed(verification, 0.0, 0.9, 0.30) is AttemptStatus.RUNNING  # 0.8 s of matches
    assert feed(verification, 0.9, 0.2, 0.30) is AttemptStatus.VERIFIED
    assert verification.verified_at == pytest.approx(1.0)


def test_a_non_match_breaks_the_run() -> None:
    verification = make()
    verification.start(0.0)
    feed(verification, 0.0, 0.8, 0.30)
    feed(verification, 0.8, 0.1, 0.60)  # one clear non-match
    assert feed(verification, 0.9, 0.9, 0.30) is AttemptStatus.RUNNING
    assert feed(verification, 1.8, 0.3, 0.30) is AttemptStatus.VERIFIED


def test_a_face_lost_for_a_moment_does_not_break_the_run_but_a_long_loss_does() -> None:
    sustained = SustainedMatch(1.0, grace_seconds=0.5)
    assert not sustained.observe(score(0.0, 0.3))
    assert not sustained.observe(score(0.3, None))
    assert not sustained.observe(score(0.6, None))  # lost 0.3 s: within grace
    assert sustained.observe(score(1.0, 0.3))
    sustained.reset()
    sustained.observe(score(0.0, 0.3))
    sustained.observe(score(0.2, None))
    sustained.observe(score(0.9, None))  # lost 0.7 s: run over
    assert not sustained.observe(score(1.1, 0.3))
    assert sustained.run_start == pytest.approx(1.1)


def test_attempts_fail_on_time_and_the_limit_proposes_rejection() -> None:
    verification = make(limit=3, attempt=5.0)
    t = 0.0
    for number in (1, 2, 3):
        assert verification.start(t) == number
        status = feed(verification, t, 5.2, 0.7)  # a different person throughout
        assert status is AttemptStatus.FAILED
        t += 6.0
        if number < 3:
            assert verification.proposal is None
    assert verification.proposal is RejectReason.FACE_MATCH_FAILED
    with pytest.raises(InvalidTransition):
        verification.start(t)


def test_no_face_for_the_whole_attempt_is_a_failure() -> None:
    verification = make(limit=1, attempt=3.0)
    verification.start(0.0)
    assert feed(verification, 0.0, 3.2, None) is AttemptStatus.FAILED
    assert verification.proposal is RejectReason.FACE_MATCH_FAILED


def test_a_verified_attempt_after_failures_does_not_propose_rejection() -> None:
    verification = make(limit=3, attempt=2.0)
    verification.start(0.0)
    feed(verification, 0.0, 2.2, 0.7)
    verification.start(3.0)
    assert feed(verification, 3.0, 1.5, 0.3) is AttemptStatus.VERIFIED
    assert verification.proposal is None
    assert verification.counter.attempts.failed == 1  # type: ignore[attr-defined]


def test_reviewer_can_fail_an_attempt_and_scores_before_the_start_are_ignored() -> None:
    verification = make(limit=2)
    with pytest.raises(InvalidTransition):
        verification.fail()
    verification.start(10.0)
    assert verification.observe(score(9.0, 0.3)) is AttemptStatus.RUNNING
    assert verification.sustained_since is None
    assert verification.fail() is None
    verification.start(20.0)
    assert verification.fail() is RejectReason.FACE_MATCH_FAILED


def test_drives_a_review_session_with_the_settings() -> None:
    settings = load_settings(environ={})
    session = ReviewSession(ReviewRules.from_settings(settings))
    session.connect()
    verification = FaceVerification.from_settings(settings, session)
    assert verification.sustain_seconds == settings.match_sustain_seconds
    assert verification.attempt_seconds == settings.face_attempt_seconds
    verification.start(0.0)
    assert session.state is SessionState.VERIFYING
    feed(verification, 0.0, settings.match_sustain_seconds + 0.3, 0.3)
    assert verification.status is AttemptStatus.VERIFIED
    assert session.state is SessionState.QUESTIONING


def test_session_attempt_limit_through_the_policy() -> None:
    settings = load_settings(environ={}).replace(face_attempts_limit=2, face_attempt_seconds=1.0)
    session = ReviewSession(ReviewRules.from_settings(settings))
    session.connect()
    verification = FaceVerification.from_settings(settings, session)
    for _ in range(2):
        verification.start(0.0)
        feed(verification, 0.0, 1.2, 0.8)
    assert session.attempts.exhausted
    assert verification.proposal is RejectReason.FACE_MATCH_FAILED


def test_similarity_figure_anchor_points() -> None:
    assert similarity_from_distance(0.0, 0.45) == 100.0
    assert similarity_from_distance(0.45, 0.45) == pytest.approx(50.0, abs=0.5)
    assert similarity_from_distance(0.9, 0.45) == 0.0
    assert similarity_from_distance(0.3, 0.45) > similarity_from_distance(0.4, 0.45)
    with pytest.raises(ValueError):
        similarity_from_distance(-0.1, 0.45)
    with pytest.raises(ValueError):
        similarity_from_distance(0.3, 0.0)


@given(
    st.floats(min_value=0.0, max_value=3.0, allow_nan=False),
    st.floats(min_value=0.0, max_value=3.0, allow_nan=False),
    st.floats(min_value=0.05, max_value=2.0, allow_nan=False),
)
def test_similarity_is_monotonic_bounded_and_splits_at_the_threshold(
    a: float, b: float, threshold: float
) -> None:
    sa = similarity_from_distance(a, threshold)
    sb = similarity_from_distance(b, threshold)
    assert 0.0 <= sa <= 100.0
    if a < b:
        assert sa >= sb
    if not math.isclose(a, threshold, rel_tol=0.02, abs_tol=0.005):
        assert (sa > 50.0) == (a < threshold)


def test_score_json_keeps_the_contract_keys() -> None:
    line = score(1.23456, 0.4).as_json()
    assert list(line) == ["t", "frame", "faces", "distance", "similarity", "match", "live", "flags"]
    assert line["t"] == 1.235 and line["match"] is True and line["flags"] == []
    assert score(2.0, None).as_json()["flags"] == ["no_face"]


def test_liveness_counts_a_blink_and_head_turn_but_not_a_moved_still() -> None:
    import numpy as np

    from media.face.liveness import LivenessLimits, LivenessTracker

    def face(eye_open: float, yaw: float, shift: float, zoom: float) -> np.ndarray:
        points = np.zeros((68, 2))
        for start, cx in ((36, 30.0), (42, 70.0)):
            # Six eye points: corners, two on top, two at the bottom.
            eye = [(-10, 0), (-4, -eye_open), (4, -eye_open), (10, 0), (4, eye_open), (-4, eye_open)]
            points[start : start + 6] = [(cx + x, 40 + y) for x, y in eye]
        points[30] = (50 + yaw * 40, 70)
        return points * zoom + shift

    limits = LivenessLimits(decide_after_seconds=5.0)
    still = LivenessTracker(limits)
    for i in range(200):  # 6.6 s of a photo moved and zoomed
        t = i / 30
        state = still.update(t, face(4.0, 0.0, shift=20 * math.sin(t), zoom=1 + 0.1 * math.sin(t / 2)))
    assert state.blinks == 0 and state.head_movement < 0.01
    assert state.live is False

    live = LivenessTracker(limits)
    for i in range(200):
        t = i / 30
        closed = 60 <= i < 64  # one blink of ~130 ms
        state = live.update(t, face(1.0 if closed else 4.0, 0.15 * math.sin(t), shift=0.0, zoom=1.0))
    assert state.blinks == 1
    assert state.head_movement >= limits.min_head_rotation
    assert state.live is True
