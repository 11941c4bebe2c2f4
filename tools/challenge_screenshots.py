"""Screenshots of a live liveness challenge, in English and Chinese: the console's face panel while
the challenge runs, the applicant's page with the prompt and its countdown, and the replay
window's timeline with the challenge afterwards:

    .venv/bin/python -m tools.challenge_screenshots docs/screenshots [--language en|zh_CN]

A real call: Debian's Chromium is the applicant (its fake camera plays obama_weekly_address.mp4,
the face on the ID photo), the embedded intake service on SQLite, the console window on its real
services (offscreen Qt). The challenge is fixed to a head turn (a live call draws it at random)
and its time limit raised to 8 s, so that the shots catch it running: the replayed video never
turns its head, so it runs to the end and fails. Without --language, both languages, each
in a process of its own (Qt's translators are chosen before the first widget).

With --not-judged, the challenge is watched through too few updates to judge it (the console
asks for more updates a second than any machine gives, and blames any wait for a core on the
machine): the outcome shots, at both sizes, show it "not judged" and the approval condition it
raises (files named ...-not-judged).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SIZES = ((1280, 800), (1024, 768))


def shoot_language(folder: Path, language: str, not_judged: bool = False) -> None:
    from playwright.sync_api import sync_playwright
    from PySide6.QtCore import QSettings

    from app.face import ChallengeKind
    from app.roles import Role
    from app.settings import PROJECT_ROOT
    from services import configured_sealer
    from services.console import LiveConsoleServices
    from services.intake import start_embedded_intake
    from services.replay import LiveReplayServices
    from storage.database import open_database
    from storage.reviewers import Accounts
    from tools.bench_call import BENCH_PASSWORD, BENCH_REVIEWER, seed_call
    from tools.fixtures import scratch_console_settings
    from tools.screenshot_app import screenshot_app
    from tools.screenshots import settle, wait_until
    from ui.face_check import FaceState
    from ui.main_window import ConsoleWindow
    from ui.replay.window import ReplayWindow
    from ui.sign_in import SignedIn

    sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
    from make_y4m import make_fake_media

    suffix = ("-not-judged" if not_judged else "") + ("" if language == "en" else f"-{language}")
    with screenshot_app(language), tempfile.TemporaryDirectory(prefix="challenge-shots-") as tmp:
        work = Path(tmp)
        os.environ["AUDIT_KEY_FILE"] = str(work / "photo.key")
        busy = {
            "face_challenge_min_updates_per_second": 1000.0,
            "face_challenge_not_judged_core_wait_share": 0.0,
        }
        limits = busy if not_judged else {}
        settings = scratch_console_settings(work, face_challenge_seconds=8.0, **limits)
        database = open_database(settings.effective_database_url)
        _reviewer, (token,) = seed_call(database, settings, ["王芳 Wang Fang"])
        Accounts(database).add("zhang.supervisor", "supervisor-password", Role.SUPERVISOR)
        server, url = start_embedded_intake(settings, database)
        services = LiveConsoleServices(settings, database, url)
        services.challenge_draw = lambda _after: ChallengeKind.TURN_LEFT
        reviewer_id = services.sign_in(BENCH_REVIEWER, BENCH_PASSWORD)
        window = ConsoleWindow(
            services,
            SignedIn(reviewer_id, BENCH_REVIEWER),
            settings,
            QSettings(str(work / "console.ini"), QSettings.Format.IniFormat),
            language=language,
        )
        window.resize(*SIZES[0])
        window.show()
        y4m, wav = make_fake_media(work / "media", seconds=8)
        chromium = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
        flags = [
            "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={y4m}", f"--use-file-for-fake-audio-capture={wav}",
        ]  # fmt: skip
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=flags)
                locale = "zh-CN" if language == "zh_CN" else "en-US"
                page = browser.new_context(locale=locale, viewport={"width": 412, "height": 860}).new_page()
                page.goto(f"{url}/apply#t={token}")
                page.locator("#consent").wait_for(state="visible", timeout=15000)
                page.locator("#consent-agree").check()
                page.locator("#consent-continue").click()
                page.locator("#join").wait_for(state="visible", timeout=15000)
                page.locator("#join").click()
                wait_until(
                    lambda: window.queue_panel.summary is not None and window.queue_panel.summary.waiting == 1
                )
                window.take_next()
                wait_until(lambda: window.face is not None and window.face.state is FaceState.MATCHED, 90)
                running = (
                    "window.applicantState.challenge && window.applicantState.challenge.state === 'asked'"
                )
                wait_until(lambda: bool(page.evaluate(running)), 20)
                wait_until(
                    lambda: window.face is not None and window.face.challenge_seconds_left is not None, 10
                )
                settle(1.2)  # the countdown has ticked once
                page.screenshot(path=str(folder / f"applicant-challenge{suffix}.png"))
                for width, height in SIZES:
                    window.resize(width, height)
                    settle(0.5)
                    size = "" if (width, height) == SIZES[0] else f"-{width}x{height}"
                    window.grab().save(str(folder / f"console-challenge{suffix}{size}.png"))
                window.resize(*SIZES[0])
                settled = "['passed', 'failed', 'not_judged'].includes(window.applicantState.challenge.state)"
                wait_until(lambda: bool(page.evaluate(settled)), 20)
                settle(1.0)
                page.screenshot(path=str(folder / f"applicant-challenge-result{suffix}.png"))
                for width, height in SIZES if not_judged else SIZES[:1]:
                    window.resize(width, height)
                    settle(0.5)
                    size = "" if (width, height) == SIZES[0] else f"-{width}x{height}"
                    window.grab().save(str(folder / f"console-challenge-result{suffix}{size}.png"))
                assert window.applicant is not None
                session_id = window.applicant.session_id
                window.close_review()
                wait_until(lambda: bool(page.evaluate("window.applicantState.finished")), 20)
                browser.close()
            settle(3.0)  # the recording closes with the last of the timeline

            replay_services = LiveReplayServices(settings, database, configured_sealer())
            supervisor = replay_services.sign_in("zhang.supervisor", "supervisor-password")
            replay = ReplayWindow(replay_services, settings, supervisor, language=language)
            replay.resize(*SIZES[0])
            replay.show()
            replay.start()
            replay.open_session(session_id)
            wait_until(lambda: any(m.kind.startswith("challenge") for m in replay.chart.markers), 30)
            replay.tabs.setCurrentWidget(replay.events)
            settle(1.5)
            replay.grab().save(str(folder / f"replay-challenge{suffix}.png"))
            replay.close()
        finally:
            window.close()
            services.close()
            if server is not None:
                server.stop()
            database.dispose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--language", choices=["en", "zh_CN"])
    parser.add_argument("--not-judged", action="store_true", help="too few updates to judge it")
    args = parser.parse_args(argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    if args.language is not None:
        shoot_language(args.folder, args.language, args.not_judged)
        return 0
    for language in ("en", "zh_CN"):
        command = [
            sys.executable,
            "-m",
            "tools.challenge_screenshots",
            str(args.folder),
            "--language",
            language,
            *(["--not-judged"] if args.not_judged else []),
        ]
        subprocess.run(command, check=True, timeout=600)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
