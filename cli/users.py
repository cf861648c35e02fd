"""``devzone users``: the people of a city server, each with a level and a scope (PostGIS)."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from devzone.cli.common import DbOption, console, open_db

if TYPE_CHECKING:  # imported when a command runs, so `--help` answers at once
    from sqlalchemy import Engine

    from devzone.db.roles import User

app = typer.Typer(
    help="Manage the people of a PostGIS city server (用户与权限): a login role each, "
    "with a level (city/county/zone) and a scope; row-level security does the rest.",
    no_args_is_help=True,
)


def _server(db: str | None) -> Engine:
    """The PostGIS server (a GeoPackage has no roles: say so before opening it)."""
    from devzone.db.engine import is_geopackage
    from devzone.db.roles import NEEDS_POSTGIS, RolesError

    if is_geopackage(db):
        raise RolesError(NEEDS_POSTGIS)
    return open_db(db)


def _password(no_password: bool, password_stdin: bool, name: str) -> str | None:
    """The new role's password: prompted (never echoed), from stdin, or none."""
    from devzone.db.roles import RolesError

    if no_password:
        return None
    if password_stdin:
        secret = sys.stdin.readline().rstrip("\n")
    else:
        secret = getpass.getpass(f"Password for {name}: ")
        if getpass.getpass("Repeat it: ") != secret:
            raise RolesError("The two passwords differ; nothing was changed.")
    if not secret:
        raise RolesError(
            "An empty password was given. Give one, or use --no-password when the role "
            "authenticates otherwise (.pgpass, a service file, certificates)."
        )
    return secret


def _print(users: list[User], title: str) -> None:
    table = Table(title=title)
    for col in ("role 角色", "level 级别", "scope 范围", "writes 可写", "login 可登录", "groups"):
        table.add_column(col)
    for u in users:
        table.add_row(
            u.name,
            u.level,
            u.scope,
            "no" if u.read_only else "yes",
            "yes" if u.can_login else "no",
            ", ".join(u.groups),
        )
    console.print(table)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login role, e.g. jinan_zone.")],
    level: Annotated[str, typer.Option("--level", help="city, county or zone.")],
    scope: Annotated[
        str, typer.Option("--scope", help="County adcode (341502) or zone code (S347042).")
    ],
    read_only: Annotated[bool, typer.Option("--read-only", help="May read, never write.")] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Set no password (.pgpass / service file).")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Create a login role with its level and scope (or change them); asks its password."""
    from devzone.db.roles import LEVELS, RolesError, add_user

    if level not in LEVELS:
        raise RolesError(f"--level must be one of {', '.join(LEVELS)}, not {level!r}.")
    engine = _server(db)
    secret = _password(no_password, password_stdin, name)
    user = add_user(engine, name, level, scope, read_only=read_only, password=secret)
    _print([user], f"devzone user {user.name}")


@app.command("list")
def list_(db: DbOption = None) -> None:
    """List the users this role may see (the city sees all, others themselves)."""
    from devzone.db.roles import list_users

    users = list_users(_server(db))
    _print(users, f"devzone users ({len(users)})")


@app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="The login role.")],
    drop: Annotated[bool, typer.Option("--drop", help="Drop the role too.")] = False,
    db: DbOption = None,
) -> None:
    """Take a user's access away (scope, groups and login; the role stays for the audit)."""
    from devzone.db.roles import revoke_user

    revoke_user(_server(db), name, drop=drop)
    console.print(f"Revoked {name}" + (" and dropped the role." if drop else " (NOLOGIN)."))


def register(root: typer.Typer) -> None:
    """Add ``devzone users`` to the root command."""
    root.add_typer(app, name="users")
