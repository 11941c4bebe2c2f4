"""Commands for recordings and supervisor replay: the replay window, session listing and PDF
export, a headless recording reviewer (record-probe), and the replay benchmarks."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cli.common import fail, print_json, settings_from_env

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = subparsers.add_parser("replay", help="open the supervisors' replay window")
    replay.add_argument("--session", type=int, help="open this session straight away")
    replay.add_argument("--at", type=float, help="with --session: start at this time (seconds)")
    replay.add_argument("--screenshot", type=Path, help=argparse.SUPPRESS)
    replay.set_defaults(func=run_replay)

    sessions = subparsers.add_parser("sessions", help="recorded review sessions")
    actions = sessions.add_subparsers(dest="sessions_command", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write a session's PDF report (no window)")
    export.add_argument("--id", type=int, required=True, help="the review session's id")
    export.add_argument("--pdf", type=Path, required=True, help="the PDF file to write")
    export.add_argument(
        "--language",
        choices=["en", "zh_CN"],
        help="the report's language (default: the language setting, else English)",
    )
    export.set_defaults(func=run_export)
    listing = actions.add_parser("list", help="finished sessions, newest first, one JSON object a line")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument(
        "--outcome", help="approve, reject, verify_later, connection_failed, or abandoned (ended undecided)"
    )
    listing.add_argument("--reason", help="a reason code, or how an abandoned session ended (hung_up...)")
    listing.add_argument("--reviewer-id", type=int)
    listing.set_defaults(func=run_list)
    demo = actions.add_parser(
        "demo", help="record a demo session from the shared Obama video (two legs, scores, amendment)"
    )
    demo.add_argument("--seconds", type=float, nargs="+", default=[14.0, 12.0], help="length of each leg")
    demo.add_argument("--fast-faces", action="store_true", help="a cheap stand-in for the face pipeline")
    demo.add_argument("--name", default="王芳 Wang Fang", help="the applicant's name")
    demo.add_argument("--no-amend", action="store_true", help="leave the reviewer's decision as it is")
    demo.set_defaults(func=run_demo)

    recordings = subparsers.add_parser("recordings", help="recordings in the shared store")
    recording_actions = recordings.add_subparsers(dest="recordings_command", required=True, metavar="ACTION")
    upload = recording_actions.add_parser(
        "upload",
        help="send what this workstation's spool holds and the shared store lacks (after a store outage "
        "or a crash); harmless to repeat",
    )
    upload.add_argument("--json", action="store_true")
    upload.set_defaults(func=run_upload)

    probe = subparsers.add_parser(
        "record-probe",
        help="a headless reviewer that takes the next applicant and records the call (legs, timeline)",
    )
    probe.add_argument("--url", help="the intake service (default: the intake_url setting)")
    probe.add_argument("--reviewer-id", type=int, default=1)
    probe.add_argument("--reviewer-name", default="record-probe")
    probe.add_argument("--seconds", type=float, default=10.0, help="how long to record after the first frame")
    probe.add_argument("--wait", type=float, default=20.0, help="seconds to wait for an applicant")
    probe.add_argument(
        "--faces",
        action="store_true",
        help="score the face against the ID photo (face worker) onto the timeline",
    )
    probe.set_defaults(func=run_record_probe)

    from cli.call import bench_group

    bench = bench_group(subparsers)
    seek = bench.add_parser("replay", help="seek time in a recorded session (records one first)")
    seek.add_argument("--minutes", type=float, default=5.0, help="length of the recording to make")
    seek.add_argument("--seeks", type=int, default=100)
    seek.add_argument("--directory", type=Path, help="an existing session recording instead of a new one")
    seek.add_argument(
        "--encryption",
        choices=("both", "on", "off"),
        default="both",
        help="record (and seek in) an encrypted recording, a plain one, or both from the same frames "
        "(default both; with --directory, 'on' opens it with the console's key)",
    )
    seek.set_defaults(func=run_bench_replay)
    browser = bench.add_parser("sessions", help="session browser queries over many sessions on SQLite")
    browser.add_argument("--count", type=int, default=100_000)
    browser.add_argument("--database", type=Path, help="reuse this SQLite file (made when missing)")
    browser.set_defaults(func=run_bench_sessions)


# -- replay window and export -------------------------------------------------------------


def run_replay(args: argparse.Namespace) -> int:
    from ui.replay.window import run_replay_window

    return run_replay_window(
        settings_from_env(), session_id=args.session, at=args.at, screenshot=args.screenshot
    )


def run_export(args: argparse.Namespace) -> int:
    from app.errors import NotFound
    from cli.common import sealer_from_env
    from cli.database import open_configured_database
    from media.playback import RecordingError
    from storage.recording_store import recording_folder, recording_store_for
    from storage.replay import ReplayRecords
    from ui.replay.fonts import ReportFontMissing
    from ui.replay.report import write_report

    settings = settings_from_env()
    language = args.language or ("zh_CN" if settings.language.lower().startswith("zh") else "en")
    _install_report_language(language)
    database = open_configured_database()
    try:
        sealer = sealer_from_env()  # photos and recordings are encrypted at rest
        records = ReplayRecords(database, sealer)
        try:
            replay = records.session_replay(args.id)
        except NotFound as error:
            return fail(str(error), 1)

        def progress(done: int, total: int, what: str) -> None:
            print(f"[{done}/{total}] {what}", file=sys.stderr, flush=True)

        try:
            folder = None
            if replay.recording_directory is not None:
                store = recording_store_for(settings, database)
                folder = recording_folder(settings, store, replay.recording_directory)
            write_report(
                replay, args.pdf, settings=settings, progress=progress, sealer=sealer, recording_folder=folder
            )
        except (RecordingError, ReportFontMissing) as error:
            return fail(f"session {args.id}: {error}", 1)
        print(f"wrote {args.pdf}")
        return 0
    finally:
        database.dispose()


def run_upload(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database
    from media.recording.upload import upload_folder
    from storage.recording_store import recording_store_for

    settings = settings_from_env()
    database = open_configured_database()
    try:
        store = recording_store_for(settings, database)
        if store is None:
            return fail("no shared recording store: the database is SQLite (recording_store = auto) or local")
        root = settings.recordings_dir
        folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        report = []
        for folder in folders:
            state = upload_folder(folder, store)
            report.append({"directory": folder.name, "uploaded": state.uploaded, "bytes": state.bytes,
                           "pending": state.pending, "store_down": state.store_down})  # fmt: skip
    finally:
        database.dispose()
    waiting = sum(1 for line in report if line["store_down"] or line["pending"])
    if args.json:
        print_json({"folders": report, "waiting": waiting})
    else:
        for line in report:
            print(f"{line['directory']}: {line['uploaded']} files sent, {line['pending']} waiting")
    return 1 if waiting else 0


def _install_report_language(language: str) -> None:
    """The report's words follow Qt's translations; a window-less core application carries them."""
    if language == "en":
        return
    from PySide6.QtCore import QCoreApplication

    from ui.languages import install_translators

    app = QCoreApplication.instance() or QCoreApplication([])
    install_translators(app, language)


def run_list(args: argparse.Namespace) -> int:
    from app.four_eyes import CheckState
    from cli.database import open_configured_database
    from storage.four_eyes import FourEyesChecks
    from storage.replay import ReplayRecords, SessionFilter

    database = open_configured_database()
    try:
        records = ReplayRecords(database)
        records.refresh_missing()
        page = records.browse(
            SessionFilter(outcome=args.outcome, reason_code=args.reason, reviewer_id=args.reviewer_id),
            page_size=args.limit,
        )
        checks = FourEyesChecks(database).states(item.session_id for item in page.items)
        for item in page.items:
            print_json(
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
            )
        return 0
    finally:
        database.dispose()


def run_demo(args: argparse.Namespace) -> int:
    from cli.common import sealer_from_env
    from cli.database import open_configured_database
    from ui.replay.demo_session import make_demo_session

    settings = settings_from_env()
    database = open_configured_database()
    try:
        session_id = make_demo_session(
            database,
            settings,
            seconds=tuple(args.seconds),
            real_faces=not args.fast_faces,
            amend=not args.no_amend,
            applicant_name=args.name,
            progress=lambda message: print(message, flush=True),
            sealer=sealer_from_env(),
        )
        print_json({"session_id": session_id})
        return 0
    finally:
        database.dispose()


# -- record-probe ---------------------------------------------------------------------------


def run_record_probe(args: argparse.Namespace) -> int:
    """Take the next applicant, record every leg under the data directory and store the legs
    and connection events; one JSON line a second. Ends after --seconds, or when the call ends.
    The wiring is the live console's (cli.recording_wiring)."""
    from cli.call import intake_url, quiet_media_logs, take_next_within
    from cli.common import sealer_from_env
    from cli.database import open_configured_database
    from cli.recording_wiring import SessionRecording
    from media.call import CallState, IntakeError, ReviewerCall

    quiet_media_logs()
    settings = settings_from_env()
    database = open_configured_database()
    call = ReviewerCall(
        intake_url(settings, args.url),
        args.reviewer_id,
        args.reviewer_name,
        grace_seconds=settings.reconnect_grace_seconds,
        tone_without_microphone=True,
    ).start()
    # Before the applicant is taken; encrypted at rest, as the console records.
    recording = SessionRecording(call, database, settings, sealer=sealer_from_env())
    worker = None
    try:
        try:
            applicant = take_next_within(call, args.wait, poll=0.3)
        except IntakeError as error:
            return fail(str(error), 1)
        directory = recording.begin(applicant.session_id)
        print_json({"session_id": applicant.session_id, "directory": str(directory)})
        sys.stdout.flush()
        if call.frames.wait_newer(0, timeout=max(10.0, args.wait)) is None:
            return fail("no frame arrived", 1)
        if args.faces:
            worker = _probe_faces(call, recording, applicant.reference_photo, settings)
        started = time.monotonic()
        second = 0
        while time.monotonic() - started < args.seconds:
            second += 1
            time.sleep(max(0.0, started + second - time.monotonic()))
            recorder = recording.recording.recorder
            stats = recorder.stats() if recorder else None
            print_json(
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
            sys.stdout.flush()
            if worker is not None:
                _poll_scores(worker, recording)
            if call.status.state in (CallState.CONNECTION_FAILED, CallState.HUNG_UP):
                break
        if worker is not None:
            _poll_scores(worker, recording)
            worker.stop()
            worker = None
        with_frames = call.stats().frames
        return 0 if with_frames > 0 else 1
    finally:
        if worker is not None:
            worker.stop()
        call.close()
        recording.close()
        database.dispose()


def _probe_faces(call: Any, recording: Any, reference_photo: bytes, settings: Any) -> Any:
    """The face worker on the newest frames, onto the recording's timeline (as the console)."""
    from media.face.worker import FaceWorker

    timeline = recording.timeline
    worker = FaceWorker(settings=settings, room_scan_interval=0)
    worker.start(reference_image=reference_photo)

    def offer(sample: Any) -> None:
        timeline.frame_seen(sample)
        worker.offer_frame(sample.image, sample.received_at, sample.sequence)

    call.frames.subscribe(offer)
    return worker


def _poll_scores(worker: Any, recording: Any) -> None:
    for score in worker.poll():
        recording.timeline.add(score)
    recording.store()


# -- benchmarks -----------------------------------------------------------------------------


def run_bench_replay(args: argparse.Namespace) -> int:
    """Seek times in a recording made as the recorder makes it. By default the same frames are
    recorded twice at once, plain and encrypted at rest (a throwaway key), and both are timed."""
    import os
    import tempfile

    from storage.sealing import Sealer

    settings = settings_from_env()
    modes = ["off", "on"] if args.encryption == "both" else [args.encryption]
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        targets: dict[str, tuple[Path, Any]] = {}
        if args.directory is not None:
            from cli.common import sealer_from_env

            mode = "off" if args.encryption == "off" else "on"
            targets[mode] = (args.directory, sealer_from_env() if mode == "on" else None)
        else:
            throwaway = Sealer(os.urandom(32))
            for mode in modes:
                targets[mode] = (Path(tmp) / mode / "session", throwaway if mode == "on" else None)
            video = settings.shared_data_dir / "videos" / "obama_weekly_address.mp4"
            if not video.is_file():
                return fail(f"no video at {video}")
            seconds = args.minutes * 60
            print(
                f"recording {seconds:.0f} s of {video.name} at 640x480 (faster than real time), "
                f"encryption {' and '.join(modes)}...",
                flush=True,
            )
            begin = time.perf_counter()
            _record_fast(video, [targets[mode] for mode in modes], seconds)
            print(f"  recorded in {time.perf_counter() - begin:.0f} s", flush=True)
        reports = {}
        for mode, (directory, sealer) in targets.items():
            try:
                reports[mode] = _bench_seeks(directory, sealer, args.seeks)
            except ValueError as error:
                return fail(str(error), 1)
    for mode, report in reports.items():
        print(json.dumps({"encryption": mode, **report}))
        print(
            f"encryption {mode:>3}: seek to a random time in a {report['duration_s']} s recording "
            f"({report['segments']} segments, {report['megabytes']} MB): p50 {report['seek_ms_p50']} ms, "
            f"p95 {report['seek_ms_p95']} ms, max {report['seek_ms_max']} ms (target: under 300 ms); "
            f"frame step p50 {report['frame_step_ms_p50']} ms; open {report['open_ms']} ms"
        )
    return 0


def _bench_seeks(directory: Path, sealer: Any, seeks: int) -> dict[str, Any]:
    import statistics

    import numpy as np

    from media.playback import SessionPlayback

    megabytes = sum(p.stat().st_size for p in directory.glob("leg-*/seg-*.ts")) / 1e6
    opened = time.perf_counter()
    playback = SessionPlayback.open(directory, sealer=sealer)
    open_ms = (time.perf_counter() - opened) * 1000
    rng = np.random.default_rng(1)
    times = rng.uniform(0.0, playback.duration, seeks)
    seek_ms = []
    for t in times:
        begin = time.perf_counter()
        frame = playback.frame_at(float(t))
        seek_ms.append((time.perf_counter() - begin) * 1000)
        if frame is None or frame.t > t + 1e-3:
            raise ValueError(f"seek to {t:.3f} gave {frame and frame.t}")
    step_ms = []
    playback.frame_at(playback.duration / 2)
    for _ in range(60):
        begin = time.perf_counter()
        playback.next_frame()
        step_ms.append((time.perf_counter() - begin) * 1000)
    playback.close()
    ordered = sorted(seek_ms)
    return {
        "duration_s": round(playback.duration, 1),
        "segments": playback.segment_count,
        "megabytes": round(megabytes, 1),
        "open_ms": round(open_ms, 1),
        "seeks": len(seek_ms),
        "seek_ms_p50": round(statistics.median(ordered), 1),
        "seek_ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "seek_ms_max": round(ordered[-1], 1),
        "frame_step_ms_p50": round(statistics.median(step_ms), 1),
    }


def _record_fast(video: Path, targets: list[tuple[Path, Any]], seconds: float) -> None:
    """A recording made as the recorder makes it, but fed faster than real time: the frames'
    arrival clock is simulated by starting the recorder `seconds` in the past. One recorder
    per (directory, sealer or None), all fed the same frames."""
    import av
    import cv2
    import numpy as np

    from media.recording import LegRecorder

    fps = 30.0
    now = [0.0]
    recorders = [
        LegRecorder(
            directory,
            1,
            fps=fps,
            max_queued_video=10_000,
            max_queued_audio=100_000,
            clock=lambda: now[0],
            sealer=sealer,
        )
        for directory, sealer in targets
    ]
    try:
        index = 0
        while now[0] < seconds:
            with av.open(str(video)) as source:
                for frame in source.decode(video=0):
                    now[0] = index / fps
                    if now[0] >= seconds:
                        break
                    image = cv2.resize(frame.to_ndarray(format="bgr24"), (640, 480)).astype(np.uint8)
                    for recorder in recorders:
                        recorder.add_video(image, now[0])
                        recorder.add_audio(np.zeros(1600, np.int16), 48000, source="applicant")
                    index += 1
                    while max(r.backlog for r in recorders) > 30:  # keep memory bounded
                        time.sleep(0.005)
    finally:
        for recorder in recorders:
            recorder.close(timeout=600)


def run_bench_sessions(args: argparse.Namespace) -> int:
    import statistics
    import tempfile

    from storage.database import open_database
    from storage.replay import Flag, ReplayRecords, SessionFilter, SortKey

    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        path = args.database or Path(tmp) / "sessions.db"
        database = open_database(f"sqlite:///{path}")
        existing = _count_summaries(database)
        if existing < args.count:
            begin = time.perf_counter()
            _seed_sessions(database, args.count - existing)
            print(
                f"seeded {args.count - existing} sessions in {time.perf_counter() - begin:.0f} s", flush=True
            )
        records = ReplayRecords(database)
        reviewers = records.reviewers()
        now = datetime.now(UTC)
        from datetime import timedelta

        cases: list[tuple[str, SessionFilter, SortKey]] = [
            ("no filter, newest first", SessionFilter(), SortKey.STARTED),
            ("last 7 days", SessionFilter(started_from=now - timedelta(days=7)), SortKey.STARTED),
            ("one reviewer, 30 days", SessionFilter(reviewer_id=reviewers[3][0], started_from=now - timedelta(days=30)), SortKey.STARTED),  # noqa: E501
            ("rejected, reason fraud_suspected", SessionFilter(outcome="reject", reason_code="fraud_suspected"), SortKey.STARTED),  # noqa: E501
            ("lowest similarity < 40, by lowest", SessionFilter(lowest_similarity_below=40.0), SortKey.LOWEST_SIMILARITY),  # noqa: E501
            ("flags: multiple faces + dropped", SessionFilter(flags=Flag.MULTIPLE_FACES | Flag.DROPPED_CONNECTION), SortKey.STARTED),  # noqa: E501
            ("everything at once, page 3", SessionFilter(started_from=now - timedelta(days=90), outcome="approve", lowest_similarity_below=70.0, flags=Flag.LIVENESS_FAILED), SortKey.DURATION),  # noqa: E501
        ]  # fmt: skip
        print(
            f"session browser over {_count_summaries(database)} sessions on SQLite (page of 50 + total count):"  # noqa: E501
        )
        worst = 0.0
        for name, spec, sort in cases:
            page = 2 if "page 3" in name else 0
            records.browse(spec, sort=sort, page=page)  # warm the page cache once
            timings = []
            for _ in range(5):
                begin = time.perf_counter()
                result = records.browse(spec, sort=sort, page=page)
                timings.append((time.perf_counter() - begin) * 1000)
            median = statistics.median(timings)
            worst = max(worst, *timings)
            print(f"  {name:<40} {median:7.1f} ms (max {max(timings):.1f})  {result.total} match")
        print(f"slowest query {worst:.1f} ms (target: under 200 ms)")
        database.dispose()
    return 0


def _count_summaries(database: Any) -> int:
    from sqlalchemy import func, select

    from storage.models import SessionSummary

    with database.session() as session:
        return int(session.execute(select(func.count()).select_from(SessionSummary)).scalar_one())


def _seed_sessions(database: Any, count: int) -> None:
    """Many finished sessions straight into the tables (bulk inserts; the browser reads only
    the summary table, so the other tables get what the foreign keys need)."""
    import random
    from datetime import timedelta

    from sqlalchemy import insert

    from storage.models import Application, Reviewer, ReviewSessionRow, SessionSummary

    rng = random.Random(6)
    now = datetime.now(UTC)
    reasons = ["identity_mismatch", "face_match_failed", "liveness_failed", "third_party_present",
               "insufficient_repayment_ability", "fraud_suspected", "other"]  # fmt: skip
    with database.session() as session:
        existing_reviewers = session.query(Reviewer).count()
        if existing_reviewers < 20:
            session.execute(
                insert(Reviewer),
                [
                    {"name": f"bench.reviewer{i:02d}", "role": "reviewer", "password_hash": "-",
                     "active": True, "created_at": now}
                    for i in range(existing_reviewers, 20)
                ],
            )  # fmt: skip
        reviewer_ids = [r.id for r in session.query(Reviewer).all()]
        start_app = (session.query(Application.id).order_by(Application.id.desc()).limit(1).scalar() or 0) + 1
        start_session = (
            session.query(ReviewSessionRow.id).order_by(ReviewSessionRow.id.desc()).limit(1).scalar() or 0
        ) + 1
    batch = 5000
    for offset in range(0, count, batch):
        n = min(batch, count - offset)
        apps, rows, summaries = [], [], []
        for k in range(n):
            app_id = start_app + offset + k
            session_id = start_session + offset + k
            started = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
            duration = rng.uniform(40, 180)
            reviewer = rng.choice(reviewer_ids)
            outcome = rng.choices(
                ["approve", "reject", "verify_later", "connection_failed"], [60, 25, 10, 5]
            )[0]
            codes = rng.sample(reasons, rng.randint(1, 2)) if outcome == "reject" else []
            lowest = round(rng.uniform(5, 95), 1)
            flags = (
                (1 if rng.random() < 0.05 else 0)
                | (2 if rng.random() < 0.04 else 0)
                | (4 if rng.random() < 0.08 else 0)
            )
            apps.append(
                {"id": app_id, "applicant_name": f"Applicant {app_id}", "national_id_masked": "1101**********1234",  # noqa: E501
                 "national_id_digest": "0" * 64, "phone": "+86", "amount": 5000, "term_months": 12,
                 "purpose": "Shop stock", "applied_at": started, "status": "approved", "reference_photo": b"",
                 "reference_photo_format": "jpeg", "reference_encoding": None,
                 "token_digest": f"{app_id:064d}", "created_at": started}
            )  # fmt: skip
            rows.append(
                {"id": session_id, "application_id": app_id, "state": "decided", "reviewer_id": reviewer,
                 "queued_at": started, "taken_at": started, "ended_at": started + timedelta(seconds=duration),
                 "end_reason": outcome, "face_attempts_used": 1, "face_attempts_failed": 0, "version": 1}
            )  # fmt: skip
            summaries.append(
                {"session_id": session_id, "application_id": app_id, "applicant_name": f"Applicant {app_id}",
                 "reviewer_id": reviewer, "reviewer_name": f"reviewer {reviewer}", "started_at": started,
                 "ended_at": started + timedelta(seconds=duration), "duration": duration, "state": "decided",
                 "outcome": outcome, "original_outcome": outcome, "amended": False,
                 "reason_codes": ("," + ",".join(codes) + ",") if codes else "", "lowest_similarity": lowest,
                 "best_similarity": min(100.0, lowest + 20), "flags": flags, "legs": 2 if flags & 4 else 1,
                 "has_recording": True, "updated_at": now}
            )  # fmt: skip
        with database.session() as session:
            session.execute(insert(Application), apps)
            session.execute(insert(ReviewSessionRow), rows)
            session.execute(insert(SessionSummary), summaries)
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
