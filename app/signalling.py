"""What intake instances share about calls in flight: who took which session, its leg, who is
connected to it, and a mailbox per session and party for the messages between applicant and
console (offers, answers, left, returned, ended).

`SignallingExchange` is the interface; the intake service (media/) gets one from the
composition root. `LocalSignalling` keeps it in this process for a single instance (the
embedded default, SQLite); storage implements it on PostgreSQL so that any instance serves any
applicant and any console (the database is the truth, LISTEN/NOTIFY tells instances of mail).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, Protocol

from app.ids import ReviewerId, SessionId

Party = Literal["applicant", "console"]
PARTIES: tuple[Party, ...] = ("applicant", "console")
MailArrived = Callable[[SessionId | None, Party | None], None]
"""Called on the intake's event loop when a party of a session may have new mail; with None,
None after notices may have been missed (a lost database connection): check every socket."""


@dataclass(frozen=True)
class CallRecord:
    """One taken session's signalling state, as every instance sees it."""

    session_id: SessionId
    reviewer_id: ReviewerId
    reviewer_name: str
    leg: int = 0  # 0 until the applicant's first offer
    leg_open: bool = False
    ended: bool = False
    applicant_present: bool = False
    applicant_epoch: int = 0  # bumped on each connection, so a stale socket's goodbye is ignored
    console_present: bool = False
    console_epoch: int = 0

    def present(self, party: Party) -> bool:
        return self.applicant_present if party == "applicant" else self.console_present

    def epoch(self, party: Party) -> int:
        return self.applicant_epoch if party == "applicant" else self.console_epoch


@dataclass(frozen=True)
class Reclaimed:
    """What a sweep took back from intake instances that stopped renewing their lease (they
    crashed or lost the database): their parties are gone, for the sweeping instance to act on."""

    waiting: tuple[SessionId, ...] = ()  # applicants whose socket was there (maybe still waiting)
    consoles: tuple[tuple[SessionId, int], ...] = ()  # (session, console epoch) of calls they held
    applicants: tuple[tuple[SessionId, int], ...] = ()  # (session, leg) of calls they held
    # This instance's own lease had been taken: another instance reclaimed what it held while it
    # could not renew (it could not reach the database). It holds its sockets again.
    lease_lost: bool = False

    def __bool__(self) -> bool:
        return bool(self.waiting or self.consoles or self.applicants)


class SignallingExchange(Protocol):
    """Blocking calls (the intake runs them off its event loop), except start and stop."""

    async def start(self, mail_arrived: MailArrived) -> None:
        """Begin telling this instance of mail; runs on the intake's event loop."""
        ...

    async def stop(self) -> None: ...

    def call_taken(
        self,
        session_id: SessionId,
        reviewer_id: ReviewerId,
        reviewer_name: str,
        *,
        applicant_mail: dict[str, Any] | None = None,
    ) -> None:
        """The session was taken: a fresh call, with no mail but `applicant_mail` (the "taken"
        message), written at once (one database transaction when shared)."""
        ...

    def call(self, session_id: SessionId) -> CallRecord | None:
        """The call of a taken session that has not ended, or None."""
        ...

    def connect(self, session_id: SessionId, party: Party, *, only_if_absent: bool) -> int | None:
        """A socket of `party` is now connected to the call: its epoch, or None when the call
        has ended (or, with `only_if_absent`, another socket of that party is connected)."""
        ...

    def disconnect(self, session_id: SessionId, party: Party, epoch: int) -> bool:
        """That socket is gone; False when a newer one connected meanwhile (nothing changes)."""
        ...

    def leg_started(self, session_id: SessionId, leg: int) -> None: ...

    def close_leg(self, session_id: SessionId) -> bool:
        """Mark the open leg closed; True for the one caller that closed it."""
        ...

    def end(self, session_id: SessionId) -> CallRecord | None:
        """End the call: for the one caller that ended it, the call as it was; else None."""
        ...

    def end_if_console_gone(self, session_id: SessionId, epoch: int) -> CallRecord | None:
        """End the call if the console socket of `epoch` left and none came since (as `end`)."""
        ...

    def post(
        self, session_id: SessionId, party: Party, body: dict[str, Any], *, replacing: Sequence[str] = ()
    ) -> None:
        """Leave a message for `party`; undelivered ones of the `replacing` types are dropped."""
        ...

    def collect(self, session_id: SessionId, party: Party) -> list[dict[str, Any]]:
        """Claim the undelivered mail of `party`, oldest first (each message is claimed once)."""
        ...

    def discard(self, session_id: SessionId, party: Party, kinds: Sequence[str]) -> None:
        """Drop the undelivered mail of `party` of these types."""
        ...

    def count_camera_report(self, session_id: SessionId, per_minute: int) -> bool:
        """Count a camera report from the applicant of this call: False (not counted) when
        `per_minute` were counted in the last minute. Kept with the call, so a reconnect (on
        any instance) does not start the count again; a call taken again starts afresh."""
        ...

    def first_camera_refusal(self, session_id: SessionId) -> bool:
        """True the first time this call notes a refused camera report (the console hears of
        refusals once a call, however often the page reconnects)."""
        ...

    def hold(self, session_id: SessionId) -> None:
        """This instance holds the socket of the applicant waiting in this session."""
        ...

    def release(self, session_id: SessionId) -> None:
        """That socket closed (a newer hold by another instance stays)."""
        ...

    def sweep(self, now: datetime) -> Reclaimed:
        """Renew this instance's lease, reclaim what instances whose lease ran out held, and
        drop mail nobody will collect (`now`: this host's clock, which stamps the mail). Run
        every few seconds by every instance. Leases go by one clock (the database's when
        shared), and an instance that could not renew for longer than a lease reclaims nothing
        until it has renewed for a whole lease again: after an outage of the database every
        instance first gets the time to renew (none is taken for crashed because all were cut
        off). `lease_lost` says this instance's own lease had been taken meanwhile."""
        ...


class LocalSignalling:
    """The exchange in this process's memory: one intake instance, no shared database needed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[SessionId, CallRecord] = {}
        self._mail: dict[tuple[SessionId, Party], list[dict[str, Any]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._mail_arrived: MailArrived | None = None
        self._unclaimed: set[tuple[SessionId, Party]] = set()  # mail of no call at the last sweep
        self._camera_reports: dict[SessionId, list[float]] = {}  # monotonic times, the last minute
        self._camera_refused: set[SessionId] = set()  # calls whose console heard of a refusal

    async def start(self, mail_arrived: MailArrived) -> None:
        self._loop = asyncio.get_running_loop()
        self._mail_arrived = mail_arrived

    async def stop(self) -> None:
        self._mail_arrived = None

    def call_taken(
        self,
        session_id: SessionId,
        reviewer_id: ReviewerId,
        reviewer_name: str,
        *,
        applicant_mail: dict[str, Any] | None = None,
    ) -> None:
        with self._lock:
            self._calls[session_id] = CallRecord(session_id, reviewer_id, reviewer_name)
            self._mail.pop((session_id, "applicant"), None)
            self._mail.pop((session_id, "console"), None)
            self._camera_reports.pop(session_id, None)
            self._camera_refused.discard(session_id)
        if applicant_mail is not None:
            self.post(session_id, "applicant", applicant_mail)

    def call(self, session_id: SessionId) -> CallRecord | None:
        with self._lock:
            record = self._calls.get(session_id)
        return record if record is not None and not record.ended else None

    def _change(self, session_id: SessionId, **changes: Any) -> None:
        self._calls[session_id] = replace(self._calls[session_id], **changes)

    def connect(self, session_id: SessionId, party: Party, *, only_if_absent: bool) -> int | None:
        with self._lock:
            record = self._calls.get(session_id)
            if record is None or record.ended or (only_if_absent and record.present(party)):
                return None
            epoch = record.epoch(party) + 1
            self._change(session_id, **{f"{party}_present": True, f"{party}_epoch": epoch})
            return epoch

    def disconnect(self, session_id: SessionId, party: Party, epoch: int) -> bool:
        with self._lock:
            record = self._calls.get(session_id)
            if record is None or record.epoch(party) != epoch or not record.present(party):
                return False
            self._change(session_id, **{f"{party}_present": False})
            return True

    def leg_started(self, session_id: SessionId, leg: int) -> None:
        with self._lock:
            if session_id in self._calls:
                self._change(session_id, leg=leg, leg_open=True)

    def close_leg(self, session_id: SessionId) -> bool:
        with self._lock:
            record = self._calls.get(session_id)
            if record is None or not record.leg_open:
                return False
            self._change(session_id, leg_open=False)
            return True

    def end(self, session_id: SessionId) -> CallRecord | None:
        with self._lock:
            record = self._calls.get(session_id)
            if record is None or record.ended:
                return None
            self._forget(session_id)
            return replace(record, ended=True)

    def end_if_console_gone(self, session_id: SessionId, epoch: int) -> CallRecord | None:
        with self._lock:
            record = self._calls.get(session_id)
            if record is None or record.ended or record.console_present or record.console_epoch != epoch:
                return None
            self._forget(session_id)
            return replace(record, ended=True)

    def _forget(self, session_id: SessionId) -> None:
        # An ended call is no longer asked about; the applicant's last mail ("ended") may follow.
        del self._calls[session_id]
        self._mail.pop((session_id, "console"), None)
        self._camera_reports.pop(session_id, None)
        self._camera_refused.discard(session_id)

    def post(
        self, session_id: SessionId, party: Party, body: dict[str, Any], *, replacing: Sequence[str] = ()
    ) -> None:
        with self._lock:
            box = self._mail.setdefault((session_id, party), [])
            box[:] = [message for message in box if message.get("type") not in replacing]
            box.append(dict(body))
        loop, mail_arrived = self._loop, self._mail_arrived
        if loop is not None and mail_arrived is not None and not loop.is_closed():
            loop.call_soon_threadsafe(mail_arrived, session_id, party)

    def collect(self, session_id: SessionId, party: Party) -> list[dict[str, Any]]:
        with self._lock:
            return self._mail.pop((session_id, party), [])

    def discard(self, session_id: SessionId, party: Party, kinds: Sequence[str]) -> None:
        with self._lock:
            box = self._mail.get((session_id, party), [])
            box[:] = [message for message in box if message.get("type") not in kinds]

    def count_camera_report(self, session_id: SessionId, per_minute: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if session_id not in self._calls:
                return True  # no call to count against (it ended): the report goes nowhere
            reports = self._camera_reports.setdefault(session_id, [])
            reports[:] = [t for t in reports if now - t < 60.0]
            if len(reports) >= per_minute:
                return False
            reports.append(now)
            return True

    def first_camera_refusal(self, session_id: SessionId) -> bool:
        with self._lock:
            if session_id not in self._calls or session_id in self._camera_refused:
                return False
            self._camera_refused.add(session_id)
            return True

    def hold(self, session_id: SessionId) -> None:
        """One instance: nobody else could reclaim its applicants."""

    def release(self, session_id: SessionId) -> None:
        """One instance: nothing to release."""

    def sweep(self, now: datetime) -> Reclaimed:
        """Mail for a call that is over and was not collected by the next sweep (the applicant's
        "ended" after their page closed) is dropped; nothing to reclaim with one instance."""
        with self._lock:
            orphans = {box for box in self._mail if box[0] not in self._calls}
            for box in orphans & self._unclaimed:
                self._mail.pop(box, None)
            self._unclaimed = orphans - self._unclaimed
        return Reclaimed()
