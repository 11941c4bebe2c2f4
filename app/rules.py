"""The bank's rules for when a video review may happen and how many face attempts it allows."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.settings import Settings


class Availability(enum.Enum):
    OPEN = "open"
    OUTSIDE_HOURS = "outside_hours"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ReviewWindow:
    """Whether a review may start now, and if not, why and when it may."""

    availability: Availability
    deadline: datetime
    # When the review desk next opens (only for OUTSIDE_HOURS).
    next_opening: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.availability is Availability.OPEN


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone")


@dataclass(frozen=True)
class ReviewRules:
    timezone: ZoneInfo
    opens: time
    closes: time  # time(0, 0) means midnight at the end of the day
    window: timedelta
    face_attempts_limit: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ReviewRules:
        if settings.face_attempts_limit < 1:
            raise ValueError("face_attempts_limit must be at least 1")
        return cls(
            timezone=ZoneInfo(settings.timezone),
            opens=settings.review_opens,
            closes=settings.review_closes,
            window=timedelta(hours=settings.review_window_hours),
            face_attempts_limit=settings.face_attempts_limit,
        )

    def within_review_hours(self, now: datetime) -> bool:
        """08:00 is inside, 23:59 is inside, 00:00 (the next day) is outside."""
        _require_aware(now, "now")
        local = now.astimezone(self.timezone).time()
        if self.closes == time(0, 0):
            return local >= self.opens
        if self.opens <= self.closes:
            return self.opens <= local < self.closes
        return local >= self.opens or local < self.closes

    def next_opening(self, now: datetime) -> datetime:
        _require_aware(now, "now")
        local = now.astimezone(self.timezone)
        candidate = local.replace(hour=self.opens.hour, minute=self.opens.minute, second=0, microsecond=0)
        if candidate <= local:
            candidate = candidate + timedelta(days=1)
        # Re-localise so a daylight-saving change lands on the wall-clock opening time.
        return candidate.replace(tzinfo=None).replace(tzinfo=self.timezone)

    def deadline(self, applied_at: datetime) -> datetime:
        _require_aware(applied_at, "applied_at")
        return applied_at + self.window

    def review_window(self, applied_at: datetime, now: datetime) -> ReviewWindow:
        """47:59 after the application is still open; 48:00 is expired."""
        deadline = self.deadline(applied_at)
        _require_aware(now, "now")
        if now >= deadline:
            return ReviewWindow(Availability.EXPIRED, deadline)
        if not self.within_review_hours(now):
            opening = self.next_opening(now)
            if opening >= deadline:
                return ReviewWindow(Availability.EXPIRED, deadline)
            return ReviewWindow(Availability.OUTSIDE_HOURS, deadline, opening)
        return ReviewWindow(Availability.OPEN, deadline)

    def may_attempt_face_match(self, attempts_used: int) -> bool:
        """With a limit of 3: attempts 1, 2 and 3 may start; a fourth may not."""
        return attempts_used < self.face_attempts_limit
