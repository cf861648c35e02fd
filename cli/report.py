"""``devzone report``: reports that go upward (合六经济走廊贡献报告)."""

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
    open_db,
    progress,
)
from devzone.cli.zones import check_year, print_result, spatial_engine

report_app = typer.Typer(help="Reports (报告) for planners.", no_args_is_help=True)


@report_app.command("corridor")
def corridor(
    year: Annotated[int, typer.Option("--year", help="Report year (报告年度), e.g. 2019.")],
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for the HTML report and XLSX.", file_okay=False),
    ] = Path("out/corridor"),
    db: DbOption = None,
    config: ConfigOption = None,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    data_as_of: DataAsOfOption = None,
    quiet: QuietOption = False,
) -> None:
    """The Hefei–Lu'an corridor contribution report (合六经济走廊): scale-industry value
    added of the corridor and the city, growth (nominal, and at comparable prices when
    [corridor.deflator] of data/policy/corridor.toml lists the year — else labelled
    "现价 (未配置价格指数)"), corridor growth minus city growth, the
    contribution rate (≥ 45% target) and pull in percentage points, each zone's
    contribution, pass/fail against the targets. Writes corridor, corridor_zone and
    corridor_contribution, and an HTML report with charts + XLSX into --out."""
    from devzone.jobs.corridor import run_corridor_report

    check_year(year)
    eng = open_db(db)
    try:
        with spatial_engine(engine, scheduler, eng), progress(f"走廊贡献 {year}", quiet=quiet):
            result = run_corridor_report(
                eng,
                year=year,
                config=config,
                out_dir=out,
                data_as_of=data_as_of,
                command=command_line("report corridor", year=year, data_as_of=data_as_of),
            )
    finally:
        eng.dispose()
    print_result(result)


def register(app: typer.Typer) -> None:
    """Add ``devzone report``."""
    app.add_typer(report_app, name="report")
