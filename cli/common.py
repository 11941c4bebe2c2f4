"""What every command needs: settings, the database, printing errors the same way."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from app.settings import Settings, load_settings

if TYPE_CHECKING:
    from storage.sealing import Sealer


def settings_from_env() -> Settings:
    return load_settings()


def fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, default=str))


def sealer_from_env() -> Sealer:
    """The encryption key for photos and recordings (AUDIT_KEY or the key file)."""
    from storage.sealing import Sealer, load_or_create_key

    return Sealer(load_or_create_key())
