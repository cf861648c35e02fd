"""What writing a result table costs: :func:`devzone.db.io.write_frame` (the bulk path).

Two result tables at ``n`` rows — ``enterprise_evaluation`` (attributes, the score job's
largest table is ~0.3 n firms, measured here at n) and ``parcel_idle_status`` (one row per
parcel with its polygon) — are written into an empty GeoPackage and an empty PostGIS
schema. The baseline is the row-by-row path devzone used before (SQLAlchemy
``insert(table)`` with a list of dicts, values converted per cell in Python), measured
on the same frame. Synthetic frames; steps ``write_<table>_<backend>``.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Boolean, Date, DateTime, Double, Integer, insert

TABLES = ("enterprise_evaluation", "parcel_idle_status")


def synthetic_frame(table_name: str, n: int, seed: int = 2019) -> pd.DataFrame:
    """``n`` rows with exactly the columns of ``table_name`` (values by column type)."""
    from devzone.db.io import result_table

    rng = np.random.default_rng(seed)
    table = result_table(table_name)
    data: dict[str, Any] = {}
    for col in table.c:
        if col.name == "fid":
            continue
        if col.name == "geom":
            x = 116.0 + rng.random(n) * 0.5
            y = 31.5 + rng.random(n) * 0.3
            data["geom"] = shapely.multipolygons(
                [[g] for g in shapely.box(x, y, x + 0.001, y + 0.001)]
            )
        elif isinstance(col.type, Boolean):
            data[col.name] = rng.random(n) < 0.5
        elif isinstance(col.type, Integer):
            data[col.name] = rng.integers(0, 1000, n)
        elif isinstance(col.type, Double):
            data[col.name] = rng.random(n) * 100
        elif isinstance(col.type, Date | DateTime):
            data[col.name] = pd.Timestamp("2019-12-31") - pd.to_timedelta(
                rng.integers(0, 2000, n), unit="D"
            )
        else:
            data[col.name] = pd.Series(rng.integers(0, 10**9, n)).astype(str).radd("P").to_numpy()
    return pd.DataFrame(data)


def _py(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, shapely.Geometry):
        return f"SRID=4490;{v.wkt}"
    return v


def row_by_row(engine: Any, table_name: str, frame: pd.DataFrame) -> int:
    """The baseline: the pre-restructure writer (dicts, one Python value per cell)."""
    from devzone.db.io import result_table

    table = result_table(table_name)
    cols = [c.name for c in table.c if c.name in frame.columns]
    records = [
        {c: _py(v) for c, v in zip(cols, vals, strict=True)}
        for vals in zip(*(frame[c].astype(object) for c in cols), strict=True)
    ]
    with engine.begin() as conn:
        conn.execute(table.delete())
        conn.execute(insert(table), records)
    return len(records)


def _engines(workdir: Path) -> list[tuple[str, Any]]:
    from benchmarks.common import pg_database
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine

    out = []
    gpkg = make_engine(str(workdir / "write.gpkg"), create=True)
    init_db(gpkg)
    out.append(("gpkg", gpkg))
    try:
        pg = make_engine(pg_database("devzone_bench_write", fresh=True))
        init_db(pg)
        out.append(("postgis", pg))
    except Exception as exc:
        print(f"PostGIS unavailable for the write benchmark: {exc}")
    return out


def bench(n: int, workdir: Path) -> list[dict[str, Any]]:
    """``write_frame`` vs the row-by-row baseline, per table and backend."""
    from benchmarks.common import measure, row
    from devzone.db.io import write_frame

    rows = []
    for backend, engine in _engines(workdir):
        for name in TABLES:
            frame = synthetic_frame(name, n)
            written, seconds, peak = measure(lambda e=engine, t=name, f=frame: write_frame(e, t, f))
            base_n = min(n, 100_000)  # the baseline at 1M would take minutes; scaled
            sub = frame.iloc[:base_n]
            _, base_s, _ = measure(lambda e=engine, t=name, f=sub: row_by_row(e, t, f))
            base_s *= n / base_n
            rows.append(
                row(
                    f"write_{name}_{backend}",
                    n,
                    seconds,
                    peak,
                    baseline="row-by-row insert" + ("" if base_n == n else f" (×{n // base_n})"),
                    baseline_seconds=base_s,
                    target="≤ row-by-row",
                    ok=seconds <= base_s,
                    rows=written,
                    when=dt.date.today().isoformat(),
                )
            )
            print(
                f"{name} on {backend}: {written:,} rows in {seconds:.2f} s "
                f"(row-by-row {base_s:.2f} s)"
            )
        engine.dispose()
    return rows
