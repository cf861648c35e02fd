"""Benchmark of reloads with history kept (issue 14).

Protocol of :mod:`benchmarks.common`. The parcels of ``devzone sample --parcels n``
(cached as a GeoPackage by :func:`benchmarks.bench_etl.parcels_gpkg`) are loaded into an
empty database, then loaded again three ways, each timed with its peak memory:

* ``first``: the first load (compared with ``ogr2ogr`` of the same file; targets
  ≤ 1.3× on PostGIS, ≤ 1.5× on GeoPackage);
* ``unchanged``: the same file again — no row changes, no history row (target
  ≤ 25 % of the first load);
* ``changed_1pct``: a corrected export where 1 % of the parcels have a new registered
  area — those rows are copied into ``parcel_history`` and updated (target ≤ 35 % of
  the first load).

Steps are named ``reload_<backend>_<step>``; ``ratio`` is to ``ogr2ogr`` for ``first``
and to ``first`` for the reloads. Run: ``python -m benchmarks --only reload --sizes
100000`` or ``python -m benchmarks.bench_reload 100000``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.bench_etl import _ogr2ogr_load, parcels_gpkg
from benchmarks.common import measure, ogr2ogr, pg_database, row, run_command

FIRST_VS_OGR = {"postgis": 1.3, "gpkg": 1.5}
UNCHANGED_SHARE = 0.25
CHANGED_SHARE = 0.35
CHANGED_EVERY = 100  # 1 %
DB = "devzone_bench_reload"
DB_OGR = "devzone_bench_reload_ogr"


def changed_export(source: Path, workdir: Path) -> tuple[Path, int]:
    """A copy of the parcels where every 100th has its registered area corrected."""
    import pyogrio

    df = pyogrio.read_dataframe(source)
    area = next(c for c in df.columns if c.upper() == "ZDMJ")
    hit = df.index[::CHANGED_EVERY]
    df.loc[hit, area] = (df.loc[hit, area].astype(float) * 1.05).round(2)
    out = workdir / "parcels_changed.gpkg"
    pyogrio.write_dataframe(df, out, layer="parcels")
    return out, len(hit)


def _baseline(backend: str, gpkg: Path, workdir: Path) -> float | None:
    if not ogr2ogr():
        return None
    if backend == "postgis":
        url = pg_database(DB_OGR, fresh=True)
        _, seconds, _ = measure(lambda: _ogr2ogr_load(gpkg, url))
        return seconds
    target = workdir / "ogr.gpkg"
    cmd = [ogr2ogr() or "ogr2ogr", "-f", "GPKG", str(target), str(gpkg), "parcels"]
    cmd += ["-nln", "parcel", "-t_srs", "EPSG:4490", "-nlt", "PROMOTE_TO_MULTI"]
    _, seconds, _ = measure(lambda: run_command(cmd))
    return seconds


def _history_rows(engine: object) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT count(*) FROM parcel_history")).scalar())


def _backend(
    backend: str, n: int, gpkg: Path, changed: Path, n_changed: int, workdir: Path
) -> list[dict]:
    """The three loads on one backend (a fresh database), after the ogr2ogr baseline."""
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.etl.load import LoadSummary, load_paths

    base = _baseline(backend, gpkg, workdir)
    url = pg_database(DB, fresh=True) if backend == "postgis" else str(workdir / "reload.gpkg")
    engine = make_engine(url, create=True)
    init_db(engine)
    rows: list[dict] = []

    def load(path: Path) -> LoadSummary:
        return load_paths(engine, [path], kind="auto", rejects=workdir / "r.csv", link=False)

    try:
        first, t_first, m_first = measure(lambda: load(gpkg))
        limit = FIRST_VS_OGR[backend]
        rows.append(
            row(
                f"reload_{backend}_first",
                n,
                t_first,
                m_first,
                baseline="ogr2ogr" if base else None,
                baseline_seconds=base,
                target=f"<= {limit}x ogr2ogr",
                ok=None if not base else t_first <= limit * base,
                note=f"inserted {first.inserted}",
            )
        )
        same, t_same, m_same = measure(lambda: load(gpkg))
        rows.append(
            row(
                f"reload_{backend}_unchanged",
                n,
                t_same,
                m_same,
                baseline="first load",
                baseline_seconds=t_first,
                target=f"<= {UNCHANGED_SHARE:.0%} of the first load",
                ok=t_same <= UNCHANGED_SHARE * t_first,
                note=f"unchanged {same.unchanged}, history rows {_history_rows(engine)}",
            )
        )
        upd, t_upd, m_upd = measure(lambda: load(changed))
        kept = _history_rows(engine)
        rows.append(
            row(
                f"reload_{backend}_changed_1pct",
                n,
                t_upd,
                m_upd,
                baseline="first load",
                baseline_seconds=t_first,
                target=f"<= {CHANGED_SHARE:.0%} of the first load",
                ok=t_upd <= CHANGED_SHARE * t_first,
                note=f"updated {upd.updated} of {n_changed} changed, history rows {kept}",
            )
        )
    finally:
        engine.dispose()
    return rows


def bench(n: int, workdir: Path) -> list[dict]:
    """First load, unchanged reload, 1 %-changed reload, on PostGIS and GeoPackage."""
    gpkg = parcels_gpkg(n)
    changed, n_changed = changed_export(gpkg, Path(workdir))
    rows: list[dict] = []
    for backend in ("postgis", "gpkg"):
        rows.extend(_backend(backend, n, gpkg, changed, n_changed, Path(workdir)))
    return rows


def main(argv: list[str]) -> None:
    """``python -m benchmarks.bench_reload [n]``: run one size and print the rows."""
    import tempfile

    n = int(argv[0]) if argv else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        for r in bench(n, Path(tmp)):
            ratio = f"{r['ratio']:.2f}x {r['baseline']}" if r["ratio"] is not None else ""
            secs = "n/a" if r["seconds"] is None else f"{r['seconds']:.2f} s"
            mem = "n/a" if r["peak_mb"] is None else f"{r['peak_mb']:.0f} MB peak"
            print(
                f"{r['step']:<30} n={n:<8} {secs:>9} {mem:>13} {ratio:>22}  "
                f"{r['target']}  ok={r['ok']}  {r.get('note', '')}"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
