"""``python -m control_plane.auth create-user ...`` (also ``callcenter user create-user``).

Creates a user in the configuration database, typically the operator's first super-admin:

    python -m control_plane.auth create-user --username root --role super_admin \\
        --password-stdin < secret.txt

The password is read from standard input (``--password-stdin``, first line) or prompted
twice on a terminal; it never appears in the arguments. Exit status: 0 created, 1 refused
(login taken, unknown tenant/team/agent, weak password, database unreachable or not
migrated), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from control_plane.auth.passwords import Passwords, WeakPasswordError
from control_plane.auth.permissions import Role
from control_plane.auth.users import (
    DirectoryUnavailableError,
    NewUser,
    UnknownReferenceError,
    User,
    UserExistsError,
)
from control_plane.runtime.settings import SettingsError, load_settings


class CliError(Exception):
    """A refusal to report on stderr with exit status 1."""


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Manage the API's users.")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-user", help="create a user (e.g. the first super_admin)")
    create.add_argument("--username", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--tenant", help="the user's tenant (every role but super_admin)")
    create.add_argument("--team-id", type=int)
    create.add_argument("--agent-id", type=int)
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    create.add_argument("--config", "-c", type=Path, help="settings file (TOML)")
    create.add_argument("--database-url", help="overrides the settings' database.url")
    return parser


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CliError("no terminal to prompt for the password: use --password-stdin")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise CliError("the passwords differ")
    return first


async def _create(url: str, new: NewUser) -> User:
    from control_plane.db.engine import make_engine
    from control_plane.db.users_repo import SqlUserDirectory

    engine = make_engine(url)
    try:
        return await SqlUserDirectory(engine).create(new)
    finally:
        engine.dispose()


def create_user(args: argparse.Namespace) -> User:
    """Create the user the arguments describe; :class:`CliError` says why not."""
    role = Role(args.role)
    if (role is Role.SUPER_ADMIN) != (args.tenant is None):
        raise CliError("super_admin takes no --tenant; every other role needs one")
    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        raise CliError(str(exc)) from exc
    url = args.database_url or settings.database.url
    try:
        password_hash = Passwords().hash(_password(args.password_stdin))
        return asyncio.run(_create(url, NewUser(
            tenant=args.tenant, username=args.username, password_hash=password_hash,
            role=role, team_id=args.team_id, agent_id=args.agent_id)))
    except (WeakPasswordError, UserExistsError, UnknownReferenceError) as exc:
        raise CliError(str(exc)) from exc
    except DirectoryUnavailableError as exc:
        raise CliError(f"{exc} (is the database migrated? python -m control_plane.db "
                       f"upgrade --url {url})") from exc


def main(argv: list[str] | None = None, *, prog: str = "python -m control_plane.auth") -> int:
    """Run one command; the exit status."""
    args = _parser(prog).parse_args(argv)
    try:
        user = create_user(args)
    except CliError as exc:
        print(f"callcenter: {exc}", file=sys.stderr)
        return 1
    where = f"tenant {user.tenant}" if user.tenant else "the operator"
    print(f"created user {user.username} (id {user.id}, {user.role.value}) in {where}")
    return 0
