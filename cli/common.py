"""What every command needs: settings, the database, printing errors the same way."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from app.settings import Settings, load_settings

if TYPE_CHECKING:
    from app.applications import ApplicationForm
    from app.four_eyes import CheckPolicy
    from storage.sealing import Sealer


def settings_from_env() -> Settings:
    return load_settings()


def fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, default=str))


def bench_application_form(name: str) -> ApplicationForm:
    """An application with made-up details under `name`, applied now: for benchmarks and load runs."""
    from datetime import UTC, datetime

    from app.applications import make_application_form

    return make_application_form(
        name=name,
        national_id="110101199001011234",
        phone="+86 138 0013 8000",
        amount="5000",
        term_months=12,
        purpose="Shop stock",
        applied_at=datetime.now(UTC),
    )


def sealer_from_env() -> Sealer:
    """The encryption key for photos and recordings (AUDIT_KEY or the key file)."""
    from storage.sealing import Sealer, load_or_create_key

    return Sealer(load_or_create_key())


def check_policy_from(settings: Settings) -> CheckPolicy:
    """The bank's four-eyes policy: its file, the amount setting, the questionnaire's red flags."""
    from decimal import Decimal

    from app.four_eyes import CheckPolicy
    from app.questionnaire import load_questionnaire

    questionnaire = load_questionnaire(settings.questionnaire_file)
    return CheckPolicy.from_file(
        settings.four_eyes_policy_file,
        approvals_above=Decimal(settings.four_eyes_amount_above),
        red_flag_rules=questionnaire.red_flags,
    )
