"""The applicant's consent to the recording and the processing of their face: its text (a data
file in both languages, versioned) and what a given consent must carry."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from app.ids import SessionId

LANGUAGES = ("en", "zh")


class ConsentMissing(ValueError):
    """An applicant tried to join without agreeing to the current consent text."""


@dataclass(frozen=True)
class ConsentText:
    version: str
    text: dict[str, str]
    agree: dict[str, str]

    def digest(self, language: str) -> str:
        """SHA-256 of the exact words shown, so the stored consent names them beyond doubt."""
        return hashlib.sha256(self.text[language].encode("utf-8")).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "text": dict(self.text), "agree": dict(self.agree)}

    def check(self, given: Any) -> tuple[str, str]:
        """(version, language) of a consent sent by the page; ConsentMissing when it is absent,
        malformed or for another version of the text."""
        if not isinstance(given, dict) or given.get("agreed") is not True:
            raise ConsentMissing("Please agree to the recording and the processing of your face first.")
        version, language = given.get("version"), given.get("language")
        if version != self.version:
            raise ConsentMissing("The consent text has changed. Please reload the page and read it again.")
        if language not in LANGUAGES:
            raise ConsentMissing(f"The consent's language must be one of {', '.join(LANGUAGES)}.")
        return version, language


@dataclass(frozen=True)
class GivenConsent:
    session_id: SessionId
    version: str
    language: str
    text_sha256: str
    given_at: datetime


class ConsentBook(Protocol):
    """Where the intake service finds the text and keeps what applicants agreed to."""

    text: ConsentText

    def record(self, session_id: SessionId, version: str, language: str, now: datetime) -> None: ...


def load_consent(path: Path) -> ConsentText:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"consent text {path}: {error}") from error
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ValueError(f"consent text {path}: needs a version")
    texts: dict[str, dict[str, str]] = {}
    for part in ("text", "agree"):
        table = data.get(part)
        if not isinstance(table, dict) or any(
            not isinstance(table.get(lang), str) or not table[lang].strip() for lang in LANGUAGES
        ):
            raise ValueError(f"consent text {path}: [{part}] needs {' and '.join(LANGUAGES)}")
        texts[part] = {lang: str(table[lang]).strip() for lang in LANGUAGES}
    return ConsentText(version=version.strip(), text=texts["text"], agree=texts["agree"])


def join_message(status: dict[str, Any], language: str = "en") -> dict[str, Any]:
    """The join a simulated applicant sends after the intake's status message: agreeing to the
    consent text the status carries (none when the intake asks for none)."""
    consent = status.get("consent")
    if not isinstance(consent, dict):
        return {"type": "join"}
    return {
        "type": "join",
        "consent": {"agreed": True, "version": consent.get("version"), "language": language},
    }
