"""The application's services: the use cases that combine media and storage (the live console,
replay, registration, the intake's wiring, the probes). Windows reach them only through the
Protocols in app/ (app.console); commands (cli/) and tools (tools/) call them directly.

Layers: cli -> tools -> ui | services -> media | storage -> app (contracts in pyproject.toml).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.four_eyes import CheckPolicy
    from app.settings import Settings
    from storage.sealing import Sealer


def configured_sealer() -> Sealer:
    """The encryption key for photos and recordings (AUDIT_KEY or the key file)."""
    from storage.sealing import Sealer, load_or_create_key

    return Sealer(load_or_create_key())


def check_policy_from(settings: Settings) -> CheckPolicy:
    """The bank's four-eyes policy: its file, the amount setting, the questionnaire's red flags."""
    from app.four_eyes import CheckPolicy

    return CheckPolicy.from_settings(settings)
