"""A recorded session made from the shared Obama video, for trying the replay window without a
live call, for its screenshots and for tests: two legs (a dropped connection in between),
face scores with boxes (the real face pipeline, or a cheap stand-in for fast tests), answers
entered during the call, the decision, and optionally a supervisor's amendment. No Qt.

    session_id = make_demo_session(database, settings, seconds=(12, 10), real_faces=True)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from app.applications import make_application_form
from app.decisions import DecisionDraft, DecisionSubmission, FaceSummary, Outcome, RejectReason
from app.face import FaceBoxInFrame
from app.four_eyes import NO_CHECKS
from app.ids import SessionId
from app.questionnaire import load_questionnaire
from app.rules import ReviewRules
from app.settings import Settings
from storage.applications import ApplicationBook
from storage.database import Database
from storage.desk import DatabaseReviewDesk
from storage.recordings import EventKind, RecordingRecords, TimelineSample, session_directory_name
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords

log = logging.getLogger(__name__)
FPS = 30.0


def _frames(video: Path, width: int = 640, height: int = 480) -> Any:
    """Frames of the video, cropped to 4:3 and scaled, looping."""
    import av
    import cv2

    while True:
        with av.open(str(video)) as source:
            for frame in source.decode(video=0):
                image = frame.to_ndarray(format="bgr24")
                h, w = image.shape[:2]
                crop = min(w, h * width // height)
                x0 = (w - crop) // 2
                yield cv2.resize(image[:, x0 : x0 + crop], (width, height))


class _Scorer:
    """Face scores for the timeline: the real pipeline, or a stand-in (Haar boxes, a
    similarity derived from the box) that is fast enough for unit tests."""

    def __init__(self, settings: Settings, reference_bgr: Any, real: bool) -> None:
        self.real = real
        self.threshold = settings.face_match_threshold
        if real:
            import cv2

            from media.face.engine import default_engine
            from media.face.pipeline import FacePipeline, PipelineConfig

            engine = default_engine()
            rgb = cv2.cvtColor(reference_bgr, cv2.COLOR_BGR2RGB)
            boxes = engine.detect(rgb, upsample=1)
            reference = engine.encode(rgb, boxes[0])
            self.pipeline = FacePipeline(engine, reference, PipelineConfig.from_settings(settings))
        else:
            import cv2

            cascades = cv2.data.haarcascades  # type: ignore[attr-defined]
            self.cascade = cv2.CascadeClassifier(cascades + "haarcascade_frontalface_default.xml")

    def score(
        self, image: Any, t: float, index: int
    ) -> tuple[int, float | None, list[str], bool | None, FaceBoxInFrame | None]:
        height, width = image.shape[:2]
        if self.real:
            result = self.pipeline.process(image, t, index)
            box = None
            if result.box is not None:
                top, right, bottom, left = (int(v) for v in result.box)
                box = FaceBoxInFrame(top, right, bottom, left, width, height)
            flags = [str(getattr(flag, "value", flag)) for flag in result.flags]
            live = getattr(result.live, "live", result.live)  # a LiveState in older versions
            return result.faces, result.similarity, flags, live, box
        import cv2

        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        found = self.cascade.detectMultiScale(gray, 1.2, 5, minSize=(60, 60))
        if len(found) == 0:
            return 0, None, ["no_face"], None, None
        x, y, w, h = max(found, key=lambda f: f[2] * f[3])
        similarity = round(float(55 + 30 * np.sin(t / 3.0)), 1)
        return (
            len(found),
            similarity,
            [],
            None,
            FaceBoxInFrame(int(y), int(x + w), int(y + h), int(x), width, height),
        )


def make_demo_session(
    database: Database,
    settings: Settings,
    *,
    seconds: tuple[float, ...] = (12.0, 10.0),
    real_faces: bool = False,
    amend: bool = True,
    applicant_name: str = "王芳 Wang Fang",
    progress: Callable[[str], None] | None = None,
    sealer: Any = None,
) -> SessionId:
    """Record the legs (faster than real time, on a simulated clock), and store the session
    as a live console would: legs, scores, events, answers, decision. With `sealer`
    (storage.sealing.Sealer) the recording is encrypted at rest, as the console stores it."""
    import cv2

    from media.recording import LegRecorder

    say = progress or (lambda _message: None)
    video = settings.shared_data_dir / "videos" / "obama_weekly_address.mp4"
    photo_path = settings.shared_data_dir / "faces" / "face_recognition" / "obama.jpg"
    photo = photo_path.read_bytes()
    reviewer = Accounts(database).ensure("li.reviewer", "demo-password-1")
    supervisor = Accounts(database).ensure("zhang.supervisor", "demo-password-2", _supervisor_role())
    gap = 3.0
    total = sum(seconds) + gap * (len(seconds) - 1)
    t0 = datetime.now(UTC) - timedelta(seconds=total + 30)
    form = make_application_form(
        name=applicant_name,
        national_id="110101199001011234",
        phone="+86 138 0013 8000",
        amount="8000",
        term_months=12,
        purpose="Stock for a grocery shop",
        applied_at=t0 - timedelta(hours=3),
    )
    # The ID photo is stored as the console stores it: encrypted at rest with the same key.
    registered = ApplicationBook(database, sealer).register(
        form, photo=photo, photo_format="jpeg", encoding=None
    )
    desk = DatabaseReviewDesk(
        database,
        ReviewRules.from_settings(settings.replace(review_opens=time(0, 0), review_closes=time(0, 0))),
        sealer,
        questionnaire=load_questionnaire(settings.questionnaire_file),
    )
    desk.join_queue(registered.token, t0 - timedelta(seconds=40))
    taken = desk.take_next(reviewer.id, t0 - timedelta(seconds=2))
    if taken is None:
        raise RuntimeError("the demo applicant could not be taken from the queue")
    session_id = taken.session_id
    # The demo's decision is not four-eyes checked: its amendment shows the replay's amend path.
    reviews = ReviewRecords(database, check_policy=NO_CHECKS)
    recordings = RecordingRecords(database, settings.recordings_dir)  # closed legs covered by the audit chain
    directory = session_directory_name(session_id)
    folder = settings.recordings_dir / directory
    reference_bgr = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR)
    scorer = _Scorer(settings, reference_bgr, real_faces)
    frames = _frames(video)
    samples: list[TimelineSample] = []
    leg_start = 0.0
    for number, length in enumerate(seconds, start=1):
        started = t0 + timedelta(seconds=leg_start)
        reviews.start_leg(session_id, started)
        now = [0.0]
        recorder = LegRecorder(
            folder, number, fps=FPS, started_at=started.timestamp(), clock=partial(_first, now),
            max_queued_video=100_000, max_queued_audio=100_000, sealer=sealer,
        )  # fmt: skip
        recordings.leg_started(session_id, number, directory, started)
        say(f"recording leg {number} ({length:.0f} s)")
        count = round(length * FPS)
        for index in range(count):
            now[0] = index / FPS
            image = next(frames)
            recorder.add_video(image, now[0])
            tone = 0.05 * np.sin(2 * np.pi * (220 if number == 1 else 330) * np.arange(1600) / 48000)
            recorder.add_audio(tone.astype(np.float32), 48000, source="applicant")
            if index % 5 == 0:
                faces, similarity, flags, live, box = scorer.score(image, now[0], index)
                samples.append(
                    TimelineSample(
                        t=leg_start + now[0], faces=faces, similarity=similarity,
                        distance=None, matched=(similarity or 0) >= 50, live=live,
                        flags=flags, box=box, leg_number=number,
                    )
                )  # fmt: skip
            while recorder.backlog > 60:
                threading.Event().wait(0.005)
        stats = recorder.close(timeout=120)
        recordings.leg_finished(
            session_id, number, state=recorder.state.value, duration=length,
            segments=stats.segments, bytes_written=stats.bytes_written, frames_dropped=stats.video_dropped,
        )  # fmt: skip
        leg_end = t0 + timedelta(seconds=leg_start + length)
        if number < len(seconds):
            reviews.end_leg(session_id, leg_end, "dropped")
            recordings.add_event(session_id, EventKind.CONNECTION_DROPPED, at=leg_end, leg_number=number,
                                 details={"message": "The applicant's connection dropped."})  # fmt: skip
            restored = leg_end + timedelta(seconds=gap)
            recordings.add_event(session_id, EventKind.CONNECTION_RESTORED, at=restored, leg_number=number + 1,  # noqa: E501
                                 details={"message": "Connected."})  # fmt: skip
        leg_start += length + gap
    recordings.save_samples(session_id, samples)
    multiple = next((s for s in samples if s.faces > 1), None)
    if multiple is not None:
        recordings.add_event(
            session_id, EventKind.MULTIPLE_FACES, t=multiple.t, leg_number=multiple.leg_number
        )
    # What the applicant says, for whichever of these the session drew; asked in the drawn order,
    # the first half in the first leg and the rest in the last.
    said: dict[str, Any] = {
        "identity_name_confirmed": True,
        "identity_id_last4": form.national_id[-4:],
        "identity_date_of_birth": "1990-01-01",
        "identity_amount_applied": form.amount,
        "applied_personally": True,
        "third_party_present": False,
        "employment_status": "employed",
        "employer_or_business": "Grocery shop, Chaoyang",
        "monthly_income": Decimal("9000"),
        "existing_monthly_debt": Decimal("1200"),
        "loan_purpose_confirmed": True,
        "repayment_source": "business_income",
        "understands_terms": True,
        "understanding_term_months": str(form.term_months),
        "understanding_late_payment": True,
    }
    asked = [qid for qid in taken.questions if qid in said] or list(said)
    first = asked[: (len(asked) + 1) // 2]
    last_start = total - seconds[-1]  # the last leg, on the session clock
    answers = [
        (1.0 + index * (seconds[0] - 1.5) / max(1, len(first)), qid, said[qid])
        for index, qid in enumerate(first)
    ]
    rest = asked[len(first) :]
    answers += [
        (last_start + 0.5 + index * max(0.5, seconds[-1] - 2.0) / max(1, len(rest)), qid, said[qid])
        for index, qid in enumerate(rest)
    ]
    for t, question, value in answers:
        reviews.save_answer(
            session_id, question, value, reviewer_id=reviewer.id, now=t0 + timedelta(seconds=t)
        )
    similarities = [s.similarity for s in samples if s.similarity is not None]
    summary = FaceSummary(
        best_similarity=max(similarities, default=None),
        last_similarity=similarities[-1] if similarities else None,
        matched=bool(similarities) and max(similarities) >= 50,
        liveness="unknown",
        attempts_used=1,
        flags_seen=tuple(sorted({f for s in samples for f in s.flags})),
    )
    decided_at = t0 + timedelta(seconds=leg_start - gap - 1.0)
    # Storage checks the approval policy: a face that did not match needs an override.
    draft = DecisionDraft(
        Outcome.APPROVE, face=summary, note="Identity and income confirmed.",
        override_code="" if summary.matched else "identity_verified_otherwise",
        override_reason="" if summary.matched
        else "Identity confirmed with the original ID card at the branch.",
    )  # fmt: skip
    stored = reviews.record_decision(
        DecisionSubmission(session_id, reviewer.id, draft), actor=reviewer.name, now=decided_at
    )
    if amend:
        reviews.amend_decision(
            stored.id,
            DecisionDraft(Outcome.REJECT, reasons=(RejectReason.INSUFFICIENT_REPAYMENT_ABILITY,)),
            reason="Payslip checked after the call: the income was overstated.",
            supervisor_id=supervisor.id, actor=supervisor.name, now=decided_at + timedelta(minutes=20),
        )  # fmt: skip
    say(f"session {session_id} ready")
    return session_id


def _supervisor_role() -> Any:
    from app.roles import Role

    return Role.SUPERVISOR


def _first(values: list[float]) -> float:
    return values[0]
