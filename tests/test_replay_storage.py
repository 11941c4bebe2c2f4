"""The replay's storage on SQLite and PostgreSQL: the timeline on the recording's clock, leg
recordings, the denormalised session summaries and the browser's filters, sort and paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.decisions import DecisionDraft, DecisionSubmission, FaceSummary, Outcome, RejectReason
from app.face import FaceBoxInFrame
from app.four_eyes import NO_CHECKS
from app.ids import SessionId
from app.roles import Role
from app.rules import ReviewRules
from app.settings import load_settings
from storage.applications import ApplicationBook
from storage.desk import DatabaseReviewDesk
from storage.recordings import EventKind, RecordingRecords, TimelineSample
from storage.replay import Flag, ReplayRecords, SessionFilter, SortKey
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tests.conftest import sample_form
from tools.fixtures import approval_with_override

RULES = ReviewRules.from_settings(load_settings({"review_opens": "00:00"}, environ={}))
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def make_session(database, reviewer, name: str, start: datetime, *, scores=(), events=(), legs=1,  # type: ignore[no-untyped-def]
                 outcome: Outcome = Outcome.APPROVE, reasons=()) -> SessionId:  # fmt: skip
    registered = ApplicationBook(database).register(
        sample_form(name, start - timedelta(hours=1)), photo=b"jpeg", photo_format="jpeg", encoding=None
    )
    desk = DatabaseReviewDesk(database, RULES)
    desk.join_queue(registered.token, start - timedelta(seconds=30))
    taken = desk.take_next(reviewer.id, start)
    assert taken is not None
    records = ReviewRecords(database, check_policy=NO_CHECKS)
    timeline = RecordingRecords(database)
    for number in range(1, legs + 1):
        leg_start = start + timedelta(seconds=20 * (number - 1))
        records.start_leg(taken.session_id, leg_start)
        timeline.leg_started(
            taken.session_id, number, f"session-{taken.session_id:08d}", leg_start + timedelta(seconds=0.3)
        )
    timeline.save_samples(taken.session_id, list(scores))
    for kind, t in events:
        timeline.add_event(taken.session_id, kind, t=t)
    records.save_answer(
        taken.session_id, "monthly_income", "9000", reviewer_id=reviewer.id, now=start + timedelta(seconds=5)
    )
    draft = DecisionDraft(outcome, reasons=tuple(reasons))
    records.record_decision(
        DecisionSubmission(
            taken.session_id, reviewer.id, approval_with_override() if outcome is Outcome.APPROVE else draft
        ),
        actor=reviewer.name,
        now=start + timedelta(seconds=40),
    )
    ReplayRecords(database).refresh_summary(taken.session_id)
    return taken.session_id


def sample(
    t: float, similarity: float | None, faces: int = 1, live: bool | None = None, leg: int = 1
) -> TimelineSample:
    return TimelineSample(
        t=t,
        faces=faces,
        similarity=similarity,
        live=live,
        box=FaceBoxInFrame(10, 60, 70, 5, 640, 480),
        leg_number=leg,
    )


def test_the_timeline_is_on_the_recordings_clock(database) -> None:  # type: ignore[no-untyped-def]
    reviewer = Accounts(database).add("li.reviewer", "correct horse")
    session_id = make_session(
        database, reviewer, "Wang Fang", NOW, legs=2,
        scores=[sample(1.0, 70.0), sample(2.0, 40.0, faces=2), sample(21.0, 65.0, leg=2)],
        events=[(EventKind.CONNECTION_DROPPED, 12.0), (EventKind.CONNECTION_RESTORED, 20.3)],
    )  # fmt: skip
    replay = ReplayRecords(database).session_replay(session_id)
    assert [leg.number for leg in replay.legs] == [1, 2]
    # Each recorder started 0.3 s after its leg: the offsets say where its clock sits.
    assert [round(leg.offset, 3) for leg in replay.legs] == [0.3, 20.3]
    assert replay.recording_directory == f"session-{session_id:08d}"
    assert [s.t for s in replay.scores] == [1.0, 2.0, 21.0]
    assert replay.scores[0].box == FaceBoxInFrame(10, 60, 70, 5, 640, 480)
    assert [e.kind for e in replay.events] == ["connection.dropped", "connection.restored"]
    (answer,) = replay.answers
    assert answer.t == 5.0 and answer.answered_by == "li.reviewer"
    assert replay.decisions[0].t == 40.0
    actions = [event.action for event in replay.audit]
    assert "queue.taken" in actions and "decision.recorded" in actions
    # Each audit event carries its chain hash and the previous one's.
    assert all(len(e.hash) == 64 and len(e.prev_hash) == 64 for e in replay.audit)
    assert all(
        a.hash == b.prev_hash
        for a, b in zip(replay.audit, replay.audit[1:], strict=False)
        if b.seq == a.seq + 1
    )

    timeline = RecordingRecords(database)
    timeline.leg_finished(
        session_id, 1, state="closed", duration=11.7, segments=12, bytes_written=1234, frames_dropped=0
    )
    recordings = timeline.recordings(session_id)
    assert [(r.leg_number, r.state, r.segments) for r in recordings] == [
        (1, "closed", 12),
        (2, "recording", 0),
    ]
    assert timeline.leg_offsets(session_id) == {1: recordings[0].offset, 2: recordings[1].offset}


def test_summary_and_browser_filters(database) -> None:  # type: ignore[no-untyped-def]
    accounts = Accounts(database)
    li = accounts.add("li.reviewer", "correct horse")
    wu = accounts.add("wu.reviewer", "correct horse")
    supervisor = accounts.add("zhang.supervisor", "correct horse", Role.SUPERVISOR)
    plain = make_session(
        database, li, "Plain", NOW - timedelta(days=1), scores=[sample(1, 80.0), sample(2, 75.0)]
    )
    two_faces = make_session(
        database, li, "Two Faces", NOW - timedelta(days=2), scores=[sample(1, 60.0, faces=2)]
    )
    spoof = make_session(
        database, wu, "Spoof", NOW - timedelta(days=3), scores=[sample(1, 30.0, live=False)],
        outcome=Outcome.REJECT, reasons=[RejectReason.LIVENESS_FAILED],
    )  # fmt: skip
    dropped = make_session(database, wu, "Dropped", NOW - timedelta(days=40), legs=2, scores=[sample(1, 55.0)],  # noqa: E501
                           events=[(EventKind.CONNECTION_DROPPED, 10.0)])  # fmt: skip
    records = ReplayRecords(database)
    assert records.refresh_missing() == 0  # every finished session already has its row

    def ids(spec: SessionFilter, **options) -> list[int]:  # type: ignore[no-untyped-def]
        return [int(item.session_id) for item in records.browse(spec, **options).items]

    assert ids(SessionFilter()) == [plain, two_faces, spoof, dropped]  # newest first
    assert ids(SessionFilter(started_from=NOW - timedelta(days=10))) == [plain, two_faces, spoof]
    assert ids(SessionFilter(started_to=NOW - timedelta(days=2, hours=12))) == [spoof, dropped]
    assert ids(SessionFilter(reviewer_id=wu.id)) == [spoof, dropped]
    assert ids(SessionFilter(outcome="reject")) == [spoof]
    assert ids(SessionFilter(reason_code="liveness_failed")) == [spoof]
    assert ids(SessionFilter(reason_code="liveness")) == []  # whole codes only
    assert ids(SessionFilter(lowest_similarity_below=58.0)) == [spoof, dropped]
    assert ids(SessionFilter(flags=Flag.MULTIPLE_FACES)) == [two_faces]
    assert ids(SessionFilter(flags=Flag.LIVENESS_FAILED)) == [spoof]
    assert ids(SessionFilter(flags=Flag.DROPPED_CONNECTION)) == [dropped]
    assert ids(SessionFilter(flags=Flag.DROPPED_CONNECTION | Flag.MULTIPLE_FACES)) == []
    assert ids(SessionFilter(), sort=SortKey.LOWEST_SIMILARITY, descending=False) == [
        spoof,
        dropped,
        two_faces,
        plain,
    ]
    # Paging: stable, with the total.
    first = records.browse(SessionFilter(), page=0, page_size=3)
    second = records.browse(SessionFilter(), page=1, page_size=3)
    assert (first.total, first.pages) == (4, 2)
    assert [i.session_id for i in first.items + second.items] == [plain, two_faces, spoof, dropped]
    item = records.browse(SessionFilter(reviewer_id=wu.id)).items[1]
    assert (item.legs, item.lowest_similarity, item.reviewer_name) == (2, 55.0, "wu.reviewer")

    # An amendment changes the outcome in force; the original stays on record.
    reviews = ReviewRecords(database, check_policy=NO_CHECKS)
    original = reviews.decisions(plain)[0]
    reviews.amend_decision(
        original.id, DecisionDraft(Outcome.REJECT, reasons=(RejectReason.FRAUD_SUSPECTED,), face=FaceSummary()),  # noqa: E501
        reason="Forged payslip", supervisor_id=supervisor.id, actor="zhang.supervisor", now=NOW,
    )  # fmt: skip
    records.refresh_summary(plain)
    assert ids(SessionFilter(outcome="reject")) == [plain, spoof]
    assert ids(SessionFilter(amended_only=True)) == [plain]
    assert ids(SessionFilter(reason_code="fraud_suspected")) == [plain]
    replay = records.session_replay(plain)
    assert [d.outcome for d in replay.decisions] == ["approve", "reject"]
    assert replay.original_decision is not None and replay.original_decision.outcome == "approve"
    assert replay.decision_in_force is not None and replay.decision_in_force.amends_id == original.id


def test_a_crashed_console_session_is_listed_once_abandoned(database) -> None:  # type: ignore[no-untyped-def]
    reviewer = Accounts(database).add("li.reviewer", "correct horse")
    registered = ApplicationBook(database).register(
        sample_form("Crash"), photo=b"x", photo_format="jpeg", encoding=None
    )
    desk = DatabaseReviewDesk(database, RULES)
    desk.join_queue(registered.token, NOW)
    taken = desk.take_next(reviewer.id, NOW)
    assert taken is not None
    ReviewRecords(database, check_policy=NO_CHECKS).start_leg(taken.session_id, NOW)
    RecordingRecords(database).save_samples(taken.session_id, [sample(1.0, 45.0)])
    records = ReplayRecords(database)
    assert records.refresh_missing() == 0  # still in the call: not listed yet
    ReviewRecords(database, check_policy=NO_CHECKS).abandon_unfinished(NOW + timedelta(minutes=1))
    # Its row is built in the transaction that marks it abandoned: nothing is left missing.
    assert records.refresh_missing() == 0
    (item,) = records.browse().items
    assert (item.state, item.outcome, item.lowest_similarity) == ("abandoned", "abandoned", 45.0)
    assert item.reason_codes == ["console_stopped"]
