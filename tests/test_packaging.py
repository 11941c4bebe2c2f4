"""``pip install .`` gives a working ``video-audit`` command, with the data files the program reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


def test_pip_install_gives_a_working_video_audit_command(tmp_path: Path, shared_data: Path) -> None:
    target = tmp_path / "site"
    # A copy of the sources, so the build leaves nothing behind in the working tree.
    source = tmp_path / "src"
    files = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "ls-files", "-co", "--exclude-standard"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in files:
        if (PROJECT_ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((PROJECT_ROOT / name).read_bytes())
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(source)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    data_files = [
        "app/questionnaire.toml",
        "media/intake/static/applicant.html",
        "storage/migrations/env.py",
        "storage/migrations/versions/0001_initial_schema.py",
        "ui/i18n/console_zh_CN.qm",
    ]
    for data in data_files:
        assert (target / data).is_file(), data
    command = target / "bin" / "video-audit"
    assert command.is_file()
    # Run from elsewhere: only the installed copy (and the environment's packages) is importable.
    env = {**os.environ, "PYTHONPATH": str(target)}
    deepface = shared_data / "faces" / "deepface"
    result = subprocess.run(
        [str(command), "compare", "--json", "--pairs", str(deepface / "master.csv"),
         "--images", str(deepface)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["engine"] == "sface" and report["fp"] == 0 and len(report["pairs"]) == 300
    located = subprocess.run(
        [sys.executable, "-c", "import cli; print(cli.__file__)"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True,
    ).stdout  # fmt: skip
    assert located.startswith(str(target))
