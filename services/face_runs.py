"""The face commands' use cases on files: check a reference photo, score labelled image pairs
(threshold calibration), run the live face pipeline over a video against a reference photo.

Errors: UnusableInput (a file given cannot be used as it is), PhotoUnusable (the reference
photo has not exactly one clear face), media.face.engine.FaceModelsMissing; match_video also
ValueError and media.face.worker.FaceWorkerError from the run itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app.errors import ReviewError
from app.settings import Settings

if TYPE_CHECKING:
    from app.face import FaceScore
    from media.face.compare import CompareReport
    from media.face.offline import MatchSummary
    from media.face.reference import ReferenceReport


class UnusableInput(ReviewError):
    """A file given to a face command cannot be used as it is; the message says why."""


class PhotoUnusable(ReviewError):
    """The reference photo cannot be used (the message names its problems)."""


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise UnusableInput(f"cannot read {path}: {error.strerror or error}") from None


def check_photo_file(settings: Settings, photo: Path, data: bytes | None = None) -> ReferenceReport:
    """The reference-photo check of the file `photo` (`data`: its bytes, when read already)."""
    from media.face.quality import QualityLimits
    from media.face.reference import check_reference_photo

    data = _read(photo) if data is None else data
    return check_reference_photo(data, limits=QualityLimits.from_settings(settings))


def compare_pair_file(
    settings: Settings, pairs: Path, images: Path, *, threshold: float | None, engine: str | None
) -> CompareReport:
    """The pairs of the CSV `pairs` (image names in the folder `images`), at `threshold` (default:
    the engine's setting) with `engine` (default: the setting face_engine)."""
    from media.face.compare import compare_pairs, read_pairs
    from media.face.engine import default_engine

    kind = engine or settings.face_engine
    if threshold is None:
        threshold = settings.face_threshold_of(kind)
    if not images.is_dir():
        raise UnusableInput(f"{images} is not a folder")
    try:
        specs = read_pairs(pairs)
    except OSError as error:
        raise UnusableInput(f"cannot read {pairs}: {error.strerror or error}") from None
    except ValueError as error:
        raise UnusableInput(str(error)) from None
    return compare_pairs(specs, images, threshold, engine=default_engine(kind, settings.face_models_dir))


def match_video(
    settings: Settings,
    photo: Path,
    video: Path,
    *,
    threshold: float | None,
    challenges: Sequence[str],
    realtime: bool,
    room_scan_interval: float,
    until: float | None,
    on_score: Callable[[FaceScore], None],
) -> MatchSummary:
    """The live pipeline over `video` (at its own pace with `realtime`, through the worker
    process), each update to `on_score`; `challenges` as KIND@SECONDS."""
    from media.face.challenges import parse_challenge
    from media.face.offline import run_match
    from media.face.pipeline import PipelineConfig

    if threshold is None:
        threshold = settings.face_match_threshold
    try:
        issued = [parse_challenge(text) for text in challenges]
    except ValueError as error:
        raise UnusableInput(str(error)) from None
    data = _read(photo)
    if not video.is_file():
        raise UnusableInput(f"no video file {video}")
    report = check_photo_file(settings, photo, data)
    if not report.ok or report.encoding is None:
        raise PhotoUnusable(f"{photo} cannot be used: " + "; ".join(report.problems))
    return run_match(
        report.encoding,
        video,
        PipelineConfig.from_settings(settings, threshold=threshold),
        sustain_seconds=settings.match_sustain_seconds,
        realtime=realtime,
        room_scan_interval=room_scan_interval,
        until=until,
        on_score=on_score,
        challenges=issued,
    )
