"""The intake service: serves the applicant page, keeps applicants in the queue, lets consoles
take the next one, and relays the WebRTC offer and answer between the two.

HTTP and WebSocket API (all bodies JSON; every error is ``{"error": code, "message": text}``
with a 4xx status, or a ``{"type": "error", ...}`` message on a WebSocket):

Applicant side
    GET  /apply, /a/{token}            the applicant page (``/apply#t=TOKEN`` keeps the token out of
                                       server logs: browsers never send the fragment)
    GET  /api/applicant/status?t=TOKEN ``{"status": valid|unknown|used|expired|outside_hours,
                                       "message", "deadline", "next_opening", "reconnect"}``
    GET  /ws/applicant?t=TOKEN         WebSocket. Client -> server: ``{"type": "join"}``,
                                       ``{"type": "leave", "verify_later": bool}``,
                                       ``{"type": "offer", "sdp": str}`` (after "taken", ICE complete),
                                       ``{"type": "camera", "reason", "label", "settings"}`` (the
                                       camera in use, app.camera.CameraReport: as each leg starts
                                       and when it changes; only in a taken call, at most
                                       CAMERA_REPORTS_PER_MINUTE), ``{"type": "hang_up"}`` (the
                                       applicant ends the call: abandoned, "applicant_hung_up").
                                       Server -> client: ``status``, ``queued`` (position, waiting,
                                       expected_wait_seconds; on joining, then whenever the place or
                                       the queue's length changes, at most once a second),
                                       ``taken`` (reviewer, reconnect, ice), ``answer`` (sdp, leg),
                                       ``challenge`` (kind, state, seconds: from the console; the
                                       page shows it), ``left``, ``ended`` (reason: hang_up,
                                       connection_failed, applicant_hung_up; decided: whether a
                                       decision was recorded, so the page says what happens next),
                                       ``error``. An applicant's own ``challenge`` messages are
                                       refused: only the console's face worker judges a challenge.
Console side (every route but sign-in needs ``Authorization: Bearer TOKEN``, also the WebSocket:
the console is Python and sets the header on the upgrade request; a missing, unknown, expired,
signed-out or revoked credential gets 401, a wrong role or another reviewer's session 403, each
as JSON and before anything about an applicant is read)
    POST /api/console/sign-in          ``{"name", "password"}`` -> ``{"token", "expires_at",
                                       "reviewer": {"id", "name", "role"}}``; 401 wrong name or
                                       password, 429 locked out after too many failures.
    POST /api/console/sign-out         ends the credential.
    POST /api/console/take-next        -> 200 with the applicant (``session_id``, ``application_id``,
                                       name, masked ID, amount, ..., ``reference_photo_b64``,
                                       ``signalling_path``, ``ice``) or 204 when nobody waits. The
                                       reviewer is the credential's; any body is ignored.
    GET  /api/queue/summary            ``{"waiting": n, "longest_wait_seconds": s}`` (from the same
                                       queue snapshot as the applicants' places)
    GET  /ws/console/sessions/{id}     WebSocket, only for the reviewer who took the session.
                                       Server -> console: ``offer`` (sdp, leg),
                                       ``applicant_left`` (leg), ``applicant_returned``, ``camera``
                                       (leg, report: the applicant's checked camera report),
                                       ``camera_refused`` (why: a report the page never sends),
                                       ``ended`` (reason "applicant_hung_up", outcome "abandoned":
                                       what the service recorded), ``error``.
                                       Console -> server: ``{"type": "answer", "sdp", "leg"}``,
                                       ``{"type": "challenge", "kind", "state": "asked" | "passed"
                                       | "failed" | "not_judged", "seconds" (asked: the time
                                       limit, 1-120)}`` (an intake older than its consoles
                                       refuses "not_judged": upgrade the intake first),
                                       ``{"type": "end", "reason": "connection_failed" | "hang_up"
                                       | "console_closed"}``.
    GET  /healthz                      ``{"ok": true}``

A console that took an applicant but is not connected to its session socket for
`console_grace_seconds` (it crashed, or only took without media) is taken as gone: the
session ends as connection failed and the applicant is told to retry.

``ice`` is the STUN/TURN configuration for that peer of that session (media.ice), with TURN
credentials of its own when a TURN secret is set: only a valid applicant token or a signed-in
console ever gets one. What instances must share about calls in flight (who
took which session, its leg, which sockets are connected, the messages between applicant and
console) goes through a `SignallingExchange`: in this process for a single instance, in
PostgreSQL when several run behind a load balancer, so an applicant and the console taking them
may reach different instances. Each instance delivers mail to the sockets it holds.
Each renews a lease every SWEEP_SECONDS and notes the waiting applicants and call parties it
holds; what an instance that stopped renewing held is reclaimed by another (`sweep`; see
docs/waiting-at-scale.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import WSCloseCode, WSMsgType, web

from app.applications import token_hint
from app.camera import CameraReport, CameraReportInvalid, CameraReportReason
from app.consent import ConsentBook, ConsentMissing
from app.console_access import (
    MAX_CREDENTIAL_LENGTH,
    ConsoleAccess,
    ConsoleReviewer,
    SignInRefused,
)
from app.errors import NotFound, ReviewError
from app.face import ChallengeKind, ChallengeState
from app.ids import SessionId
from app.queue import (
    CallLegs,
    QueueSnapshot,
    QueueTicket,
    ReviewDesk,
    TakenApplicant,
    TokenCheck,
    TokenStatus,
)
from app.roles import Action, may
from app.signalling import CallRecord, LocalSignalling, Party, Reclaimed, SignallingExchange
from media.ice import IceServers
from media.intake.positions import QueueBoard, send_quietly

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_MESSAGE_BYTES = 64 * 1024  # an SDP offer is a few kilobytes
MAX_TOKEN_LENGTH = 200
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a huge one only costs the service CPU
QUEUE_POLL_SECONDS = 1.0
# A page that stops answering pings (half this long to answer) is taken as gone. Phones on mobile
# data stall for seconds, and thousands of waiting pages each pinged every few seconds cost the
# intake real CPU; a dropped call is seen sooner by the peers' own connection state.
APPLICANT_HEARTBEAT_SECONDS = 15.0
# How often each instance renews its lease and looks for instances that stopped (shared signalling).
SWEEP_SECONDS = 5.0
INTERNAL_MESSAGE = "Something went wrong on our side; please try again."
# The page reports its camera as each leg starts and when it changes: a few a minute at most.
CAMERA_REPORTS_PER_MINUTE = 6
T = TypeVar("T")

Clock = Callable[[], datetime]

TOKEN_MESSAGES = {
    TokenStatus.VALID: "You can join the video review.",
    TokenStatus.UNKNOWN: "This link is not valid. Please check the link in your message.",
    TokenStatus.USED: "This application has already been reviewed; the link cannot be used again.",
    TokenStatus.BEING_CHECKED: (
        "Your video review is done; the bank is checking the decision and will tell you the result."
    ),
    TokenStatus.EXPIRED: "The 48-hour window for the video review has passed.",
    TokenStatus.OUTSIDE_HOURS: "Video reviews run from 08:00 to 24:00. Please come back then.",
}


class BadRequest(Exception):
    """Bad input from a client: becomes a 4xx response or a WebSocket error message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Unauthorized(BadRequest):
    """No valid console credential: 401, with the Bearer challenge."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, 401)


def bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("credential_missing", "Sign in first: send Authorization: Bearer TOKEN.")
    if len(token) > MAX_CREDENTIAL_LENGTH:
        raise Unauthorized("credential_invalid", "The sign-in is not valid. Sign in again.")
    return token


BOTH_PARTS = frozenset({"applicant", "console"})


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every answer: no referrer (addresses may carry a token), no sniffing, no framing;
    HSTS when served over TLS directly (behind a proxy, the proxy sends it)."""
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith(("/api/", "/ws/")):
        response.headers.setdefault("Cache-Control", "no-store")
    if request.secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def applicant_url(base_url: str, token: str) -> str:
    """The link sent to the applicant. The token rides in the fragment, which browsers never
    send to the server, so it does not end up in access logs."""
    return f"{base_url.rstrip('/')}/apply#t={token}"


def error_body(code: str, message: str) -> dict[str, str]:
    return {"error": code, "message": message}


def json_error(code: str, message: str, status: int) -> web.Response:
    return web.json_response(error_body(code, message), status=status)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def parse_json_object(raw: str | bytes) -> dict[str, Any]:
    if len(raw) > MAX_MESSAGE_BYTES:
        raise BadRequest("too_large", f"Messages may be at most {MAX_MESSAGE_BYTES} bytes.", 413)
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("bad_json", "The message is not valid JSON.") from None
    if not isinstance(value, dict):
        raise BadRequest("bad_json", "The message must be a JSON object.")
    return value


def check_sdp(value: Any, kind: str) -> str:
    """A light sanity check: real parsing happens in the peer connection, which reports errors."""
    if not isinstance(value, str) or not value.startswith("v=0"):
        raise BadRequest("bad_sdp", f"The {kind} is not an SDP session description.")
    if "m=" not in value:
        raise BadRequest("bad_sdp", f"The {kind} has no media section.")
    return value


MAX_CHALLENGE_SECONDS = 120.0


def check_challenge(body: dict[str, Any]) -> dict[str, Any]:
    """A console's liveness challenge, as the applicant's page gets it (only known fields)."""
    kind, state = body.get("kind"), body.get("state")
    kinds = [k.value for k in ChallengeKind]
    if kind not in kinds:
        raise BadRequest("bad_message", f"kind must be one of {', '.join(kinds)}.")
    states = [s.value for s in ChallengeState]
    if state not in states:
        raise BadRequest("bad_message", f"state must be one of {', '.join(states)}.")
    message: dict[str, Any] = {"type": "challenge", "kind": kind, "state": state}
    if state == ChallengeState.ASKED.value:
        seconds = body.get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 1.0 <= seconds <= MAX_CHALLENGE_SECONDS
        ):
            raise BadRequest(
                "bad_message", f"seconds must be the time limit, 1 to {MAX_CHALLENGE_SECONDS:.0f}."
            )
        message["seconds"] = float(seconds)
    return message


def check_token_text(token: Any) -> str:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise BadRequest("unknown_token", TOKEN_MESSAGES[TokenStatus.UNKNOWN], 404)
    return token


@dataclass
class Waiting:
    """An applicant with an open page in this process."""

    token: str
    ws: web.WebSocketResponse
    session_id: SessionId | None = None
    epoch: int | None = None  # connected to the taken call as this socket
    # The join and the mail saying "taken" may both try to connect this socket to its call.
    joining: asyncio.Lock = field(default_factory=asyncio.Lock)
    transport: asyncio.BaseTransport | None = None  # the socket's connection: is it keeping up?
    held: SessionId | None = None  # the waiting session this instance holds a lease on
    consent: tuple[str, str] | None = None  # (version, language) agreed to with the last join


@dataclass
class ConsoleLink:
    """A console's session socket held by this process."""

    session_id: SessionId
    ws: web.WebSocketResponse
    epoch: int


class IntakeService:
    def __init__(
        self,
        desk: ReviewDesk,
        legs: CallLegs,
        *,
        console_access: ConsoleAccess,
        ice: IceServers | None = None,
        clock: Clock | None = None,
        review_seconds_estimate: float = 60.0,
        console_grace_seconds: float = 20.0,
        desk_threads: int = 4,
        trust_forwarded_for: bool = False,
        console_threads: int = 2,
        consent: ConsentBook | None = None,
        exchange: SignallingExchange | None = None,
        signalling_threads: int = 4,
    ) -> None:
        self.desk = desk
        # With a consent book, an applicant joins only after agreeing to its current text.
        self.consent = consent
        self.legs = legs
        self.exchange: SignallingExchange = exchange if exchange is not None else LocalSignalling()
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.console_access = console_access
        self.ice = ice or IceServers()
        # Behind a reverse proxy the peer is the proxy: the client is the last X-Forwarded-For entry.
        self.trust_forwarded_for = trust_forwarded_for
        self.review_seconds_estimate = review_seconds_estimate
        # A console that took an applicant and is not connected this long has died: the
        # session ends as connection failed, so the applicant may retry.
        self.console_grace_seconds = console_grace_seconds
        # Applicants' and consoles' database work on pools of their own, so a reviewer's
        # take-next never queues behind thousands of waiting applicants.
        self._executor = ThreadPoolExecutor(max_workers=desk_threads, thread_name_prefix="intake-desk")
        # One thread: password checks (argon2, CPU-heavy) wait for each other, so a flood of
        # sign-ins costs at most one core and never holds up take-next or the applicants.
        self._sign_in_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-sign-in")
        self._console_executor = ThreadPoolExecutor(
            max_workers=console_threads, thread_name_prefix="intake-console"
        )
        self._queue_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-queue")
        self._signalling_executor = ThreadPoolExecutor(
            max_workers=signalling_threads, thread_name_prefix="intake-signalling"
        )
        self.board = QueueBoard(
            self._read_queue,
            self.clock,
            tick_seconds=QUEUE_POLL_SECONDS,
            review_seconds_estimate=review_seconds_estimate,
        )
        self.applicants: dict[str, Waiting] = {}  # by token
        self.waiting_by_session: dict[SessionId, Waiting] = {}
        self.consoles: dict[SessionId, ConsoleLink] = {}
        self._console_watches: dict[SessionId, asyncio.Task[None]] = {}
        self._mail_locks: dict[tuple[SessionId, Party], asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._exchange_users = 0
        self._sweeper: asyncio.Task[None] | None = None

    # -- the application -------------------------------------------------------------------

    def make_app(self, parts: frozenset[str] = BOTH_PARTS) -> web.Application:
        """The routes of `parts`: "applicant" (the page, its files, status and socket) and
        "console" (sign-in and every console route); both on one address by default, or each
        on its own (the console API on the bank's internal network)."""
        app = web.Application(client_max_size=MAX_MESSAGE_BYTES, middlewares=[self._errors])
        app.on_response_prepare.append(_security_headers)
        app.router.add_get("/healthz", self.health)
        if "applicant" in parts:
            app.router.add_get("/", self.index)
            app.router.add_get("/apply", self.applicant_page)
            app.router.add_get("/a/{token}", self.applicant_page)
            app.router.add_static("/static/", STATIC_DIR, show_index=False)
            app.router.add_get("/api/applicant/status", self.applicant_status)
            app.router.add_get("/ws/applicant", self.applicant_socket)
        if "console" in parts:
            app.router.add_post("/api/console/sign-in", self.sign_in)
            app.router.add_post("/api/console/sign-out", self.sign_out)
            app.router.add_post("/api/console/take-next", self.take_next)
            app.router.add_get("/api/queue/summary", self.queue_summary)
            app.router.add_get("/ws/console/sessions/{session_id}", self.console_socket)
        if "applicant" in parts:  # one board per service: with the applicants' routes
            app.on_startup.append(self._start_board)
            app.on_shutdown.append(self._stop_board)
        # Both parts' sockets get mail: the exchange runs once per service, whichever apps serve it.
        app.on_startup.append(self._start_exchange)
        app.on_shutdown.append(self._stop_exchange)
        app.on_shutdown.append(self._close_sockets)
        app.on_cleanup.append(self._stop_executor)
        return app

    @web.middleware
    async def _errors(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadRequest as error:
            response = json_error(error.code, error.message, error.status)
            if isinstance(error, Unauthorized):
                response.headers["WWW-Authenticate"] = 'Bearer realm="console"'
            return response
        except web.HTTPRequestEntityTooLarge:
            return json_error("too_large", f"Requests may be at most {MAX_MESSAGE_BYTES} bytes.", 413)
        except web.HTTPException as error:
            if error.status >= 400:
                return json_error(error.reason.lower().replace(" ", "_"), error.reason, error.status)
            raise
        except NotFound as error:
            return json_error("not_found", str(error), 404)
        except ReviewError as error:
            return json_error("refused", str(error), 409)
        except Exception:
            # The route's pattern, not the path: /a/{token} must not put a token in the log.
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "?"
            log.exception("intake: unexpected error on %s %s", request.method, route)
            return json_error("internal", INTERNAL_MESSAGE, 500)

    async def _close_sockets(self, _app: web.Application) -> None:
        sockets = [w.ws for w in self.applicants.values()] + [c.ws for c in self.consoles.values()]
        for task in list(self._console_watches.values()):
            task.cancel()
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"service stopping")

    async def _start_board(self, _app: web.Application) -> None:
        self.board.start()

    async def _stop_board(self, _app: web.Application) -> None:
        await self.board.stop()

    async def _start_exchange(self, _app: web.Application) -> None:
        self._exchange_users += 1
        if self._exchange_users == 1:
            await self.exchange.start(self._mail_arrived)
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def _stop_exchange(self, _app: web.Application) -> None:
        self._exchange_users -= 1
        if self._exchange_users == 0:
            if self._sweeper is not None:
                self._sweeper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._sweeper
                self._sweeper = None
            await self.exchange.stop()

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("intake: the sweep of leases failed; trying again")
            await asyncio.sleep(SWEEP_SECONDS)

    async def sweep(self) -> Reclaimed:
        """Renew this instance's lease and take back what instances that stopped held: their
        waiting applicants leave the queue (unless back on a live instance meanwhile), their
        consoles get the grace time to come back before the call ends, and consoles whose
        applicant they held hear the applicant left. Also drops mail nobody will collect. When
        this instance's own lease had been taken, it holds its sockets again (`_hold_again`)."""
        now = self.clock()
        reclaimed = await self._signal(self.exchange.sweep, datetime.now(UTC))  # mail: real time
        if reclaimed.lease_lost:  # in the background: the next renewals must not wait for it
            self._spawn(self._hold_again())
        lost = [s for s in reclaimed.waiting if s not in self.waiting_by_session]
        if lost:
            cleared = await self._desk(self.desk.abandon_waiting, lost, now, "intake_lost")
            for session_id in lost:
                self.board.out_of_queue(session_id)
            log.warning("intake: %s applicant(s) of a stopped instance left the queue", cleared)
        for session_id, epoch in reclaimed.consoles:
            if session_id not in self.consoles:
                self._watch_console(session_id, epoch)
        for session_id, leg in reclaimed.applicants:
            with contextlib.suppress(ReviewError):
                await self._end_open_leg(session_id, "dropped")
            await self._post(
                session_id,
                "console",
                {"type": "applicant_left", "leg": leg},
                replacing=("offer", "applicant_returned"),
            )
        return reclaimed

    async def _hold_again(self) -> None:
        """This instance's lease ran out (it could not reach the database for longer than a
        lease while another could) and that instance reclaimed what it held, though its sockets
        are still open: it holds them again and tells them the truth. Waiting applicants were
        taken out of the queue: they join again (at the back: their place went) and are told
        their new place; an applicant in a call returns to it as after a reconnect (the page
        calls again, the console hears they are back); a console is marked present again, or,
        when its call ended meanwhile or another console took over, its socket is closed."""
        waiting_here = [w for w in self.waiting_by_session.values() if not w.ws.closed]
        consoles_here = [link for link in self.consoles.values() if not link.ws.closed]
        log.warning(
            "intake: this instance's lease was taken; holding again %s applicant(s) and %s console(s)",
            len(waiting_here),
            len(consoles_here),
        )
        for waiting in waiting_here:
            try:
                if waiting.epoch is not None:
                    await self._back_in_call(waiting)
                elif waiting.held is not None:
                    await self._queue_again(waiting)
            except Exception:
                log.exception("intake: cannot hold applicant of session %s again", waiting.session_id)
        for link in consoles_here:
            try:
                await self._console_again(link)
            except Exception:
                log.exception("intake: cannot hold the console of session %s again", link.session_id)
        self._mail_arrived(None, None)  # what came meanwhile

    async def _queue_again(self, waiting: Waiting) -> None:
        held = waiting.held
        assert held is not None
        async with waiting.joining:
            if waiting.epoch is not None:
                return  # taken meanwhile: the call has them
            # The reclaiming instance takes them out of the queue (intake_lost); made sure of
            # here, so the join below never races it.
            await self._desk(self.desk.abandon_waiting, [held], self.clock(), "intake_lost")
            self.board.out_of_queue(held)
            waiting.held = None
            ticket = await self._desk(self.desk.join_queue, waiting.token, self.clock())
            if waiting.consent is not None and self.consent is not None and ticket.session_id != held:
                await self._desk(self.consent.record, ticket.session_id, *waiting.consent, self.clock())
        log.warning(
            "intake: session %s lost its place with this instance's lease; queued again as session %s",
            held,
            ticket.session_id,
        )
        await self._queued(waiting, ticket)

    async def _back_in_call(self, waiting: Waiting) -> None:
        record = await self._live_call(waiting.session_id)
        if record is None or record.applicant_epoch != waiting.epoch or record.applicant_present:
            return  # ended (its "ended" is delivered), a newer socket came, or never let go
        waiting.epoch = None
        await self._applicant_returns(waiting, record)

    async def _console_again(self, link: ConsoleLink) -> None:
        record = await self._live_call(link.session_id)
        if record is not None and record.console_epoch == link.epoch and record.console_present:
            return  # never let go
        epoch = None
        if record is not None and record.console_epoch == link.epoch:
            epoch = await self._signal(self.exchange.connect, link.session_id, "console", only_if_absent=True)
        if epoch is None:
            log.warning(
                "intake: the call of session %s went on without this console's socket", link.session_id
            )
            await link.ws.close(code=WSCloseCode.GOING_AWAY, message=b"call lost")
            return
        link.epoch = epoch  # the reclaiming instance's grace watch was for the older epoch

    async def _stop_executor(self, _app: web.Application) -> None:
        for executor in (
            self._executor,
            self._console_executor,
            self._queue_executor,
            self._sign_in_executor,
            self._signalling_executor,
        ):
            executor.shutdown(wait=False, cancel_futures=True)

    async def _signal(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Exchange calls (a database round trip when shared), on threads of their own."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._signalling_executor, partial(function, *args, **kwargs))

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _desk(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Desk calls for applicants block on the database: keep them off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args, **kwargs))

    async def _console_desk(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Desk calls for consoles, on their own threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._console_executor, partial(function, *args, **kwargs))

    async def _read_queue(self, now: datetime) -> QueueSnapshot:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._queue_executor, self.desk.queue_snapshot, now)

    # -- plain pages -----------------------------------------------------------------------

    async def index(self, _request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/apply")

    async def applicant_page(self, request: web.Request) -> web.StreamResponse:
        response = web.FileResponse(STATIC_DIR / "applicant.html")
        # The address may carry the token: never cached, never sent on as a referrer.
        response.headers["Cache-Control"] = "no-store"
        # 'self' covers the page's own WebSocket in current browsers; older Safari needs it named.
        host = re.sub(r"[^A-Za-z0-9.:\[\]-]", "", request.host)
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"media-src 'self' blob: mediastream:; connect-src 'self' wss://{host} ws://{host}; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        response.headers["Permissions-Policy"] = "camera=(self), microphone=(self), geolocation=()"
        return response

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    # -- applicant ---------------------------------------------------------------------------

    def _status_body(self, check: TokenCheck, *, reconnect: bool) -> dict[str, Any]:
        return {
            "status": check.status.value,
            "message": TOKEN_MESSAGES[check.status],
            "deadline": _iso(check.deadline),
            "next_opening": _iso(check.next_opening),
            "reconnect": reconnect,
            "consent": self.consent.text.as_dict() if self.consent is not None else None,
        }

    async def _live_call(self, session_id: SessionId | None) -> CallRecord | None:
        if session_id is None:
            return None
        return await self._signal(self.exchange.call, session_id)

    async def applicant_status(self, request: web.Request) -> web.Response:
        token = check_token_text(request.query.get("t"))
        check = await self._desk(self.desk.check_token, token, self.clock())
        reconnect = await self._live_call(check.session_id) is not None
        return web.json_response(
            self._status_body(check, reconnect=reconnect),
            status=200 if check.status is TokenStatus.VALID else 403,
        )

    async def applicant_socket(self, request: web.Request) -> web.StreamResponse:
        # No per-message deflate: the messages are small, and thousands of compressors (about
        # 300 KB each) would cost the intake memory and CPU for nothing.
        ws = web.WebSocketResponse(
            max_msg_size=MAX_MESSAGE_BYTES, heartbeat=APPLICANT_HEARTBEAT_SECONDS, compress=False
        )
        await ws.prepare(request)
        token = request.query.get("t", "")
        try:
            await self._applicant_session(ws, token, request.transport)
        except BadRequest as error:
            await _send(ws, {"type": "error", "error": error.code, "message": error.message})
            await ws.close(code=4000 + min(error.status, 999), message=error.code.encode()[:100])
        except Exception:
            log.exception("intake: the applicant socket failed")
            await _send(ws, {"type": "error", "error": "internal", "message": INTERNAL_MESSAGE})
            await ws.close(code=WSCloseCode.INTERNAL_ERROR)
        return ws

    def _hold(self, waiting: Waiting, session_id: SessionId | None) -> None:
        """Index the applicant's socket by their session, so mail for it finds it."""
        if waiting.session_id is not None and self.waiting_by_session.get(waiting.session_id) is waiting:
            del self.waiting_by_session[waiting.session_id]
            self._mail_locks.pop((waiting.session_id, "applicant"), None)
        waiting.session_id = session_id
        if session_id is not None:
            self.waiting_by_session[session_id] = waiting

    async def _applicant_session(
        self, ws: web.WebSocketResponse, token: str, transport: asyncio.BaseTransport | None = None
    ) -> None:
        token = check_token_text(token)
        if token in self.applicants:
            raise BadRequest(
                "already_connected",
                "This link is already open on another page or device. Close it there first.",
                409,
            )
        check = await self._desk(self.desk.check_token, token, self.clock())
        record = await self._live_call(check.session_id)
        await _send(ws, {"type": "status", **self._status_body(check, reconnect=record is not None)})
        if check.status is not TokenStatus.VALID:
            await ws.close(code=4403, message=check.status.value.encode())
            return
        waiting = Waiting(token, ws, transport=transport)
        self.applicants[token] = waiting
        self._hold(waiting, check.session_id)
        try:
            if record is not None:
                await self._applicant_returns(waiting, record)
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    if message.type is WSMsgType.ERROR:
                        break
                    await _send(
                        ws, {"type": "error", "error": "bad_json", "message": "Send JSON text messages."}
                    )
                    continue
                async with _answering_failures(ws, "an applicant socket"):
                    body = parse_json_object(message.data)
                    kind = body.get("type")
                    if kind == "join":
                        given = self._consent_given(body)
                        ticket = await self._desk(self.desk.join_queue, token, self.clock())
                        if given is not None and self.consent is not None:
                            await self._desk(self.consent.record, ticket.session_id, *given, self.clock())
                            waiting.consent = given
                        await self._queued(waiting, ticket)
                    elif kind == "leave":
                        if (
                            waiting.session_id is not None
                            and await self._live_call(waiting.session_id) is None
                        ):
                            verify_later = bool(body.get("verify_later", False))
                            await self._desk(
                                self.desk.leave_queue,
                                waiting.session_id,
                                self.clock(),
                                verify_later=verify_later,
                            )
                            await _send(ws, {"type": "left", "verify_later": verify_later})
                            self.board.out_of_queue(waiting.session_id)
                            self._hold(waiting, None)
                        await ws.close()
                        break
                    elif kind == "offer":
                        await self._relay_offer(waiting, check_sdp(body.get("sdp"), "offer"))
                    elif kind == "camera":
                        await self._relay_camera(waiting, body)
                    elif kind == "hang_up":
                        await self._applicant_hangs_up(waiting)
                    elif kind == "ping":
                        await _send(ws, {"type": "pong"})
                    else:
                        raise BadRequest("bad_message", f"Unknown message type {kind!r}.")
        finally:
            self.applicants.pop(token, None)
            self.board.forget(waiting.session_id)
            await self._applicant_gone(waiting)
            self._hold(waiting, None)
            if waiting.held is not None:
                with contextlib.suppress(Exception):
                    await self._signal(self.exchange.release, waiting.held)

    async def _queued(self, waiting: Waiting, ticket: QueueTicket) -> None:
        """The applicant joined (or rejoined) as `ticket`: to their call if taken, else held
        here and told their place."""
        self._hold(waiting, ticket.session_id)
        if waiting.epoch is None:
            record = await self._live_call(ticket.session_id)
            if record is not None:
                await self._applicant_returns(waiting, record)
            elif ticket.position > 0:
                # Held here: if this instance stops, another takes them out.
                await self._signal(self.exchange.hold, ticket.session_id)
                waiting.held = ticket.session_id
                await self._tell_place(waiting, ticket)
            # Mail that came before this socket was known by its session.
            self._mail_arrived(ticket.session_id, "applicant")

    def _consent_given(self, body: dict[str, Any]) -> tuple[str, str] | None:
        """(version, language) of the consent sent with a join; refused when one is needed."""
        if self.consent is None:
            return None
        try:
            return self.consent.text.check(body.get("consent"))
        except ConsentMissing as error:
            raise BadRequest("consent_required", str(error), 403) from None

    async def _tell_place(self, waiting: Waiting, ticket: QueueTicket) -> None:
        """Tell a new arrival their place now; the board keeps them informed from then on."""
        if waiting.ws.closed:
            return
        message = self.board.queued_message(ticket.session_id, ticket.position, ticket.waiting)
        await send_quietly(waiting.ws, message)
        self.board.listen(
            ticket.session_id, waiting.ws, ticket.position, ticket.waiting, transport=waiting.transport
        )

    async def _applicant_returns(self, waiting: Waiting, record: CallRecord | None = None) -> bool:
        """The applicant's socket joins their taken call: first time (taken) or a reconnect.
        False when there is no live call to join."""
        async with waiting.joining:
            return await self._join_call(waiting, record)

    async def _join_call(self, waiting: Waiting, record: CallRecord | None) -> bool:
        session_id = waiting.session_id
        if session_id is None or waiting.epoch is not None or waiting.ws.closed:
            return waiting.epoch is not None
        if record is None:
            record = await self._live_call(session_id)
            if record is None:
                return False
        self.board.forget(session_id)
        epoch = await self._signal(self.exchange.connect, session_id, "applicant", only_if_absent=False)
        if epoch is None:
            return False
        waiting.epoch = epoch
        # Told "taken" here; answers meant for an earlier socket are of no use to this one.
        await self._signal(self.exchange.discard, session_id, "applicant", ("taken", "answer"))
        reconnect = record.leg > 0
        await _send(waiting.ws, self._taken_message(session_id, record.reviewer_name, reconnect=reconnect))
        if reconnect:
            await self._post(
                session_id, "console", {"type": "applicant_returned"}, replacing=("applicant_returned",)
            )
        return True

    def _taken_message(self, session_id: SessionId, reviewer: Any, *, reconnect: bool) -> dict[str, Any]:
        ice = self.ice.for_peer(f"session-{session_id}-applicant", self.clock())
        return {"type": "taken", "reviewer": reviewer, "reconnect": reconnect, "ice": ice}

    async def _post(
        self, session_id: SessionId, party: Party, body: dict[str, Any], *, replacing: tuple[str, ...] = ()
    ) -> None:
        await self._signal(self.exchange.post, session_id, party, body, replacing=replacing)

    async def _relay_offer(self, waiting: Waiting, sdp: str) -> None:
        session_id = waiting.session_id
        record = await self._live_call(session_id)
        if session_id is None or record is None or record.applicant_epoch != waiting.epoch:
            raise BadRequest("not_taken", "No reviewer has taken you yet; wait for your turn.", 409)
        await self._end_open_leg(session_id, "renegotiated")
        leg = await self._console_desk(self.legs.start_leg, session_id, self.clock())
        await self._signal(self.exchange.leg_started, session_id, leg)
        await self._post(
            session_id, "console", {"type": "offer", "sdp": sdp, "leg": leg}, replacing=("offer",)
        )

    async def _call_of(self, waiting: Waiting) -> CallRecord:
        """The live call this applicant's socket is connected to; 409 otherwise."""
        record = await self._live_call(waiting.session_id)
        if waiting.session_id is None or record is None or record.applicant_epoch != waiting.epoch:
            raise BadRequest("not_taken", "No reviewer has taken you yet; wait for your turn.", 409)
        return record

    async def _relay_camera(self, waiting: Waiting, body: dict[str, Any]) -> None:
        """The applicant's camera report, checked (hostile input), to the console of their call.
        A report the bank's page never sends is refused, and the console hears of it once. The
        rate and that once are the call's (the exchange's), so reconnecting resets neither."""
        record = await self._call_of(waiting)
        session_id = record.session_id
        if not await self._signal(self.exchange.count_camera_report, session_id, CAMERA_REPORTS_PER_MINUTE):
            await self._camera_refused(session_id, "too_many")
            raise BadRequest(
                "too_many_camera_reports",
                f"At most {CAMERA_REPORTS_PER_MINUTE} camera reports a minute.",
                429,
            )
        try:
            report = CameraReport.from_json(body)
        except CameraReportInvalid as error:
            await self._camera_refused(session_id, "malformed")
            raise BadRequest("bad_camera_report", f"The camera report is not valid: {error}.") from None
        # The page reports as each leg starts, before its offer: that report is the next leg's,
        # also when it renegotiates while the old leg is still open (its media failed).
        starts = report.reason is CameraReportReason.CALL_STARTED
        leg = record.leg + 1 if starts or not record.leg_open else record.leg
        await self._post(session_id, "console", {"type": "camera", "leg": leg, "report": report.as_json()})

    async def _camera_refused(self, session_id: SessionId, why: str) -> None:
        if await self._signal(self.exchange.first_camera_refusal, session_id):
            log.warning("intake: session %s: camera report refused (%s)", session_id, why)
            await self._post(session_id, "console", {"type": "camera_refused", "why": why})

    async def _applicant_hangs_up(self, waiting: Waiting) -> None:
        """The applicant pressed hang up: the call ends for both, recorded as abandoned
        ("applicant_hung_up"; they may come back within their window), and the console is
        told what was recorded."""
        record = await self._call_of(waiting)
        ended = await self._signal(self.exchange.end, record.session_id)
        if ended is None:
            return  # ended meanwhile (the console hung up first): its "ended" is on the way
        await self._finish_call(ended, "applicant_hung_up", ended_as="applicant_hung_up")
        await self._post(
            record.session_id,
            "console",
            {"type": "ended", "reason": "applicant_hung_up", "outcome": "abandoned"},
        )

    async def _end_open_leg(self, session_id: SessionId, reason: str) -> None:
        if await self._signal(self.exchange.close_leg, session_id):
            await self._console_desk(self.legs.end_leg, session_id, self.clock(), reason)

    async def _applicant_gone(self, waiting: Waiting) -> None:
        session_id = waiting.session_id
        if session_id is None:
            return
        if waiting.epoch is None:
            if await self._live_call(session_id) is None:
                # Still waiting: an applicant who leaves the queue is removed from it.
                with contextlib.suppress(ReviewError):
                    await self._desk(self.desk.leave_queue, session_id, self.clock(), verify_later=False)
                self.board.out_of_queue(session_id)
            return
        if not await self._signal(self.exchange.disconnect, session_id, "applicant", waiting.epoch):
            return  # the applicant is back on a newer socket already
        record = await self._live_call(session_id)
        if record is None:
            return
        with contextlib.suppress(ReviewError):
            await self._end_open_leg(session_id, "dropped")
        await self._post(
            session_id,
            "console",
            {"type": "applicant_left", "leg": record.leg},
            replacing=("offer", "applicant_returned"),
        )

    # -- mail between instances ----------------------------------------------------------------

    def _mail_arrived(self, session_id: SessionId | None, party: Party | None) -> None:
        """On the event loop: deliver what came for a socket this instance holds."""
        if session_id is None or party is None:
            for held in list(self.waiting_by_session):
                self._spawn(self._deliver(held, "applicant"))
            for held in list(self.consoles):
                self._spawn(self._deliver(held, "console"))
        elif session_id in (self.waiting_by_session if party == "applicant" else self.consoles):
            self._spawn(self._deliver(session_id, party))

    async def _deliver(self, session_id: SessionId, party: Party) -> None:
        lock = self._mail_locks.setdefault((session_id, party), asyncio.Lock())
        try:
            async with lock:  # one collector at a time keeps a party's mail in order
                for body in await self._signal(self.exchange.collect, session_id, party):
                    if party == "applicant":
                        await self._hand_to_applicant(session_id, body)
                    else:
                        link = self.consoles.get(session_id)
                        if link is not None:
                            await _send(link.ws, body)
        except Exception:
            log.exception("intake: cannot deliver signalling mail of session %s", session_id)

    async def _hand_to_applicant(self, session_id: SessionId, body: dict[str, Any]) -> None:
        waiting = self.waiting_by_session.get(session_id)
        if waiting is None:
            return
        kind = body.get("type")
        if kind == "taken":
            if waiting.epoch is None and not await self._applicant_returns(waiting):
                # The call ended already (its "ended" follows): the applicant still learns who took them.
                await _send(
                    waiting.ws, self._taken_message(session_id, body.get("reviewer"), reconnect=False)
                )
        elif kind == "ended":
            await _send(
                waiting.ws,
                {"type": "ended", "reason": body.get("reason"), "decided": bool(body.get("decided"))},
            )
            await waiting.ws.close()
        elif waiting.epoch is not None:
            await _send(waiting.ws, body)

    # -- console sign-in --------------------------------------------------------------------

    def _access(self) -> ConsoleAccess:
        if self.console_access is None:
            raise BadRequest(
                "sign_in_unavailable", "This intake service does not take console sign-ins.", 503
            )
        return self.console_access

    def client_address(self, request: web.Request) -> str:
        if self.trust_forwarded_for:
            forwarded = request.headers.get("X-Forwarded-For", "")
            last = forwarded.split(",")[-1].strip()
            if last:
                return last[:100]
        return request.remote or "unknown"

    async def sign_in(self, request: web.Request) -> web.Response:
        access = self.console_access
        body = parse_json_object(await request.read())
        name, password = body.get("name"), body.get("password")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise BadRequest("bad_sign_in", "name must be a reviewer name of 1 to 100 characters.")
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
            raise BadRequest(
                "bad_sign_in", f"password must be a text of at most {MAX_PASSWORD_LENGTH} characters."
            )
        try:
            credential = await asyncio.get_running_loop().run_in_executor(
                self._sign_in_executor,
                partial(access.sign_in, name, password, self.client_address(request), self.clock()),
            )
        except SignInRefused as refused:
            if refused.locked:
                return json_error("locked_out", str(refused), 429)
            return json_error("sign_in_refused", str(refused), 401)
        reviewer = credential.reviewer
        log.info("intake: reviewer %s signed in", reviewer.id)
        return web.json_response(
            {
                "token": credential.token,
                "expires_at": credential.expires_at.isoformat(),
                "reviewer": {"id": reviewer.id, "name": reviewer.name, "role": reviewer.role.value},
            }
        )

    async def sign_out(self, request: web.Request) -> web.Response:
        await self.console_reviewer(request)
        await self._console_desk(self.console_access.sign_out, bearer_token(request), self.clock())
        return web.json_response({"signed_out": True})

    async def console_reviewer(self, request: web.Request) -> ConsoleReviewer:
        """Who sends this console request: only ever from its credential. 401 otherwise."""
        access = self.console_access
        reviewer = await self._console_desk(access.reviewer_for, bearer_token(request), self.clock())
        if reviewer is None:
            raise Unauthorized(
                "credential_invalid",
                "The sign-in is not valid (unknown, expired, signed out, or the account is "
                "deactivated). Sign in again.",
            )
        return reviewer

    # -- console ---------------------------------------------------------------------------

    async def take_next(self, request: web.Request) -> web.Response:
        reviewer = await self.console_reviewer(request)
        if not may(reviewer.role, Action.TAKE_APPLICANT):
            raise BadRequest("forbidden", f"A {reviewer.role.value} may not take applicants.", 403)
        reviewer_id = reviewer.id
        taken = await self._console_desk(self.desk.take_next, reviewer_id, self.clock())
        if taken is None:
            return web.Response(status=204)
        self.board.out_of_queue(taken.session_id)
        reviewer_name = reviewer.name
        # The call, and the mail by which whichever instance holds the applicant's socket tells
        # them, in one write.
        await self._signal(
            partial(self.exchange.call_taken, applicant_mail={"type": "taken", "reviewer": reviewer_name}),
            taken.session_id,
            reviewer_id,
            reviewer_name,
        )
        self._watch_console(taken.session_id, 0)
        log.info("intake: session %s taken by reviewer %s", taken.session_id, reviewer_id)
        ice = self.ice.for_peer(f"session-{taken.session_id}-console", self.clock())
        return web.json_response(taken_body(taken) | {"ice": ice})

    async def queue_summary(self, request: web.Request) -> web.Response:
        await self.console_reviewer(request)
        summary = await self.board.summary()
        return web.json_response(
            {"waiting": summary.waiting, "longest_wait_seconds": round(summary.longest_wait_seconds, 1)}
        )

    async def console_socket(self, request: web.Request) -> web.StreamResponse:
        reviewer = await self.console_reviewer(request)
        try:
            session_id = SessionId(int(request.match_info["session_id"]))
        except ValueError:
            raise BadRequest("bad_request", "The session id must be a whole number.") from None
        record = await self._live_call(session_id)
        if record is None:
            raise BadRequest(
                "unknown_session", f"Session {session_id} is not a live call on this service.", 404
            )
        if record.reviewer_id != reviewer.id:
            raise BadRequest("not_yours", "Another reviewer took this applicant.", 403)
        held = self.consoles.get(session_id)
        if held is not None and not held.ws.closed:
            raise BadRequest("already_connected", "A console is already connected to this call.", 409)
        epoch = await self._signal(self.exchange.connect, session_id, "console", only_if_absent=True)
        if epoch is None:
            raise BadRequest("already_connected", "A console is already connected to this call.", 409)
        try:
            ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, heartbeat=5.0)
            await ws.prepare(request)
        except BaseException:
            await self._signal(self.exchange.disconnect, session_id, "console", epoch)
            raise
        link = ConsoleLink(session_id, ws, epoch)
        self.consoles[session_id] = link
        watch = self._console_watches.pop(session_id, None)
        if watch is not None:
            watch.cancel()
        try:
            async with self._mail_locks.setdefault((session_id, "console"), asyncio.Lock()):
                mail = await self._signal(self.exchange.collect, session_id, "console")
                for body in mail:
                    await _send(ws, body)
                if not mail and not record.applicant_present and record.leg > 0:
                    await _send(ws, {"type": "applicant_left", "leg": record.leg})
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    if message.type is WSMsgType.ERROR:
                        break
                    continue
                async with _answering_failures(ws, "a console socket"):
                    body = parse_json_object(message.data)
                    kind = body.get("type")
                    if kind == "answer":
                        sdp = check_sdp(body.get("sdp"), "answer")
                        now = await self._live_call(session_id)
                        if now is None or not now.applicant_present:
                            raise BadRequest("applicant_gone", "The applicant is not connected.", 409)
                        await self._post(
                            session_id,
                            "applicant",
                            {"type": "answer", "sdp": sdp, "leg": now.leg},
                            replacing=("answer",),
                        )
                    elif kind == "challenge":
                        challenge = check_challenge(body)
                        now = await self._live_call(session_id)
                        if now is None or not now.applicant_present:
                            raise BadRequest("applicant_gone", "The applicant is not connected.", 409)
                        # Only the newest matters: a page back after a drop is not shown an old prompt.
                        await self._post(session_id, "applicant", challenge, replacing=("challenge",))
                    elif kind == "end":
                        reason = body.get("reason")
                        if reason not in ("connection_failed", "hang_up", "console_closed"):
                            raise BadRequest(
                                "bad_message",
                                "reason must be 'connection_failed', 'hang_up' or 'console_closed'.",
                            )
                        if reason == "console_closed":  # abandoned, as the console says why
                            await self._end_call(session_id, "hang_up", ended_as="console_closed")
                        else:
                            await self._end_call(session_id, reason)
                        await ws.close()
                        break
                    elif kind == "ping":
                        await _send(ws, {"type": "pong"})
                    else:
                        raise BadRequest("bad_message", f"Unknown message type {kind!r}.")
        finally:
            if self.consoles.get(session_id) is link:
                del self.consoles[session_id]
                self._mail_locks.pop((session_id, "console"), None)
            with contextlib.suppress(Exception):
                if await self._signal(self.exchange.disconnect, session_id, "console", link.epoch):
                    self._watch_console(session_id, link.epoch)
        return ws

    def _watch_console(self, session_id: SessionId, epoch: int) -> None:
        """A console that took the applicant must be connected within the grace time; the
        database decides whether one came back (on any instance) meanwhile."""

        async def watch() -> None:
            await asyncio.sleep(self.console_grace_seconds)
            try:
                record = await self._signal(self.exchange.end_if_console_gone, session_id, epoch)
                if record is not None:
                    log.warning("intake: the console of session %s is gone; ending it", session_id)
                    await self._finish_call(record, "connection_failed", ended_as="console_lost")
            except Exception:
                log.exception("intake: cannot end session %s", session_id)
            finally:
                if self._console_watches.get(session_id) is asyncio.current_task():
                    del self._console_watches[session_id]

        previous = self._console_watches.pop(session_id, None)
        if previous is not None:
            previous.cancel()
        self._console_watches[session_id] = asyncio.get_running_loop().create_task(watch())

    async def _end_call(self, session_id: SessionId, reason: str, *, ended_as: str | None = None) -> None:
        record = await self._signal(self.exchange.end, session_id)
        if record is not None:
            await self._finish_call(record, reason, ended_as=ended_as)

    async def _finish_call(self, record: CallRecord, reason: str, *, ended_as: str | None = None) -> None:
        """The call has ended (this caller ended it); `reason` is what the applicant is told. A
        session that was not decided ends as connection failed (the applicant did not come
        back), or as abandoned with `ended_as` (or "hung_up" on a hang-up), so none is left in a
        call forever."""
        session_id = record.session_id
        watch = self._console_watches.pop(session_id, None)
        if watch is not None and watch is not asyncio.current_task():
            watch.cancel()
        if record.leg_open:
            with contextlib.suppress(ReviewError):
                await self._console_desk(self.legs.end_leg, session_id, self.clock(), ended_as or reason)
        decided = False  # the page says what happens next: the result, or come back
        if ended_as is None and reason == "connection_failed":
            await self._console_desk(
                partial(self.legs.end_connection_failed, details={"note": "the applicant did not reconnect"}),
                session_id,
                self.clock(),
            )
        else:
            abandoned = await self._console_desk(
                self.legs.end_without_decision, session_id, self.clock(), ended_as or "hung_up"
            )
            decided = not abandoned
        await self._post(session_id, "applicant", {"type": "ended", "reason": reason, "decided": decided})


def taken_body(taken: TakenApplicant) -> dict[str, Any]:
    return taken.as_json() | {"signalling_path": f"/ws/console/sessions/{taken.session_id}"}


@contextlib.asynccontextmanager
async def _answering_failures(ws: web.WebSocketResponse, socket: str) -> AsyncIterator[None]:
    """Handle one socket message: a bad or refused one, or an unexpected failure, is answered
    with an error message and the socket stays open."""
    try:
        yield
    except BadRequest as error:
        await _send(ws, {"type": "error", "error": error.code, "message": error.message})
    except ReviewError as error:
        await _send(ws, {"type": "error", "error": "refused", "message": str(error)})
    except Exception:
        log.exception("intake: unexpected error on %s", socket)
        await _send(ws, {"type": "error", "error": "internal", "message": INTERNAL_MESSAGE})


async def _send(ws: web.WebSocketResponse, body: dict[str, Any]) -> None:
    """Send unless the peer is gone: a closed socket is handled by its own reader."""
    if ws.closed:
        return
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_str(json.dumps(body, ensure_ascii=False))


def describe_token(token: str) -> str:
    return token_hint(token)
