"""Face commands: the reference-photo check, pair comparison (threshold calibration), offline
match runs over a video, and the face benchmark (``bench face``).

``get_bench_group(subparsers)`` creates the ``bench`` command group, or returns it when another
command module created it first; every module adds its benchmark to it
(``get_bench_group(subparsers).add_parser("call", ...)``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.face import ChallengeKind
from app.settings import FACE_ENGINES
from cli.common import fail, print_json, settings_from_env

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
    from media.face.quality import QualityLimits
    from media.face.reference import check_reference_photo

    try:
        data = args.photo.read_bytes()
    except OSError as error:
        return fail(f"cannot read {args.photo}: {error.strerror or error}")
    try:
        report = check_reference_photo(data, limits=QualityLimits.from_settings(settings_from_env()))
    except FaceModelsMissing as error:
        return _models_error(error)
    if args.json:
        out = report.as_json()
        out["photo"] = str(args.photo)
        print_json(out)
    elif report.ok:
        box = report.face_box
        width = box[1] - box[3] if box else 0
        size = f"{report.width}x{report.height}"
        print(f"{args.photo}: OK ({report.image_format} {size}, one face {width} px wide)")
    else:
        what = f" ({report.image_format})" if report.image_format else ""
        print(f"{args.photo}{what}: cannot be used: " + "; ".join(report.problems))
    return 0 if report.ok else 1


def compare_pairs_command(args: argparse.Namespace) -> int:
    from media.face.compare import compare_pairs, read_pairs
    from media.face.engine import FaceModelsMissing, default_engine

    settings = settings_from_env()
    kind = args.engine or settings.face_engine
    threshold = args.threshold if args.threshold is not None else settings.face_threshold_of(kind)
    if not args.images.is_dir():
        return fail(f"{args.images} is not a folder")
    try:
        pairs = read_pairs(args.pairs)
    except OSError as error:
        return fail(f"cannot read {args.pairs}: {error.strerror or error}")
    except ValueError as error:
        return fail(str(error))
    try:
        report = compare_pairs(
            pairs, args.images, threshold, engine=default_engine(kind, settings.face_models_dir)
        )
    except FaceModelsMissing as error:
        return _models_error(error)
    if args.json:
        print_json(report.as_json())
        return 0
    for pair in report.pairs:
        expected = "" if pair.expected is None else ("same" if pair.expected else "different")
        if pair.distance is None:
            print(f"{pair.a:>24} {pair.b:>24}     -   error: {pair.error}")
            continue
        verdict = "same" if pair.same_person else "different"
        wrong = "  WRONG" if pair.expected is not None and pair.expected != pair.same_person else ""
        print(
            f"{pair.a:>24} {pair.b:>24} {pair.distance:6.3f} {verdict:>9} (expected {expected or '?'}){wrong}"
        )

    def rate(value: float | None) -> str:
        return "n/a" if value is None else f"{100 * value:.1f}%"

    print(
        f"engine {report.engine}, threshold {report.threshold}:"
        f" TP {report.tp}  TN {report.tn}  FP {report.fp}  FN {report.fn}"
        f"  errors {report.errors}  false match rate {rate(report.false_match_rate)}"
        f"  false non-match rate {rate(report.false_non_match_rate)}"
    )
    fit = report.impostor_fit()
    if fit is not None:
        print(
            f"different people (normal fit of {fit['n']}): mean {fit['mean']} sd {fit['sd']},"
            f" closest {fit['min']};"
            f" predicted false match rate at the threshold {fit['fmr_at_threshold']:.1e};"
            f" distance at {fit['target_fmr']:.0e}: {fit['threshold_at_target_fmr']}"
        )
    return 0


def match_command(args: argparse.Namespace) -> int:
    from media.face.challenges import parse_challenge
    from media.face.engine import FaceModelsMissing
    from media.face.offline import run_match
    from media.face.pipeline import PipelineConfig
    from media.face.quality import QualityLimits
    from media.face.reference import check_reference_photo
    from media.face.worker import FaceWorkerError

    settings = settings_from_env()
    threshold = args.threshold if args.threshold is not None else settings.face_match_threshold
    try:
        challenges = [parse_challenge(text) for text in args.challenge]
    except ValueError as error:
        return fail(str(error))
    try:
        photo = args.photo.read_bytes()
    except OSError as error:
        return fail(f"cannot read {args.photo}: {error.strerror or error}")
    if not args.video.is_file():
        return fail(f"no video file {args.video}")
    try:
        report = check_reference_photo(photo, limits=QualityLimits.from_settings(settings))
    except FaceModelsMissing as error:
        return _models_error(error)
    if not report.ok or report.encoding is None:
        print(f"error: {args.photo} cannot be used: " + "; ".join(report.problems), file=sys.stderr)
        return 1

    last: dict[str, Any] = {}

    def show(score: FaceScore) -> None:
        line = score.as_json()
        if args.jsonl:
            print(json.dumps(line), flush=True)
            return
        # Human output: a line whenever what a reviewer would notice changes.
        key = {k: line.get(k) for k in ("match", "faces", "flags", "live", "challenge")}
        if key != last.get("key") or score.frame_time - last.get("t", -9.0) >= 1.0:
            last["key"] = key
            last["t"] = score.frame_time
            similarity = "-" if score.similarity is None else f"{score.similarity:5.1f}"
            distance = "-" if score.distance is None else f"{score.distance:.3f}"
            challenge = "" if score.challenge is None else f"  challenge {score.challenge.kind.value}:"
            challenge += "" if score.challenge is None else score.challenge.state.value
            print(
                f"t={score.frame_time:7.2f}s frame {score.frame:5d}  faces {score.faces}  distance {distance}"
                f"  similarity {similarity}  {'MATCH' if score.match else 'no match'}"
                f"  live {line['live']}  {' '.join(score.flags)}{challenge}",
                flush=True,
            )

    try:
        summary = run_match(
            report.encoding,
            args.video,
            PipelineConfig.from_settings(settings, threshold=threshold),
            sustain_seconds=settings.match_sustain_seconds,
            realtime=args.realtime,
            room_scan_interval=args.room_scan,
            until=args.seconds,
            on_score=show,
            challenges=challenges,
        )
    except FaceModelsMissing as error:
        return _models_error(error)
    except (ValueError, FaceWorkerError) as error:
        return fail(str(error), code=1)
    if args.jsonl:
        print(json.dumps(summary.as_json()), flush=True)
    else:
        s = summary.as_json()["summary"]
        print(
            "summary: " + ", ".join(f"{key} {value}" for key, value in s.items() if key != "flags_seen")  # type: ignore[attr-defined]
        )
    return 0


def bench_face(args: argparse.Namespace) -> int:
    from tools.bench_face import run_face_bench

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
        base = figures["baseline"]
        assert isinstance(base, dict)
        print(
            f"face worker ({figures['engine']}): {figures['updates_per_s']} updates/s "
            f"({figures['encodings_per_s']} encodings/s), "
            f"latency p50 {figures['latency_p50_ms']} ms, p95 {figures['latency_p95_ms']} ms, "
            f"display {figures['display_fps']} frames/s"
        )
        print(
            f"naive loop:  {base['updates_per_s']} updates/s, latency p50 {base['latency_p50_ms']} ms, "
            f"p95 {base['latency_p95_ms']} ms, display {base['display_fps']} frames/s"
        )
    return 0
