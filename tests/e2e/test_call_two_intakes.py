"""Issue 15: any intake instance serves any applicant and any console. Two intake services
(separate processes) share one PostgreSQL and nothing else: the applicant simulator joins on
one, the console takes and calls through the other, and the call works with real WebRTC on
both sides; the applicant's reconnect lands on the other instance and continues as leg 2."""

from __future__ import annotations

import pytest

from media.call import CallState, ReviewerCall, sign_in
from tests.e2e.conftest import CallWorld
from tests.waiting import wait_until
from tools.bench_call import BENCH_PASSWORD, BENCH_REVIEWER


@pytest.mark.slow
@pytest.mark.postgres
def test_applicant_on_one_intake_console_on_another_and_a_reconnect_across(
    postgres_world: CallWorld,
) -> None:
    from storage.reviews import ReviewRecords

    _reviewer_id, (token,) = postgres_world.seed(["Han Meimei"])
    first_intake, second_intake = postgres_world.intake(), postgres_world.intake()
    video = str(postgres_world.settings.shared_data_dir / "videos" / "obama_weekly_address.mp4")

    def applicant(url: str) -> list[str]:
        return ["applicant", "--url", url, f"--token={token}", "--video", video, "--loop"]

    first = postgres_world.run(*applicant(first_intake))
    credential = sign_in(second_intake, BENCH_REVIEWER, BENCH_PASSWORD)
    call = ReviewerCall(second_intake, credential, grace_seconds=30).start()
    try:
        taken = None

        def applicant_taken() -> bool:
            nonlocal taken
            taken = call.take_next().result(10)
            return taken is not None

        wait_until(applicant_taken, 30, "the simulator to join the queue on the first intake")
        assert taken is not None
        wait_until(lambda: call.status.state is CallState.CONNECTED, 30, "the first leg across intakes")
        assert call.frames.wait_newer(0, timeout=15) is not None

        first.kill()  # the phone is gone: the first intake sees the drop, the console is on the second
        wait_until(lambda: call.status.state is CallState.RECONNECTING, 15, "the console to see the drop")

        postgres_world.run(*applicant(second_intake))
        wait_until(lambda: call.status.state is CallState.CONNECTED, 30, "the second leg")
        assert (call.status.session_id, call.status.leg) == (taken.session_id, 2)
        latest = call.frames.latest()
        newer = call.frames.wait_newer(latest.sequence if latest else 0, timeout=15)
        assert newer is not None and newer.leg == 2
        call.hang_up().result(10)
    finally:
        call.close()

    legs = ReviewRecords(postgres_world.database).legs(taken.session_id)
    assert [(number, reason) for number, _start, _end, reason in legs] == [(1, "dropped"), (2, "hang_up")]
