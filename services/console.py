"""The reviewer console's services on the real layers (app.console.ConsoleServices): storage's
accounts, review records, pending decisions and queue desk; media's ReviewerCall and FaceWorker.

Every call is recorded (services.recording, shared with `record-probe`): each leg's files under
the recordings folder, encrypted at rest, and the session's timeline (legs, connection events,
face scores with boxes and flags, on the session clock) in the database. At sign-in, sessions
this reviewer's console left in a call when it stopped are marked abandoned.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.camera import CameraVerdict, load_camera_rules
from app.console import AudioState, ConnectionState, HangUp, RecordingState
from app.decisions import DecisionSubmission
from app.errors import InvalidTransition, ReviewError
from app.face import ChallengeKind, ChallengeState, ChallengeStatus, draw_challenge_pair
from app.ids import DecisionId, ReviewerId, SessionId
from app.questionnaire import AnswerValue
from app.queue import QueueSummary, TakenApplicant
from app.roles import Forbidden
from app.settings import Settings
from services import check_policy_from, configured_sealer
from services.face_match import CallFaceMatch, PreparedFaceWorker

if TYPE_CHECKING:
    from app.console import CallEvents
    from app.face import FaceScore
    from app.review import FaceAttempts
    from media.call import IntakeSignIn, ReviewerCall
    from media.call.audio import AudioStatus
    from media.call.client import CallStatus
    from services.recording import SessionRecording
    from storage.database import Database
    from storage.pending import RefusedDecision

log = logging.getLogger(__name__)

TAKE_NEXT_TIMEOUT = 30.0


# The media call's states as the reviewer sees them (IDLE: not reported).
_CONNECTION_STATES = {
    "connecting": ConnectionState.CONNECTING,
    "connected": ConnectionState.CONNECTED,
    "reconnecting": ConnectionState.DROPPED,
    "connection_failed": ConnectionState.FAILED,  # the intake recorded it as connection failed
    "hung_up": ConnectionState.ENDED,
    "applicant_hung_up": ConnectionState.APPLICANT_HUNG_UP,  # the intake recorded it as abandoned
}


@dataclass(frozen=True)
class FailedChallenge:
    """A failed challenge waiting to be stored: its identity in storage (the session's, its
    kind, when it was asked) and the score that told it (for the window; None once given)."""

    kind: ChallengeKind
    asked_t: float | None
    score: FaceScore | None


def draw_next_challenge(after: ChallengeStatus | None) -> tuple[ChallengeKind, ...]:
    """The console's draw after the call's last settled challenge: two different challenges in a
    row (app.face.draw_challenge_pair), the second asked once the first passed."""
    return draw_challenge_pair(after=after)


class MediaApplicantCall:
    """app.console.ApplicantCall over one taken applicant of a ReviewerCall, with its FaceWorker and
    its recording (services.recording, as record-probe records).

    Frames go to the window, to the face worker (newest only, both) and to the recorder; scores
    go to the window and onto the session's timeline (session clock, with boxes), stored about
    once a second by the call's monitor thread, which also reports the recording's state.
    A liveness challenge that failed is a failed face attempt, counted in storage here before
    its score goes on to the window (the monitor thread retries when the database is away): the
    window shows it and reads the count back, it cannot skip it. The applicant's camera reports
    are checked against the bank's camera rules (app.camera): the verdict goes to the window
    and, with what it raised, onto the timeline."""

    def __init__(
        self,
        services: LiveConsoleServices,
        call: ReviewerCall,
        applicant: TakenApplicant,
        events: CallEvents,
        recording: SessionRecording,
    ) -> None:
        self.services = services
        self.call = call
        self.applicant = applicant
        self.events = events
        self.recording = recording
        self.face_match: CallFaceMatch | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._monitor = threading.Thread(
            target=self._watch, name=f"call-{applicant.session_id}-monitor", daemon=True
        )
        self._recording_state: tuple[RecordingState, str] | None = None
        self._ended = False
        self._init_challenges()

    def _init_challenges(self) -> None:
        """The challenges' state, shared by the face worker's reader thread (verdicts), the call
        status thread (hang-up), the console's call worker (asks) and the monitor thread (which
        stores the failures): all of it under `_lock`, never held while the database works."""
        self._lock = threading.Lock()
        self._wake = threading.Event()  # the monitor has failures to store
        # The challenge settled last in this call (what the next draw may follow).
        self.last_challenge: ChallengeStatus | None = None
        self._open_challenge: ChallengeKind | None = None  # asked, not settled yet
        self._open_asked_t: float | None = None  # when, on the face worker's clock (once it said)
        # The challenges still to ask after the open one passes (the rest of the drawn sequence).
        self._then: tuple[ChallengeKind, ...] = ()
        # Failed challenges not stored yet, each (kind, asked_t: its identity in storage, the score
        # that told it: the window gets it once storage counted it, or could not yet).
        self._uncounted: list[FailedChallenge] = []
        self._hung_up_on: FailedChallenge | None = None  # the challenge a hang-up failed

    def start(self) -> MediaApplicantCall:
        from media.face.worker import FaceWorkerError

        self.recording.begin(self.applicant.session_id)
        self.face_match = CallFaceMatch(
            self.call.frames,
            self.services.settings,
            timeline=self.recording.timeline,
            on_frame=lambda sample: self.events.frame(sample.image, sample.received_at),
            on_score=self._score,
            worker=self.services.prepared_face_worker.take() if self.services.face_matching else None,
        )
        try:  # 1-3 s while the models load, unless prepared: this runs on the console's call worker
            reference = self.applicant.reference_photo if self.services.face_matching else None
            self.face_match.start(reference_image=reference)
        except FaceWorkerError as error:
            log.error("face matching is not available for this call: %s", error)
        self._unsubscribe.append(self.call.on_status(self._status))
        # The recording checks the camera reports (services.recording): the window gets its verdicts.
        self.recording.camera.listeners.append(self._camera)
        self._unsubscribe.append(self.call.on_audio(self._audio))
        self._status(self.call.status)
        self._monitor.start()
        return self

    # the face worker's reader thread: never waits on the database
    def _score(self, score: FaceScore) -> None:
        challenge = score.challenge
        if challenge is None:
            self.events.face_score(score)
            return
        if challenge.state is ChallengeState.ASKED:
            with self._lock:
                self._open_challenge = challenge.kind
                self._open_asked_t = challenge.asked_t if challenge.asked_t is not None else challenge.t
            self.events.face_score(score)
            return
        with self._lock:
            follows, self._then = self._then, ()
            hung_up_on = challenge.state is not ChallengeState.PASSED and self._settled_by_hang_up(challenge)
            if hung_up_on and challenge.state is ChallengeState.NOT_JUDGED:
                # The applicant hung up on it: failed and counted then, whatever came after.
                challenge = replace(challenge, state=ChallengeState.FAILED)
                score = replace(score, challenge=challenge)
            self.last_challenge, self._open_challenge, self._open_asked_t = challenge, None, None
            failed = challenge.state is ChallengeState.FAILED
            queued = failed and not hung_up_on
            if queued:
                self._uncounted.append(FailedChallenge(challenge.kind, challenge.asked_t, score))
        if failed:
            self.call.show_challenge(challenge.kind.value, challenge.state.value)
            if queued:
                self._wake.set()  # the monitor stores it, then the window gets the score
            else:
                self.events.face_score(score)
            return
        passed = challenge.state is ChallengeState.PASSED  # or not judged: nothing follows it
        if passed and follows and self._ask(follows[0], follows[1:]):
            # The next of the sequence, at once: the page shows it with its own countdown, and
            # the window sees it asked (not this step's pass: the sequence is not passed yet).
            asked = ChallengeStatus(follows[0], ChallengeState.ASKED, challenge.t, asked_t=challenge.t)
            self.events.face_score(replace(score, challenge=asked))
            return
        self.call.show_challenge(challenge.kind.value, challenge.state.value)
        self.events.face_score(score)

    def _settled_by_hang_up(self, verdict: ChallengeStatus) -> bool:
        """(Under _lock.) The applicant hung up on this challenge and its failure is queued
        already: its verdict, arriving after, is not a second failure."""
        hung_up_on, self._hung_up_on = self._hung_up_on, None
        if hung_up_on is None or hung_up_on.kind is not verdict.kind:
            return False
        return (
            hung_up_on.asked_t is None
            or verdict.asked_t is None
            or abs(hung_up_on.asked_t - verdict.asked_t) < 1e-6
        )

    # the monitor thread (and the end of the call, once the monitor stopped): may wait on the database
    def _count_failed_challenge(self) -> None:
        """Store the failed challenges not stored yet, each as a failed face attempt, then give
        the window its score; what the database does not take now is tried again on the next
        tick (storage recognises a failure stored already: counted once)."""
        while True:
            with self._lock:
                if not self._uncounted:
                    return
                failure = self._uncounted[0]
            try:
                self.services.record_failed_challenge(
                    self.applicant.session_id, failure.kind, asked_t=failure.asked_t
                )
            except InvalidTransition as error:  # the session ended: nothing left to count in
                log.warning("session %s: challenge not counted: %s", self.applicant.session_id, error)
            except Exception as error:
                log.error(
                    "session %s: failed challenge not counted yet (tried again): %s",
                    self.applicant.session_id,
                    error,
                )
                if failure.score is not None:  # the window is not held up by the outage
                    with self._lock:
                        self._uncounted[0] = replace(failure, score=None)
                    self.events.face_score(failure.score)
                return
            with self._lock:
                self._uncounted.pop(0)
            if failure.score is not None:
                self.events.face_score(failure.score)

    # the console's call worker
    def ask_challenge(self) -> ChallengeKind | None:
        """Challenges drawn at random (two different ones in a row: draw_next_challenge): the
        first to the face worker, which verifies it, and to the applicant's page, which shows it
        with its time limit; the next one the same way as soon as the first passed (_score). The
        first kind asked; None without face matching."""
        if self.face_match is None or self._ended:
            return None
        drawn = self.services.challenge_draw(self.last_challenge)
        kinds = (drawn,) if isinstance(drawn, ChallengeKind) else tuple(drawn)
        if not kinds or not self._ask(kinds[0], kinds[1:]):
            return None
        return kinds[0]

    def _ask(self, kind: ChallengeKind, then: tuple[ChallengeKind, ...]) -> bool:
        """Ask `kind` (the worker verifies it, the page shows it); `then` follow once it passed."""
        face_match = self.face_match
        if face_match is None or self._ended or not face_match.ask_challenge(kind):
            return False
        with self._lock:
            self._open_challenge, self._open_asked_t, self._then = kind, None, then
        seconds = self.services.settings.face_challenge_seconds
        self.call.show_challenge(kind.value, ChallengeState.ASKED.value, seconds)
        log.info("session %s: liveness challenge %s asked", self.applicant.session_id, kind.value)
        return True

    def _status(self, status: CallStatus) -> None:
        if status.session_id not in (None, self.applicant.session_id):
            return
        state = _CONNECTION_STATES.get(status.state.value)
        if state is ConnectionState.APPLICANT_HUNG_UP:
            # Hanging up on a challenge does not draw a new one for free: it is a failed one,
            # stored by the monitor (no database on this thread). Its verdict, if the worker
            # still gives one, finds it settled and is not counted again.
            with self._lock:
                kind, asked_t = self._open_challenge, self._open_asked_t
                self._open_challenge, self._open_asked_t, self._then = None, None, ()
                if kind is not None:
                    self._hung_up_on = FailedChallenge(kind, asked_t, None)
                    self._uncounted.append(self._hung_up_on)
            if kind is not None:
                self._wake.set()
        if state is not None:
            self.events.connection(state, status.leg)

    def _camera(self, verdict: CameraVerdict) -> None:
        self.events.camera(verdict)

    def _audio(self, audio: AudioStatus) -> None:
        output = audio.output.value
        if output == "playing":
            self.events.audio(AudioState.RECEIVING)
        elif output == "no_device":
            self.events.audio(AudioState.NO_DEVICE if audio.packets else AudioState.NONE)
        else:
            self.events.audio(AudioState.NONE)

    # the monitor thread: may wait on the database
    def _watch(self, interval: float = 0.5) -> None:
        """Every `interval` the recording's state, every second its scores; failed challenges
        at once (woken by the reader or status thread), and again each tick while not stored."""
        next_report = next_store = time.monotonic()
        while True:
            self._wake.wait(interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            self._count_failed_challenge()
            now = time.monotonic()
            if now >= next_report:
                next_report = now + interval
                self._report_recording()
            if now >= next_store + 2 * interval:
                next_store = now
                self.recording.store()

    def _report_recording(self) -> None:
        state = self.recording.state
        if state != self._recording_state:
            self._recording_state = state
            if state[0] is not RecordingState.OFF:
                if state[0] is not RecordingState.RECORDING:
                    log.warning("session %s: recording %s: %s", self.applicant.session_id, *state)
                self.events.recording(*state)

    # the console's call worker
    def end(self, why: HangUp = HangUp.REVIEWER) -> None:
        if self._ended:
            return
        self._ended = True
        self._stop.set()
        self._wake.set()
        if self._monitor.is_alive():
            self._monitor.join()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self.face_match is not None:
            self.face_match.stop()
        self._count_failed_challenge()  # a last try (the monitor has stopped: no other thread stores)
        try:
            self.call.hang_up(why.value).result(timeout=10)
        except Exception as error:
            log.warning("hang-up of session %s: %s", self.applicant.session_id, error)
        try:
            self.recording.close()  # the last scores, the last leg's files and its database rows
        except Exception as error:
            log.warning("recording of session %s not closed cleanly: %s", self.applicant.session_id, error)
        if self.services.face_matching:
            # For the next call, loading meanwhile, once this one is wound up (after close(), at
            # the console's exit, none; one prepared as the window closes is stopped at once).
            self.services.prepared_face_worker.prepare()

    def use_audio_output(self, device_id: str) -> None:
        # media.call plays on the system default output; a chosen device is kept for when it can.
        log.info("audio output %r chosen; media plays on the default output for now", device_id)


class LiveConsoleServices:
    """app.console.ConsoleServices on storage and media. Every method may block; the window
    calls them on its workers, never on the Qt thread."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        intake_url: str,
        *,
        face_matching: bool = True,
        pending_retry_seconds: float = 30.0,
    ) -> None:
        from app.rules import ReviewRules
        from storage.desk import DatabaseReviewDesk
        from storage.pending import PendingDecisions
        from storage.reviewers import Accounts
        from storage.reviews import ReviewRecords

        self.settings = settings
        self.database = database
        self.intake_url = intake_url
        self.face_matching = face_matching
        # Prepared (prepare_face_matching) as the console starts, and again after each call.
        self.prepared_face_worker = PreparedFaceWorker(settings)
        # How each liveness challenge is chosen, given the one settled before it in the call: at
        # random, "blink twice" never first nor alone (tests may fix it).
        # A kind, or kinds asked one after the other (each once the one before passed).
        self.challenge_draw: Callable[[ChallengeStatus | None], ChallengeKind | tuple[ChallengeKind, ...]] = (
            draw_next_challenge
        )
        # Read once, at start: a mistake in the bank's file stops the console with its message.
        self.camera_rules = load_camera_rules(settings.camera_rules_file)
        self.accounts = Accounts(database)
        self.records = ReviewRecords.from_settings(
            database, settings, check_policy=check_policy_from(settings)
        )
        self.sealer = configured_sealer()  # photos and recordings are encrypted at rest
        self.pending = PendingDecisions(settings.data_dir / "pending-decisions", self.records)
        self.desk = DatabaseReviewDesk(database, ReviewRules.from_settings(settings), self.sealer)
        self.reviewer_name = ""
        self.intake_credential: IntakeSignIn | None = None
        self._reviewer: ReviewerId | None = None  # the account signed in on this console
        self.abandoned: list[SessionId] = []
        self._call: ReviewerCall | None = None
        # A recording is started before each take (it taps the call's audio from the start),
        # then handed to the call of the applicant taken.
        self._next_recording: SessionRecording | None = None
        self._taken_recordings: dict[SessionId, SessionRecording] = {}
        self._recordings_lock = threading.Lock()
        self._stop = threading.Event()
        self._retrier = threading.Thread(
            target=self._retry_pending, args=(pending_retry_seconds,), name="pending-decisions", daemon=True
        )
        self._retrier.start()

    def _retry_pending(self, interval: float) -> None:
        """Decisions kept on this workstation during a database outage are stored when it is back."""
        while not self._stop.wait(interval):
            try:
                for result in self.pending.retry():
                    if result.stored is not None:
                        log.info("pending decision for session %s stored", result.stored.session_id)
            except Exception as error:
                log.warning("pending decisions not retried: %s", error)

    def sign_out(self, reviewer_id: ReviewerId) -> None:
        """The reviewer signed out: their call to the intake is closed and dropped (with the
        recordings made ready for their next take), the console forgets who is signed in, and
        the intake ends their credential (refused from now on; when the intake cannot be
        reached, it lapses after its lifetime). A new sign-in is needed for anything more."""
        from media.call import IntakeError
        from media.call import sign_out as sign_out_at_intake

        credential = self.intake_credential
        theirs = credential is not None and credential.reviewer_id == reviewer_id
        if not theirs and self._reviewer != reviewer_id:
            return
        self.intake_credential = None
        self.reviewer_name = ""
        self._reviewer = None
        self._drop_call()
        if credential is not None and theirs:
            try:
                sign_out_at_intake(self.intake_url, credential, ca_file=self.settings.intake_ca_file)
            except IntakeError as error:
                log.warning("the intake did not end the credential at sign-out: %s", error)

    def _drop_call(self) -> None:
        """Close the call to the intake (and the recordings waiting for its takes)."""
        call, self._call = self._call, None
        with self._recordings_lock:
            unused = [r for r in (self._next_recording, *self._taken_recordings.values()) if r is not None]
            self._next_recording = None
            self._taken_recordings.clear()
        for recording in unused:
            try:
                recording.close()
            except Exception as error:
                log.warning("an unused recording was not closed cleanly: %s", error)
        if call is not None:
            call.close()

    def sign_in(self, name: str, password: str) -> ReviewerId:
        """The intake service checks the password (and counts failures toward its lock-out);
        its credential is what every later request to it carries. When the intake cannot be
        reached, the password is checked on the database and the console works without
        taking applicants (decisions kept during an outage, replay) until the next sign-in."""
        from media.call import IntakeError, IntakeSignInRefused, sign_in

        credential: IntakeSignIn | None
        try:
            credential = sign_in(self.intake_url, name, password, ca_file=self.settings.intake_ca_file)
        except IntakeSignInRefused as error:
            raise ReviewError(str(error)) from None
        except IntakeError as error:
            log.warning("signed in without the intake service: %s", error)
            account = self.accounts.sign_in(name, password)
            credential, reviewer_name, account_id = None, account.name, account.id
        else:
            reviewer_name, account_id = credential.reviewer_name, ReviewerId(credential.reviewer_id)
        if self._reviewer is not None:  # signed in again without signing out: the last one ends
            self.sign_out(self._reviewer)
        self.intake_credential = credential
        self.reviewer_name = reviewer_name
        self._reviewer = account_id
        # Decisions kept here during an outage go in first: their sessions are not unfinished.
        try:
            self.pending.retry()
        except Exception as error:
            log.warning("pending decisions not retried at sign-in: %s", error)
        self._abandon_unfinished(account_id)
        return account_id

    def _abandon_unfinished(self, reviewer_id: ReviewerId) -> None:
        """Sessions this reviewer's console left in a call when it stopped (killed, crashed) are
        marked abandoned; their recordings stay, and replay as far as they were written."""
        try:
            abandoned = self.records.abandon_unfinished(datetime.now(UTC), reviewer_id=reviewer_id)
        except Exception as error:
            log.warning("unfinished sessions of reviewer %s not checked: %s", reviewer_id, error)
            return
        for session_id in abandoned:
            log.warning("session %s was left in a call by the last run: marked abandoned", session_id)
        self.abandoned = list(abandoned)
        try:
            from storage.evidence import cover_uncovered

            # What the crash left on disk is now what the audit chain vouches for.
            cover_uncovered(self.database, self.settings.recordings_dir, reviewer_id=reviewer_id)
        except Exception as error:
            log.warning(
                "recordings of reviewer %s not covered by the audit chain yet: %s", reviewer_id, error
            )
        try:
            from services.recording import upload_spool

            upload_spool(self.settings, self.database)
        except Exception as error:
            log.warning("the recordings spool was not sent to the shared store: %s", error)

    def abandoned_at_sign_in(self) -> int:
        return len(self.abandoned)

    def pending_decisions(self) -> int:
        return sum(1 for _ in self.pending.directory.glob("*.json"))

    def queue_summary(self) -> QueueSummary:
        return self.desk.summary(datetime.now(UTC))

    def _reviewer_call(self, reviewer_id: ReviewerId) -> ReviewerCall:
        from media.call import ReviewerCall

        credential = self.intake_credential
        if credential is None or credential.reviewer_id != reviewer_id:
            raise ReviewError(
                "This console is not signed in to the intake service (it could not be reached at "
                "sign-in). Sign in again to take applicants."
            )
        if self._call is not None and self._call.credential != credential:
            self._drop_call()  # another reviewer's, or an earlier sign-in's: never reused
        if self._call is None:
            self._call = ReviewerCall(
                self.intake_url,
                credential,
                ca_file=self.settings.intake_ca_file,
                ice_policy=self.settings.ice_transport_policy,
                grace_seconds=self.settings.reconnect_grace_seconds,
            ).start()
        return self._call

    def take_next(self, reviewer_id: ReviewerId) -> TakenApplicant | None:
        from services.recording import SessionRecording

        call = self._reviewer_call(reviewer_id)
        with self._recordings_lock:
            if self._next_recording is None:
                self._next_recording = SessionRecording(
                    call, self.database, self.settings, sealer=self.sealer, camera_rules=self.camera_rules
                )
        taken = call.take_next().result(timeout=TAKE_NEXT_TIMEOUT)
        if taken is None:
            return None  # the recording waits for the next take
        with self._recordings_lock:
            recording, self._next_recording = self._next_recording, None
            if recording is not None:
                self._taken_recordings[SessionId(taken.session_id)] = recording
        return taken

    def start_call(self, applicant: TakenApplicant, events: CallEvents) -> MediaApplicantCall:
        from services.recording import SessionRecording

        if self._call is None:
            raise ReviewError("No call is open: take an applicant first.")
        with self._recordings_lock:
            recording = self._taken_recordings.pop(applicant.session_id, None)
        if recording is None:
            recording = SessionRecording(
                self._call, self.database, self.settings, sealer=self.sealer, camera_rules=self.camera_rules
            )
        return MediaApplicantCall(self, self._call, applicant, events, recording).start()

    def _signed_in(self, reviewer_id: ReviewerId) -> ReviewerId:
        """The reviewer the window names must be the one signed in here; storage then lets them
        write only in the sessions they took."""
        if self._reviewer is None or reviewer_id != self._reviewer:
            raise Forbidden("Only the reviewer signed in on this console can record here.")
        return reviewer_id

    def save_answer(
        self, session_id: SessionId, reviewer_id: ReviewerId, question_id: str, value: AnswerValue
    ) -> None:
        self._signed_in(reviewer_id)
        self.records.save_answer(
            session_id, question_id, value, reviewer_id=reviewer_id, now=datetime.now(UTC)
        )

    def save_decision(self, submission: DecisionSubmission) -> DecisionId:
        self._signed_in(submission.reviewer_id)
        # The answers as confirmed travel with the decision: storage brings the stored ones up
        # to date in the decision's own transaction, also when it is retried after an outage.
        result = self.pending.submit(
            submission, actor=self.reviewer_name or str(submission.reviewer_id), now=datetime.now(UTC)
        )
        if result.stored is not None:
            return result.stored.id
        if result.pending:
            raise ReviewError(
                f"{result.error}. The decision is kept on this workstation "
                "and stored when the database is back."
            )
        # Refused for good (the session was already decided, e.g. closed as connection failed
        # when the grace time ran out): the window tells the reviewer and moves on.
        raise InvalidTransition(result.error)

    def face_attempts(self, session_id: SessionId) -> FaceAttempts:
        return self.records.face_attempts(session_id)

    def record_face_attempt(
        self, session_id: SessionId, reviewer_id: ReviewerId, *, failed: bool
    ) -> FaceAttempts:
        return self.records.record_face_attempt(
            session_id,
            failed=failed,
            now=datetime.now(UTC),
            reviewer_id=self._signed_in(reviewer_id),
            actor=self.reviewer_name or str(reviewer_id),
        )

    def record_failed_challenge(
        self, session_id: SessionId, kind: ChallengeKind, *, asked_t: float | None = None
    ) -> FaceAttempts:
        """A liveness challenge of the call on this console (asked at `asked_t`, the face
        worker's clock) failed: a failed face attempt in storage (the bank's rule, not the
        window's), in the signed-in reviewer's session; counted once however often it is told."""
        reviewer = self._reviewer
        return self.records.record_failed_challenge(
            session_id,
            kind.value,
            asked_t=asked_t,
            now=datetime.now(UTC),
            reviewer_id=reviewer,
            actor=self.reviewer_name or str(reviewer),
        )

    def refused_decisions(self) -> list[RefusedDecision]:
        return self.pending.refused()

    def prepare_face_matching(self) -> None:
        """Prepare the first call's face worker now (services.face_match.PreparedFaceWorker)."""
        if self.face_matching:
            self.prepared_face_worker.prepare()

    def close(self) -> None:
        self._stop.set()
        self._drop_call()
        self.prepared_face_worker.close()


# The modules a console's first call would otherwise import on the call's threads (found with an
# audit hook on "import" during a take): the face worker with multiprocessing's spawning, queues
# and shared memory; the DTLS key's serialization; the recorder and the PyAV subtitle streams its
# containers open. An import holds the GIL while it runs, and at the first take the Qt thread
# waited 20-30 ms for them while it laid out the applicant.
MODULES_A_CALL_USES = (
    "multiprocessing.connection",
    "multiprocessing.heap",
    "multiprocessing.popen_spawn_posix",
    "multiprocessing.queues",
    "multiprocessing.shared_memory",
    "multiprocessing.sharedctypes",
    "multiprocessing.synchronize",
    "av.subtitles.stream",
    "cryptography.hazmat.backends.openssl",
    "cryptography.hazmat.primitives.serialization",
    "media.face.worker",
    "media.recording.call",
    "media.recording.upload",
    "cv2",  # the ID photo is decoded with it at each take (ui.application_panel)
)


def import_what_a_call_uses() -> None:
    """Import MODULES_A_CALL_USES now, as the console starts."""
    import importlib

    for name in MODULES_A_CALL_USES:
        try:
            importlib.import_module(name)
        except ImportError as error:  # a module renamed upstream: the call imports what it needs
            log.warning("not imported ahead of the first call: %s (%s)", name, error)


@contextlib.contextmanager
def running_console(
    settings: Settings, database: Database, *, face_matching: bool = True
) -> Iterator[LiveConsoleServices]:
    """The console's services on its intake service: the embedded one started here (unless the
    settings name an external one, intake_url), and stopped after the services are closed."""
    from services.intake import start_embedded_intake

    import_what_a_call_uses()
    server, url = start_embedded_intake(settings, database)
    try:
        services = LiveConsoleServices(settings, database, url, face_matching=face_matching)
        services.prepare_face_matching()
        try:
            yield services
        finally:
            services.close()
    finally:
        if server is not None:
            server.stop()
