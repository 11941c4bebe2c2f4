"""Face commands: the reference-photo check, pair comparison (threshold calibration), offline
match runs over a video, and the face benchmark (``bench face``).

``get_bench_group(subparsers)`` creates the ``bench`` command group, or returns it when another
command module created it first; every module adds its benchmark to it
(``get_bench_group(subparsers).add_parser("call", ...)``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.face import ChallengeKind
from app.settings import FACE_ENGINES
from cli.common import fail, print_json, settings_from_env
from tools.face_text import MatchLines, compare_lines, photo_check_line, summary_line

if TYPE_CHECKING:
    from app.face import FaceScore


def get_bench_group(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> Any:
    """The sub-parsers of ``bench`` (created on first use, shared by every command module)."""
    existing = subparsers.choices.get("bench")
    if existing is not None:
        for action in existing._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action
    parser = subparsers.add_parser("bench", help="benchmarks that print figures (never timed tests)")
    return parser.add_subparsers(dest="bench_command", required=True, metavar="BENCHMARK")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    enroll = subparsers.add_parser(
        "enroll-check",
        help="check a reference (ID) photo: one face, large enough, not too dark or blurred",
        description="Exit code 0 when the photo can be used, 1 when it cannot, 2 on a usage error.",
    )
    enroll.add_argument("--photo", required=True, type=Path, help="image file (format detected by content)")
    enroll.add_argument("--json", action="store_true", help="print one JSON object")
    enroll.set_defaults(func=enroll_check)

    compare = subparsers.add_parser(
        "compare",
        help="score labelled image pairs: distances, TP/TN/FP/FN, false match and non-match rates",
    )
    compare.add_argument(
        "--pairs", required=True, type=Path, help="CSV: image_a,image_b[,Yes|No] (header optional)"
    )
    compare.add_argument("--images", required=True, type=Path, help="folder the CSV's image names are in")
    compare.add_argument("--threshold", type=float, help="distance threshold (default: the engine's setting)")
    compare.add_argument(
        "--engine", choices=FACE_ENGINES, help="face engine (default: the setting face_engine)"
    )
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    compare.set_defaults(func=compare_pairs_command)

    match = subparsers.add_parser(
        "match",
        help="run the live face pipeline over a video file against a reference photo",
        description="Prints one line per update and a final summary. Exit code 0 when the run "
        "completed (whatever the verdict), 1 when the photo cannot be used, 2 on a usage error.",
    )
    match.add_argument("--photo", required=True, type=Path)
    match.add_argument("--video", required=True, type=Path)
    match.add_argument("--jsonl", action="store_true", help="one JSON object per update, then the summary")
    match.add_argument(
        "--realtime",
        action="store_true",
        help="feed frames at the video's pace to the worker process, dropping what it cannot keep up with",
    )
    match.add_argument("--threshold", type=float, help="distance threshold (default: the setting)")
    match.add_argument(
        "--room-scan",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="look for other people with the CNN detector every SECONDS (0: off; default 2)",
    )
    match.add_argument("--seconds", type=float, help="stop after this many seconds of video")
    match.add_argument(
        "--challenge",
        action="append",
        default=[],
        metavar="KIND@SECONDS",
        help="issue a liveness challenge at SECONDS of the video (repeatable); KIND: "
        + ", ".join(kind.value for kind in ChallengeKind),
    )
    match.set_defaults(func=match_command)

    bench = get_bench_group(subparsers)
    face = bench.add_parser("face", help="face-match updates/s, latency and display fps vs the naive loop")
    face.add_argument("--json", action="store_true")
    face.add_argument(
        "--seconds", type=float, default=12.0, help="measured seconds per consumer (default 12)"
    )
    face.add_argument(
        "--room-scan",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="look for other people every SECONDS, as the live worker does (0: off; default 5)",
    )
    face.set_defaults(func=bench_face)


def _models_error(error: Exception) -> int:
    return fail(f"face models unavailable: {error}", code=3)


def enroll_check(args: argparse.Namespace) -> int:
    from media.face.engine import FaceModelsMissing
    from services.face_runs import UnusableInput, check_photo_file

    try:
        report = check_photo_file(settings_from_env(), args.photo)
    except UnusableInput as error:
        return fail(str(error))
    except FaceModelsMissing as error:
        return _models_error(error)
    if args.json:
        print_json({**report.as_json(), "photo": str(args.photo)})
    else:
        print(photo_check_line(args.photo, report))
    return 0 if report.ok else 1


def compare_pairs_command(args: argparse.Namespace) -> int:
    from media.face.engine import FaceModelsMissing
    from services.face_runs import UnusableInput, compare_pair_file

    try:
        report = compare_pair_file(
            settings_from_env(), args.pairs, args.images, threshold=args.threshold, engine=args.engine
        )
    except UnusableInput as error:
        return fail(str(error))
    except FaceModelsMissing as error:
        return _models_error(error)
    if args.json:
        print_json(report.as_json())
    else:
        for line in compare_lines(report):
            print(line)
    return 0


def match_command(args: argparse.Namespace) -> int:
    from media.face.engine import FaceModelsMissing
    from media.face.worker import FaceWorkerError
    from services.face_runs import PhotoUnusable, UnusableInput, match_video

    lines = MatchLines(every_update=args.jsonl)

    def show(score: FaceScore) -> None:
        line = lines.line(score)
        if line is not None:
            print(line, flush=True)

    try:
        summary = match_video(
            settings_from_env(),
            args.photo,
            args.video,
            threshold=args.threshold,
            challenges=args.challenge,
            realtime=args.realtime,
            room_scan_interval=args.room_scan,
            until=args.seconds,
            on_score=show,
        )
    except UnusableInput as error:
        return fail(str(error))
    except FaceModelsMissing as error:
        return _models_error(error)
    except (PhotoUnusable, ValueError, FaceWorkerError) as error:
        return fail(str(error), code=1)
    print(json.dumps(summary.as_json()) if args.jsonl else summary_line(summary), flush=True)
    return 0


def bench_face(args: argparse.Namespace) -> int:
    from tools.bench_face import bench_face_lines, run_face_bench

    settings = settings_from_env()
    figures = run_face_bench(
        settings.shared_data_dir,
        settings.face_match_threshold,
        seconds=args.seconds,
        room_scan_interval=args.room_scan,
        engine=settings.face_engine,
        models_dir=settings.face_models_dir,
    )
    if args.json:
        print_json(figures)
    else:
        for line in bench_face_lines(figures):
            print(line)
    return 0
