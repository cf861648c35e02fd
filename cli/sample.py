"""``devzone sample``: generate the synthetic Lu'an sample at any size, deterministically."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from devzone.cli.common import console


def sample(
    parcels: Annotated[
        int, typer.Option("--parcels", help="Number of parcels (宗地); default 2400.")
    ] = 2400,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (same seed, same bytes).")
    ] = 2019,
    out: Annotated[Path, typer.Option("--out", help="Output folder for the export files.")] = Path(
        "sample_out"
    ),
) -> None:
    """Write a synthetic Lu'an sample as registry exports (GBK CSV, XLSX, Shapefile,
    GeoPackage, GeoJSON) plus manifest.csv (planted cases) and README.md. Real
    boundaries and catalog facts; zones, parcels and enterprises are synthetic."""
    from devzone.sample.generate import generate_sample

    t0 = time.perf_counter()
    with console.status(f"generating {parcels:,} parcels (seed {seed}) …"):
        result = generate_sample(out, parcels=parcels, seed=seed)
    table = Table(title=f"devzone sample → {out} ({time.perf_counter() - t0:.1f} s)")
    table.add_column("item 项目")
    table.add_column("value 数值")
    for key, value in result["headline"].items():
        table.add_row(key, str(value))
    console.print(table)
    for path in result["outputs"]:
        console.print(f"  {path}")


def register(app: typer.Typer) -> None:
    """Add ``devzone sample``."""
    app.command("sample")(sample)
