"""The README's screenshots of the supervisors' window (checker queue, live view) and of the
consent step on the applicant page and its link while the decision is being checked, in English
and Chinese:

    .venv/bin/python -m tools.supervision_screenshots docs/screenshots

The day is made through the real desk and review records (applications registered, queued,
taken and decided at times spread over today's review hours, the bank's four-eyes policy
choosing what waits for a check), not through WebRTC calls: the window reads only the database.
The consent step is Debian's Chromium on a real intake service.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import update

from app.applications import ApplicationStatus, make_application_form
from app.decisions import DecisionDraft, DecisionSubmission, Outcome, RejectReason
from app.four_eyes import CheckPolicy
from app.roles import Role
from app.rules import ReviewRules
from app.settings import PROJECT_ROOT, load_settings
from storage.applications import ApplicationBook
from storage.database import Database, open_database
from storage.desk import DatabaseReviewDesk
from storage.models import Application, ConsoleCredentialRow
from storage.reviewers import Accounts
from storage.reviews import ReviewRecords
from tools.fixtures import complete_answers, matched_face

NAMES = ["王芳 Wang Fang", "李娜 Li Na", "张伟 Zhang Wei", "刘洋 Liu Yang", "陈静 Chen Jing", "杨磊 Yang Lei"]


def make_day(database: Database, now: datetime, zone: ZoneInfo) -> None:
    """Today (in `zone`) from 08:00 until `now`: a few sessions an hour, some with failed
    face-match attempts, some whose connection failed; two reviewers in a call now, three
    applicants waiting, one who left."""
    rules = ReviewRules.from_settings(
        load_settings({"review_opens": "00:00", "review_closes": "00:00"}, environ={})
    )
    desk = DatabaseReviewDesk(database, rules)
    book = ApplicationBook(database)
    accounts = Accounts(database)
    team = [accounts.ensure(name, "demo-password-1") for name in ("li", "chen", "wu")]
    accounts.ensure("zhang", "demo-password-1", Role.SUPERVISOR)
    policy = CheckPolicy(approvals_above=Decimal("20000"), overridden_refusals=True, sample_rate=0.1)
    records = ReviewRecords(database, check_policy=policy)
    draw = random.Random(16)
    count = 0

    def application(at: datetime) -> str:
        nonlocal count
        count += 1
        form = make_application_form(
            name=NAMES[count % len(NAMES)], national_id=f"110101199001{count:05d}", phone="+86 138 0013 8000",
            amount=str(draw.choice([3000, 5000, 8000, 12000, 25000, 40000])), term_months=12,
            purpose="Shop stock", applied_at=at - timedelta(hours=2),
        )  # fmt: skip
        return book.register(form, photo=b"x", photo_format="JPEG", encoding=None).token

    start = datetime.combine(now.astimezone(zone).date(), time(8, 0), zone).astimezone(UTC)
    moment = start
    while moment < now - timedelta(minutes=20):
        token = application(moment)
        desk.join_queue(token, moment)
        reviewer = draw.choice(team)
        taken_at = moment + timedelta(seconds=draw.randint(10, 200))
        taken = desk.take_next(reviewer.id, taken_at)
        assert taken is not None
        records.start_leg(taken.session_id, taken_at)
        ended_at = taken_at + timedelta(seconds=draw.randint(45, 150))
        for _attempt in range(draw.choices([0, 1, 2], [7, 2, 1])[0]):  # face-match attempts that failed
            records.record_face_attempt(
                taken.session_id, failed=False, now=taken_at, reviewer_id=reviewer.id, actor=reviewer.name
            )
            records.record_face_attempt(
                taken.session_id, failed=True, now=taken_at, reviewer_id=reviewer.id, actor=reviewer.name
            )
        connection = draw.choices(["kept", "failed", "console_lost"], [12, 1, 1])[0]
        if connection == "failed":  # the applicant did not come back
            records.end_connection_failed(taken.session_id, ended_at, details={})
            moment += timedelta(minutes=draw.randint(12, 40))
            continue
        if connection == "console_lost":
            records.end_without_decision(taken.session_id, ended_at, "console_lost")
            moment += timedelta(minutes=draw.randint(12, 40))
            continue
        outcome = draw.choices([Outcome.APPROVE, Outcome.REJECT, Outcome.VERIFY_LATER], [6, 2, 1])[0]
        reasons = (
            draw.choice([RejectReason.INSUFFICIENT_REPAYMENT_ABILITY, RejectReason.FACE_MATCH_FAILED]),
        )
        draft = DecisionDraft(
            outcome, reasons=reasons if outcome is Outcome.REJECT else (), face=matched_face()
        )
        records.record_decision(
            DecisionSubmission(
                taken.session_id, reviewer.id, draft, answers=complete_answers(taken.questions)
            ),
            actor=reviewer.name,
            now=ended_at,
        )
        moment += timedelta(minutes=draw.randint(12, 40))
    with database.session() as session:
        for reviewer in team[:2]:
            session.add(
                ConsoleCredentialRow(
                    reviewer_id=reviewer.id, token_digest=os.urandom(32).hex(), issued_at=start,
                    expires_at=now + timedelta(hours=4), address="10.0.0.1",
                )
            )  # fmt: skip
    for reviewer, minutes in zip(team[:2], (3, 1), strict=True):
        desk.join_queue(application(now), now - timedelta(minutes=minutes + 1))
        assert desk.take_next(reviewer.id, now - timedelta(minutes=minutes)) is not None
    for minutes in (4, 2, 1):
        desk.join_queue(application(now), now - timedelta(minutes=minutes))
    left = desk.join_queue(application(now), now - timedelta(minutes=30))
    desk.leave_queue(left.session_id, now - timedelta(minutes=25), verify_later=False)


def shoot_window(environ: dict[str, str], target: Path, language: str) -> None:
    command = [
        sys.executable,
        str(PROJECT_ROOT / "main.py"),
        "supervise",
        "--name",
        "zhang",
        "--password-stdin",
    ]
    subprocess.run(
        [*command, "--language", language, "--screenshot", str(target)],
        input="demo-password-1\n", env={**environ, "QT_QPA_PLATFORM": "offscreen"}, check=True, text=True,
        timeout=120,
    )  # fmt: skip


def shoot_consent(environ: dict[str, str], database: Database, folder: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tools.processes import free_port, wait_for_http

    book = ApplicationBook(database)
    port = free_port()
    intake = subprocess.Popen(
        [sys.executable, str(PROJECT_ROOT / "main.py"), "intake", "--port", str(port)],
        env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/healthz", timeout=30)
        with sync_playwright() as playwright:
            chromium = shutil.which("chromium") or shutil.which("chromium-browser")
            flags = [
                "--no-sandbox",
                "--disable-gpu",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
            ]
            browser = playwright.chromium.launch(executable_path=chromium, args=flags)
            for locale, suffix in (("en-US", ""), ("zh-CN", "-zh_CN")):
                form = make_application_form(
                    name="王芳 Wang Fang", national_id="110101199001011234", phone="+86 138 0013 8000",
                    amount="5000", term_months=12, purpose="Shop stock", applied_at=datetime.now(UTC),
                )  # fmt: skip
                token = book.register(form, photo=b"x", photo_format="JPEG", encoding=None).token
                page = browser.new_context(locale=locale, viewport={"width": 412, "height": 860}).new_page()
                page.goto(f"{url}/apply#t={token}")
                page.locator("#consent").wait_for(state="visible", timeout=15000)
                page.screenshot(path=str(folder / f"applicant-consent{suffix}.png"))
                # Reviewed, the decision waiting for its four-eyes check: the link says so.
                checked = book.register(form, photo=b"x", photo_format="JPEG", encoding=None)
                with database.session() as session:
                    session.execute(
                        update(Application)
                        .where(Application.id == checked.id)
                        .values(status=ApplicationStatus.AWAITING_CHECK.value)
                    )
                page = browser.new_context(locale=locale, viewport={"width": 412, "height": 860}).new_page()
                page.goto(f"{url}/apply#t={checked.token}")
                words = "checking the decision" if locale == "en-US" else "正在复核"
                page.get_by_text(words).wait_for(timeout=15000)
                page.screenshot(path=str(folder / f"applicant-being-checked{suffix}.png"))
            browser.close()
    finally:
        intake.terminate()
        intake.wait(10)


def main(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    # Etc/GMT+N is N hours behind UTC (POSIX signs): the one where it is about 17:00 now.
    behind = (now.hour - 17) % 24
    zone = ZoneInfo(f"Etc/GMT+{behind}" if behind <= 12 else f"Etc/GMT-{24 - behind}")
    with tempfile.TemporaryDirectory(prefix="supervision-shots-") as tmp:
        data = Path(tmp)
        environ = {
            **os.environ,
            "AUDIT_DATA_DIR": str(data),
            "AUDIT_DATABASE_URL": f"sqlite:///{data / 'console.db'}",
            # A time zone where it is late afternoon now, so that most of today's review hours
            # have happened whenever this runs.
            "AUDIT_TIMEZONE": zone.key,
            "AUDIT_REVIEW_OPENS": "00:00",
            "AUDIT_REVIEW_CLOSES": "00:00",
        }
        database = open_database(environ["AUDIT_DATABASE_URL"])
        make_day(database, now, zone)
        for language, suffix in (("en", ""), ("zh_CN", "-zh_CN")):
            shoot_window(environ, folder / f"checker-queue{suffix}.png", language)
            shoot_window(environ, folder / f"live-view{suffix}.png", language)
            for size in ("1280x800", "1024x768"):
                shoot_window(environ, folder / f"live-view{suffix}-{size}.png", language)
        shoot_consent(environ, database, folder)
        database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
