"""The face commands as scripts run them: exit codes and the JSON output contracts."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import PROJECT_ROOT, load_settings
from cli import build_parser

# Each test runs main.py in a process of its own, on real dlib.
pytestmark = pytest.mark.slow


def run_cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
        check=False,
    )


def test_commands_are_registered_and_bench_is_shared() -> None:
    import argparse

    from cli.face import get_bench_group

    parser = build_parser()
    args = parser.parse_args(["bench", "face", "--json"])
    assert args.func.__name__ == "bench_face"
    assert parser.parse_args(["enroll-check", "--photo", "x.jpg"]).func.__name__ == "enroll_check"
    # Another module asking for the group gets the same one.
    sub = argparse.ArgumentParser().add_subparsers()
    first = get_bench_group(sub)
    assert get_bench_group(sub) is first


def test_enroll_check_good_and_bad_photos(shared_data: Path, tmp_path: Path) -> None:
    good = run_cli("enroll-check", "--photo", str(shared_data / "faces/deepface/img47.jpg"), "--json")
    assert good.returncode == 0, good.stderr
    report = json.loads(good.stdout)
    assert report["ok"] is True and report["image_format"] == "WEBP" and len(report["encoding"]) == 128

    two = run_cli("enroll-check", "--photo", str(shared_data / "faces/face_recognition/two_people.jpg"))
    assert two.returncode == 1
    assert "more than one face (2)" in two.stdout

    text = tmp_path / "photo.jpg"
    text.write_text("definitely not a photo")
    bad = run_cli("enroll-check", "--photo", str(text), "--json")
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["problems"] == ["not an image"]

    missing = run_cli("enroll-check", "--photo", str(tmp_path / "nope.jpg"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


@pytest.fixture(scope="module")
def master_report(shared_data: Path) -> dict[str, object]:
    result = run_cli(
        "compare", "--pairs", str(shared_data / "faces/deepface/master.csv"),
        "--images", str(shared_data / "faces/deepface"), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.slow
def test_master_csv_at_the_default_threshold_has_no_false_match(
    master_report: dict[str, object], shared_data: Path
) -> None:
    report = master_report
    assert report["threshold"] == load_settings().face_match_threshold
    pairs = report["pairs"]
    assert isinstance(pairs, list) and len(pairs) == 300
    with (shared_data / "faces/deepface/master.csv").open() as handle:
        labels = [row["Decision"] == "Yes" for row in csv.DictReader(handle)]
    assert [p["expected"] for p in pairs] == labels
    for pair in pairs:
        assert set(pair) >= {"a", "b", "distance", "same_person", "expected"}
        assert pair["same_person"] == (pair["distance"] <= report["threshold"])
    assert report["fp"] == 0
    assert report["tp"] + report["fn"] == 38 and report["tn"] + report["fp"] == 262  # type: ignore[operator]
    # A bank's bar: few same-person pairs refused (calibration figures: docs/face-threshold.md).
    assert report["fn"] <= 4  # type: ignore[operator]
    assert report["false_match_rate"] == 0.0


def test_compare_reports_a_pair_without_a_face(shared_data: Path, tmp_path: Path) -> None:
    images = shared_data / "faces/face_recognition"
    (tmp_path / "notes.jpg").write_text("not an image")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        f"{images / 'obama.jpg'},{images / 'obama2.jpg'},Yes\n"
        f"{images / 'obama.jpg'},{images / 'biden.jpg'},No\n"
        f"{images / 'obama.jpg'},{tmp_path / 'notes.jpg'},\n"
    )
    result = run_cli("compare", "--pairs", str(pairs), "--images", "/", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert list(report)[:6] == ["threshold", "pairs", "tp", "tn", "fp", "fn"]
    same, other, broken = report["pairs"]
    assert same["same_person"] is True and same["expected"] is True
    assert other["same_person"] is False and other["expected"] is False
    assert broken["distance"] is None and broken["expected"] is None
    assert "not an image" in broken["error"]
    assert (report["tp"], report["tn"], report["fp"], report["fn"]) == (1, 1, 0, 0)


def test_match_jsonl_contract_on_a_short_clip(shared_data: Path, tmp_path: Path) -> None:
    from tools.photo_attack import make_photo_attack_video

    video = make_photo_attack_video(
        (shared_data / "faces/face_recognition/obama.jpg").read_bytes(), tmp_path / "clip.mp4", seconds=2.0
    )
    result = run_cli(
        "match", "--photo", str(shared_data / "faces/face_recognition/obama.jpg"),
        "--video", str(video), "--jsonl", "--room-scan", "0",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    *updates, last = lines
    assert len(updates) == 60
    for i, update in enumerate(updates):
        assert list(update) == ["t", "frame", "faces", "distance", "similarity", "match", "live", "flags"]
        assert update["frame"] == i
    assert all(u["match"] for u in updates)
    summary = last["summary"]
    assert {"verdict", "matched_share", "first_match_t", "liveness"} <= set(summary)
    assert summary["verdict"] == "match" and summary["first_match_t"] == 0.0
    assert summary["liveness"] == "unknown"  # 2 s is too short to decide either way


def test_match_refuses_an_unusable_photo(shared_data: Path) -> None:
    result = run_cli(
        "match", "--photo", str(shared_data / "faces/face_recognition/two_people.jpg"),
        "--video", str(shared_data / "videos/short_hamilton_clip.mp4"), "--jsonl",
    )  # fmt: skip
    assert result.returncode == 1
    assert "more than one face" in result.stderr
    assert result.stdout == ""


def test_missing_models_fail_loudly_not_with_exit_0(shared_data: Path, tmp_path: Path) -> None:
    # What happens with setuptools >= 82: face_recognition_models cannot import pkg_resources
    # (face_recognition itself would print a hint and quit() with exit code 0).
    fake = tmp_path / "fake" / "face_recognition_models"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'pkg_resources'\")\n")
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "main.py"), "enroll-check",
         "--photo", str(shared_data / "faces/face_recognition/obama.jpg")],
        capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT, check=False,
        env={**os.environ, "PYTHONPATH": f"{fake.parent}:{PROJECT_ROOT}"},
    )  # fmt: skip
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "face models unavailable" in result.stderr and "pkg_resources" in result.stderr


@pytest.mark.parametrize("token", ["-bQ2x_token", "--x", "plain_Token-1"])
def test_the_demo_simulator_is_given_any_token_whole(token: str) -> None:
    """Tokens are URL-safe base64: one in 64 begins with "-" (the demo's applicant then failed
    to start, "--token: expected one argument", and never joined the queue)."""
    from tools.demo_console import simulator_arguments

    args = build_parser().parse_args(simulator_arguments("http://127.0.0.1:8080", token, Path("clip.mp4")))
    assert (args.token, args.url, args.loop) == (token, "http://127.0.0.1:8080", True)
    assert args.video == Path("clip.mp4")
