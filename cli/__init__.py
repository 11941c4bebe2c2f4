"""The command line: builds the parser from the command modules and runs the chosen command.

Commands parse their arguments, call a service (services/) or a tool (tools/), and print.
Each module in COMMAND_MODULES has `register(subparsers)`, which adds its commands and sets
`func` on each, a callable taking the parsed arguments and returning an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Sequence

COMMAND_MODULES = [
    "cli.console",
    "cli.database",
    "cli.applications",
    "cli.admin",
    "cli.face",
    "cli.call",
    "cli.replay",
    "cli.retention",
    "cli.stats",
    "cli.checks",
    "cli.bench",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Video audit console for bank loan reviewers. Without a command, opens the console.",
    )
    parser.add_argument(
        "--demo", action="store_true", help="sign in a demo reviewer and queue a simulated applicant"
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log more")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``main.py`` passes its arguments; the installed ``video-audit`` command passes none."""
    import sys

    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        from cli.console import run_console

        return run_console(args)
    from cli.common import CommandFailed

    try:
        return int(args.func(args))
    except CommandFailed as failed:
        return failed.code
