"""Consent on the applicant page, in Chromium against a real intake service: no camera and no
join before the applicant agrees (the service refuses a join without it too), and the consent
is in the session's record and its PDF report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.consent import load_consent
from app.settings import PROJECT_ROOT
from storage.consent import consent_of
from storage.models import ReviewSessionRow
from tests.e2e.conftest import CallWorld
from tests.e2e.test_call_browser import CHROMIUM_FLAGS, ROOT, chromium_path, wait_for

JOIN_WITHOUT_CONSENT = """(token) => new Promise((resolve) => {
  const ws = new WebSocket("ws://" + location.host + "/ws/applicant?t=" + encodeURIComponent(token));
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "status") ws.send(JSON.stringify({ type: "join" }));
    else { ws.close(); resolve(message); }
  };
})"""


@pytest.mark.slow
@pytest.mark.gui
def test_no_join_without_consent_and_consent_in_record_and_report(
    sqlite_world: CallWorld,
    tmp_path: Path,
    qapp: object,  # reading the PDF needs Qt: a full QApplication, so later widget tests can run
) -> None:
    from playwright.sync_api import sync_playwright

    from tests.test_report_fonts import pdf_text

    text = load_consent(PROJECT_ROOT / "app" / "consent.toml")
    _reviewer_id, (token,) = sqlite_world.seed(["Wang Fang"])
    url = sqlite_world.intake()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_context(locale="en-US").new_page()
            page.goto(f"{url}/apply#t={token}")
            page.locator("#consent").wait_for(state="visible", timeout=15000)
            assert page.locator("#consent-text").inner_text() == text.text["en"]
            # Before agreeing: no camera, no join button, and "continue" does nothing.
            assert page.evaluate("window.applicantState.stream") is None
            assert page.locator("#join").is_hidden()
            assert page.locator("#consent-continue").is_disabled()
            # A page that skips the consent and joins anyway is refused by the service.
            refused = page.evaluate(JOIN_WITHOUT_CONSENT, token)
            assert refused["type"] == "error" and refused["error"] == "consent_required", refused
            with sqlite_world.database.session() as session:
                assert session.execute(select(ReviewSessionRow.id)).first() is None

            page.locator("#consent-agree").check()
            page.locator("#consent-continue").click()
            page.locator("#join").wait_for(state="visible", timeout=15000)
            assert page.evaluate("document.getElementById('preview').srcObject !== null")
            assert page.locator("#consent").is_hidden()
            page.locator("#join").click()
            wait_for(page, "window.applicantState.joined", 10)
            page.locator("#leave").click()
            wait_for(page, "window.applicantState.finished", 10)
        finally:
            browser.close()

    with sqlite_world.database.session() as session:
        session_id = session.execute(select(ReviewSessionRow.id)).scalar_one()
    given = consent_of(sqlite_world.database, session_id)
    assert given is not None and (given.version, given.language) == (text.version, "en")

    pdf = tmp_path / "report.pdf"
    command = [sys.executable, str(ROOT / "main.py"), "sessions", "export", "--id", str(session_id)]
    export = subprocess.run(
        [*command, "--pdf", str(pdf)], env=sqlite_world.env, capture_output=True, text=True, timeout=120
    )
    assert export.returncode == 0, export.stderr[-2000:]
    words = " ".join(pdf_text(pdf).split())
    assert "Consent" in words and f"text version {text.version} (en)" in words, words[:2000]
