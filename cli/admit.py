"""``devzone admit``: check a proposed project against the zone's entry standards."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from devzone.cli.common import ConfigOption, DbOption, console, open_db


def admit(  # noqa: PLR0913 (one parameter per command-line option)
    zone: Annotated[str, typer.Option("--zone", help="Zone code (开发区代码), see `zones list`.")],
    industry: Annotated[
        str, typer.Option("--industry", help="GB/T 4754-2017 industry code, e.g. 3670.")
    ],
    area_mu: Annotated[float, typer.Option("--area-mu", help="Land applied for (亩).")],
    invest_wan: Annotated[
        float, typer.Option("--invest-wan", help="Total fixed-asset investment (万元).")
    ],
    tax_wan: Annotated[float, typer.Option("--tax-wan", help="Expected annual tax (万元/年).")],
    far: Annotated[
        float | None, typer.Option("--far", help="Planned floor-area ratio (容积率).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Entry check (项目入驻审查) of a proposed project: does its industry fit the zone's lead
    (首位) or main (主导) industries, does it reach the investment intensity (万元/亩) or tax
    per mu (万元/亩/年) of the Lu'an entry rule, and the minimum FAR of its industry
    (国土资发〔2008〕24号)? Each standard passes or fails with its reason. Thresholds come
    from data/policy/intensity.toml ([intensity.entry_rule], [intensity.min_far_2002]).
    Exit status 0 when every assessed standard passes, 1 when one fails."""
    from devzone.jobs.zones import Proposal, run_admission

    proposal = Proposal(zone, industry, area_mu, invest_wan, tax_wan, far)
    eng = open_db(db)
    try:
        result = run_admission(eng, proposal, config=config)
    finally:
        eng.dispose()
    passed = bool(result["passed"].map(lambda p: p is not False).all())
    if as_json:
        payload = {
            "zone": zone,
            "industry": industry,
            "area_mu": area_mu,
            "invest_wan": invest_wan,
            "tax_wan": tax_wan,
            "far": far,
            "passed": passed,
            "standards": result.astype(object).where(result.notna(), None).to_dict("records"),
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
    else:
        table = Table(title=escape(f"入驻审查 entry check: {zone} / {industry}"))
        for col in ("标准", "实际", "要求", "结果", "理由"):
            table.add_column(col, overflow="fold")
        for r in result.itertuples():
            mark = "—" if r.passed is None else ("✓ 通过" if r.passed else "✗ 不通过")
            cells = (r.label, str(r.value), str(r.required), mark, r.reason)
            table.add_row(*(escape(c) for c in cells))
        console.print(table)
        console.print("结论: " + ("[green]符合入驻标准[/]" if passed else "[red]不符合入驻标准[/]"))
    if not passed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``devzone admit``."""
    app.command("admit")(admit)
