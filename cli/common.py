"""What every command needs: settings, printing results and errors the same way, quiet media logs."""

from __future__ import annotations

import argparse
import json
import logging
import os
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


SIGN_IN_REFUSED = 3  # exit status of a command whose reviewer sign-in the intake refused


class CommandFailed(Exception):
    """Stops a command with this exit status; the message has been printed already."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def add_reviewer_arguments(parser: argparse.ArgumentParser) -> None:
    """--reviewer NAME and --password-stdin, for commands that sign in to the intake service."""
    parser.add_argument("--reviewer", required=True, help="the reviewer to sign in as")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (default: the AUDIT_REVIEWER_PASSWORD variable)",
    )


def reviewer_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return os.environ.get("AUDIT_REVIEWER_PASSWORD", "")


def sign_in_or_stop(settings: Settings, url: str, args: argparse.Namespace) -> Any:
    """The intake credential of --reviewer (an IntakeSignIn); stops the command with exit 3 and
    one line when the intake refuses the sign-in, 1 when it cannot be reached."""
    from media.call import IntakeError, IntakeSignInRefused, sign_in

    try:
        return sign_in(url, args.reviewer, reviewer_password(args), ca_file=settings.intake_ca_file)
    except IntakeSignInRefused as error:
        raise CommandFailed(fail(f"sign-in refused: {error}", SIGN_IN_REFUSED)) from None
    except IntakeError as error:
        raise CommandFailed(fail(str(error), 1)) from None
