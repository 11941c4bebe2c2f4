"""The reconnect path with separate processes and the real database: the applicant simulator
is killed mid-call and started again with the same token inside the grace period; the console
continues the same review session as a second leg."""

from __future__ import annotations

import time

import pytest

from media.call import CallState, ReviewerCall, sign_in
from tests.e2e.conftest import CallWorld
from tests.waiting import wait_until
from tools.bench_call import BENCH_PASSWORD, BENCH_REVIEWER


@pytest.mark.slow
def test_applicant_drops_and_returns_within_grace_as_a_second_leg(sqlite_world: CallWorld) -> None:
    from storage.reviews import ReviewRecords

    _reviewer_id, (token,) = sqlite_world.seed(["Li Lei"])
    url = sqlite_world.intake()
    video = str(sqlite_world.settings.shared_data_dir / "videos" / "obama_weekly_address.mp4")
    applicant = ["applicant", "--url", url, f"--token={token}", "--video", video, "--loop"]

    first = sqlite_world.run(*applicant)
    call = ReviewerCall(url, sign_in(url, BENCH_REVIEWER, BENCH_PASSWORD), grace_seconds=20).start()
    try:
        taken = None
        deadline = time.monotonic() + 20
        while taken is None and time.monotonic() < deadline:
            taken = call.take_next().result(10)
            time.sleep(0.2)
        assert taken is not None, "the simulator never joined the queue"
        wait_until(lambda: call.status.state is CallState.CONNECTED, 15, "the first leg")
        assert call.frames.wait_newer(0, timeout=10) is not None

        first.kill()  # the phone is gone: no goodbye
        wait_until(lambda: call.status.state is CallState.RECONNECTING, 10, "the console to see the drop")

        sqlite_world.run(*applicant)
        wait_until(lambda: call.status.state is CallState.CONNECTED, 20, "the second leg")
        assert (call.status.session_id, call.status.leg) == (taken.session_id, 2)
        latest = call.frames.latest()
        newer = call.frames.wait_newer(latest.sequence if latest else 0, timeout=10)
        assert newer is not None and newer.leg == 2 and (newer.width, newer.height) == (640, 480)
        call.hang_up().result(10)
    finally:
        call.close()

    legs = ReviewRecords(sqlite_world.database).legs(taken.session_id)
    assert [(number, reason) for number, _start, _end, reason in legs] == [(1, "dropped"), (2, "hang_up")]
