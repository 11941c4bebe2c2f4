"""Administration: accounts for reviewers, supervisors and administrators."""

from __future__ import annotations

import argparse
import getpass
import sys

from app.errors import ReviewError
from app.roles import Role
from cli.common import fail


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = subparsers.add_parser("admin", help="accounts and administration")
    actions = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    add = actions.add_parser("add-user", help="add an account; the password is prompted")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.add_argument("--name", required=True)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input (for scripts)"
    )
    add.set_defaults(func=add_user)
    for action, help_text in (
        ("deactivate-user", "deactivate an account (its consoles' sign-ins stop working at once)"),
        ("activate-user", "activate an account again"),
    ):
        switch = actions.add_parser(action, help=help_text)
        switch.add_argument("--name", required=True)
        switch.set_defaults(func=set_user_active, active=action == "activate-user")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise ReviewError("The two passwords differ.")
    return first


def add_user(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database
    from storage.reviewers import Accounts

    try:
        password = _read_password(args.password_stdin)
        database = open_configured_database()
        account = Accounts(database).add(args.name, password, Role(args.role), actor="admin-command")
    except ReviewError as error:
        return fail(str(error))
    print(f"{account.role.value} {account.name!r} added (id {account.id})")
    return 0


def set_user_active(args: argparse.Namespace) -> int:
    from cli.database import open_configured_database
    from storage.reviewers import Accounts

    try:
        account = Accounts(open_configured_database()).set_active(
            args.name, args.active, actor="admin-command"
        )
    except ReviewError as error:
        return fail(str(error))
    print(f"{account.role.value} {account.name!r} {'activated' if args.active else 'deactivated'}")
    return 0
