"""What the replay shows for the codes it reads back from the database, in the supervisor's
language. Decision outcomes, reason codes and face flags are the console's own texts
(ui.decision, ui.face_panel); session states and timeline events are the replay's."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QLocale

from app.approval import ApprovalPolicy, load_approval_policy
from app.consent import GivenConsent
from app.decisions import FaceSummary, Outcome, RejectReason
from app.replay import EventEntry
from ui.decision import face_summary_text, outcome_text, reason_text
from ui.face_panel import camera_problem_text, challenge_text, flag_text

log = logging.getLogger(__name__)

# lupdate reads the translate() calls; the lambdas keep them lazy (the translator comes later).
STATE_TEXTS: dict[str, Callable[[], str]] = {
    "waiting": lambda: QCoreApplication.translate("ReplayTexts", "waiting"),
    "connected": lambda: QCoreApplication.translate("ReplayTexts", "connected"),
    "verifying": lambda: QCoreApplication.translate("ReplayTexts", "verifying"),
    "questioning": lambda: QCoreApplication.translate("ReplayTexts", "questioning"),
    "decided": lambda: QCoreApplication.translate("ReplayTexts", "decided"),
    "expired": lambda: QCoreApplication.translate("ReplayTexts", "expired"),
    "abandoned": lambda: QCoreApplication.translate("ReplayTexts", "abandoned"),
}
# How a session ended without a decision (its reason code in the session browser).
END_REASON_TEXTS: dict[str, Callable[[], str]] = {
    "hung_up": lambda: QCoreApplication.translate("ReplayTexts", "hung up before a decision"),
    "console_lost": lambda: QCoreApplication.translate("ReplayTexts", "the console's connection was lost"),
    "console_stopped": lambda: QCoreApplication.translate("ReplayTexts", "the console stopped mid-call"),
    "applicant_hung_up": lambda: QCoreApplication.translate("ReplayTexts", "the applicant hung up"),
}
EVENT_TEXTS: dict[str, Callable[[], str]] = {
    "connection.dropped": lambda: QCoreApplication.translate("ReplayTexts", "connection dropped"),
    "connection.restored": lambda: QCoreApplication.translate("ReplayTexts", "connection restored"),
    "connection.failed": lambda: QCoreApplication.translate("ReplayTexts", "connection failed"),
    "flag.multiple_faces": lambda: QCoreApplication.translate("ReplayTexts", "more than one face"),
    "flag.liveness_failed": lambda: QCoreApplication.translate("ReplayTexts", "liveness failed"),
    "flag.liveness_passed": lambda: QCoreApplication.translate(
        "ReplayTexts", "liveness passed after failing"
    ),
    "flag": lambda: QCoreApplication.translate("ReplayTexts", "face flag"),
    "flag.virtual_camera": lambda: QCoreApplication.translate("ReplayTexts", "virtual camera"),
    "flag.injection_suspected": lambda: QCoreApplication.translate(
        "ReplayTexts", "video injection suspected"
    ),
    "camera.reported": lambda: QCoreApplication.translate("ReplayTexts", "camera"),
    "recording.warning": lambda: QCoreApplication.translate("ReplayTexts", "recording warning"),
    "challenge.asked": lambda: QCoreApplication.translate("ReplayTexts", "challenge asked"),
    "challenge.passed": lambda: QCoreApplication.translate("ReplayTexts", "challenge passed"),
    "challenge.failed": lambda: QCoreApplication.translate("ReplayTexts", "challenge failed"),
    "challenge.not_judged": lambda: QCoreApplication.translate("ReplayTexts", "challenge not judged"),
}
CHALLENGE_RESULT_TEXTS: dict[str | None, Callable[[], str]] = {
    "passed": lambda: QCoreApplication.translate("ReplayTexts", "passed"),
    "failed": lambda: QCoreApplication.translate("ReplayTexts", "failed: a failed face attempt"),
    "not_judged": lambda: QCoreApplication.translate(
        "ReplayTexts", "not judged: this workstation fell behind the video (not a failed attempt)"
    ),
    None: lambda: QCoreApplication.translate("ReplayTexts", "not settled: the call ended"),
}


def plain(code: str) -> str:
    """A code nobody named yet, readable: `too_dark` -> `too dark`."""
    return code.replace(".", " ").replace("_", " ")


def outcome_name(code: str) -> str:
    try:
        return outcome_text(Outcome(code))
    except ValueError:
        return state_name(code)


def reason_name(code: str) -> str:
    try:
        return reason_text(RejectReason(code))
    except ValueError:
        text = END_REASON_TEXTS.get(code)
        return text() if text is not None else plain(code)


def reasons_text(codes: Any) -> str:
    return QCoreApplication.translate("ReplayTexts", ", ").join(reason_name(code) for code in codes)


def state_name(code: str) -> str:
    text = STATE_TEXTS.get(code)
    return text() if text is not None else plain(code)


def event_name(kind: str) -> str:
    text = EVENT_TEXTS.get(kind)
    return text() if text is not None else plain(kind)


def event_label(event: EventEntry) -> str:
    """A timeline event as the replay lists it: a challenge with what was asked."""
    if event.kind.startswith("challenge.") and event.details.get("kind"):
        return QCoreApplication.translate("ReplayTexts", "{0}: {1}").format(
            event_name(event.kind), challenge_text(str(event.details["kind"]))
        )
    if event.kind in CAMERA_EVENTS:
        return camera_event_text(event.kind, event.details)
    return event_name(event.kind)


def challenge_result_name(result: str | None) -> str:
    text = CHALLENGE_RESULT_TEXTS.get(result)
    return text() if text is not None else plain(str(result))


# The applicant's camera (app.camera): what was reported, and what it raised.
CAMERA_EVENTS = ("camera.reported", "flag.virtual_camera", "flag.injection_suspected")


def camera_event_text(kind: str, details: dict[str, Any]) -> str:
    """A camera event of the timeline with what it says: the camera reported (its label and
    settings), or what it raised and why."""
    name = event_name(kind)
    if kind == "camera.reported":
        settings = details.get("settings") or {}
        parts = [str(details.get("label") or "?")]
        if settings.get("width") and settings.get("height"):
            parts.append(f"{settings['width']}x{settings['height']}")
        if settings.get("frameRate") is not None:
            parts.append(f"{settings['frameRate']:g} fps")
        return QCoreApplication.translate("ReplayTexts", "{0}: {1}").format(name, ", ".join(parts))
    problem = str(details.get("problem") or "")
    if problem == "virtual_camera":  # "virtual camera: OBS Virtual Camera"
        detail = str(details.get("detail") or details.get("label") or "?")
        return QCoreApplication.translate("ReplayTexts", "{0}: {1}").format(name, detail)
    if problem:
        text = camera_problem_text(problem, str(details.get("detail") or ""))
        return QCoreApplication.translate("ReplayTexts", "{0}: {1}").format(name, text)
    return name


def face_flag_name(flag: str) -> str:
    """A face flag of a score sample (the console's words), or the replay's derived ones."""
    if flag in ("more_than_one_face", "multiple_faces"):
        return flag_text("several_faces")
    if flag == "liveness_failed":
        return event_name("flag.liveness_failed")
    return flag_text(flag)


def liveness_name(live: bool | None) -> str:
    if live is None:
        return QCoreApplication.translate("Decisions", "unknown")
    if live:
        return QCoreApplication.translate("Decisions", "passed")
    return QCoreApplication.translate("Decisions", "failed")


def yes_no(value: bool) -> str:
    if value:
        return QCoreApplication.translate("ReplayTexts", "yes")
    return QCoreApplication.translate("ReplayTexts", "no")


def face_summary_name(face: dict[str, Any]) -> str:
    """The face panel's summary stored with a decision, as the console words it."""
    summary = FaceSummary(
        best_similarity=face.get("best_similarity"),
        last_similarity=face.get("last_similarity"),
        matched=bool(face.get("matched")),
        liveness=str(face.get("liveness") or "unknown"),
        attempts_used=int(face.get("attempts_used") or 0),
    )
    return face_summary_text(summary)


_POLICY: list[ApprovalPolicy] = []


def overridden_text(rule_ids: list[str], policy_file: Path | None = None) -> str:
    """The approval policy's rules a decision overrode, as the policy words them in the
    language of the installed translation (an id the policy no longer has is shown as stored)."""
    if not _POLICY:
        try:
            _POLICY.append(load_approval_policy(policy_file) if policy_file else load_approval_policy())
        except ValueError as error:
            log.info("approval policy unavailable for the replay: %s", error)
            return ", ".join(rule_ids)
    language = "zh" if QLocale().name().startswith("zh") else "en"
    rules = {rule.id: rule for rule in _POLICY[0].rules}
    separator = QCoreApplication.translate("ReplayTexts", "; ")
    return separator.join(rules[i].label(language) if i in rules else plain(i) for i in rule_ids)


def answer_text(value: Any) -> str:
    """A stored answer as the replay and the report show it."""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def question_prompts(questionnaire_file: Path, spoken_language: str) -> dict[str, str]:
    """Question id -> prompt in that language; empty when the questionnaire cannot be read
    (the replay then shows the ids)."""
    from app.questionnaire import load_questionnaire

    try:
        return {q.id: q.text(spoken_language) for q in load_questionnaire(questionnaire_file)}
    except (OSError, ValueError) as error:
        log.info("questionnaire unavailable for the replay: %s", error)
        return {}


def consent_text(consent: GivenConsent | None) -> str:
    """The applicant's consent as the replay window and the report show it."""
    if consent is None:
        return QCoreApplication.translate("ReplayTexts", "not recorded")
    given = consent.given_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return QCoreApplication.translate("ReplayTexts", "given {0}, text version {1} ({2})").format(
        given, consent.version, consent.language
    )


def when_text(moment: datetime | None) -> str:
    """A moment in the workstation's time zone, to the second."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "—"
