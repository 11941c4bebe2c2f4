"""The foundation commands, run as a user runs them: a real process, a real SQLite file or
PostgreSQL database, real face checks on real photos."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

# Each test runs main.py in a process of its own.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


@pytest.fixture
def env(tmp_path: Path, shared_data: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_")}
    environment["AUDIT_DATA_DIR"] = str(tmp_path / "data")
    environment["AUDIT_SHARED_DATA_DIR"] = str(shared_data)
    environment["AUDIT_KEY_FILE"] = str(tmp_path / "keys" / "key")  # outside the data directory
    return environment


def add_args(photo: Path, *extra: str) -> list[str]:
    return [
        "applications",
        "add",
        "--name",
        "Barack Obama",
        "--national-id",
        "110101196108040011",
        "--phone",
        "+86 138 0000 0001",
        "--amount",
        "8000",
        "--term-months",
        "12",
        "--purpose",
        "Shop stock",
        "--photo",
        str(photo),
        "--json",
        *extra,
    ]


def count_applications(env: dict[str, str]) -> int:
    result = run(env, "applications", "list", "--json")
    assert result.returncode == 0, result.stderr
    return len(json.loads(result.stdout))


def test_help_lists_the_commands(env: dict[str, str]) -> None:
    result = run(env, "--help")
    assert result.returncode == 0
    for command in ("init-db", "applications", "demo-data", "audit"):
        assert command in result.stdout


def test_register_list_and_verify(env: dict[str, str], shared_data: Path) -> None:
    assert run(env, "init-db").returncode == 0
    second = run(env, "init-db")
    assert second.returncode == 0 and "database ready" in second.stdout

    added = run(
        env, *add_args(shared_data / "faces/face_recognition/obama.jpg", "--applied-at", "2026-11-23T09:30")
    )
    assert added.returncode == 0, added.stderr
    record = json.loads(added.stdout)
    assert isinstance(record["id"], int) and len(record["token"]) >= 40
    assert record["token"] in record["applicant_url"]

    listed = json.loads(run(env, "applications", "list", "--json").stdout)
    assert listed[0]["id"] == record["id"]
    assert listed[0]["national_id"] == "**************0011"
    assert listed[0]["applied_at"] == "2026-11-23T01:30:00+00:00"  # 09:30 in Shanghai, stored in UTC
    # The token is never stored in the clear.
    database = Path(env["AUDIT_DATA_DIR"]) / "console.db"
    assert record["token"].encode() not in database.read_bytes()
    # The reference photo is stored encrypted: its JPEG header is nowhere in the database.
    photo = (shared_data / "faces/face_recognition/obama.jpg").read_bytes()
    assert photo[:64] not in database.read_bytes()

    verified = run(env, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        ("not-an-image", "not an image"),
        ("faces/deepface/couple.jpg", "more than one face"),
        ("faces/face_recognition/two_people.jpg", "more than one face"),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_stored(
    env: dict[str, str], shared_data: Path, tmp_path: Path, photo: str, message: str
) -> None:
    if photo == "not-an-image":
        path = tmp_path / "photo.jpg"
        path.write_text("this is a text file with a .jpg name")
    else:
        path = shared_data / photo
    result = run(env, *add_args(path))
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert count_applications(env) == 0


def test_photo_without_a_face_is_refused(env: dict[str, str], tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    path = tmp_path / "wall.png"
    Image.fromarray(np.full((400, 400, 3), 180, dtype=np.uint8)).save(path)
    result = run(env, *add_args(path))
    assert result.returncode != 0 and "no face" in result.stderr
    assert count_applications(env) == 0


def test_bad_fields_are_refused_before_the_photo(env: dict[str, str], shared_data: Path) -> None:
    args = add_args(shared_data / "faces/face_recognition/obama.jpg")
    args[args.index("--amount") + 1] = "-100"
    result = run(env, *args)
    assert result.returncode == 2 and "Amount must be greater than zero" in result.stderr
    assert count_applications(env) == 0


def test_unknown_application_id(env: dict[str, str]) -> None:
    result = run(env, "applications", "show", "4242")
    assert result.returncode == 2
    assert "no application with id 4242" in result.stderr


def test_audit_verify_catches_tampering(env: dict[str, str], shared_data: Path) -> None:
    assert run(env, "demo-data").returncode == 0
    database = Path(env["AUDIT_DATA_DIR"]) / "console.db"
    assert run(env, "audit", "verify").returncode == 0
    with sqlite3.connect(database) as connection:
        connection.execute('update audit_events set details = \'{"amount": "1"}\' where seq = 2')
    broken = run(env, "audit", "verify")
    assert broken.returncode == 1
    assert "event 2" in broken.stderr


def test_database_that_is_down_gets_a_clear_message(env: dict[str, str]) -> None:
    env = {**env, "AUDIT_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"}
    result = run(env, "applications", "list")
    assert result.returncode == 3
    assert "cannot open the database" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.postgres
def test_the_commands_on_postgresql(env: dict[str, str], shared_data: Path, postgres_url: str) -> None:
    env = {**env, "AUDIT_DATABASE_URL": postgres_url}
    assert run(env, "init-db").returncode == 0
    added = run(env, *add_args(shared_data / "faces/face_recognition/obama.jpg"))
    assert added.returncode == 0, added.stderr
    assert count_applications(env) == 1
    assert run(env, "audit", "verify").returncode == 0


def test_admin_add_user(env: dict[str, str]) -> None:
    def add(name: str, role: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                str(ROOT / "main.py"),
                "admin",
                "add-user",
                "--role",
                role,
                "--name",
                name,
                "--password-stdin",
            ],
            input=password + "\n",
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )

    added = add("zhang.supervisor", "supervisor", "a long password")
    assert added.returncode == 0 and "supervisor 'zhang.supervisor' added" in added.stdout
    assert "already exists" in add("zhang.supervisor", "reviewer", "a long password").stderr
    assert "at least 8" in add("li", "reviewer", "short").stderr
    bad_role = add("li", "king", "a long password")
    assert bad_role.returncode == 2 and "invalid choice" in bad_role.stderr
