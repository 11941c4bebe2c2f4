"""The database tables, as SQLAlchemy 2.0 typed ORM classes. Alembic owns the schema;
a change here needs a migration in storage/migrations/versions."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Reviewer(Base):
    __tablename__ = "reviewers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # reviewer | supervisor | administrator
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_name: Mapped[str] = mapped_column(String(200))
    national_id_masked: Mapped[str] = mapped_column(String(40))
    # sha256 of the full ID number: enough to match it, not enough to show it.
    national_id_digest: Mapped[str] = mapped_column(String(64), index=True)
    phone: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(500))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(30), index=True)
    reference_photo: Mapped[bytes] = mapped_column(LargeBinary)
    reference_photo_format: Mapped[str] = mapped_column(String(20))
    # The 128-d encoding of the reference face, computed at registration.
    reference_encoding: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    sessions: Mapped[list[ReviewSessionRow]] = relationship(back_populates="application")


class ReviewSessionRow(Base):
    __tablename__ = "review_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"), nullable=True, index=True)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    face_attempts_used: Mapped[int] = mapped_column(Integer, default=0)
    face_attempts_failed: Mapped[int] = mapped_column(Integer, default=0)
    # The questions this session asks, in the order asked (ids; app.questionnaire.Questionnaire.draw),
    # drawn once when a reviewer first takes it. None: drawn before this existed (every question).
    questions_asked: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # Bumped on every update, so two writers cannot both act on the same state.
    version: Mapped[int] = mapped_column(Integer, default=1)

    application: Mapped[Application] = relationship(back_populates="sessions")
    legs: Mapped[list[SessionLeg]] = relationship(back_populates="session", order_by="SessionLeg.number")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it once)
    __table_args__ = (Index("ix_review_sessions_state_queued", "state", "queued_at"),)


class SessionLeg(Base):
    """One continuous connection of a session; a reconnect is a new leg."""

    __tablename__ = "session_legs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    recording_path: Mapped[str | None] = mapped_column(String(500), nullable=True)

    session: Mapped[ReviewSessionRow] = relationship(back_populates="legs")
    __table_args__ = (Index("uq_session_legs_session_number", "session_id", "number", unique=True),)


class AnswerRow(Base):
    """An answer as it was entered; a corrected answer is a new row (the latest counts)."""

    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"), nullable=True)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Seconds since the session's first leg started: the recording's clock.
    t: Mapped[float | None] = mapped_column(Float, nullable=True)


class DecisionRow(Base):
    """Final once written. A supervisor amendment is a new row whose amends_id points here."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(30))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")
    overridden: Mapped[list[str]] = mapped_column(JSON)
    face_summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    answers_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    t: Mapped[float | None] = mapped_column(Float, nullable=True)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)
    # The reviewer's confirmation, once: a save retried after a database outage finds it here.
    request_id: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (
        # Exactly one original decision per session, whoever tries to write a second.
        Index(
            "uq_decisions_one_original",
            "session_id",
            unique=True,
            sqlite_where=text("amends_id IS NULL"),
            postgresql_where=text("amends_id IS NULL"),
        ),
    )


class ScoreSample(Base):
    __tablename__ = "score_samples"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"), index=True)
    leg_number: Mapped[int] = mapped_column(Integer, default=1)
    t: Mapped[float] = mapped_column(Float)
    faces: Mapped[int] = mapped_column(Integer)
    distance: Mapped[float | None] = mapped_column(Float, nullable=True)
    similarity: Mapped[float | None] = mapped_column(Float, nullable=True)
    matched: Mapped[bool] = mapped_column(Boolean)
    live: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    flags: Mapped[list[str]] = mapped_column(JSON)
    # The face's box in the frame, [top, right, bottom, left] pixels, with the frame's size
    # [.., .., .., .., width, height] so the replay can draw it at any scale (migration 0002).
    box: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)


class AuditEventRow(Base):
    """Append-only; each row carries the hash of the previous one (see app.audit)."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The newest event's number and hash, so deleting the last events is detectable too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


# -- recording and replay (migration 0002) ------------------------------------------------------


class EventKind(enum.StrEnum):
    """The kinds of SessionEvent rows."""

    CONNECTION_DROPPED = "connection.dropped"
    CONNECTION_RESTORED = "connection.restored"
    CONNECTION_FAILED = "connection.failed"
    MULTIPLE_FACES = "flag.multiple_faces"
    LIVENESS_FAILED = "flag.liveness_failed"
    LIVENESS_PASSED = "flag.liveness_passed"  # passed after having failed (app.face.LivenessRecord)
    FLAG = "flag"  # another face flag; details {"flag": name}
    # The applicant's camera as their page reported it; details: app.camera.CameraReport.as_json()
    CAMERA_REPORTED = "camera.reported"
    # What a camera report raised (app.camera); details: {"problem", "flag", "detail", "label"}
    VIRTUAL_CAMERA = "flag.virtual_camera"
    INJECTION_SUSPECTED = "flag.injection_suspected"
    RECORDING_WARNING = "recording.warning"
    # Active liveness challenges: asked (details {"kind"}), then passed, failed or not judged (too
    # few updates to judge it: not a failed attempt) (details {"kind", "asked_t", "met_t",
    # "frame"}: met_t and frame, the call's frame number, when passed).
    CHALLENGE_ASKED = "challenge.asked"
    CHALLENGE_PASSED = "challenge.passed"
    CHALLENGE_FAILED = "challenge.failed"
    CHALLENGE_NOT_JUDGED = "challenge.not_judged"


class SessionEvent(Base):
    """Something on a session's timeline that is neither a score nor an answer: connection
    events (dropped, reconnected), flags raised (more than one face, liveness failed),
    recorder warnings. `t` is the recording's clock (seconds since leg 1 started)."""

    __tablename__ = "session_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"))
    leg_number: Mapped[int] = mapped_column(Integer, default=1)
    t: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_session_events_session_t", "session_id", "t"),)


class LegRecording(Base):
    """Where one leg's recording lives and what it holds, written when the leg's recorder
    starts and updated when it closes (a crashed leg keeps state "recording")."""

    __tablename__ = "leg_recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"))
    leg_number: Mapped[int] = mapped_column(Integer)
    # Relative to the data directory's recordings folder, so the data can move.
    directory: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The leg clock's zero on the session clock.
    offset: Mapped[float] = mapped_column(Float, default=0.0)
    state: Mapped[str] = mapped_column(String(30))  # recording | closed | warning: disk full | ...
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)
    segments: Mapped[int] = mapped_column(Integer, default=0)
    bytes_written: Mapped[int] = mapped_column(BigInteger, default=0)
    frames_dropped: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("uq_leg_recordings_session_leg", "session_id", "leg_number", unique=True),)


class SessionSummary(Base):
    """One row per finished session, denormalised for the supervisors' session browser
    (filters over 100,000 sessions must answer in milliseconds). Rebuilt from the source
    tables by storage.replay.refresh_summary; never the source of truth."""

    __tablename__ = "session_summaries"

    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"), primary_key=True)
    application_id: Mapped[int] = mapped_column(Integer)
    applicant_name: Mapped[str] = mapped_column(String(200))
    reviewer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reviewer_name: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration: Mapped[float | None] = mapped_column(Float, nullable=True)
    state: Mapped[str] = mapped_column(String(20))
    # The outcome in force (the latest amendment's, else the original's); None: undecided.
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    original_outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    amended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Reason codes in force, as ",code,code," so one LIKE finds a code.
    reason_codes: Mapped[str] = mapped_column(String(400), default="")
    lowest_similarity: Mapped[float | None] = mapped_column(Float, nullable=True)
    best_similarity: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Bit set of flags seen (storage.replay.Flag): more than one face, liveness failed, dropped.
    flags: Mapped[int] = mapped_column(Integer, default=0)
    legs: Mapped[int] = mapped_column(Integer, default=0)
    has_recording: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # The first two indexes carry every filter column, so counting the matches of a filter
    # reads only the index, never the wide rows (the count is most of a browser query's cost).
    __table_args__ = (
        Index(
            "ix_session_summaries_started",
            "started_at", "outcome", "flags", "lowest_similarity", "reviewer_id", "amended", "reason_codes",
        ),
        Index(
            "ix_session_summaries_outcome_started",
            "outcome", "started_at", "reason_codes", "flags", "lowest_similarity", "amended",
        ),
        Index("ix_session_summaries_reviewer_started", "reviewer_id", "started_at"),
        Index("ix_session_summaries_lowest", "lowest_similarity"),
    )  # fmt: skip


class ConsoleCredentialRow(Base):
    """A console's sign-in to the intake service. Only the SHA-256 of the token is kept."""

    __tablename__ = "console_credentials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    signed_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    address: Mapped[str] = mapped_column(String(100))


class SignInFailureRow(Base):
    """One refused console sign-in, counted against its account ("account:NAME") and its
    address ("address:IP") for the lock-out; rows older than the lock-out window are removed."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_sign_in_failures_key_at", "key", "at"),)


# -- the bank's workflow around the call (migration 0005_workflow) ----------------------------


class LegalHold(Base):
    """A session whose evidence must be kept whatever the retention rules say."""

    __tablename__ = "legal_holds"

    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(100))
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RetentionDeletion(Base):
    """A session whose recordings (and, under the decided rule, personal data) were deleted."""

    __tablename__ = "retention_deletions"

    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"), primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    files: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger)


class DecisionCheck(Base):
    """The four-eyes check of one decision: awaiting until a checker (never its maker)
    confirms it or sends it back."""

    __tablename__ = "decision_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"), index=True)
    maker_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"), nullable=True)
    # Why the policy selected it: rule names (amount, override, red_flag, face_flag, sample).
    selected_because: Mapped[list[str]] = mapped_column(JSON)
    selected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(20))  # awaiting | confirmed | sent_back
    checker_id: Mapped[int | None] = mapped_column(ForeignKey("reviewers.id"), nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    # After a send-back: "reopened" (a new review within the window) or "rejected".
    resolution: Mapped[str | None] = mapped_column(String(30), nullable=True)

    __table_args__ = (
        # The checker is never the maker, whoever writes the row.
        CheckConstraint(
            "checker_id IS NULL OR maker_id IS NULL OR checker_id <> maker_id", name="checker_not_maker"
        ),
        Index("ix_decision_checks_state_selected", "state", "selected_at"),
    )


class RecordingFile(Base):
    """One recording file (a sealed segment or a leg's manifest) in the shared store, so any
    workstation replays any session and a lost workstation disk loses no evidence."""

    __tablename__ = "recording_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory: Mapped[str] = mapped_column(String(200))  # session-00000042
    name: Mapped[str] = mapped_column(String(200))  # leg-01/seg-000003.ts
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("uq_recording_files_directory_name", "directory", "name", unique=True),)


class SessionConsent(Base):
    """The applicant's consent to the recording and face processing, given before the camera
    started (migration 0007_consent): which text (version, language, its digest) and when."""

    __tablename__ = "session_consents"

    session_id: Mapped[int] = mapped_column(ForeignKey("review_sessions.id"), primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(10))
    text_sha256: Mapped[str] = mapped_column(String(64))
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignallingCall(Base):
    """A taken session's signalling state, shared by every intake instance: who took it, its
    leg, which party's socket is connected (and as which epoch), whether it ended. No foreign
    key: retention may reduce a session's rows while this short-lived record stays."""

    __tablename__ = "signalling_calls"

    session_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    reviewer_id: Mapped[int] = mapped_column(Integer)
    reviewer_name: Mapped[str] = mapped_column(String(100))
    leg: Mapped[int] = mapped_column(Integer, default=0)
    leg_open: Mapped[bool] = mapped_column(Boolean, default=False)
    ended: Mapped[bool] = mapped_column(Boolean, default=False)
    applicant_present: Mapped[bool] = mapped_column(Boolean, default=False)
    applicant_epoch: Mapped[int] = mapped_column(Integer, default=0)
    console_present: Mapped[bool] = mapped_column(Boolean, default=False)
    console_epoch: Mapped[int] = mapped_column(Integer, default=0)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The intake instance holding each party's socket (migration 0009): a crashed instance's
    # parties are taken as gone by the others' sweep.
    applicant_instance: Mapped[str | None] = mapped_column(String(64), nullable=True)
    console_instance: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The applicant page's camera reports counted in the last minute (a JSON list of the
    # database's clock, epoch seconds) and whether the console heard of a refused one: per call,
    # so a reconnect starts neither again (migration 0010).
    camera_reports: Mapped[str] = mapped_column(Text, default="[]")
    camera_refusal_told: Mapped[bool] = mapped_column(Boolean, default=False)


class IntakeInstance(Base):
    """A running intake instance on the shared database, and when it last said so."""

    __tablename__ = "intake_instances"

    instance_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # When it started renewing without a break (it started, or came back after not renewing for
    # longer than a lease): it reclaims others only a whole lease after. The database's clock.
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # its last renewal


class QueueHolder(Base):
    """Which intake instance holds a waiting applicant's socket. No foreign key, as for
    signalling_calls: a short-lived lease."""

    __tablename__ = "queue_holders"

    session_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    instance_id: Mapped[str] = mapped_column(String(64), index=False)
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_queue_holders_instance", "instance_id"),)


class SignallingMessage(Base):
    """A message waiting for one party of a session (an offer, an answer, left, ended...);
    the instance holding that party's socket claims it by deleting it. NOTIFY carries only
    the session and party: an SDP can exceed its payload limit."""

    __tablename__ = "signalling_messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    session_id: Mapped[int] = mapped_column(Integer)
    party: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_signalling_messages_session_party", "session_id", "party", "id"),)
