"""The PDF report finds its fonts through fontconfig, by what they cover: a Chinese name prints
as text in the English and the Chinese report (not as boxes), and with no font for Chinese
the export refuses with one line naming the package to install, writing nothing."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.ids import SessionId
from app.settings import Settings, load_settings
from storage.database import Database, open_database
from storage.sealing import Sealer
from ui.replay.fonts import CJK_PACKAGE

ROOT = Path(__file__).resolve().parent.parent
KEY = os.urandom(32)
NAME = "陈静 Chen Jing"


@pytest.fixture(scope="module")
def chinese_applicant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, SessionId]]:
    from tools.demo_session import make_demo_session

    data = tmp_path_factory.mktemp("fonts") / "data"
    settings = load_settings({"data_dir": data}, environ={})
    database: Database = open_database(settings.effective_database_url)
    try:
        session_id = make_demo_session(
            database,
            settings,
            seconds=(2.0,),
            real_faces=False,
            amend=False,
            applicant_name=NAME,
            sealer=Sealer(KEY),
        )
    finally:
        database.dispose()
    yield settings, session_id


def export(settings: Settings, session_id: SessionId, pdf: Path, *extra: str, **env: str):  # type: ignore[no-untyped-def]
    environ = dict(
        os.environ, AUDIT_DATA_DIR=str(settings.data_dir), AUDIT_KEY=base64.b64encode(KEY).decode()
    )
    environ.update(env)
    command = [
        sys.executable,
        str(ROOT / "main.py"),
        "sessions",
        "export",
        "--id",
        str(session_id),
        "--pdf",
        str(pdf),
    ]
    return subprocess.run([*command, *extra], env=environ, capture_output=True, text=True, timeout=120)


def pdf_text(path: Path) -> str:
    """The PDF's text (QtPdf needs an application: the test takes pytest-qt's `qapp`, a full
    QApplication, so widget tests after this one still run in the same process)."""
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument()
    document.load(str(path))
    return "\n".join(document.getAllText(page).text() for page in range(document.pageCount()))


@pytest.mark.slow
@pytest.mark.gui
@pytest.mark.parametrize(("language", "heading"), [("en", "Video review session"), ("zh_CN", "视频审核会话")])
def test_a_chinese_name_prints_as_text_in_both_languages(
    chinese_applicant: tuple[Settings, SessionId], tmp_path: Path, language: str, heading: str, qapp: Any
) -> None:
    settings, session_id = chinese_applicant
    pdf = tmp_path / f"report-{language}.pdf"
    result = export(settings, session_id, pdf, "--language", language)
    assert result.returncode == 0, result.stderr
    text = pdf_text(pdf)
    assert heading in text
    assert NAME in text, text[:400]
    assert "■" not in text and "\ufffd" not in text


@pytest.mark.slow
def test_without_a_font_for_chinese_the_export_names_the_package(
    chinese_applicant: tuple[Settings, SessionId], tmp_path: Path
) -> None:
    settings, session_id = chinese_applicant
    # fontconfig with no font folders at all: what a machine without the font packages sees.
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<fontconfig><cachedir>'
        + str(tmp_path / "cache")
        + "</cachedir></fontconfig>\n"
    )
    pdf = tmp_path / "report.pdf"
    result = export(settings, session_id, pdf, "--language", "en", FONTCONFIG_FILE=str(config))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if CJK_PACKAGE in line]
    assert len(errors) == 1 and "Chinese" in errors[0], result.stderr
    assert not pdf.exists()
