"""``devzone cases``: the idle-land and exit cases (案件) — what is due, the documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from devzone.cli.common import ConfigOption, DbOption, console, open_db
from devzone.errors import InputError
from devzone.vocab import CASE_STATE_LABELS, CASE_STEP_LABELS

cases_app = typer.Typer(
    help="Cases (案件): idle-land and exit procedures from suspicion to closing, with "
    "their statutory deadlines and official documents.",
    no_args_is_help=True,
)

AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Day the deadlines are read on, YYYY-MM-DD (default today)."),
]


def _day(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputError(
            f"--as-of must be a date like 2019-12-31, got {text!r}.", field="--as-of"
        ) from exc


def _table(due) -> Table:  # type: ignore[no-untyped-def]
    table = Table(title="案件待办 (逾期在前)")
    for header in (
        "案件编号",
        "县区",
        "开发区",
        "土地使用权人",
        "状态",
        "下一步",
        "期限",
        "剩余(日)",
    ):
        table.add_column(header, no_wrap=header in ("案件编号", "期限"), overflow="fold")
    for r in due.to_dict("records"):
        days = r["days_left"]
        left = "" if days is None or days != days else str(int(days))
        style = "bold red" if r["overdue"] else None
        table.add_row(
            str(r["case_id"]),
            str(r.get("county") or ""),
            str(r.get("zone_code") or ""),
            str(r.get("holder") or ""),
            CASE_STATE_LABELS.get(r["state"], str(r["state"])),
            CASE_STEP_LABELS.get(str(r["next_step"]), str(r["next_step"] or "")),
            ""
            if r["next_due"] is None or r["next_due"] != r["next_due"]
            else f"{r['next_due']:%Y-%m-%d}",
            left,
            style=style,
        )
    return table


@cases_app.command("due")
def due(
    within: Annotated[int, typer.Option("--within", help="Days ahead to list.")] = 30,
    as_of: AsOfOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the case ledger XLSX here.")
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """What each county/zone must do next and by when (overdue first)."""
    from devzone.jobs.cases import cases_due
    from devzone.jobs.scope import scope_label

    eng = open_db(db)
    try:
        rows = cases_due(eng, as_of=_day(as_of), within=within, out=out, config=config)
        scope = scope_label(eng)
    finally:
        eng.dispose()
    if scope:
        console.print(scope, markup=False, highlight=False)
    if not len(rows):
        console.print("No case is due (无待办案件).")
    else:
        console.print(_table(rows))
    if out is not None:
        console.print(f"Ledger 案件台账: {out}")


@cases_app.command("documents")
def documents(
    out: Annotated[Path, typer.Option("--out", help="Folder for the DOCX documents.")],
    as_of: AsOfOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Write the official documents (调查通知书, 认定书, 听证告知书, 决定书) of open cases."""
    from devzone.jobs.cases import case_documents

    eng = open_db(db)
    try:
        paths = case_documents(eng, out, as_of=_day(as_of), config=config)
    finally:
        eng.dispose()
    console.print(f"{len(paths)} documents 文书 written to {out}")


def register(app: typer.Typer) -> None:
    """Add ``devzone cases``."""
    app.add_typer(cases_app, name="cases")
