#!/usr/bin/env python3
"""Compare every result table of two devzone runs (before/after a change).

It drives devzone only through its command line and reads the GeoPackage with GDAL, so
the same script works on any revision:

    # 1. run the pipeline on a sample folder with each revision's devzone
    scripts/compare_results.py run --devzone /tmp/before/.venv/bin/devzone \\
        --sample data/sample --out /tmp/cmp/before
    scripts/compare_results.py run --devzone .venv/bin/devzone \\
        --sample data/sample --out /tmp/cmp/after
    # 2. list the differences, table by table
    scripts/compare_results.py diff /tmp/cmp/before/landbase.gpkg /tmp/cmp/after/landbase.gpkg

``run`` loads the sample's exports with ``devzone etl load`` and runs ``score``,
``idle``, ``zones rank`` and ``report corridor`` for 2019 (as ``devzone demo`` does).
``diff`` prints, per result table, the rows only on one side and the cells that differ
(floats compared to 1e-9 relative, geometries to 1e-9 degrees), and exits 1 when
anything differs. ``--explain FILE`` (TOML: ``[table] column = "why"``) marks known,
explained differences; they are printed but do not fail the comparison.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import tomllib

#: Input tables (loaded by the ETL), never compared as results.
INPUT_TABLES = {
    "load_batch",
    "district",
    "dev_zone",
    "land_supply",
    "parcel",
    "enterprise",
    "enterprise_indicator",
    "parcel_enterprise",
    "building",
    "project_progress",
}
#: Columns that differ on every run by design.
VOLATILE = {"fid", "computed_at", "created_at", "loaded_at", "batch_id", "src_file"}
#: Kinds in the order the ETL wants them.
SAMPLE_ORDER = (
    "districts",
    "zones",
    "supply_results",
    "parcels",
    "enterprise_indicators",
    "parcel_enterprise",
    "buildings",
    "project_progress",
)


def _sample_files(folder: Path) -> list[Path]:
    files = [p for p in sorted(folder.iterdir()) if p.suffix.lower() != ".md"]
    keep = [
        p
        for p in files
        if p.stem in SAMPLE_ORDER and p.suffix not in (".dbf", ".shx", ".prj", ".cpg")
    ]
    return sorted(keep, key=lambda p: SAMPLE_ORDER.index(p.stem))


def run(devzone: str, sample: Path, out: Path, year: int, as_of: str) -> None:
    """The pipeline of ``devzone demo`` through the CLI, into ``out/landbase.gpkg``."""
    out.mkdir(parents=True, exist_ok=True)
    db = out / "landbase.gpkg"
    for stale in out.glob("landbase.gpkg*"):
        stale.unlink()
    steps = [
        ["db", "init"],
        ["etl", "load", *map(str, _sample_files(sample)), "--rejects", str(out / "rejects.csv")],
        ["score", "--year", str(year)],
        ["idle", "--as-of", as_of],
        ["zones", "rank", "--year", str(year), "--out", str(out / "zones")],
        ["report", "corridor", "--year", str(year), "--out", str(out / "corridor")],
    ]
    for step in steps:
        res = subprocess.run([devzone, *step, "--db", str(db)], capture_output=True, text=True)
        if res.returncode != 0:
            sys.exit(
                f"devzone {' '.join(step[:2])} failed:\n{res.stdout[-2000:]}{res.stderr[-2000:]}"
            )


def _layers(path: Path) -> list[str]:
    import pyogrio

    return [str(name) for name, _ in pyogrio.list_layers(path)]


def _read(path: Path, layer: str) -> pd.DataFrame:
    import pyogrio

    df = pyogrio.read_dataframe(path, layer=layer)
    if "geometry" in df.columns:
        geoms = df.geometry.to_numpy()
        df = pd.DataFrame(df.drop(columns="geometry"))
        import shapely

        df["geometry"] = shapely.to_wkt(shapely.normalize(geoms), rounding_precision=9)
    return df.drop(columns=[c for c in df.columns if c in VOLATILE])


def _key(df: pd.DataFrame) -> list[str]:
    """Columns that identify a row: the text/date/integer columns, geometry aside."""
    return [c for c in df.columns if c != "geometry" and not pd.api.types.is_float_dtype(df[c])]


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M:%S")
        if not pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].astype("string").fillna("<NA>")
    return out


def _cells_equal(a: pd.Series, b: pd.Series) -> np.ndarray:
    if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        both_nan = np.isnan(x) & np.isnan(y)
        close = np.isclose(x, y, rtol=1e-9, atol=1e-12)
        return both_nan | close
    return (a.astype("string").fillna("<NA>") == b.astype("string").fillna("<NA>")).to_numpy()


def diff_table(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """Differences between two versions of one table, as lines."""
    lines: list[str] = []
    cols_a, cols_b = set(a.columns), set(b.columns)
    if cols_a != cols_b:
        if cols_a - cols_b:
            lines.append(f"  columns only before: {sorted(cols_a - cols_b)}")
        if cols_b - cols_a:
            lines.append(f"  columns only after: {sorted(cols_b - cols_a)}")
    common = [c for c in a.columns if c in cols_b]
    a, b = _normalise(a[common]), _normalise(b[common])
    if len(a) != len(b):
        lines.append(f"  rows: {len(a)} before, {len(b)} after")
    key = [c for c in _key(a) if c in _key(b)]
    a = a.sort_values(key + [c for c in common if c not in key], ignore_index=True)
    b = b.sort_values(key + [c for c in common if c not in key], ignore_index=True)
    if len(a) != len(b):
        return lines
    for c in common:
        same = _cells_equal(a[c], b[c])
        if not same.all():
            n = int((~same).sum())
            i = int(np.flatnonzero(~same)[0])
            lines.append(
                f"  {c}: {n} cells differ (e.g. row {i}: {a[c].iloc[i]!r} → {b[c].iloc[i]!r})"
            )
    return lines


def diff(before: Path, after: Path, explain: dict[str, dict[str, str]]) -> int:
    """Print the differences of every result table; 1 when any is unexplained."""
    la = {t for t in _layers(before) if t not in INPUT_TABLES}
    lb = {t for t in _layers(after) if t not in INPUT_TABLES}
    unexplained = 0
    for table in sorted(la | lb):
        if table not in la or table not in lb:
            print(f"{table}: only {'after' if table in lb else 'before'}")
            unexplained += table not in explain
            continue
        lines = diff_table(_read(before, table), _read(after, table))
        if not lines:
            print(f"{table}: identical")
            continue
        print(f"{table}: differs")
        for line in lines:
            col = line.strip().split(":")[0]
            why = explain.get(table, {}).get(col)
            print(line + (f"   [explained: {why}]" if why else ""))
            unexplained += why is None
    print(
        "no unexplained differences"
        if not unexplained
        else f"{unexplained} unexplained difference(s)"
    )
    return 1 if unexplained else 0


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the pipeline on a sample folder")
    r.add_argument("--devzone", default=str(Path(sys.executable).with_name("devzone")))
    r.add_argument("--sample", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--year", type=int, default=2019)
    r.add_argument("--as-of", default="2019-12-31")
    d = sub.add_parser("diff", help="compare the result tables of two GeoPackages")
    d.add_argument("before", type=Path)
    d.add_argument("after", type=Path)
    d.add_argument("--explain", type=Path)
    args = ap.parse_args()
    if args.cmd == "run":
        run(args.devzone, args.sample, args.out, args.year, args.as_of)
    else:
        explain = tomllib.loads(args.explain.read_text()) if args.explain else {}
        sys.exit(diff(args.before, args.after, explain))


if __name__ == "__main__":
    main()
