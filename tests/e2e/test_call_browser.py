"""Headless Chromium as the applicant (fake camera fed from a shared video, fake microphone)
and `review-probe` as the console, through the intake service on a real database."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CallWorld, json_lines
from tools.bench_call import BENCH_REVIEWER

ROOT = Path(__file__).resolve().parents[2]


def chromium_path() -> str:
    """Debian's Chromium, installed by `scripts/setup --dev`, wherever PATH finds it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Chromium is missing: run scripts/setup --dev (Debian package chromium)")
    return found


CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]


def wait_for(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Poll a page expression until it is true. page.wait_for_function compiles its predicate
    with eval, which the applicant page's Content-Security-Policy (rightly) refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.1)


def launch_applicant_browser(playwright: Any, media_dir: Path) -> Any:
    """Headless Chromium whose fake camera and microphone play a made-up clip (a face, a tone)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_y4m import make_fake_media

    y4m, wav = make_fake_media(media_dir, seconds=6, video=None)
    return playwright.chromium.launch(
        executable_path=chromium_path(),
        headless=True,
        args=[
            *CHROMIUM_FLAGS,
            f"--use-file-for-fake-video-capture={y4m}",
            f"--use-file-for-fake-audio-capture={wav}",
        ],
    )


REVIEWER_AUDIO_PACKETS = """(async () => {
  const pc = window.applicantState.pc;
  if (!pc) return 0;
  let packets = 0;
  (await pc.getStats()).forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "audio") packets = r.packetsReceived;
  });
  return packets;
})()"""


def agree_to_consent(page: Any) -> None:
    """The page asks for consent before the camera starts: tick the box and continue."""
    page.locator("#consent").wait_for(state="visible", timeout=15000)
    page.locator("#consent-agree").check()
    page.locator("#consent-continue").click()


@pytest.mark.slow
def test_chromium_applicant_is_taken_and_streams_640x480_at_25_fps_with_audio(
    sqlite_world: CallWorld, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    _reviewer_id, (token,) = sqlite_world.seed(["Wang Fang"])
    url = sqlite_world.intake()

    with sync_playwright() as playwright:
        browser = launch_applicant_browser(playwright, tmp_path / "fake-media")
        try:
            stranger = browser.new_context(locale="en-US").new_page()
            stranger.goto(f"{url}/apply#t=not-a-real-token")
            wait_for(stranger, "document.getElementById('status').classList.contains('bad')")
            assert stranger.locator("#status").inner_text() == (
                "This link is not valid. Please check the link in your message."
            )
            assert stranger.locator("#join").is_hidden()

            page = browser.new_context(locale="zh-CN").new_page()
            page.goto(f"{url}/apply#t={token}")
            agree_to_consent(page)
            join = page.locator("#join")
            join.wait_for(state="visible", timeout=15000)
            assert join.inner_text() == "加入排队"  # Simplified Chinese for a zh-CN browser
            assert page.evaluate("document.getElementById('preview').srcObject !== null")
            join.click()
            wait_for(page, "window.applicantState.joined", 10)
            assert "第1位" in page.locator("#queue").inner_text()

            probe = subprocess.Popen(
                [
                    sys.executable, str(ROOT / "main.py"), "review-probe", "--url", url, "--take-next",
                    "--seconds", "10", "--jsonl", "--reviewer", BENCH_REVIEWER,
                ],
                env=sqlite_world.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            # Two-way: the reviewer's audio (a tone: this machine has no microphone) reaches the page.
            wait_for(page, "window.applicantState.inCall", 20)
            wait_for(
                page, REVIEWER_AUDIO_PACKETS + ".then((n) => n > 50)", 20
            )  # the reviewer's audio arrives
            stdout, stderr = probe.communicate(timeout=90)
            wait_for(page, "window.applicantState.finished", 10)
            final_status = page.locator("#status").inner_text()
        finally:
            browser.close()

    assert probe.returncode == 0, stderr[-3000:]
    lines = json_lines(stdout)
    seconds, summary = lines[:-1], lines[-1]["summary"]
    assert len(seconds) == 10
    assert all({"t", "frames", "fps", "width", "height", "audio_packets"} <= set(line) for line in seconds)
    print("review-probe summary:", summary)
    assert (summary["width"], summary["height"]) == (640, 480)
    assert summary["fps"] >= 25, summary
    assert summary["audio_packets"] >= 10 * 40  # Opus 20 ms frames: about 50 a second
    assert all(line["width"] == 640 and line["height"] == 480 for line in seconds[2:])
    assert seconds[-1]["audio_packets"] > seconds[0]["audio_packets"]  # audio kept coming for 10 s
    assert final_status == "视频审核已结束，谢谢。"
    # The face pipeline runs on the received frames (reference: the same person's photo).
    assert {"faces", "distance", "similarity", "match", "live", "flags"} <= set(seconds[-1])
    assert summary["verdict"] == "match" and summary["max_faces"] == 1
