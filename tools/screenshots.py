"""Takes the README's screenshots under Xvfb: the console during a live call, and the decision dialog.

    Xvfb :98 -screen 0 1280x800x24 -nolisten tcp &
    DISPLAY=:98 QT_QPA_PLATFORM=xcb .venv/bin/python main.py console \
        --screenshots docs/screenshots [--language zh_CN]

The applicant is the real simulator streaming obama_weekly_address.mp4 over WebRTC, matched by
the FaceWorker against obama.jpg. `python -m tools.screenshots DIR [en|zh_CN]` takes the same
shots on the in-memory stand-ins (tools.demo_console, simulated scores). Each shot is the whole X screen
(ImageMagick's import).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from app.console import ConsoleServices
from app.decisions import Outcome
from app.ids import ReviewerId
from app.settings import Settings, load_settings
from tools.demo_console import DemoConsoleServices, demo_applicant
from ui.decision import DecisionDialog
from ui.face_check import FaceState
from ui.languages import install_translators
from ui.main_window import ConsoleWindow
from ui.sign_in import SignedIn
from ui.style import STYLE_SHEET


def wait_until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    loop = QEventLoop()
    waited = 0.0
    while not condition():
        QTimer.singleShot(50, loop.quit)
        loop.exec()
        waited += 0.05
        if waited > timeout_s:
            raise TimeoutError("the console did not get there in time")


def settle(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def shoot(path: Path) -> Path:
    """Grab the X screen while Qt keeps painting (a blocked Qt thread leaves requests unflushed)."""
    QApplication.processEvents()
    QApplication.sync()
    grab = subprocess.Popen(["import", "-window", "root", str(path)])
    wait_until(lambda: grab.poll() is not None)
    if grab.returncode != 0:
        raise RuntimeError(f"import failed for {path}")
    print(path)
    return path


def take_screenshots(
    services: ConsoleServices, reviewer: SignedIn, settings: Settings, out: Path, language: str = "en"
) -> list[Path]:
    """Open the console, take the waiting applicant, wait for the match, answer part of the
    questionnaire, and shoot the window; then the decision dialog over it."""
    suffix = "" if language == "en" else f"-{language}"
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    translators = install_translators(app, language)
    app.setStyleSheet(STYLE_SHEET)
    shots: list[Path] = []
    with tempfile.TemporaryDirectory() as scratch:
        qsettings = QSettings(str(Path(scratch) / "console.ini"), QSettings.Format.IniFormat)
        window = ConsoleWindow(services, reviewer, settings, qsettings, language)
        window.move(0, 0)
        window.resize(1280, 800)
        window.show()
        wait_until(lambda: window.queue_panel.summary is not None and window.queue_panel.summary.waiting > 0)
        window.take_next()
        wait_until(lambda: window.face is not None and window.face.state is FaceState.MATCHED, timeout_s=60)
        for question_id, raw in {
            "identity_name_confirmed": True,
            "identity_id_last4": "1234",
            "identity_amount_applied": "30000",
            "applied_personally": True,
            "third_party_present": False,
            "employment_status": "self_employed",
            "employer_or_business": "Corner grocery" if language == "en" else "社区便利店",
            "monthly_income": "9000",
            "existing_monthly_debt": "2400",
        }.items():
            window.form.enter(question_id, raw)
        window.poll_queue()
        settle(4.0)
        shots.append(shoot(out / f"console-live-call{suffix}.png"))

        dialog = DecisionDialog(Outcome.APPROVE, window.decision_context(), window)
        dialog.override_edit.setText(
            "Long-standing customer; remaining answers confirmed by branch phone call"
            if language == "en"
            else "老客户；其余问题已由网点电话确认"
        )
        dialog.note_edit.setPlainText("Calm, clear answers." if language == "en" else "回答平稳、清楚。")
        dialog.adjustSize()
        dialog.move(window.geometry().center() - dialog.rect().center())
        dialog.show()
        settle(1.5)
        shots.append(shoot(out / f"decision-dialog{suffix}.png"))
        dialog.close()
        window.close()
    for translator in translators:
        app.removeTranslator(translator)
    return shots


def main(argv: list[str]) -> int:
    """With the in-memory stand-ins (simulated scores); `main.py console --screenshots DIR` uses
    the real layers."""
    out = Path(argv[0] if argv else "docs/screenshots")
    language = argv[1] if len(argv) > 1 else "en"
    settings = load_settings()
    services = DemoConsoleServices()
    services.add_applicant(demo_applicant(settings.shared_data_dir))
    services.add_applicant(demo_applicant(settings.shared_data_dir))
    reviewer = SignedIn(ReviewerId(1), "李娜" if language.startswith("zh") else "li.na")
    try:
        take_screenshots(services, reviewer, settings, out, language)
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
