"""Benchmark of the ETL (issue 3): load the generated parcels into PostGIS within
**1.5×** the wall time of ``ogr2ogr -f PostgreSQL`` (``PG_USE_COPY=YES``) on the same
file, with peak memory **under 1.5 GB**, at 1,000,000 parcels.

Protocol of :mod:`benchmarks.common`. The parcels of ``devzone sample --parcels n``
(a Shapefile in EPSG:4527) are converted once to a GeoPackage (cached, not timed); both
tools then read that GeoPackage and write CGCS2000 (EPSG:4490) multipolygons into an
empty PostGIS database:

* ``ogr2ogr``: ``-t_srs EPSG:4490 -nlt PROMOTE_TO_MULTI`` with ``PG_USE_COPY=YES``
  (it builds its spatial index after the copy);
* ``etl_postgis``: :func:`devzone.etl.load.load_paths` into a schema made by
  ``devzone db init`` (indexes present), with validation, make_valid, area, row hashes,
  COPY — everything ``devzone etl load`` does;
* ``etl_postgis_reload``: the same file again (every row unchanged);
* ``ogr2ogr_gpkg`` and ``etl_gpkg``: the same pair into a GeoPackage (no target in the
  issue; the ratio is printed for comparison).

Run: ``python -m benchmarks --only etl --sizes 1000000`` (or
``python -m benchmarks.bench_etl 1000000`` for this module alone).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from benchmarks.common import (
    SAMPLE_CODE,
    _locked,
    cache_dir,
    code_fingerprint,
    measure,
    ogr2ogr,
    pg_database,
    row,
    run_command,
    sample_dir,
)
from devzone.units import SRID

TARGET_RATIO = 1.5
TARGET_MB = 1536.0
DB_OGR = "devzone_bench_etl_ogr"
DB_ETL = "devzone_bench_etl"


def parcels_gpkg(n: int) -> Path:
    """The sample's parcels as a GeoPackage (layer ``parcels``), built once and cached."""
    out = cache_dir() / f"parcels-{n}.gpkg"
    stamp = code_fingerprint(*SAMPLE_CODE)
    done = out.with_suffix(".complete")
    with _locked(out.name):
        if out.exists() and done.exists() and done.read_text() == stamp:
            return out
        shp = sample_dir(n) / "parcels.shp"
        tmp = out.with_suffix(".tmp.gpkg")
        tmp.unlink(missing_ok=True)
        exe = ogr2ogr()
        if exe:
            run_command([exe, "-f", "GPKG", str(tmp), str(shp), "-nln", "parcels"])
        else:
            import pyogrio

            pyogrio.write_dataframe(pyogrio.read_dataframe(shp), tmp, layer="parcels")
        shutil.move(tmp, out)
        done.write_text(stamp)
    return out


def _pg_conn_string(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = [f"dbname={u.database}", f"host={u.host or '127.0.0.1'}", f"port={u.port or 5432}"]
    if u.username:
        parts.append(f"user={u.username}")
    return "PG:" + " ".join(parts)  # the password goes through PGPASSWORD, not argv


def _ogr2ogr_load(gpkg: Path, url: str) -> None:
    from sqlalchemy.engine import make_url

    env = {**os.environ, "PG_USE_COPY": "YES"}
    password = make_url(url).password
    if password:  # not on the command line (visible in ps, echoed in errors)
        env["PGPASSWORD"] = str(password)
    run_command(
        [
            ogr2ogr() or "ogr2ogr",
            "-f",
            "PostgreSQL",
            _pg_conn_string(url),
            str(gpkg),
            "parcels",
            "-nln",
            "ogr_parcel",
            "-t_srs",
            f"EPSG:{SRID}",
            "-nlt",
            "PROMOTE_TO_MULTI",
            "-lco",
            "GEOMETRY_NAME=geom",
            "-overwrite",
        ],
        env=env,
    )


def bench(n: int, workdir: Path) -> list[dict]:
    """Time ogr2ogr and ``load_paths`` on the same n-parcel GeoPackage into PostGIS."""
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.etl.load import load_paths

    gpkg = parcels_gpkg(n)
    rows: list[dict] = []
    at_target = n >= 1_000_000
    base_seconds = None
    if ogr2ogr():
        url = pg_database(DB_OGR, fresh=True)
        _, base_seconds, base_peak = measure(lambda: _ogr2ogr_load(gpkg, url))
        rows.append(row("ogr2ogr", n, base_seconds, base_peak, target="baseline"))
    else:
        rows.append(row("ogr2ogr", n, None, None, target="baseline", note="ogr2ogr not found"))

    url = pg_database(DB_ETL, fresh=True)
    engine = make_engine(url)
    init_db(engine)
    rejects = Path(workdir) / "rejects.csv"
    try:
        first, seconds, peak = measure(
            lambda: load_paths(engine, [gpkg], kind="auto", rejects=rejects)
        )
        ok = None
        if at_target and base_seconds:
            ok = seconds <= TARGET_RATIO * base_seconds and peak < TARGET_MB
        rows.append(
            row(
                "etl_postgis",
                n,
                seconds,
                peak,
                baseline="ogr2ogr",
                baseline_seconds=base_seconds,
                target="<= 1.5x ogr2ogr and < 1.5 GB at 1M",
                ok=ok,
                note=f"read {first.read}, inserted {first.inserted}, rejected {first.rejected}",
            )
        )
        again, seconds2, peak2 = measure(
            lambda: load_paths(engine, [gpkg], kind="auto", rejects=rejects)
        )
        rows.append(
            row(
                "etl_postgis_reload",
                n,
                seconds2,
                peak2,
                baseline="ogr2ogr",
                baseline_seconds=base_seconds,
                target="all unchanged",
                ok=again.unchanged == again.read - again.rejected,
                note=f"unchanged {again.unchanged} of {again.read}",
            )
        )
    finally:
        engine.dispose()
    rows.extend(_bench_gpkg(gpkg, n, Path(workdir)))
    return rows


def _bench_gpkg(gpkg: Path, n: int, workdir: Path) -> list[dict]:
    """ogr2ogr and ``load_paths`` from the same file into a new GeoPackage."""
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.etl.load import load_paths

    rows: list[dict] = []
    base_seconds = None
    if ogr2ogr():
        target = workdir / "ogr.gpkg"
        cmd = [ogr2ogr() or "ogr2ogr", "-f", "GPKG", str(target), str(gpkg), "parcels"]
        cmd += ["-nln", "parcel", "-t_srs", f"EPSG:{SRID}", "-nlt", "PROMOTE_TO_MULTI"]
        _, base_seconds, base_peak = measure(lambda: run_command(cmd))
        rows.append(row("ogr2ogr_gpkg", n, base_seconds, base_peak, target="baseline"))
    engine = make_engine(str(workdir / "etl.gpkg"), create=True)
    init_db(engine)
    try:
        first, seconds, peak = measure(
            lambda: load_paths(engine, [gpkg], kind="auto", rejects=workdir / "r.csv")
        )
    finally:
        engine.dispose()
    rows.append(
        row(
            "etl_gpkg",
            n,
            seconds,
            peak,
            baseline="ogr2ogr_gpkg" if base_seconds else None,
            baseline_seconds=base_seconds,
            target="(no target: for comparison)",
            note=f"read {first.read}, inserted {first.inserted}, rejected {first.rejected}",
        )
    )
    return rows


def main(argv: list[str]) -> None:
    """``python -m benchmarks.bench_etl [n]``: run one size and print ratio and memory."""
    import tempfile

    n = int(argv[0]) if argv else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        for r in bench(n, Path(tmp)):
            ratio = f"{r['ratio']:.2f}x ogr2ogr" if r["ratio"] is not None else ""
            secs = "n/a" if r["seconds"] is None else f"{r['seconds']:.1f} s"
            mem = "n/a" if r["peak_mb"] is None else f"{r['peak_mb']:.0f} MB peak"
            print(f"{r['step']:<20} n={n:<9} {secs:>10} {mem:>14} {ratio:>14}  {r['target']}")


if __name__ == "__main__":
    main(sys.argv[1:])
