"""``devzone db``: create and inspect the unified industrial-land database."""

from __future__ import annotations

import typer
from rich.table import Table

from devzone.cli.common import DbOption, console, open_db, shown_db

app = typer.Typer(
    help="Create (init) and inspect (info) the unified industrial-land database "
    "(全市统一工业用地数据库).",
    no_args_is_help=True,
)


@app.command("init")
def init(db: DbOption = None) -> None:
    """Create every table of the schema (idempotent: existing tables are kept)."""
    from devzone.db.admin import init_db

    engine = open_db(db, create=True)
    created = init_db(engine)
    where = shown_db(db)
    if created:
        console.print(f"Created {len(created)} tables in {where}: {', '.join(created)}")
    else:
        console.print(f"Schema already complete in {where}; nothing to create.")


@app.command("info")
def info(db: DbOption = None) -> None:
    """List the tables with row counts, geometry type, CRS and extent."""
    from devzone.db.admin import describe

    engine = open_db(db)
    table = Table(title=f"devzone database {shown_db(db)}")
    for col in ("table 表", "rows 行数", "geometry 几何", "CRS", "extent 范围 (lon/lat)"):
        table.add_column(col)
    for t in describe(engine):
        extent = "{:.4f}, {:.4f} – {:.4f}, {:.4f}".format(*t.extent) if t.extent else ""
        table.add_row(
            t.name,
            str(t.rows),
            t.geometry_type or "",
            f"EPSG:{t.srid}" if t.srid else "",
            extent,
        )
    console.print(table)


def register(root: typer.Typer) -> None:
    """Add ``devzone db`` to the root command."""
    root.add_typer(app, name="db")
