"""``devzone score``: land-use performance (亩均效益), intensity and rankings of a year."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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


def score(  # noqa: PLR0913 (one parameter per command-line option)
    year: Annotated[int, typer.Option("--year", help="Evaluation year (评价年度), e.g. 2019.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="XLSX workbook to write (default out/亩均效益评价_<year>.xlsx).",
            dir_okay=False,
        ),
    ] = None,
    db: DbOption = None,
    config: ConfigOption = None,
    what_if: Annotated[
        Path | None,
        typer.Option(
            "--what-if",
            help="Another policy TOML (e.g. other [performance.weights.above]) merged over "
            "the policy in force: report how many firms would change grade.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    data_as_of: DataAsOfOption = None,
    quiet: QuietOption = False,
) -> None:
    """Evaluate every enterprise's land-use performance for a year (亩均效益评价: 亩均税收,
    亩均营收 … scored against the group benchmark and graded A/B/C/D within 规上 and
    规下, T for firms in transition or exempt), carry the grades onto the parcels, check
    each parcel's intensity (容积率 with storeys over the policy height counted double, 建筑系数,
    行政办公比重, 投资强度, the Lu'an entry rule and standard-land commitments), and
    write the result tables plus an XLSX with the ranking list per zone and the grade
    changes since last year. All weights and thresholds come from data/policy/*.toml;
    --config points at a city's own."""
    from devzone.jobs.score import run_score
    from devzone.spatial import engine_context

    if not 1990 <= year <= 2100:
        raise InputError(f"--year must be a calendar year like 2019, got {year}.", field="--year")
    target = out or Path("out") / f"亩均效益评价_{year}.xlsx"
    eng = open_db(db)
    try:
        with (
            engine_context(engine, scheduler, db=eng),
            progress(f"亩均效益评价 {year}", quiet=quiet),
        ):
            result = run_score(
                eng,
                year=year,
                config=config,
                out_xlsx=target,
                what_if_config=what_if,
                data_as_of=data_as_of,
                command=command_line("score", year=year, data_as_of=data_as_of),
            )
    finally:
        eng.dispose()
    for label, value in result["headline"].items():
        console.print(f"{label}: [bold]{value}[/]")
    for path in result["outputs"]:
        console.print(f"Workbook 工作簿: {path}")


def register(app: typer.Typer) -> None:
    """Add ``devzone score``."""
    app.command("score")(score)
