"""``devzone etl``: load registry exports into the unified database (``load``), match
holders to enterprises (``link``) and list the recognised fields (``fields``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import TaskID
from rich.table import Table

from devzone.cli.common import DbOption, console, err_console, open_db
from devzone.errors import DevzoneError

if TYPE_CHECKING:
    from devzone.etl.load import LoadSummary

app = typer.Typer(
    help="Load land-registry exports (供地结果, 宗地, 企业指标, 对照, 建筑, 项目进度, 开发区, "
    "行政区划) into the unified database.",
    no_args_is_help=True,
)


def _fail(exc: DevzoneError) -> None:
    # the message quotes file names and cells: never read them as rich markup
    err_console.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


_CompleteOption = Annotated[
    bool,
    typer.Option(
        "--complete",
        help="The files are complete exports: stored rows of the kinds loaded that no "
        "file lists are retired (kept in <table>_history, removed from the current "
        "table). Nothing is retired for a kind whose files had rejected rows.",
    ),
]
_ChangesOption = Annotated[
    Path | None,
    typer.Option(
        "--changes",
        help="Write the change report of this load (XLSX: 汇总, 字段变更, 规则相关变更).",
        dir_okay=False,
        show_default=False,
    ),
]


_HiddenSheetsOption = Annotated[
    bool,
    typer.Option(
        "--hidden-sheets", help="Load hidden sheets of workbooks too (skipped otherwise)."
    ),
]


@app.command("load")
def load(  # noqa: PLR0913 (one parameter per command-line option)
    paths: Annotated[list[Path], typer.Argument(help="Export files to load.", show_default=False)],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="auto (recognise from the headers) or supply, parcels, indicators, links, "
            "buildings, progress, zones, districts, case_ledger (a filled 案件台账).",
        ),
    ] = "auto",
    db: DbOption = None,
    rejects: Annotated[
        Path,
        typer.Option(
            "--rejects",
            help="Rejects CSV (UTF-8 with BOM): file, row, field, value, "
            "reason. Written when a row is rejected.",
        ),
    ] = Path("rejects.csv"),
    crs: Annotated[
        str | None,
        typer.Option(
            "--crs",
            help="CRS of vector files without a usable .prj: an EPSG code (EPSG:4548 = "
            "CGCS2000 Gauss–Krüger CM 117°E without zone number) or gcj02 for web-map "
            "coordinates.",
            show_default=False,
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="Text encoding of CSV/DBF (detected when omitted).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    hidden_sheets: _HiddenSheetsOption = False,
    complete: _CompleteOption = False,
    changes: _ChangesOption = None,
) -> None:
    """Load export files; every row is inserted, updated, unchanged or rejected.

    Every sheet of a workbook and every layer of a GeoPackage or zipped Shapefile set
    whose headers map is loaded (one line each); a rejects CSV given back (corrected in
    Excel) loads its rows as their kind. After the load, what it changed (rows added,
    retired, changed, and the changes that matter to a rule) is printed; --changes
    writes it as XLSX.

    Exit status 0 when something was loaded; 2 when a file is unreadable (nothing is
    written then) or when every row was rejected.
    """
    from devzone.etl.load import load_paths

    try:
        engine = open_db(db, create=True)
        with _ProgressBar(disable=quiet or as_json) as bar:
            summary = load_paths(
                engine,
                paths,
                kind=kind,
                rejects=rejects,
                crs=crs,
                encoding=encoding,
                progress=bar.update,
                hidden_sheets=hidden_sheets,
                complete=complete,
            )
    except DevzoneError as exc:
        _fail(exc)
        return
    for skipped in summary.skipped:
        err_console.print(
            f"Skipped {skipped['file']}: {skipped['reason']}", highlight=False, markup=False
        )
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)
    _change_report(engine, summary, changes, quiet=as_json)
    if summary.read and not summary.loaded:
        err_console.print(
            f"Error: nothing could be loaded: all {summary.rejected} rows were rejected; "
            f"see {summary.rejects_file}.",
            highlight=False,
        )
        raise typer.Exit(2)


def _change_report(engine, summary: LoadSummary, out: Path | None, *, quiet: bool) -> None:  # type: ignore[no-untyped-def]
    """Print (and with ``out`` write) what this load changed in the tables it loaded."""
    from devzone.db.history import INPUT_TABLES
    from devzone.db.io import synthetic_data
    from devzone.etl.kinds import KINDS
    from devzone.jobs.etl_diff import diff_since

    loaded = {KINDS[f.kind].table for f in summary.files if f.kind in KINDS} | {
        t for f in summary.files for t in f.derived
    }
    if summary.links is not None:
        loaded.add("parcel_enterprise")
    tables = [t for t in INPUT_TABLES if t in loaded]
    if not tables:  # e.g. a case ledger only: no registry table changed
        return
    try:
        found = diff_since(engine, None, tables=tables)  # since the batch before this one
        if not quiet:
            console.print(found.summary_text(), highlight=False, markup=False)
        if out is not None:
            path = found.write(out, synthetic=synthetic_data(engine))
            console.print(f"change report 变更报告: {path}", highlight=False, markup=False)
    except DevzoneError as exc:
        err_console.print(
            f"Warning: the load is complete, but its change report failed: {exc}",
            highlight=False,
            markup=False,
        )


@app.command("diff")
def diff(
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="A load batch number or a date (YYYY-MM-DD: the last load finished by "
            "then). Default: the batch before the last one, i.e. what the last load changed.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write the change report XLSX.", dir_okay=False, show_default=False
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """What changed in the input tables since a load: rows added, retired and changed per
    kind and per zone, the fields changed from what to what, boundaries moved, and the
    changes that matter to a rule (agreed start moved, government cause added, holder
    renamed, area changed beyond the tolerance)."""
    from devzone.db.io import synthetic_data
    from devzone.jobs.etl_diff import diff_since

    try:
        engine = open_db(db)
        found = diff_since(engine, since)
        console.print(found.summary_text(), highlight=False, markup=False)
        if out is not None:
            path = found.write(out, synthetic=synthetic_data(engine))
            console.print(f"change report 变更报告: {path}", highlight=False, markup=False)
    except DevzoneError as exc:
        _fail(exc)


class _ProgressBar:
    """A rich progress bar (on stderr) fed by the ETL's ``progress`` callback: one task
    per file, advanced after each chunk."""

    def __init__(self, *, disable: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            disable=disable,
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _ProgressBar:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)  # type: ignore[arg-type]

    def update(self, file: str, done: int, total: int) -> None:
        """Show ``done`` of ``total`` records of ``file`` (total 0: unknown)."""
        if file not in self.tasks:
            self.tasks[file] = self.bar.add_task(file, total=total or None)
        self.bar.update(self.tasks[file], completed=done)


def _shown(label: str) -> str:
    """A file's name with the sheet or layer it came from (``x.xlsx [sheet 2019]``)."""
    path, _, part = label.partition(" [")
    return Path(path).name + (f" [{part}" if part else "")


def _print_summary(summary: LoadSummary) -> None:  # type: ignore[no-untyped-def]
    table = Table(title="devzone etl load")
    for col in (
        "file 文件",
        "kind 类型",
        "read 读取",
        "inserted 新增",
        "updated 更新",
        "unchanged 未变",
        "rejected 拒收",
    ):
        table.add_column(col)
    for f in summary.files:
        table.add_row(
            escape(_shown(f.file)),
            f.kind,
            *(str(getattr(f, k)) for k in ("read", "inserted", "updated", "unchanged", "rejected")),
        )
    table.add_row(
        "total 合计",
        "",
        *(
            str(getattr(summary, k))
            for k in ("read", "inserted", "updated", "unchanged", "rejected")
        ),
    )
    console.print(table)
    for f in summary.files:
        console.print(f"{_shown(f.file)}: {f.decided}", highlight=False, markup=False)
        for note in f.notes:
            console.print(f"  · {note}", highlight=False, markup=False)
        for what, counts in f.derived.items():
            console.print(f"  · {what} (derived): {counts}", highlight=False, markup=False)
    if summary.links is not None and summary.links.candidates:
        d = summary.links.to_dict()
        console.print(
            f"holder-name matching: {d['linked_by_name']} parcels linked, "
            f"{d['unmatched_names']} names matched no enterprise, {d['ambiguous_names']} "
            "matched several",
            highlight=False,
        )
    if summary.rejected:
        console.print(
            f"{summary.rejected} rejected rows written to {summary.rejects_file}",
            highlight=False,
            markup=False,
        )


@app.command("link")
def link(
    db: DbOption = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report", help="CSV of unmatched/ambiguous holder names.", show_default=False
        ),
    ] = None,
) -> None:
    """Link unlinked parcels to enterprises by the holder's name (土地使用权人)."""
    from devzone.db.audit import current_command, tag_transaction
    from devzone.etl.link import link_by_holder

    try:
        engine = open_db(db)
        with engine.begin() as conn:
            tag_transaction(conn, current_command("etl link") or "etl link")
            result = link_by_holder(conn)
    except DevzoneError as exc:
        _fail(exc)
        return
    d = result.to_dict()
    console.print(
        f"{d['parcels_without_link']} parcels without link; {d['linked_by_name']} linked by "
        f"name; {d['unmatched_names']} unmatched; {d['ambiguous_names']} ambiguous.",
        highlight=False,
    )
    if report is not None and len(result.problems()):
        from devzone.etl.csvsafe import write_csv

        write_csv(result.problems(), report)
        console.print(f"names written to {report}", highlight=False, markup=False)


@app.command("fields")
def fields(kind: Annotated[str | None, typer.Argument(help="One kind.")] = None) -> None:
    """List the columns each kind recognises and their aliases."""
    from devzone.etl.kinds import KIND_ALIASES, KINDS

    chosen = [KIND_ALIASES.get(kind, kind)] if kind else list(KINDS)
    for k in chosen:
        spec = KINDS.get(k)
        if spec is None:
            _fail(DevzoneError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}"))
            return
        table = Table(title=f"{k} — {spec.label} → {spec.table} (key: {', '.join(spec.key)})")
        table.add_column("column")
        table.add_column("type")
        table.add_column("aliases")
        for f in spec.fields:
            table.add_row(
                f.name, f.ftype + (f" ({f.unit})" if f.unit else ""), ", ".join(f.aliases)
            )
        console.print(table)


def register(root: typer.Typer) -> None:
    """Add ``devzone etl`` to the root command."""
    root.add_typer(app, name="etl")
