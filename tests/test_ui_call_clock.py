"""The call clock turns amber only when a review runs longer than a normal one (it did after
60 s, in every review), from the settings."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time

import pytest

from app.settings import load_settings
from ui import style
from ui.call_status import CallStatusBar

pytestmark = pytest.mark.gui


def test_the_clock_stays_calm_through_a_normal_review(qtbot) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(environ={})
    assert settings.review_target_seconds >= 180
    bar = CallStatusBar(30.0, target_seconds=settings.review_target_seconds)
    qtbot.addWidget(bar)
    bar._started = time.monotonic() - 150  # two and a half minutes: a normal review
    bar.refresh()
    assert style.CAUTION not in bar.clock_label.styleSheet()
    bar._started = time.monotonic() - settings.review_target_seconds - 5
    bar.refresh()
    assert style.CAUTION in bar.clock_label.styleSheet()
