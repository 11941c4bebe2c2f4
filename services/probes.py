"""Headless reviewers for tests and operations: `review-probe` (take the next applicant and
report the media, optionally with face-match figures), its `--drain` mode (take applicants
without media), and `record-probe` (take the next applicant and record the call as the console
does, services.recording). Each reports through `emit`, one dict at a time; the command prints."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.settings import Settings
from services import configured_sealer
from services.face_match import CallFaceMatch

if TYPE_CHECKING:
    from app.face import FaceScore
    from media.call import CallApplicant, IntakeSignIn, ReviewerCall
    from storage.database import Database

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]


class ProbeFailed(Exception):
    """The probe could not do its job; the message says why."""


class ProbeFaceUnavailable(Exception):
    """Face-match figures cannot be produced; the message says why."""


def take_next_within(call: ReviewerCall, wait: float, *, poll: float) -> CallApplicant:
    """Take the next applicant on `call`, asking again every `poll` seconds until `wait`
    seconds have passed. IntakeError when the intake refuses, or the queue stayed empty."""
    from media.call import IntakeError

    deadline = time.monotonic() + wait
    while True:
        applicant = call.take_next().result(20)
        if applicant is not None:
            return applicant
        if time.monotonic() > deadline:
            raise IntakeError("no applicant could be taken: the queue is empty")
        time.sleep(poll)


def probe_call(url: str, settings: Settings, credential: IntakeSignIn) -> ReviewerCall:
    """A headless console's call, signed in as `credential`: no devices, a tone for a microphone,
    the intake's certificate checked, the relay policy as the settings say."""
    from media.call import ReviewerCall

    return ReviewerCall(
        url,
        credential,
        ca_file=settings.intake_ca_file,
        ice_policy=settings.ice_transport_policy,
        grace_seconds=settings.reconnect_grace_seconds,
        tone_without_microphone=True,
    ).start()


def review_probe(
    url: str,
    settings: Settings,
    *,
    credential: IntakeSignIn,
    wait: float,
    seconds: float,
    face: str,
    emit: Emit,
) -> bool:
    """Take the next applicant and emit the media's figures once a second, then a summary.
    `face`: "on" (ProbeFailed without the face pipeline), "auto" or "off". True when frames came."""
    from media.call import IntakeError

    call = probe_call(url, settings, credential)
    probe_face: ProbeFace | None = None
    try:
        try:
            applicant = take_next_within(call, wait, poll=0.5)
        except IntakeError as error:
            raise ProbeFailed(str(error)) from error
        log.info("took session %s (%s)", applicant.session_id, applicant.applicant_name)
        if face != "off":
            try:
                probe_face = ProbeFace.start(call, applicant.reference_photo, settings)
            except ProbeFaceUnavailable as error:
                if face == "on":
                    raise ProbeFailed(str(error)) from error
                log.warning("no face-match figures: %s", error)
        first = call.frames.wait_newer(0, timeout=max(10.0, settings.reconnect_grace_seconds))
        if first is None:
            emit({"summary": {"frames": 0, "error": "no frame arrived", "session_id": applicant.session_id}})
            return False
        started = time.monotonic()
        first_frames = call.frames.count
        for second in range(1, int(seconds) + 1):
            time.sleep(max(0.0, started + second - time.monotonic()))
            stats = call.stats()
            line: dict[str, Any] = {
                "t": second,
                "frames": stats.frames,
                "fps": round(stats.fps, 1),
                "width": stats.width,
                "height": stats.height,
                "audio_packets": stats.audio_packets,
                "leg": stats.leg,
            }
            if probe_face is not None:
                line.update(probe_face.fields())
            emit(line)
        elapsed = time.monotonic() - started
        stats = call.stats()
        face_summary = probe_face.summary(stats.frames) if probe_face is not None else {}
        emit(
            {
                "summary": face_summary
                | {
                    "t": round(elapsed, 2),
                    "frames": stats.frames,
                    "fps": round((stats.frames - first_frames) / elapsed, 2) if elapsed else 0.0,
                    "width": stats.width,
                    "height": stats.height,
                    "audio_packets": stats.audio_packets,
                    "audio_output": call.audio_status.output.value,
                    "session_id": applicant.session_id,
                    "legs": stats.leg,
                    "state": call.status.state.value,
                }
            }
        )
        return stats.frames > 0
    finally:
        if probe_face is not None:
            probe_face.stop()
        call.close()


class ProbeFace:
    """The live face pipeline on the probe's received frames (services.face_match, as the
    console wires it), with `match --jsonl`'s fields per second and its summary at the end,
    timed from the probe's start."""

    def __init__(self, face_match: CallFaceMatch, builder: Any, started: float) -> None:
        self.face_match = face_match
        self.builder = builder
        self.started = started
        self.last: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def start(cls, call: Any, reference_photo: bytes, settings: Settings) -> ProbeFace:
        try:
            from media.face.engine import FaceModelsMissing
            from media.face.offline import SummaryBuilder
            from media.face.quality import QualityLimits
            from media.face.reference import check_reference_photo
            from media.face.worker import FaceWorkerError
        except ImportError as error:
            raise ProbeFaceUnavailable(f"the face pipeline is not available ({error})") from error
        try:
            report = check_reference_photo(reference_photo, limits=QualityLimits.from_settings(settings))
        except FaceModelsMissing as error:
            raise ProbeFaceUnavailable(str(error)) from error
        if not report.ok or report.encoding is None:
            raise ProbeFaceUnavailable("the reference photo cannot be used: " + "; ".join(report.problems))
        probe = cls(
            CallFaceMatch(call.frames, settings),
            SummaryBuilder(settings.match_sustain_seconds),
            time.monotonic(),
        )
        probe.face_match.on_score = probe._score
        try:
            probe.face_match.start(reference_encoding=report.encoding)
        except (FaceWorkerError, FaceModelsMissing) as error:
            probe.face_match.stop()
            raise ProbeFaceUnavailable(str(error)) from error
        return probe

    # the worker's reader thread; scores are on the media clock, the figures from the start
    def _score(self, score: FaceScore) -> None:
        score = dataclasses.replace(score, frame_time=score.frame_time - self.started)
        with self._lock:
            self.builder.add(score)
            self.last = {key: value for key, value in score.as_json().items() if key not in ("t", "frame")}

    def fields(self) -> dict[str, Any]:
        """The newest face update: faces, distance, similarity, match, live, flags."""
        with self._lock:
            return dict(self.last)

    def summary(self, frames: int) -> dict[str, Any]:
        with self._lock:
            figures: dict[str, Any] = self.builder.summary(frames).as_json()["summary"]
        figures.pop("frames", None)
        return {"face_" + key if key == "updates" else key: value for key, value in figures.items()}

    def stop(self) -> None:
        self.face_match.stop()


def drain_queue(url: str, settings: Settings, *, credential: IntakeSignIn, wait: float, emit: Emit) -> int:
    """Take applicants, without media, until the queue has been empty for `wait` seconds; emits
    one line per applicant taken and returns how many. ProbeFailed when the intake refuses
    (the applicants taken so far have been emitted)."""
    from media.call.client import IntakeError, intake_session, request_next_applicant

    async def drain() -> int:
        taken = 0
        idle_since = time.monotonic()
        async with intake_session(settings.intake_ca_file) as http:
            while time.monotonic() - idle_since < wait:
                try:
                    applicant = await request_next_applicant(http, url, credential)
                except IntakeError as error:
                    raise ProbeFailed(str(error)) from error
                if applicant is None:
                    await asyncio.sleep(0.2)
                    continue
                taken += 1
                idle_since = time.monotonic()
                emit({"taken": applicant.session_id, "application_id": applicant.application_id})
        return taken

    return asyncio.run(drain())


def record_probe(
    url: str,
    settings: Settings,
    database: Database,
    *,
    credential: IntakeSignIn,
    seconds: float,
    wait: float,
    faces: bool,
    emit: Emit,
) -> bool:
    """Take the next applicant, record every leg under the data directory and store the legs
    and connection events; one line a second. Ends after `seconds`, or when the call ends.
    The wiring is the live console's (services.recording). True when frames came."""
    from media.call import CallState, IntakeError
    from services.recording import SessionRecording

    call = probe_call(url, settings, credential)
    # Before the applicant is taken; encrypted at rest, as the console records.
    recording = SessionRecording(call, database, settings, sealer=configured_sealer())
    face_match: CallFaceMatch | None = None
    try:
        try:
            applicant = take_next_within(call, wait, poll=0.3)
        except IntakeError as error:
            raise ProbeFailed(str(error)) from error
        directory = recording.begin(applicant.session_id)
        emit({"session_id": applicant.session_id, "directory": str(directory)})
        if call.frames.wait_newer(0, timeout=max(10.0, wait)) is None:
            raise ProbeFailed("no frame arrived")
        if faces:
            assert recording.timeline is not None  # begun
            face_match = CallFaceMatch(
                call.frames, settings, timeline=recording.timeline, room_scan_interval=0
            )
            face_match.start(reference_image=applicant.reference_photo)
        started = time.monotonic()
        second = 0
        while time.monotonic() - started < seconds:
            second += 1
            time.sleep(max(0.0, started + second - time.monotonic()))
            recorder = recording.recording.recorder
            stats = recorder.stats() if recorder else None
            emit(
                {
                    "t": second,
                    "leg": call.status.leg,
                    "state": call.status.state.value,
                    "leg_clock": round(recorder.elapsed(), 3) if recorder else None,
                    "leg_started_at": recorder.started_at if recorder else None,
                    "frames_recorded": stats.video_frames if stats else 0,
                    "frames_dropped": stats.video_dropped if stats else 0,
                    "recording": recording.recording.state.value,
                }
            )
            recording.store()
            if call.status.state in (
                CallState.CONNECTION_FAILED,
                CallState.HUNG_UP,
                CallState.APPLICANT_HUNG_UP,
            ):
                break
        if face_match is not None:
            face_match.stop()
            face_match = None
        return call.stats().frames > 0
    finally:
        if face_match is not None:
            face_match.stop()
        call.close()
        recording.close()
