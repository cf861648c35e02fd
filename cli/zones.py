"""``devzone zones``: the zone registry (首位/主导产业), industry fit and zone ranking."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from devzone.cli.common import (
    ConfigOption,
    DataAsOfOption,
    DbOption,
    EngineOption,
    QuietOption,
    SchedulerOption,
    command_line,
    console,
    open_db,
    progress,
)
from devzone.errors import InputError

zones_app = typer.Typer(
    help="Zones (开发区): registry with lead/main industries, industry fit, ranking.",
    no_args_is_help=True,
)


@contextlib.contextmanager
def spatial_engine(engine: str, scheduler: str | None, db: Any) -> Iterator[None]:
    """Run the block under :func:`devzone.spatial.engine_context`."""
    from devzone.spatial import engine_context

    with engine_context(engine, scheduler, db=db):
        yield


def check_year(year: int) -> None:
    """Reject years that cannot be an evaluation year."""
    if not 1990 <= year <= 2100:
        raise InputError(f"--year must be a calendar year like 2019, got {year}.", field="--year")


@zones_app.command("list")
def list_zones(
    db: DbOption = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the zones with their lead (首位) and main (主导) industries, and check the rule
    "exactly one lead, two or three main industries, names from the industry table"."""
    from devzone.jobs.zones import zone_registry

    eng = open_db(db)
    try:
        rows = zone_registry(eng, config=config)
    finally:
        eng.dispose()
    if as_json:
        cols = [
            "zone_code",
            "name",
            "level",
            "district_code",
            "approved_area_ha",
            "lead_industry",
            "main_industries",
            "ok",
            "problems",
        ]
        out = rows[[c for c in cols if c in rows]].astype(object).where(rows.notna(), None)
        typer.echo(json.dumps(out.to_dict("records"), ensure_ascii=False, indent=1))
        return
    table = Table(title="开发区名录 zone registry")
    for col in ("代码", "名称", "级别", "核准面积(公顷)", "首位产业", "主导产业", "核验"):
        table.add_column(col, overflow="fold")

    def text(v: Any) -> str:  # data text, never read as Rich markup
        return "" if v is None or (isinstance(v, float) and v != v) else escape(str(v))

    for r in rows.itertuples():
        area = r.approved_area_ha
        table.add_row(
            text(r.zone_code),
            text(r.name),
            text(r.level),
            "" if area is None or area != area else f"{area:g}",
            text(r.lead_industry),
            text(r.main_industries),
            "✓" if r.ok else f"✗ {escape(str(r.problems))}",
        )
    console.print(table)


@zones_app.command("rank")
def rank(
    year: Annotated[int, typer.Option("--year", help="Evaluation year (评价年度), e.g. 2019.")],
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for the HTML report and XLSX.", file_okay=False),
    ] = Path("out/zones"),
    db: DbOption = None,
    config: ConfigOption = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    data_as_of: DataAsOfOption = None,
    quiet: QuietOption = False,
) -> None:
    """Evaluate and rank the zones for a year (开发区分类评价): the TD/T 1029 intensity
    indicators (开发率, 供应率, 建成率, 工业用地率, 容积率, 建筑密度, 建筑系数, 投入强度,
    地均税收, 闲置率), A/D firm shares, idle land and fees, industry fit, a composite score
    under the weights of data/policy/zones.toml, the rank within zone type (工业主导型/
    产城融合型) and the places climbed since the previous year. Writes zone_evaluation and
    parcel_industry_fit, and an HTML report + XLSX into --out. Run `devzone score` and
    `devzone idle` first for the performance and idle figures."""
    from devzone.jobs.zones import run_zone_rank

    check_year(year)
    eng = open_db(db)
    try:
        with spatial_engine(engine, scheduler, eng), progress(f"开发区排名 {year}", quiet=quiet):
            result = run_zone_rank(
                eng,
                year=year,
                config=config,
                out_dir=out,
                data_as_of=data_as_of,
                command=command_line("zones rank", year=year, data_as_of=data_as_of),
            )
    finally:
        eng.dispose()
    print_result(result)


@zones_app.command("fit")
def fit(
    year: Annotated[int, typer.Option("--year", help="Year of the output and tax figures.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="XLSX to write (misfit parcels and zone shares).", dir_okay=False
        ),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Industry fit (产业契合度): per zone the share of land, output and tax in its lead and
    main industries, and the parcels whose industry fits neither (candidates for
    relocation or entry refusal). Writes parcel_industry_fit."""
    from devzone.jobs.zones import run_industry_fit

    check_year(year)
    eng = open_db(db)
    try:
        result = run_industry_fit(eng, year=year, config=config, out_xlsx=out)
    finally:
        eng.dispose()
    table = Table(title=f"产业契合度 industry fit ({year})")
    for col in ("开发区", "用地契合", "首位产业用地", "产值契合", "税收契合", "不符宗地"):
        table.add_column(col)
    for r in result.zone_shares.itertuples():
        table.add_row(
            escape(str(r.zone_code)),
            _pct(r.land_fit_share),
            _pct(r.land_lead_share),
            _pct(r.output_fit_share),
            _pct(r.tax_fit_share),
            f"{r.misfit_parcels:.0f}",
        )
    console.print(table)
    for path in result.outputs:
        console.print(f"Workbook 工作簿: {escape(str(path))}")


def _pct(x: float) -> str:
    """A share as a percentage ('—' when missing)."""
    return "—" if x != x else f"{x * 100:.1f}%"


def print_result(result: dict[str, Any]) -> None:
    """Print a job's headline and output files (data text escaped, not Rich markup)."""
    for label, value in result["headline"].items():
        console.print(f"{escape(str(label))}: [bold]{escape(str(value))}[/]")
    for path in result["outputs"]:
        console.print(f"Output 输出: {escape(str(path))}")


def register(app: typer.Typer) -> None:
    """Add ``devzone zones``."""
    app.add_typer(zones_app, name="zones")
