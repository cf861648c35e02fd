"""``devzone audit``: who changed what, when and in which command (操作留痕)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from devzone.cli.common import DbOption, console, open_db
from devzone.errors import InputError

if TYPE_CHECKING:  # imported when a command runs, so `--help` answers at once
    from devzone.db.audit import AuditEntry


def _since(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--since {value!r} is not a date; write it as 2019-12-31.") from None


def _short(values: dict[str, Any] | None, width: int = 60) -> str:
    if not values:
        return ""
    shown = ", ".join(f"{k}={v}" for k, v in values.items() if v is not None)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def _print(entries: list[AuditEntry]) -> None:
    table = Table(title=f"devzone audit ({len(entries)} entries, newest first)")
    for col in ("time 时间", "role 角色", "command 命令", "table 表", "op", "key 键", "change"):
        table.add_column(col)
    for e in entries:
        role = e.login_role + (f" as {e.acting_role}" if e.acting_role else "")
        command = (e.command or "") + (f" #{e.batch_id}" if e.batch_id else "")
        table.add_row(
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            escape(role),
            escape(command),
            e.table_name,
            e.op,
            escape(_short(e.row_key, 40)),
            escape(_short(e.new_values if e.new_values is not None else e.old_values)),
        )
    console.print(table)


def audit(
    table: Annotated[str | None, typer.Option("--table", help="Only this table.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only on or after this day (2019-12-31).")
    ] = None,
    role: Annotated[str | None, typer.Option("--role", help="Only this role.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many entries.")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines for machines.")] = False,
    db: DbOption = None,
) -> None:
    """List the recorded changes (PostGIS), or the load batches with their OS user
    (GeoPackage)."""
    from devzone.db.audit import list_audit

    entries = list_audit(open_db(db), table=table, since=_since(since), role=role, limit=limit)
    if as_json:
        for e in entries:
            typer.echo(json.dumps(e.as_json(), ensure_ascii=False, default=str))
        return
    _print(entries)


def register(root: typer.Typer) -> None:
    """Add ``devzone audit`` to the root command."""
    root.command("audit")(audit)
