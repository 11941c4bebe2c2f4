"""The bank's rules at their edges: review hours, the 48-hour window, face attempts."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.errors import InvalidTransition
from app.review import FaceAttempts
from app.rules import Availability, ReviewRules
from app.settings import load_settings

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def rules() -> ReviewRules:
    return ReviewRules.from_settings(load_settings(environ={}))


def at(hour: int, minute: int, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (at(7, 59), False),
        (at(8, 0), True),
        (at(12, 0), True),
        (at(23, 59), True),
        (at(0, 0, day=24), False),
        (at(0, 1, day=24), False),
    ],
)
def test_review_hours_edges(rules: ReviewRules, moment: datetime, inside: bool) -> None:
    assert rules.within_review_hours(moment) is inside


def test_review_hours_are_counted_in_the_bank_time_zone(rules: ReviewRules) -> None:
    # 00:30 UTC is 08:30 in Shanghai: open. 16:30 UTC is 00:30 in Shanghai: closed.
    assert rules.within_review_hours(datetime(2026, 11, 23, 0, 30, tzinfo=ZoneInfo("UTC")))
    assert not rules.within_review_hours(datetime(2026, 11, 23, 16, 30, tzinfo=ZoneInfo("UTC")))


def test_naive_times_are_refused(rules: ReviewRules) -> None:
    with pytest.raises(ValueError, match="time zone"):
        rules.within_review_hours(datetime(2026, 11, 23, 9, 0))


@pytest.mark.parametrize(
    ("elapsed", "availability"),
    [
        (timedelta(hours=47, minutes=59), Availability.OPEN),
        (timedelta(hours=48), Availability.EXPIRED),
        (timedelta(hours=48, minutes=1), Availability.EXPIRED),
        (timedelta(0), Availability.OPEN),
    ],
)
def test_48_hour_window_edges(rules: ReviewRules, elapsed: timedelta, availability: Availability) -> None:
    applied = at(10, 0, day=21)
    window = rules.review_window(applied, applied + elapsed)
    assert window.availability is availability
    assert window.deadline == applied + timedelta(hours=48)


def test_outside_hours_says_when_to_come_back(rules: ReviewRules) -> None:
    applied = at(22, 0, day=22)
    window = rules.review_window(applied, at(7, 0))
    assert window.availability is Availability.OUTSIDE_HOURS
    assert window.next_opening == at(8, 0)


def test_outside_hours_after_the_last_opening_before_the_deadline_is_expired(rules: ReviewRules) -> None:
    # Applied at 05:00: the deadline is 05:00 two days later, before the desk opens then.
    applied = at(5, 0, day=21)
    window = rules.review_window(applied, at(0, 30, day=23))
    assert window.availability is Availability.EXPIRED


def test_custom_hours_from_settings() -> None:
    rules = ReviewRules.from_settings(
        load_settings(
            {"review_opens": "09:30", "review_closes": "18:00", "timezone": "Europe/Berlin"}, environ={}
        )
    )
    berlin = ZoneInfo("Europe/Berlin")
    assert not rules.within_review_hours(datetime(2026, 11, 23, 9, 29, tzinfo=berlin))
    assert rules.within_review_hours(datetime(2026, 11, 23, 9, 30, tzinfo=berlin))
    assert rules.within_review_hours(datetime(2026, 11, 23, 17, 59, tzinfo=berlin))
    assert not rules.within_review_hours(datetime(2026, 11, 23, 18, 0, tzinfo=berlin))


def test_third_face_attempt_allowed_fourth_refused(rules: ReviewRules) -> None:
    assert rules.may_attempt_face_match(2)  # about to start the third
    assert not rules.may_attempt_face_match(3)  # about to start the fourth
    attempts = FaceAttempts(limit=rules.face_attempts_limit)
    for expected in (1, 2, 3):
        assert attempts.start() == expected
        attempts.fail()
    assert attempts.exhausted
    with pytest.raises(InvalidTransition, match="3 face-recognition attempts"):
        attempts.start()


def test_settings_from_environment_and_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "settings.toml"
    config.write_text('face_attempts_limit = 5\nreview_closes = "24:00"\n')
    settings = load_settings(environ={"AUDIT_CONFIG": str(config), "AUDIT_FACE_MATCH_THRESHOLD": "0.42"})
    assert settings.face_attempts_limit == 5
    assert settings.face_match_threshold == 0.42
    config.write_text("no_such_setting = 1\n")
    with pytest.raises(ValueError, match="unknown setting"):
        load_settings(environ={"AUDIT_CONFIG": str(config)})
    with pytest.raises(ValueError, match="face_attempts_limit"):
        load_settings(environ={"AUDIT_FACE_ATTEMPTS_LIMIT": "three"})
