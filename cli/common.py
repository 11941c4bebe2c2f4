"""What every command needs: settings, printing results and errors the same way, quiet media logs."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from app.settings import Settings, load_settings


def settings_from_env() -> Settings:
    return load_settings()


def fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, default=str), flush=True)


def print_line(value: dict[str, Any]) -> None:
    """A dict as `key=value` words on one line, for people."""
    print(" ".join(f"{key}={item}" for key, item in value.items()), flush=True)


def quiet_media_logs() -> None:
    """ICE prints every candidate pair at INFO; keep it for --verbose."""
    if logging.getLogger().level > logging.DEBUG:
        for name in ("aioice", "aiortc"):
            logging.getLogger(name).setLevel(logging.WARNING)
