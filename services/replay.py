"""The replay window's services on the real layers (app.replay.ReplayServices): storage's
session browser, replay records and access-controlled amendments, media's session playback,
all as the signed-in supervisor (storage enforces the role)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.decisions import DecisionDraft
from app.errors import ReviewError
from app.ids import DecisionId, SessionId
from app.replay import RecordingPlayback, SessionFilter, SessionPage, SessionReplay, SortKey
from app.roles import Account
from app.settings import Settings

if TYPE_CHECKING:
    from app.recording_store import RecordingStore
    from storage.access import AccessControlledRecords
    from storage.database import Database
    from storage.replay import ReplayRecords
    from storage.sealing import Sealer

log = logging.getLogger(__name__)


class NotSignedIn(ReviewError):
    """A replay service was used before a supervisor signed in."""


class LiveReplayServices:
    """ReplayServices on storage and media. Every method may block; the window calls them on its
    workers. The key is read without creating one: a missing or wrong key is reported by
    key_problem(), and what it cannot open shows as unreadable, never silently as something else."""

    def __init__(
        self, settings: Settings, database: Database, sealer: Sealer | None, *, key_problem: str | None = None
    ) -> None:
        """`sealer` opens photos and recordings encrypted at rest; without one, `key_problem`
        says why there is none."""
        from storage.reviewers import Accounts

        self.settings = settings
        self.database = database
        self.accounts = Accounts(database)
        self.sealer = sealer
        self._key_problem = key_problem if sealer is None else None
        if sealer is None and key_problem is None:
            self._key_problem = "No encryption key was given."
        self._account: Account | None = None
        self._records: ReplayRecords | None = None
        self._reviews: AccessControlledRecords | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, settings: Settings, database: Database) -> LiveReplayServices:
        """With the configured key (AUDIT_KEY or the key file). It is read, never created:
        replaying needs the key things were sealed with."""
        from storage.sealing import Sealer, load_key

        try:
            return cls(settings, database, Sealer(load_key()))
        except ReviewError as error:
            return cls(settings, database, None, key_problem=str(error))
        except (OSError, ValueError) as error:
            return cls(settings, database, None, key_problem=f"The encryption key cannot be read: {error}")

    def sign_in(self, name: str, password: str) -> Account:
        from storage.access import AccessControlledRecords
        from storage.replay import ReplayRecords
        from storage.reviews import ReviewRecords

        account = self.accounts.sign_in(name, password)
        with self._lock:
            self._account = account
            # Roles are enforced where the data is read and written, not only by the window.
            self._records = ReplayRecords(self.database, self.sealer, viewer=account)
            self._reviews = AccessControlledRecords(
                ReviewRecords.from_settings(self.database, self.settings), account
            )
        return account

    def _signed_in(self) -> tuple[ReplayRecords, AccessControlledRecords]:
        with self._lock:
            if self._records is None or self._reviews is None:
                raise NotSignedIn("Sign in to replay sessions.")
            return self._records, self._reviews

    def key_problem(self) -> str | None:
        if self._key_problem is not None:
            return self._key_problem
        from storage.applications import ApplicationBook

        problem = ApplicationBook(self.database, self.sealer).key_problem()
        if problem is not None:
            return f"The encryption key does not open this database's photos and recordings: {problem}"
        return None

    def reviewers(self) -> list[tuple[int, str]]:
        records, _ = self._signed_in()
        records.refresh_missing()
        return records.reviewers()

    def browse(self, spec: SessionFilter, *, sort: SortKey, descending: bool, page: int) -> SessionPage:
        records, _ = self._signed_in()
        return records.browse(spec, sort=sort, descending=descending, page=page)

    def session_replay(self, session_id: SessionId) -> SessionReplay:
        records, _ = self._signed_in()
        return records.session_replay(session_id)

    def amend_decision(
        self,
        session_id: SessionId,
        original: DecisionId,
        draft: DecisionDraft,
        *,
        reason: str,
        in_force_seen: DecisionId | None,
    ) -> SessionReplay:
        records, reviews = self._signed_in()
        # Storage rebuilds the session's browser row in the amendment's own transaction.
        reviews.amend_decision(
            original, draft, reason=reason, now=datetime.now(UTC), in_force_seen=in_force_seen
        )
        return records.session_replay(session_id)

    def open_recording(self, replay: SessionReplay) -> RecordingPlayback | None:
        from storage.recording_store import recording_store_for

        return open_recording(
            self.settings, replay, self.sealer, recording_store_for(self.settings, self.database)
        )


def open_recording(
    settings: Settings, replay: SessionReplay, sealer: Sealer | None, store: RecordingStore | None = None
) -> RecordingPlayback | None:
    """A session's recording: this workstation's own folder when it recorded it, else the files
    fetched from the shared `store` (blocks on it). None: it has none, or none is to be found."""
    from media.playback import SessionPlayback
    from storage.recording_store import recording_folder

    directory = replay.recording_directory
    if directory is None:
        return None
    folder = recording_folder(settings, store, directory)
    if not folder.is_dir():
        return None
    offsets = {leg.number: leg.offset for leg in replay.legs}
    return SessionPlayback.open(folder, offsets, sealer=sealer)


def report_sources(
    settings: Settings, database: Database, session_id: SessionId
) -> tuple[SessionReplay, Callable[[], RecordingPlayback | None]]:
    """What `sessions export` writes a session's PDF report from (an administrator's command, no
    window): the session's replay and how to open its recording (this workstation's folder, else
    the shared store). Raises app.errors.NotFound."""
    from services import configured_sealer
    from storage.recording_store import recording_store_for
    from storage.replay import ReplayRecords

    sealer = configured_sealer()  # photos and recordings are encrypted at rest
    replay = ReplayRecords(database, sealer).session_replay(session_id)
    store = recording_store_for(settings, database)  # where it was not recorded here
    return replay, lambda: open_recording(settings, replay, sealer, store)


def session_listing(database: Database, spec: SessionFilter, *, limit: int) -> list[dict[str, Any]]:
    """`sessions list`: finished sessions, newest first, each with its four-eyes check's state."""
    from app.four_eyes import CheckState
    from storage.four_eyes import FourEyesChecks
    from storage.replay import ReplayRecords

    records = ReplayRecords(database)
    records.refresh_missing()
    page = records.browse(spec, page_size=limit)
    checks = FourEyesChecks(database).states(item.session_id for item in page.items)
    return [
        {
            "id": item.session_id,
            "applicant": item.applicant_name,
            "reviewer": item.reviewer_name,
            "started_at": item.started_at.isoformat(),
            "state": item.state,
            "outcome": item.outcome,
            "amended": item.amended,
            "reasons": item.reason_codes,
            "lowest_similarity": item.lowest_similarity,
            "flags": [flag.name for flag in type(item.flags) if flag in item.flags],
            "legs": item.legs,
            "check": checks.get(item.session_id, CheckState.NOT_NEEDED).value,
        }
        for item in page.items
    ]
