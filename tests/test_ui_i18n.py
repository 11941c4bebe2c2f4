"""Every visible string goes through Qt's translations; the console ships English and Simplified Chinese."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QSettings, QTranslator

from app.ids import ReviewerId
from app.settings import load_settings
from tests.ui_fakes import FakeConsoleServices
from tools.update_translations import source_files
from ui.languages import I18N_DIR, choose_language, install_translators
from ui.main_window import ConsoleWindow
from ui.sign_in import SignedIn

pytestmark = pytest.mark.gui

TS = I18N_DIR / "console_zh_CN.ts"
QM = I18N_DIR / "console_zh_CN.qm"
PLACEHOLDER = re.compile(r"\{\d\}")


def messages(ts: Path) -> list[tuple[str, str, ET.Element]]:
    root = ET.parse(ts).getroot()
    return [
        (context.findtext("name") or "", message.findtext("source") or "", message.find("translation"))
        for context in root.iter("context")
        for message in context.iter("message")
    ]


def test_every_string_has_a_chinese_translation_with_the_same_placeholders():
    found = messages(TS)
    assert len(found) > 100
    for context, source, translation in found:
        assert translation is not None and translation.get("type") != "unfinished", (context, source)
        assert translation.text, (context, source)
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(translation.text)), source


def test_the_translation_source_is_up_to_date_with_the_code(tmp_path):
    """A string added to ui/ without running tools/update_translations.py fails here."""
    lupdate = Path(sys.executable).parent / "pyside6-lupdate"
    fresh = tmp_path / "fresh.ts"
    shutil.copy(TS, fresh)
    sources = source_files()  # the console's and the replay window's
    assert any("/replay/" in source for source in sources)
    subprocess.run(
        [str(lupdate), *sources, "-ts", str(fresh), "-no-obsolete"], check=True, capture_output=True
    )
    assert {(c, s) for c, s, _t in messages(fresh)} == {(c, s) for c, s, _t in messages(TS)}


def test_the_compiled_translations_match_the_source(qapp):
    translator = QTranslator()
    assert translator.load(str(QM))
    for context, source, translation in messages(TS):
        assert translator.translate(context, source) == translation.text, (context, source)


def test_the_language_follows_the_setting_then_the_reviewers_choice(tmp_path):
    qsettings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
    assert choose_language("zh_CN", qsettings) == "zh_CN"
    qsettings.setValue("language", "en")
    assert choose_language("", qsettings) == "en"
    qsettings.setValue("language", "zh_CN")
    assert choose_language("", qsettings) == "zh_CN"
    assert choose_language("en", qsettings) == "en"


def test_the_window_speaks_chinese(qtbot, qapp, tmp_path):
    previous_locale = QLocale()
    installed = install_translators(qapp, "zh_CN")
    services = FakeConsoleServices()
    try:
        settings = load_settings(overrides={"data_dir": str(tmp_path)}, environ={})
        qsettings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
        window = ConsoleWindow(
            services, SignedIn(ReviewerId(1), "李娜"), settings, qsettings, language="zh_CN"
        )
        qtbot.addWidget(window)
        assert window.queue_panel.take_button.text().startswith("接入下一位申请人")
        assert window.face_panel.title() == "与身份证照片的人脸比对"
        assert window.form.missing_required_prompts()[0] == "申请人说出全名，与申请一致"
        assert window.call_status.state_label.text() == "无通话"
        window.close()
    finally:
        for translator in installed:
            qapp.removeTranslator(translator)
        QLocale.setDefault(previous_locale)
        services.close()
