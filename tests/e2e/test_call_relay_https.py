"""Deployed as for real phones: headless Chromium as the applicant opens the page over HTTPS
(a certificate made here, from a CA the console trusts), the console side (`review-probe`)
signs in, and the media goes through a real coturn relay with the relay-only policy on both
sides: the browser's ICE stats and coturn's own log show the relay."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import CallWorld, json_lines
from tests.e2e.test_call_browser import (
    REVIEWER_AUDIO_PACKETS,
    agree_to_consent,
    launch_applicant_browser,
    wait_for,
)
from tests.tls_certificates import make_test_certificates
from tools.bench_call import BENCH_REVIEWER
from tools.loopback_turn import running_coturn
from tools.processes import free_port, wait_for_http

ROOT = Path(__file__).resolve().parents[2]

SELECTED_PAIR = """(async () => {
  const pc = window.applicantState.pc;
  if (!pc) return null;
  const stats = await pc.getStats();
  let pair = null;
  stats.forEach((r) => {
    if (r.type === "transport" && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
  });
  if (!pair) return null;
  const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
  return { local: local.candidateType, remote: remote.candidateType, sent: pair.bytesSent,
           policy: pc.getConfiguration().iceTransportPolicy,
           turn: pc.getConfiguration().iceServers.map((s) => s.urls).flat() };
})()"""


@pytest.mark.slow
def test_chromium_over_https_through_a_turn_relay_at_25_fps_with_audio(
    sqlite_world: CallWorld, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    certificates = make_test_certificates(tmp_path / "tls")
    _reviewer_id, (token,) = sqlite_world.seed(["Wang Fang"])
    with running_coturn(tmp_path / "turn") as turn:
        sqlite_world.env.update(turn.environment())
        sqlite_world.env["AUDIT_INTAKE_CA_FILE"] = str(certificates.ca_file)
        port = free_port()
        sqlite_world.run(
            "intake", "--port", str(port), "--tls-cert", str(certificates.cert_file),
            "--tls-key", str(certificates.key_file), stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"https://127.0.0.1:{port}"
        wait_for_http(f"{url}/healthz", timeout=30, ca_file=str(certificates.ca_file))

        with sync_playwright() as playwright:
            browser = launch_applicant_browser(playwright, tmp_path / "fake-media")
            try:
                page = browser.new_context(locale="en-US", ignore_https_errors=True).new_page()
                page.goto(f"{url}/apply#t={token}")
                assert page.evaluate("window.isSecureContext") is True
                agree_to_consent(page)
                join = page.locator("#join")
                join.wait_for(state="visible", timeout=15000)
                join.click()
                wait_for(page, "window.applicantState.joined", 10)

                probe = sqlite_world.run(
                    "review-probe", "--url", url, "--reviewer", BENCH_REVIEWER, "--take-next",
                    "--seconds", "10", "--jsonl", "--face", "off", stderr=subprocess.PIPE,
                )  # fmt: skip
                wait_for(page, "window.applicantState.inCall", 20)
                wait_for(
                    page, REVIEWER_AUDIO_PACKETS + ".then((n) => n > 50)", 20
                )  # the reviewer's audio arrives
                pair = page.evaluate(SELECTED_PAIR)
                stdout, stderr = probe.communicate(timeout=90)
            finally:
                browser.close()
        coturn_log = turn.log()

    assert probe.returncode == 0, stderr[-3000:]
    lines = json_lines(stdout)
    seconds, summary = lines[:-1], lines[-1]["summary"]
    print("review-probe summary (relay):", summary, "selected pair:", pair)
    assert len(seconds) == 10
    assert (summary["width"], summary["height"]) == (640, 480)
    assert summary["fps"] >= 25, summary
    assert summary["audio_packets"] >= 10 * 40
    assert seconds[-1]["audio_packets"] > seconds[0]["audio_packets"]
    # The browser's selected pair runs relay to relay, with the relay-only policy.
    assert pair is not None and pair["policy"] == "relay", pair
    assert (pair["local"], pair["remote"]) == ("relay", "relay"), pair
    assert pair["sent"] > 50_000, pair  # media flowed on it (sampled early in the call)
    assert pair["turn"] == [turn.url]
    # coturn allocated a relay for each side of the session, with its own time-limited user.
    session = summary["session_id"]
    for side in ("applicant", "console"):
        assert f":session-{session}-{side}>: incoming packet ALLOCATE processed, success" in coturn_log, side
