"""Screenshots of the varied questions, in English and Chinese, at 1280x800 and 1024x768: the
console's form with the questions drawn for the session (two of each pool, in the drawn order,
numbered), one identity answer contradicting the application (a red flag); and the replay
window's "Questions asked" tab of a recorded demo session, in the order they were asked.

    .venv/bin/python -m tools.questions_screenshots docs/screenshots

The console runs on the in-memory stand-ins (tools.demo_console: the simulator's video and
simulated scores); the replay on a real SQLite database with a recorded, encrypted demo
session (tools.demo_session). Offscreen Qt; each shot is the window's own grab.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app.ids import ReviewerId
from app.questionnaire import load_questionnaire
from app.settings import Settings, load_settings
from tools.demo_console import DemoConsoleServices, demo_applicant
from tools.screenshot_app import screenshot_app
from tools.screenshots import settle, take_until_matched, wait_until
from ui.main_window import ConsoleWindow
from ui.sign_in import SignedIn

SIZES = ((1280, 800), (1024, 768))


def _name(stem: str, language: str, size: tuple[int, int]) -> str:
    suffix = "" if language == "en" else f"-{language}"
    small = "" if size == SIZES[0] else f"-{size[0]}x{size[1]}"
    return f"{stem}{suffix}{small}.png"


def console_form(settings: Settings, out: Path, language: str, size: tuple[int, int]) -> Path:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    questionnaire = load_questionnaire(settings.questionnaire_file)
    # A draw that differs from the file's order in both pools (seeded: the same picture each run).
    draw = questionnaire.draw(random.Random(5))
    questionnaire.draw = lambda *_args: draw  # type: ignore[method-assign]
    services = DemoConsoleServices(questionnaire=questionnaire)
    services.add_applicant(demo_applicant(settings.shared_data_dir))
    reviewer = SignedIn(ReviewerId(1), "李娜" if language.startswith("zh") else "li.na")
    try:
        with tempfile.TemporaryDirectory() as scratch:
            qsettings = QSettings(str(Path(scratch) / "console.ini"), QSettings.Format.IniFormat)
            window = ConsoleWindow(services, reviewer, settings, qsettings, language)
            window.resize(*size)
            window.show()
            take_until_matched(window)
            said = {
                "identity_name_confirmed": True,
                "identity_id_last4": "1234",
                "identity_date_of_birth": "1961-08-04",
                "identity_amount_applied": "50000",  # applied for 30,000: a red flag
                "applied_personally": True,
                "third_party_present": False,
                "employment_status": "self_employed",
                "employer_or_business": "Corner grocery" if language == "en" else "社区便利店",
            }
            for question_id, raw in said.items():
                if question_id in window.form.question_ids:
                    window.form.enter(question_id, raw)
            settle(2.0)
            path = out / _name("questions-drawn-console", language, size)
            window.grab().save(str(path))
            window.close()
    finally:
        services.close()
    print(path)
    return path


def replay_tab(settings: Settings, out: Path, language: str, size: tuple[int, int]) -> Path:
    from services.replay import LiveReplayServices
    from storage.database import open_database
    from storage.sealing import Sealer
    from tools.demo_session import make_demo_session
    from ui.replay.window import ReplayWindow

    sealer = Sealer(os.urandom(32))
    database = open_database(settings.effective_database_url)
    try:
        session_id = make_demo_session(database, settings, seconds=(6.0, 6.0), amend=False, sealer=sealer)
        services = LiveReplayServices(settings, database, sealer)
        account = services.sign_in("zhang.supervisor", "demo-password-2")
        window = ReplayWindow(services, settings, account, language=language)
        window.resize(*size)
        window.show()
        window.start()
        wait_until(lambda: window.browser.model.rowCount() == 1, timeout_s=30)
        window.open_session(session_id)
        wait_until(lambda: window.asked.rowCount() > 0 and window.video.has_frame, timeout_s=60)
        window.tabs.setCurrentWidget(window.asked)
        settle(1.0)
        path = out / _name("questions-asked-replay", language, size)
        window.grab().save(str(path))
        window.close()
    finally:
        database.dispose()
    print(path)
    return path


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    for language in ("en", "zh_CN"):
        with screenshot_app(language):
            for size in SIZES:
                console_form(load_settings(), out, language, size)
                with tempfile.TemporaryDirectory(prefix="questions-shots-") as data:
                    settings = load_settings({"data_dir": data}, environ={})
                    replay_tab(settings, out, language, size)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
