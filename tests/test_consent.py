"""The applicant's consent: its text in both languages from the data file, the intake service
refusing a join without it, and the consent stored with the session, audited and replayed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from app.consent import ConsentMissing, join_message, load_consent
from app.rules import ReviewRules
from app.settings import PROJECT_ROOT, load_settings
from media.intake import IntakeServer
from storage.applications import ApplicationBook
from storage.audit_log import events_for, verify_audit_chain
from storage.consent import ConsentRecords, consent_of
from storage.database import Database
from storage.desk import DatabaseReviewDesk
from storage.replay import ReplayRecords
from storage.reviews import ReviewRecords
from tests.conftest import sample_form
from tests.intake_fakes import FakeConsoleAccess
from tests.test_intake_api import receive_json, ws_url

TEXT = load_consent(PROJECT_ROOT / "app" / "consent.toml")
ALL_DAY = ReviewRules.from_settings(
    load_settings({"review_opens": "00:00", "review_closes": "00:00"}, environ={})
)


def test_the_text_has_both_languages_and_a_version() -> None:
    assert TEXT.version and set(TEXT.text) == set(TEXT.agree) == {"en", "zh"}
    assert "recorded" in TEXT.text["en"] and "录制" in TEXT.text["zh"]
    assert TEXT.check({"agreed": True, "version": TEXT.version, "language": "zh"}) == (TEXT.version, "zh")
    for given in (None, {}, {"agreed": False, "version": TEXT.version, "language": "en"}, "yes"):
        with pytest.raises(ConsentMissing, match="agree"):
            TEXT.check(given)
    with pytest.raises(ConsentMissing, match="changed"):
        TEXT.check({"agreed": True, "version": "1999-01-01", "language": "en"})
    with pytest.raises(ConsentMissing, match="language"):
        TEXT.check({"agreed": True, "version": TEXT.version, "language": "fr"})


def test_a_text_file_without_both_languages_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "consent.toml"
    path.write_text('version = "1"\n[text]\nen = "x"\n[agree]\nen = "y"\nzh = "z"\n')
    with pytest.raises(ValueError, match=r"\[text\] needs en and zh"):
        load_consent(path)
    path.write_text('[text]\nen = "x"\nzh = "x"\n')
    with pytest.raises(ValueError, match="needs a version"):
        load_consent(path)


def test_no_join_without_consent_and_the_consent_is_stored(database: Database) -> None:
    registered = ApplicationBook(database).register(
        sample_form(applied_at=datetime.now(UTC) - timedelta(hours=1)),
        photo=b"x",
        photo_format="JPEG",
        encoding=None,
    )
    token = registered.token

    async def scenario(server: IntakeServer) -> dict[str, object]:
        async with aiohttp.ClientSession() as http:
            page = await http.ws_connect(ws_url(server, token))
            status = await receive_json(page, "status")
            assert status["consent"]["version"] == TEXT.version
            assert status["consent"]["text"]["zh"] == TEXT.text["zh"]
            await page.send_json({"type": "join"})
            refused = await receive_json(page, "error")
            assert refused["error"] == "consent_required"
            await page.send_json({"type": "join", "consent": {"agreed": False}})
            assert (await receive_json(page, "error"))["error"] == "consent_required"
            await page.send_json(join_message(status, "zh"))
            queued = await receive_json(page, "queued")
            await page.close()
            return queued

    with IntakeServer(
        DatabaseReviewDesk(database, ALL_DAY),
        ReviewRecords(database),
        consent=ConsentRecords(database, TEXT),
        console_access=FakeConsoleAccess(),
    ) as server:
        queued = asyncio.run(scenario(server))
    session_id = queued["session_id"]
    given = consent_of(database, session_id)  # type: ignore[arg-type]
    assert given is not None
    assert (given.version, given.language, given.text_sha256) == (TEXT.version, "zh", TEXT.digest("zh"))
    assert ReplayRecords(database).session_replay(session_id).consent == given  # type: ignore[arg-type]
    with database.session() as session:
        assert verify_audit_chain(session)[1] is None
        actions = [event.action for event in events_for(session, f"session:{session_id}")]
    assert "consent.given" in actions
