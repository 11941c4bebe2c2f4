"""review-probe's output contract and exit codes, against an in-process intake service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli import main
from media.intake import IntakeServer
from tests.intake_fakes import FAKE_PASSWORD, FakeDesk
from tests.test_call_client import ApplicantThread


@pytest.fixture
def desk() -> FakeDesk:
    desk = FakeDesk()
    desk.add("probe-token")
    return desk


def review_probe(server: IntakeServer, *extra: str) -> int:
    return main(["review-probe", "--url", server.url, "--reviewer", "reviewer-1", *extra])


@pytest.fixture(autouse=True)
def reviewer_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDIT_REVIEWER_PASSWORD", FAKE_PASSWORD)


@pytest.fixture
def server(desk: FakeDesk) -> Iterator[IntakeServer]:
    with IntakeServer(desk, desk, console_access=desk.access) as running:
        yield running


def test_probe_exits_non_zero_when_nobody_can_be_taken(
    server: IntakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = review_probe(server, "--take-next", "--wait", "0.3", "--jsonl")
    assert code == 1
    assert "no applicant" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["review-probe", "record-probe"])
def test_probes_exit_3_with_one_line_when_sign_in_is_refused(
    server: IntakeServer, command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("not the password\n"))
    args = [command, "--url", server.url, "--reviewer", "reviewer-1", "--password-stdin"]
    code = main([*args, "--take-next"] if command == "review-probe" else args)
    assert code == 3
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "sign-in refused" in err


def test_reviewer_id_is_gone(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["review-probe", "--reviewer-id", "4", "--take-next"])


def test_probe_exits_non_zero_when_the_intake_service_is_unreachable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        ["review-probe", "--url", "http://127.0.0.1:9", "--reviewer", "x", "--take-next", "--wait", "0.3"]
    )
    assert code == 1
    assert "cannot reach the intake service" in capsys.readouterr().err


@pytest.mark.slow  # real WebRTC
def test_probe_prints_one_line_a_second_and_a_summary(
    server: IntakeServer, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    applicant = ApplicantThread(
        server.url, "probe-token", shared_data / "videos" / "obama_weekly_address.mp4"
    )
    code = review_probe(server, "--take-next", "--seconds", "3", "--jsonl")
    applicant.join(10)
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["t"] for line in lines[:-1]] == [1, 2, 3]
    for line in lines[:-1]:
        assert {"t", "frames", "fps", "width", "height", "audio_packets"} <= set(line)
    summary = lines[-1]["summary"]
    assert (summary["width"], summary["height"]) == (640, 480)
    assert summary["frames"] >= lines[-2]["frames"] > lines[0]["frames"] > 0
    assert summary["audio_packets"] > 0 and summary["fps"] > 0


def test_drain_takes_everyone_once_without_media(
    server: IntakeServer, desk: FakeDesk, capsys: pytest.CaptureFixture[str]
) -> None:
    for index in range(5):
        desk.add(f"drain-{index}")
        desk.join_queue(f"drain-{index}", datetime.now(UTC))
    code = main(["review-probe", "--url", server.url, "--drain", "--wait", "0.5", "--reviewer", "reviewer-4"])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(line["taken"] for line in lines[:-1]) == [1, 2, 3, 4, 5]
    assert lines[-1] == {"summary": {"taken": 5}}
    assert {reviewer for reviewer, _ in desk.taken_log} == {4}


def test_the_console_starts_its_own_intake_service_unless_one_is_configured(tmp_path: Path) -> None:
    import urllib.request

    from app.settings import load_settings
    from services.intake import start_embedded_intake
    from storage.database import open_database

    settings = load_settings({"data_dir": tmp_path, "intake_port": 0}, environ={})
    database = open_database(settings.effective_database_url)
    try:
        server, url = start_embedded_intake(settings, database)
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
                assert json.loads(response.read()) == {"ok": True}
        finally:
            server.stop()
        external = settings.replace(intake_url="http://intake.bank.example:8080/")
        assert start_embedded_intake(external, database) == (None, "http://intake.bank.example:8080")
    finally:
        database.dispose()
