"""Screenshots of the applicant's phone page around the call, in English and Chinese: waiting
while no reviewer is signed in, in the call (the recording notice, the hang-up button), after the
applicant hung up, after the review, after "verify later".

    python -m tools.applicant_page_screenshots docs/screenshots

Real parts: the embedded intake service on a scratch SQLite database, headless Chromium as the
applicant (its fake camera plays the shared Obama clip), the console's services taking the call
(no window, no face worker).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from services.console import LiveConsoleServices
    from storage.database import Database

PHONE = {"width": 412, "height": 860}


class QuietCallEvents:
    """app.console.CallEvents that keeps nothing: the page is what is shot."""

    def frame(self, image: Any, frame_time: float) -> None: ...
    def face_score(self, score: Any) -> None: ...
    def connection(self, state: Any, leg: int) -> None: ...
    def audio(self, state: Any) -> None: ...
    def recording(self, state: Any, message: str) -> None: ...
    def queue(self, summary: Any) -> None: ...
    def camera(self, verdict: Any) -> None: ...


@dataclass
class PageWorld:
    settings: Settings
    database: Database
    url: str
    services: LiveConsoleServices
    tokens: list[str]
    y4m: Path
    wav: Path


@contextlib.contextmanager
def applicant_page_world(folder: Path, names: list[str], **settings: Any) -> Iterator[PageWorld]:
    """The embedded intake on SQLite in `folder`, applications for `names`, the console's services
    (the reviewer tools.bench_call.BENCH_REVIEWER, not signed in yet) and the fake camera's clip.
    AUDIT_KEY_FILE must name a key file for this world (photos and recordings are sealed)."""
    sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
    from make_y4m import make_fake_media

    from services.console import LiveConsoleServices
    from services.intake import start_embedded_intake
    from storage.database import open_database
    from tools.bench_call import seed_call
    from tools.fixtures import scratch_console_settings

    configured = scratch_console_settings(folder, **settings)
    database = open_database(configured.effective_database_url)
    _reviewer, tokens = seed_call(database, configured, names)
    y4m, wav = make_fake_media(folder / "fake-media", seconds=6)
    server, url = start_embedded_intake(configured, database)
    services = LiveConsoleServices(configured, database, url, face_matching=False)
    try:
        yield PageWorld(configured, database, url, services, tokens, y4m, wav)
    finally:
        services.close()
        if server is not None:
            server.stop()
        database.dispose()


def launch_chromium(playwright: Any, world: PageWorld) -> Any:
    import shutil

    return playwright.chromium.launch(
        executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
        headless=True,
        args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={world.y4m}",
            f"--use-file-for-fake-audio-capture={world.wav}",
        ],
    )  # fmt: skip


def wait_for(page: Any, expression: str, timeout: float = 20.0) -> None:
    """Poll a page expression (page.wait_for_function needs eval, which the page's CSP refuses)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {expression}")
        time.sleep(0.1)


def open_and_join(browser: Any, url: str, token: str, locale: str) -> Any:
    page = browser.new_context(locale=locale, viewport=PHONE).new_page()
    page.goto(f"{url}/apply#t={token}")
    page.locator("#consent").wait_for(state="visible", timeout=15000)
    page.locator("#consent-agree").check()
    page.locator("#consent-continue").click()
    page.locator("#join").wait_for(state="visible", timeout=15000)
    page.locator("#join").click()
    wait_for(page, "window.applicantState.joined")
    return page


def shoot(folder: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from app.decisions import DecisionDraft, DecisionSubmission, Outcome
    from app.ids import SessionId
    from tools.bench_call import BENCH_PASSWORD, BENCH_REVIEWER

    folder.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="applicant-shots-") as tmp:
        os.environ["AUDIT_KEY_FILE"] = str(Path(tmp) / "photo.key")
        names = ["Wang Fang", "Li Wei", "Zhao Min", "Chen Jie", "Liu Yang", "Sun Li"]
        with applicant_page_world(Path(tmp), names) as world, sync_playwright() as playwright:
            browser = launch_chromium(playwright, world)
            services, tokens = world.services, iter(world.tokens)
            locales = (("en-US", ""), ("zh-CN", "-zh_CN"))
            for locale, suffix in locales:
                # Waiting while no reviewer is signed in: no expected wait, and it says so.
                waiting = open_and_join(browser, world.url, next(tokens), locale)
                wait_for(waiting, "!document.getElementById('queue-note').hidden")
                shots.append(folder / f"applicant-no-reviewer{suffix}.png")
                waiting.screenshot(path=str(shots[-1]))
                # Verify later: no dead video box, what happens next.
                waiting.locator("#later").click()
                wait_for(waiting, "window.applicantState.finished")
                shots.append(folder / f"applicant-verify-later{suffix}.png")
                waiting.screenshot(path=str(shots[-1]))
            # Not on this thread: Playwright's loop runs here, and signing in runs a loop of its own.
            with ThreadPoolExecutor(1) as thread:
                reviewer = thread.submit(services.sign_in, BENCH_REVIEWER, BENCH_PASSWORD).result()
            for locale, suffix in locales:
                for ending in ("hang_up", "review"):
                    page = open_and_join(browser, world.url, next(tokens), locale)
                    taken = services.take_next(reviewer)
                    assert taken is not None
                    call = services.start_call(taken, QuietCallEvents())
                    wait_for(
                        page,
                        "window.applicantState.inCall && document.getElementById('preview').videoWidth > 0",
                    )
                    time.sleep(1.5)  # the reviewer's side answers; the status settles
                    if ending == "hang_up":
                        shots.append(folder / f"applicant-in-call{suffix}.png")
                        page.screenshot(path=str(shots[-1]))
                        page.locator("#hang-up").click()
                        page.locator("#hang-up").click()
                        wait_for(page, "window.applicantState.finished")
                        shots.append(folder / f"applicant-hung-up{suffix}.png")
                    else:
                        draft = DecisionDraft(Outcome.VERIFY_LATER, note="Screenshot: decided, then hung up.")
                        services.save_decision(
                            DecisionSubmission(SessionId(taken.session_id), reviewer, draft)
                        )
                        call.end()
                        wait_for(page, "window.applicantState.finished")
                        shots.append(folder / f"applicant-after-review{suffix}.png")
                    page.screenshot(path=str(shots[-1]))
                    call.end()
            browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else PROJECT_ROOT / "docs" / "screenshots"
    started = datetime.now(UTC)
    for path in shoot(folder):
        print(path)
    print(f"done in {(datetime.now(UTC) - started).total_seconds():.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
