"""The signalling exchange on PostgreSQL: intake instances share calls in flight and their mail
through the database (the truth), and learn of new mail by LISTEN/NOTIFY, so a load balancer
needs no sticky routing. NOTIFY carries only "session party"; the message itself is a row."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.ids import ReviewerId, SessionId
from app.signalling import PARTIES, CallRecord, MailArrived, Party, Reclaimed
from storage.database import Database
from storage.models import IntakeInstance, QueueHolder, SignallingCall, SignallingMessage

log = logging.getLogger(__name__)

CHANNEL = "intake_signalling"
LEASE_SECONDS = 30.0  # an instance sweeps every few seconds; silent this long, it is taken as gone
MAIL_KEPT_SECONDS = 600.0  # undelivered mail of a call that is over is dropped after this
# A listening connection that went quiet because the network died is noticed by TCP keepalives.
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


def _record(row: Any) -> CallRecord:
    """A call from its row (an ORM object or a row of its columns)."""
    return CallRecord(
        session_id=SessionId(row.session_id),
        reviewer_id=ReviewerId(row.reviewer_id),
        reviewer_name=row.reviewer_name,
        leg=row.leg,
        leg_open=row.leg_open,
        ended=row.ended,
        applicant_present=row.applicant_present,
        applicant_epoch=row.applicant_epoch,
        console_present=row.console_present,
        console_epoch=row.console_epoch,
    )


def _present(party: Party) -> Any:
    return SignallingCall.applicant_present if party == "applicant" else SignallingCall.console_present


def _held_by(party: Party) -> Any:
    return SignallingCall.applicant_instance if party == "applicant" else SignallingCall.console_instance


def _epoch(party: Party) -> Any:
    return SignallingCall.applicant_epoch if party == "applicant" else SignallingCall.console_epoch


class SharedSignalling:
    """`app.signalling.SignallingExchange` for intake instances sharing one PostgreSQL."""

    def __init__(
        self,
        database: Database,
        *,
        reconnect_seconds: float = 1.0,
        lease_seconds: float = LEASE_SECONDS,
        instance_id: str | None = None,
    ) -> None:
        if database.is_sqlite:
            raise ValueError(
                "shared signalling needs PostgreSQL; one instance on SQLite uses LocalSignalling"
            )
        self.database = database
        self.reconnect_seconds = reconnect_seconds
        # An instance whose last sweep is older than this has stopped: the others reclaim what it held.
        self.lease_seconds = lease_seconds
        self.instance_id = instance_id or f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._conninfo = (
            make_url(database.url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._renewed = False  # this instance's lease row was written (a sweep committed)

    # -- listening -----------------------------------------------------------------------------

    async def start(self, mail_arrived: MailArrived) -> None:
        self._listening = asyncio.Event()
        self._listener = asyncio.get_running_loop().create_task(self._listen(mail_arrived))
        # Serve once listening, so no notice is missed; a database still down is retried.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), 15)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    async def _listen(self, mail_arrived: MailArrived) -> None:
        import psycopg

        while True:
            try:
                conninfo = psycopg.conninfo.make_conninfo(self._conninfo, **KEEPALIVES)
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    # Notices sent while this instance was not listening are lost: look at every
                    # socket held here (harmless at the first start).
                    mail_arrived(None, None)
                    async for notice in connection.notifies():
                        arrived = parse_notice(notice.payload)
                        if arrived is not None:
                            mail_arrived(*arrived)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("intake: signalling notices lost (%s); listening again", error)
            await asyncio.sleep(self.reconnect_seconds)

    # -- calls --------------------------------------------------------------------------------

    def call_taken(
        self,
        session_id: SessionId,
        reviewer_id: ReviewerId,
        reviewer_name: str,
        *,
        applicant_mail: dict[str, Any] | None = None,
    ) -> None:
        fresh = {
            "reviewer_id": reviewer_id,
            "reviewer_name": reviewer_name,
            "leg": 0,
            "leg_open": False,
            "ended": False,
            "applicant_present": False,
            "applicant_epoch": 0,
            "console_present": False,
            "console_epoch": 0,
            "taken_at": datetime.now(UTC),
            "ended_at": None,
            "camera_reports": "[]",
            "camera_refusal_told": False,
        }
        call = pg_insert(SignallingCall).values(session_id=session_id, **fresh)
        changes = [
            delete(SignallingMessage).where(SignallingMessage.session_id == session_id),
            call.on_conflict_do_update(index_elements=["session_id"], set_=fresh),
        ]
        with self.database.session() as session:
            _in_one_statement(session, changes, session_id, "applicant", applicant_mail)

    def call(self, session_id: SessionId) -> CallRecord | None:
        with self.database.session() as session:
            row = session.scalars(
                select(SignallingCall).where(
                    SignallingCall.session_id == session_id, SignallingCall.ended.is_(False)
                )
            ).one_or_none()
            return _record(row) if row is not None else None

    def connect(self, session_id: SessionId, party: Party, *, only_if_absent: bool) -> int | None:
        conditions = [SignallingCall.session_id == session_id, SignallingCall.ended.is_(False)]
        if only_if_absent:
            conditions.append(_present(party).is_(False))
        with self.database.session() as session:
            epoch = session.execute(
                update(SignallingCall)
                .where(*conditions)
                .values(
                    {
                        _present(party): True,
                        _epoch(party): _epoch(party) + 1,
                        _held_by(party): self.instance_id,
                    }
                )
                .returning(_epoch(party))
            ).scalar_one_or_none()
        return int(epoch) if epoch is not None else None

    def disconnect(self, session_id: SessionId, party: Party, epoch: int) -> bool:
        return self._change_live_call(
            session_id, {_present(party): False}, _epoch(party) == epoch, _present(party).is_(True)
        )

    def leg_started(self, session_id: SessionId, leg: int) -> None:
        self._change_live_call(session_id, {"leg": leg, "leg_open": True})

    def close_leg(self, session_id: SessionId) -> bool:
        return self._change_live_call(session_id, {"leg_open": False}, SignallingCall.leg_open.is_(True))

    def _change_live_call(self, session_id: SessionId, values: dict[Any, Any], *conditions: Any) -> bool:
        """Change the call if it has not ended and meets `conditions`; True when it changed."""
        with self.database.session() as session:
            changed = session.execute(
                update(SignallingCall)
                .where(SignallingCall.session_id == session_id, SignallingCall.ended.is_(False), *conditions)
                .values(values)
                .returning(SignallingCall.session_id)
            ).scalar_one_or_none()
        return changed is not None

    def end(self, session_id: SessionId) -> CallRecord | None:
        return self._end(session_id)

    def end_if_console_gone(self, session_id: SessionId, epoch: int) -> CallRecord | None:
        return self._end(
            session_id, SignallingCall.console_present.is_(False), SignallingCall.console_epoch == epoch
        )

    def _end(self, session_id: SessionId, *conditions: Any) -> CallRecord | None:
        """An ended call's row is deleted (no instance asks about it again), with the console's
        mail; the applicant's last mail ("ended") may follow, and the sweep drops it if unread."""
        with self.database.session() as session:
            row = session.execute(
                delete(SignallingCall)
                .where(SignallingCall.session_id == session_id, SignallingCall.ended.is_(False), *conditions)
                .returning(*SignallingCall.__table__.columns)
            ).one_or_none()
            if row is None:
                return None
            session.execute(
                delete(SignallingMessage).where(
                    SignallingMessage.session_id == session_id, SignallingMessage.party == "console"
                )
            )
            return replace(_record(row), ended=True)

    # -- mail ---------------------------------------------------------------------------------

    def post(
        self, session_id: SessionId, party: Party, body: dict[str, Any], *, replacing: Sequence[str] = ()
    ) -> None:
        changes = [_discarding(session_id, party, replacing)] if replacing else []
        with self.database.session() as session:
            _in_one_statement(session, changes, session_id, party, body)

    def collect(self, session_id: SessionId, party: Party) -> list[dict[str, Any]]:
        with self.database.session() as session:
            rows = session.execute(
                delete(SignallingMessage)
                .where(SignallingMessage.session_id == session_id, SignallingMessage.party == party)
                .returning(SignallingMessage.id, SignallingMessage.body)
            ).all()
        return [json.loads(body) for _id, body in sorted(rows)]

    def discard(self, session_id: SessionId, party: Party, kinds: Sequence[str]) -> None:
        with self.database.session() as session:
            _discard(session, session_id, party, kinds)

    # -- the page's camera reports ------------------------------------------------------------

    def count_camera_report(self, session_id: SessionId, per_minute: int) -> bool:
        """By the database's clock; the call's row is locked while counting, so two instances
        never both let the seventh through."""
        with self.database.session() as session:
            row = session.execute(
                select(SignallingCall.camera_reports, func.extract("epoch", func.now()))
                .where(SignallingCall.session_id == session_id, SignallingCall.ended.is_(False))
                .with_for_update()
            ).one_or_none()
            if row is None:
                return True  # no call to count against (it ended): the report goes nowhere
            counted, now = row
            recent = [t for t in _times(counted) if float(now) - t < 60.0]
            if len(recent) >= per_minute:
                return False
            session.execute(
                update(SignallingCall)
                .where(SignallingCall.session_id == session_id)
                .values(camera_reports=json.dumps([*recent, float(now)]))
            )
            return True

    def first_camera_refusal(self, session_id: SessionId) -> bool:
        return self._change_live_call(
            session_id, {"camera_refusal_told": True}, SignallingCall.camera_refusal_told.is_(False)
        )

    # -- leases -------------------------------------------------------------------------------

    def hold(self, session_id: SessionId) -> None:
        held = {"instance_id": self.instance_id, "held_at": datetime.now(UTC)}
        with self.database.session() as session:
            session.execute(
                pg_insert(QueueHolder)
                .values(session_id=session_id, **held)
                .on_conflict_do_update(index_elements=["session_id"], set_=held)
            )

    def release(self, session_id: SessionId) -> None:
        with self.database.session() as session:
            session.execute(
                delete(QueueHolder).where(
                    QueueHolder.session_id == session_id, QueueHolder.instance_id == self.instance_id
                )
            )

    def sweep(self, now: datetime) -> Reclaimed:
        """Renew this instance's lease; each instance whose lease ran out is deleted by exactly
        one sweeper (DELETE ... RETURNING), which takes back what it held.

        Leases go by the database's clock (now()), never a host's. An instance reclaims others
        only after renewing without a break for a whole lease (`started_at`, reset when it
        starts and when it renews after more than a lease): after an outage of the database
        every instance's lease looks run out, and the first to sweep must not take the others
        for crashed before they could renew. `now` (this host's clock) only ages the mail."""
        lease = timedelta(seconds=self.lease_seconds)
        with self.database.session() as session:
            clock = session.execute(select(func.now())).scalar_one()  # the transaction's start
            previous = session.execute(
                select(IntakeInstance.seen_at)
                .where(IntakeInstance.instance_id == self.instance_id)
                .with_for_update()
            ).scalar_one_or_none()
            lease_lost = previous is None and self._renewed
            resumed = previous is None or previous < clock - lease
            renewed = {"seen_at": clock} | ({"started_at": clock} if resumed else {})
            steady_since = session.execute(
                pg_insert(IntakeInstance)
                .values(instance_id=self.instance_id, started_at=clock, seen_at=clock)
                .on_conflict_do_update(index_elements=["instance_id"], set_=renewed)
                .returning(IntakeInstance.started_at)
            ).scalar_one()
            if lease_lost:
                log.warning(
                    "intake: this instance's lease (%s) ran out and another instance reclaimed what "
                    "it held; it holds its sockets again",
                    self.instance_id,
                )
            elif previous is not None and resumed:
                log.warning(
                    "intake: this instance renewed its lease after %.0f s (more than the %.0f s lease); "
                    "it reclaims no other instance until it has renewed for a whole lease",
                    (clock - previous).total_seconds(),
                    self.lease_seconds,
                )
            gone: list[str] = []
            if steady_since <= clock - lease:
                gone = list(
                    session.execute(
                        delete(IntakeInstance)
                        .where(
                            IntakeInstance.seen_at < clock - lease,
                            IntakeInstance.instance_id != self.instance_id,
                        )
                        .returning(IntakeInstance.instance_id)
                    ).scalars()
                )
            reclaimed = Reclaimed(lease_lost=lease_lost)
            if gone:
                waiting = (
                    session.execute(
                        delete(QueueHolder)
                        .where(QueueHolder.instance_id.in_(gone))
                        .returning(QueueHolder.session_id)
                    )
                    .scalars()
                    .all()
                )
                consoles = session.execute(
                    _let_go("console", gone).returning(
                        SignallingCall.session_id, SignallingCall.console_epoch
                    )
                ).all()
                applicants = session.execute(
                    _let_go("applicant", gone).returning(SignallingCall.session_id, SignallingCall.leg)
                ).all()
                reclaimed = Reclaimed(
                    lease_lost=lease_lost,
                    waiting=tuple(SessionId(s) for s in waiting),
                    consoles=tuple((SessionId(s), int(e)) for s, e in consoles),
                    applicants=tuple((SessionId(s), int(leg)) for s, leg in applicants),
                )
                log.warning(
                    "intake: instance(s) %s stopped; reclaimed %s waiting, %s console(s), %s applicant(s)",
                    ", ".join(gone),
                    len(reclaimed.waiting),
                    len(reclaimed.consoles),
                    len(reclaimed.applicants),
                )
            live = select(SignallingCall.session_id).where(
                SignallingCall.session_id == SignallingMessage.session_id
            )
            session.execute(
                delete(SignallingMessage).where(
                    SignallingMessage.posted_at < now - timedelta(seconds=MAIL_KEPT_SECONDS), ~live.exists()
                )
            )
        self._renewed = True  # committed: a later sweep that finds no row of ours finds it taken
        return reclaimed


def _in_one_statement(
    session: Session,
    changes: Sequence[Any],
    session_id: SessionId,
    party: Party,
    body: dict[str, Any] | None,
) -> None:
    """`changes` (DELETE, INSERT...), then `body` posted to `party` and the notice of it, in
    one statement (data-modifying CTEs): one round trip on the take-next and signalling paths.
    The CTEs see one snapshot, so a DELETE here never removes the message posted with it."""
    steps = [change.cte(f"step_{number}") for number, change in enumerate(changes)]
    if body is None:
        outcome = select(literal(1))
    else:
        steps.append(
            insert(SignallingMessage)
            .values(
                session_id=session_id,
                party=party,
                kind=str(body.get("type", ""))[:32],
                body=json.dumps(body, ensure_ascii=False),
                posted_at=datetime.now(UTC),
            )
            .cte("posted")
        )
        # Sent when the transaction commits, so the row is there for whoever is told.
        outcome = select(func.pg_notify(CHANNEL, f"{session_id} {party}"))
    session.execute(outcome.add_cte(*steps))


def _times(counted: str) -> list[float]:
    """The camera reports' times as stored (a JSON list of numbers); anything else counts none."""
    try:
        times = json.loads(counted)
    except ValueError:
        return []
    if not isinstance(times, list):
        return []
    return [float(t) for t in times if isinstance(t, int | float) and not isinstance(t, bool)]


def _let_go(party: Party, instances: list[str]) -> Any:
    """The calls whose `party` socket was held by one of `instances`: that party is gone."""
    return (
        update(SignallingCall)
        .where(SignallingCall.ended.is_(False), _present(party).is_(True), _held_by(party).in_(instances))
        .values({_present(party): False, _held_by(party): None})
    )


def _discarding(session_id: SessionId, party: Party, kinds: Sequence[str]) -> Any:
    return delete(SignallingMessage).where(
        SignallingMessage.session_id == session_id,
        SignallingMessage.party == party,
        SignallingMessage.kind.in_(list(kinds)),
    )


def _discard(session: Session, session_id: SessionId, party: Party, kinds: Sequence[str]) -> None:
    session.execute(_discarding(session_id, party, kinds))


def parse_notice(payload: str) -> tuple[SessionId, Party] | None:
    number, _, party = payload.partition(" ")
    for known in PARTIES:
        if party == known and number.isdigit():
            return SessionId(int(number)), known
    return None
