"""Takes the README's screenshots under Xvfb: the console during a live call, and the decision dialog.

    Xvfb :98 -screen 0 1280x800x24 -nolisten tcp &
    DISPLAY=:98 QT_QPA_PLATFORM=xcb .venv/bin/python main.py console \
        --screenshots docs/screenshots [--language zh_CN]

The applicant is the real simulator streaming obama_weekly_address.mp4 over WebRTC, matched by
the FaceWorker against obama.jpg. `python -m tools.screenshots DIR [en|zh_CN]` takes the same
shots on the in-memory stand-ins (tools.demo_console, simulated scores);
`python -m tools.screenshots DIR en|zh_CN approval [WxH]` the approval policy's states during a
call (blocked, override needed, the override dialog) at 1280x800 and 1024x768, or at WxH (run
Xvfb at that size: the dialog fits its screen). Each shot is the whole X screen
(ImageMagick's import).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from app.console import ConsoleServices
from app.decisions import Outcome
from app.ids import ReviewerId
from app.settings import Settings, load_settings
from tools.demo_console import DemoConsoleServices, demo_applicant
from tools.screenshot_app import screenshot_app
from ui.decision import DecisionDialog
from ui.face_check import FaceCheck, FaceState
from ui.main_window import ConsoleWindow
from ui.sign_in import SignedIn


def wait_until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    loop = QEventLoop()
    waited = 0.0
    while not condition():
        QTimer.singleShot(50, loop.quit)
        loop.exec()
        waited += 0.05
        if waited > timeout_s:
            raise TimeoutError("the console did not get there in time")


def take_until_matched(window: ConsoleWindow) -> None:
    """Take the applicant waiting (once the queue shows one) and wait until the face matches."""
    wait_until(lambda: window.queue_panel.summary is not None and window.queue_panel.summary.waiting > 0)
    window.take_next()
    wait_until(lambda: window.face is not None and window.face.state is FaceState.MATCHED, timeout_s=60)


def settle(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def shoot(path: Path, size: tuple[int, int] | None = None) -> Path:
    """Grab the X screen while Qt keeps painting (a blocked Qt thread leaves requests unflushed);
    with a size, its top-left part that big (a window at 0,0 on a larger screen)."""
    QApplication.processEvents()
    QApplication.sync()
    scale = QApplication.primaryScreen().devicePixelRatio()  # QT_SCALE_FACTOR=1.5: 1.5 pixels a point
    crop = ["-crop", f"{round(size[0] * scale)}x{round(size[1] * scale)}+0+0", "+repage"] if size else []
    grab = subprocess.Popen(["import", "-window", "root", *crop, str(path)])
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
    with screenshot_app(language):
        shots: list[Path] = []
        with tempfile.TemporaryDirectory() as scratch:
            qsettings = QSettings(str(Path(scratch) / "console.ini"), QSettings.Format.IniFormat)
            window = ConsoleWindow(services, reviewer, settings, qsettings, language)
            window.move(0, 0)
            window.resize(1280, 800)
            window.show()
            take_until_matched(window)
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
                if question_id in window.form.question_ids:  # those drawn for this session
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
    return shots


APPROVAL_SIZES = ((1280, 800), (1024, 768))
SOME_ANSWERS = ("identity_name_confirmed", "identity_id_last4_confirmed", "applied_personally",
                "third_party_present", "employment_status")  # fmt: skip


def take_approval_screenshots(
    services: DemoConsoleServices,
    reviewer: SignedIn,
    settings: Settings,
    out: Path,
    language: str = "en",
    sizes: tuple[tuple[int, int], ...] = APPROVAL_SIZES,
) -> list[Path]:
    """During a live call, at each window size: approval blocked (liveness failed), approval
    only with an override (answers missing), and the override dialog filled in. The services
    need two waiting applicants per size."""
    out.mkdir(parents=True, exist_ok=True)
    with screenshot_app(language):
        shots: list[Path] = []
        with tempfile.TemporaryDirectory() as scratch:
            for width, height in sizes:
                qsettings = QSettings(str(Path(scratch) / f"console-{width}.ini"), QSettings.Format.IniFormat)
                window = ConsoleWindow(services, reviewer, settings, qsettings, language)
                window.move(0, 0)
                window.resize(width, height)
                window.show()
                shots += _approval_states(window, services, out, language, (width, height))
                window.close()
    return shots


def _approval_states(
    window: ConsoleWindow, services: DemoConsoleServices, out: Path, language: str, size: tuple[int, int]
) -> list[Path]:
    from app.decisions import DecisionDraft
    from tools.fixtures import COMPLETE_ANSWERS

    name = "" if language == "en" else f"-{language}"
    if size != APPROVAL_SIZES[0]:
        name += f"-{size[0]}x{size[1]}"
    answers = dict(COMPLETE_ANSWERS)
    if language != "en":
        answers["employer_or_business"] = "社区便利店"

    def face() -> FaceCheck:
        assert window.face is not None
        return window.face

    def take(liveness: bool) -> None:
        services.liveness = liveness
        window.poll_queue()
        wait_until(lambda: bool(window.queue_panel.summary and window.queue_panel.summary.waiting))
        window.take_next()
        wait_until(lambda: window.face is not None and window.face.last is not None, timeout_s=60)

    def answer(question_ids: Iterable[str]) -> None:
        for question_id in window.form.question_ids:
            if question_id in question_ids:
                window.form.enter(question_id, answers[question_id])

    def finish() -> None:
        window.record_decision(DecisionDraft(Outcome.VERIFY_LATER))
        wait_until(lambda: window.applicant is None, timeout_s=30)

    shots = []
    # Blocked: the applicant's liveness failed.
    take(False)
    wait_until(lambda: face().liveness == "failed", timeout_s=30)
    answer(answers)
    settle(2.0)
    shots.append(shoot(out / f"approval-blocked{name}.png", size))
    finish()
    # An override: the face matched and lives, some answers are missing.
    take(True)
    wait_until(lambda: face().state is FaceState.MATCHED, timeout_s=60)
    answer(SOME_ANSWERS)
    settle(2.0)
    shots.append(shoot(out / f"approval-override-console{name}.png", size))
    dialog = DecisionDialog(Outcome.APPROVE, window.decision_context(), window)
    dialog.override_code_combo.setCurrentIndex(2)
    dialog.override_edit.setText(
        "Long-standing customer; the remaining answers were confirmed by a branch phone call."
        if language == "en"
        else "老客户；其余问题已由网点电话确认，身份已核实。"
    )
    dialog.fit()  # as tall (or wide) as its texts need on this screen
    dialog.move(window.geometry().center() - dialog.rect().center())
    dialog.show()
    settle(1.5)
    shots.append(shoot(out / f"override-dialog{name}.png", size))
    dialog.close()
    finish()
    return shots


def main(argv: list[str]) -> int:
    """With the in-memory stand-ins (simulated scores); `main.py console --screenshots DIR` uses
    the real layers."""
    out = Path(argv[0] if argv else "docs/screenshots")
    language = argv[1] if len(argv) > 1 else "en"
    settings = load_settings()
    services = DemoConsoleServices()
    if len(argv) > 2 and argv[2] == "approval":  # the approval policy's states, at each size
        for _ in range(2 * len(APPROVAL_SIZES)):
            services.add_applicant(demo_applicant(settings.shared_data_dir))
        reviewer = SignedIn(ReviewerId(1), "李娜" if language.startswith("zh") else "li.na")
        try:
            # One size per run: the X screen should be that size (the dialog fits the screen).
            sizes = tuple(tuple(int(v) for v in arg.split("x")) for arg in argv[3:]) or APPROVAL_SIZES
            take_approval_screenshots(services, reviewer, settings, out, language, sizes)  # type: ignore[arg-type]
        finally:
            services.close()
        return 0
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
