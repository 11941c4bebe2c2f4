"""The supervisors' replay window speaks the console's languages: its strings are in the
catalogue (ui/i18n/console_zh_CN.ts), all translated, and under zh_CN the window, its dialogs,
the chart, the export progress and the PDF report's headings show Chinese."""

from __future__ import annotations

import base64
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QWidget,
)

from app.settings import Settings, load_settings
from storage.database import Database, open_database
from storage.reviewers import Accounts
from tests.recorded_demo import DEMO_KEY, DEMO_SEALER, copy_of
from ui.languages import I18N_DIR, install_translators

pytestmark = pytest.mark.gui

TS = I18N_DIR / "console_zh_CN.ts"
REPLAY = I18N_DIR.parent / "replay"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")  # {0} and pyqtgraph's {value:.0f}
KEY, SEALER = DEMO_KEY, DEMO_SEALER
# An English word left in a Chinese window: three Latin letters or more. Allowed: what is not
# words (PDF, UTC, kHz) and the data the window shows (names, notes), removed before the check.
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
NOT_WORDS = ("PDF", "UTC", "A-Z")


def replay_messages(ts: Path) -> list[tuple[str, str, ET.Element | None]]:
    root = ET.parse(ts).getroot()
    return [
        (context.findtext("name") or "", message.findtext("source") or "", message.find("translation"))
        for context in root.iter("context")
        for message in context.iter("message")
        if any("/replay/" in (loc.get("filename") or "") for loc in message.iter("location"))
    ]


def test_every_replay_string_is_translated_with_the_same_placeholders():
    found = replay_messages(TS)
    assert len(found) > 150, "the replay window's strings are missing from the catalogue"
    for context, source, translation in found:
        assert translation is not None and translation.get("type") != "unfinished", (context, source)
        assert translation.text, (context, source)
        if ENGLISH_WORD.search(source):  # a word, not only signs: the translation differs
            assert translation.text != source, (context, source)
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(translation.text)), source


def test_every_replay_string_in_the_code_is_in_the_catalogue(tmp_path):
    """lupdate over ui/replay alone: each string it finds must already be in the .ts."""
    lupdate = Path(sys.executable).parent / "pyside6-lupdate"
    fresh = tmp_path / "replay.ts"
    sources = sorted(str(path) for path in REPLAY.glob("*.py"))
    subprocess.run([str(lupdate), *sources, "-ts", str(fresh)], check=True, capture_output=True)
    in_code = {(c, s) for c, s, _t in _all_messages(fresh)}
    assert len(in_code) > 150
    assert in_code <= {(c, s) for c, s, _t in _all_messages(TS)}


def _all_messages(ts: Path) -> list[tuple[str, str, Any]]:
    root = ET.parse(ts).getroot()
    return [
        (context.findtext("name") or "", message.findtext("source") or "", message.find("translation"))
        for context in root.iter("context")
        for message in context.iter("message")
    ]


# -- the window under zh_CN ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(
    recorded_demo: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Database, Any]]:
    data, session_id = recorded_demo
    copied = copy_of(data, tmp_path_factory.mktemp("replay-zh"))
    settings = load_settings({"data_dir": copied, "language": "zh_CN"}, environ={})
    database = open_database(settings.effective_database_url)
    yield settings, database, session_id
    database.dispose()


@pytest.fixture
def chinese(qapp: Any) -> Iterator[None]:
    previous = QLocale()
    installed = install_translators(qapp, "zh_CN")
    assert installed, "ui/i18n/console_zh_CN.qm did not load"
    try:
        yield
    finally:
        for translator in installed:
            qapp.removeTranslator(translator)
        QLocale.setDefault(previous)


def visible_texts(root: QWidget) -> list[str]:
    """The words a widget tree shows: labels, buttons, group titles, choices, tabs, table
    headers, placeholders and tooltips."""
    texts: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        texts.append(widget.toolTip())
        if isinstance(widget, QLabel | QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QComboBox):
            texts.extend(widget.itemText(i) for i in range(widget.count()))
        elif isinstance(widget, QTabWidget):
            texts.extend(widget.tabText(i) for i in range(widget.count()))
        elif isinstance(widget, QLineEdit | QPlainTextEdit):
            texts.append(widget.placeholderText())
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            texts.extend(
                str(model.headerData(column, Qt.Orientation.Horizontal) or "")
                for column in range(model.columnCount())
            )
    return [text for text in texts if text]


def english_left(texts: list[str], data: tuple[str, ...] = ()) -> list[str]:
    left = []
    for text in texts:
        stripped = re.sub(r"<[^>]+>|&\w+;", " ", text)  # rich text: the markup is not shown
        for value in (*data, *NOT_WORDS):
            if value:
                stripped = stripped.replace(value, " ")
        if ENGLISH_WORD.search(stripped):
            left.append(text)
    return left


def test_the_replay_window_speaks_chinese(qtbot, chinese, demo, tmp_path):
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtPdf import QPdfDocument

    from storage.replay import ReplayRecords
    from ui.replay.window import ReplayWindow

    settings, database, session_id = demo
    supervisor = Accounts(database).sign_in("zhang.supervisor", "demo-password-2")
    replay = ReplayRecords(database).session_replay(session_id)
    data = tuple(
        {replay.applicant_name, replay.reviewer_name or "", supervisor.name}
        | {d.decided_by for d in replay.decisions}
        | {d.note for d in replay.decisions}
        | set(replay.applicant_name.split())
    )
    from services.replay import LiveReplayServices

    services = LiveReplayServices(settings, database, SEALER)
    services.sign_in("zhang.supervisor", "demo-password-2")
    window = ReplayWindow(services, settings, supervisor, language="zh_CN")
    qtbot.addWidget(window)
    try:
        assert window.windowTitle() == "会话回放 — 视频审核台"
        assert window.export_button.text() == "导出 PDF…"
        assert window.browser.sort.currentText() == "最新优先"
        assert window.browser.model.headerData(0, Qt.Orientation.Horizontal) == "开始时间"
        assert window.browser.outcome.itemText(1) == "批准"  # the console's outcome names
        assert window.chart.plot.getAxis("left").labelText == "相似度"
        window.start()
        qtbot.waitUntil(lambda: window.browser.model.rowCount() == 1, timeout=5000)
        assert window.browser.status.text().startswith("1 个会话 · 第 1 页，共 1 页")
        window.open_session(session_id)
        qtbot.waitUntil(lambda: window.video.has_frame, timeout=10000)
        qtbot.waitUntil(lambda: "第 1 段" in window.state_line.text(), timeout=5000)
        assert window.header.text().startswith(f"会话 {session_id} · ")
        assert "原决定" in window.decision_view.toPlainText()
        assert "批准" in window.decision_view.toPlainText()
        assert window.events.item(0, 1) is not None
        assert english_left([window.events.item(r, 1).text() for r in range(window.events.rowCount())]) == []
        assert "阈值" in window.chart.threshold_line.label.toPlainText()
        # Between the legs: no video, and it says why, in Chinese.
        window.seek((window.spans[0].end + window.spans[1].start) / 2 + 0.6)
        qtbot.waitUntil(lambda: not window.video.has_frame, timeout=5000)
        assert window.video._message.startswith("无视频")

        left = english_left(visible_texts(window), data)
        assert left == [], f"English left in the Chinese replay window: {left}"

        # The export: its progress and the report's headings.
        seen: list[str] = []
        window.export_progress.connect(lambda *_: seen.append(window.export_label.text()))
        pdf = tmp_path / "report.pdf"
        window.export_pdf(pdf)
        qtbot.waitUntil(lambda: window.export_label.text().startswith("已保存"), timeout=20000)
        assert any(text.startswith("正在生成报告：") for text in seen), seen
        assert english_left(seen) == [], seen
        _app = QGuiApplication.instance()
        document = QPdfDocument()
        document.load(str(pdf))
        text = " ".join(document.getAllText(page).text() for page in range(document.pageCount()))
        assert "视频审核会话" in text and "审计事件" in text
    finally:
        window.shutdown()


def test_the_amend_and_sign_in_dialogs_speak_chinese(qtbot, chinese, demo):
    from services.replay import LiveReplayServices
    from storage.replay import ReplayRecords
    from ui.bridge import ServiceWorker
    from ui.replay.amend import AmendDialog
    from ui.sign_in import SignInDialog

    _settings, database, session_id = demo
    original = ReplayRecords(database).session_replay(session_id).decisions[0]
    amend = AmendDialog(original)
    qtbot.addWidget(amend)
    assert amend.windowTitle() == f"修改决定 #{original.id}"
    assert amend.outcome.itemText(1) == "拒绝"
    assert english_left(visible_texts(amend), (original.decided_by,)) == []
    amend.submit()  # no reason given
    assert amend.error.text() == "修改决定必须填写理由。"

    worker = ServiceWorker("test-sign-in")
    try:
        sign_in = SignInDialog(LiveReplayServices(_settings, database, SEALER), worker, replay=True)
        qtbot.addWidget(sign_in)
        sign_in.name_edit.setText("li.reviewer")
        assert sign_in.windowTitle() == "登录：会话回放"
        assert english_left(visible_texts(sign_in), ("li.reviewer",)) == []
        sign_in.password_edit.setText("wrong")
        sign_in.submit()  # checked on the worker, never on the Qt thread
        qtbot.waitUntil(lambda: sign_in.error_label.text() == "登录被拒绝：用户名或密码错误。", timeout=10000)
    finally:
        worker.shutdown()


RUN_REPLAY = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.settings import load_settings
from services.replay import LiveReplayServices
from storage.database import open_database
from ui.console_app import run_replay_app
from ui.replay import window as replay_window

seen = {}

def start(self, session_id=None, *, at=None):
    seen["title"] = self.windowTitle()
    seen["language"] = self.language
    QTimer.singleShot(0, QApplication.instance().quit)

replay_window.ReplayWindow.start = start
settings = load_settings({"data_dir": sys.argv[1], "language": "zh_CN"}, environ={})
database = open_database(settings.effective_database_url)
services = LiveReplayServices.from_environment(settings, database)
code = run_replay_app(settings, services, credentials=("zhang.supervisor", "demo-password-2"))
print(json.dumps({"code": code, **seen}, ensure_ascii=False))
"""


@pytest.mark.slow  # a process of its own
def test_run_replay_app_installs_the_chosen_language(demo):
    """`python main.py replay` with the language setting zh_CN: the translator is in place
    before the window is made (as the console does it, ui.languages). In a process of its own:
    run_replay_app runs and quits a whole application, with the console's start-up."""
    import json

    settings, _database, _session = demo
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "AUDIT_KEY": base64.b64encode(KEY).decode(),
    }
    result = subprocess.run(
        [sys.executable, "-c", RUN_REPLAY, str(settings.data_dir)],
        capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parent.parent, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {"code": 0, "title": "会话回放 — 视频审核台", "language": "zh_CN"}


RUN_REPLAY_SWITCHING = """
import json, sys
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from app.settings import load_settings
from services.replay import LiveReplayServices
from storage.database import open_database
from ui.console_app import run_replay_app

session_id = int(sys.argv[2])
windows = []
seen = {}

def when(ready, then, tries=400):
    if ready():
        then()
    elif tries:
        QTimer.singleShot(25, lambda: when(ready, then, tries - 1))
    else:
        seen["timed out"] = len(windows)
        QApplication.instance().quit()

def on_window(window):
    windows.append(window)
    if len(windows) == 1:
        seen["first"] = [window.windowTitle(), window.language]
        window.open_session(session_id)
        opened = lambda: window.replay is not None and window.video.has_frame
        def choose():
            window.seek(3.0)
            window.choose_language("zh_CN")
        when(opened, choose)
    else:
        def note():
            seen["second"] = [window.windowTitle(), window.language]
            seen["session"] = int(window.replay.session_id)
            seen["position"] = round(window.clock.position(), 2)
            seen["checked"] = [code for code, action in window.language_actions.items() if action.isChecked()]
            window.close()
        when(lambda: window.replay is not None and window.video.has_frame, note)

settings = load_settings({"data_dir": sys.argv[1]}, environ={})
database = open_database(settings.effective_database_url)
services = LiveReplayServices.from_environment(settings, database)
credentials = ("zhang.supervisor", "demo-password-2")
code = run_replay_app(settings, services, credentials=credentials, on_window=on_window)
seen["kept"] = QSettings().value("language")
print(json.dumps({"code": code, "windows": len(windows), **seen}, ensure_ascii=False))
"""


@pytest.mark.slow  # a process of its own
def test_the_replay_window_changes_language_without_a_restart(demo, tmp_path):
    """Replay > Language > 简体中文: the window opens again in Chinese on the session and at the
    moment it showed, and the choice is kept for the next start (no restart, as in the console)."""
    import json

    settings, _database, session_id = demo
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "AUDIT_KEY": base64.b64encode(KEY).decode(),
        "HOME": str(tmp_path),  # QSettings() writes the choice under it
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "LANG": "en_US.UTF-8",
        "LC_ALL": "en_US.UTF-8",
    }
    result = subprocess.run(
        [sys.executable, "-c", RUN_REPLAY_SWITCHING, str(settings.data_dir), str(session_id)],
        capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parent.parent, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["first"] == ["Session replay — video audit console", "en"], seen
    assert seen["second"] == ["会话回放 — 视频审核台", "zh_CN"], seen
    assert seen["session"] == int(session_id) and abs(seen["position"] - 3.0) < 0.2, seen
    assert seen["checked"] == ["zh_CN"] and seen["kept"] == "zh_CN", seen
    assert seen["code"] == 0 and seen["windows"] == 2, seen
