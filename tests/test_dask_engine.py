"""The dask engine on a 2-worker LocalCluster gives the single-machine results.

The bundled sample (``data/sample``; generated with ``generate_sample`` when absent)
is loaded once into a GeoPackage with the real ETL. Then:

* the spatial steps every analysis uses (building → parcel, parcel → zone,
  zone → district, footprint share) are run on the local, dask and PostGIS engines
  and compared (shares within 1e-9, keys exactly);
* the jobs (score, idle, zone ranking) run on two copies of that database, once on
  each engine, and every table they write is compared row by row.

The cluster runs in-process (``processes=False``) to stay light on a small machine;
the scheduling, partitioning and pair-wise tasks are the same as on a real cluster.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio  # noqa: F401  GDAL must load before the first spatialite connection
import pytest
import shapely

from devzone.spatial import assign_by_location, engine_context, footprint_share

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
YEAR, AS_OF = 2019, dt.date(2019, 12, 31)
#: Columns that record when or in which batch a row was written, not what it says.
VOLATILE = {"fid", "loaded_at", "batch_id", "computed_at", "created_at", "run_at"}


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """Address of a 2-worker LocalCluster shared by the tests of this module."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def sample_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample loaded by the ETL into a GeoPackage (built once per module)."""
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.etl.load import load_paths

    tmp = tmp_path_factory.mktemp("dask_sample")
    folder = SAMPLE
    if not (folder / "manifest.csv").exists():
        from devzone.sample.generate import generate_sample

        folder = tmp / "sample"
        generate_sample(folder, parcels=600, seed=2019)
    paths = sorted(
        p
        for p in folder.iterdir()
        if p.suffix in {".geojson", ".csv", ".shp", ".xlsx", ".gpkg"} and p.name != "manifest.csv"
    )
    path = tmp / "sample.gpkg"
    engine = make_engine(str(path), create=True)
    try:
        init_db(engine)
        load_paths(engine, paths, kind="auto")
    finally:
        engine.dispose()
    return path


def _layers(path: Path) -> dict[str, gpd.GeoDataFrame]:
    from devzone.db.engine import make_engine
    from devzone.db.io import read

    engine = make_engine(str(path))
    try:
        return {name: read(engine, name) for name in ("district", "dev_zone", "parcel", "building")}
    finally:
        engine.dispose()


def _spatial_steps(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, pd.Series]:
    parcels, buildings = layers["parcel"], layers["building"]
    return {
        "building→parcel": assign_by_location(buildings, parcels, "parcel_code"),
        "parcel→zone": assign_by_location(parcels, layers["dev_zone"], "zone_code"),
        "zone→district": assign_by_location(layers["dev_zone"], layers["district"], "adcode"),
        "footprint_share": footprint_share(parcels, buildings),
    }


def _assert_same_steps(got: dict[str, pd.Series], ref: dict[str, pd.Series]) -> None:
    for name, series in ref.items():
        other = got[name]
        assert other.index.equals(series.index), name
        if name == "footprint_share":
            np.testing.assert_allclose(other.to_numpy(), series.to_numpy(), rtol=0, atol=1e-9)
        else:
            pd.testing.assert_series_equal(other, series, obj=name)


def test_spatial_steps_match_local(sample_gpkg: Path, scheduler: str) -> None:
    layers = _layers(sample_gpkg)
    local = _spatial_steps(layers)
    # the sample exercises the join: most buildings sit on a parcel, some parcels are built
    assert local["building→parcel"].notna().mean() > 0.5
    assert (local["footprint_share"] > 0).sum() > 10
    with engine_context("dask", scheduler) as state:
        on_dask = _spatial_steps(layers)
        assert len(state.client.scheduler_info()["workers"]) == 2
    _assert_same_steps(on_dask, local)


def test_postgis_engine_matches_local_on_sample(sample_gpkg: Path, postgis_base_url: str) -> None:
    from devzone.db.engine import make_engine

    layers = _layers(sample_gpkg)
    local = _spatial_steps(layers)
    db = make_engine(postgis_base_url)
    try:
        with engine_context("postgis", db=db):
            in_db = _spatial_steps(layers)
    finally:
        db.dispose()
    _assert_same_steps(in_db, local)


def _run_jobs(path: Path, out: Path) -> list[Path]:
    from devzone.db.engine import make_engine
    from devzone.jobs.corridor import run_corridor_report
    from devzone.jobs.idle import run_idle
    from devzone.jobs.score import run_score
    from devzone.jobs.zones import run_zone_rank

    engine = make_engine(str(path))
    outputs: list[Path] = []
    try:
        outputs += run_score(engine, year=YEAR, out_xlsx=out / "score.xlsx")["outputs"]
        outputs += run_idle(engine, as_of=AS_OF, out_dir=out / "idle")["outputs"]
        outputs += run_zone_rank(engine, year=YEAR, out_dir=out / "zones")["outputs"]
        outputs += run_corridor_report(engine, year=YEAR, out_dir=out / "corridor")["outputs"]
    finally:
        engine.dispose()
    return [Path(p) for p in outputs]


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop write-time columns, geometry → WKB hex, sort rows, plain dtypes."""
    frame = frame.drop(columns=[c for c in frame.columns if c in VOLATILE], errors="ignore")
    frame = pd.DataFrame(frame)
    for col in frame.columns:
        values = frame[col]
        if isinstance(values.dtype, gpd.array.GeometryDtype):
            frame[col] = shapely.to_wkb(np.asarray(values.values, dtype=object), hex=True)
        elif (
            pd.api.types.is_bool_dtype(values.dtype)
            or pd.api.types.is_integer_dtype(values.dtype)
            or pd.api.types.is_float_dtype(values.dtype)
        ):
            frame[col] = values.astype("Float64")
        elif not pd.api.types.is_datetime64_any_dtype(values.dtype):
            frame[col] = values.astype("string")
    keys = list(frame.columns)
    order = frame.astype("string").fillna("").sort_values(keys, kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _result_tables(path: Path) -> dict[str, pd.DataFrame]:
    from sqlalchemy import inspect

    from devzone.db.engine import make_engine
    from devzone.db.io import read
    from devzone.errors import DatabaseError

    inputs = {
        "district", "dev_zone", "land_supply", "parcel", "enterprise", "enterprise_indicator",
        "parcel_enterprise", "building", "project_progress", "load_batch",
    }  # fmt: skip
    engine = make_engine(str(path))
    try:
        present = set(inspect(engine).get_table_names())
        names = sorted(
            n for n in present if n not in inputs and not n.startswith(("gpkg", "rtree"))
        )
        tables = {}
        for name in names:
            try:
                frame = read(engine, name, required=False)
            except DatabaseError:  # not a devzone table (spatialite metadata)
                continue
            tables[name] = pd.DataFrame() if frame is None else frame  # None: no rows
        return tables
    finally:
        engine.dispose()


def test_jobs_match_local(sample_gpkg: Path, scheduler: str, tmp_path: Path) -> None:
    local_db, dask_db = tmp_path / "local.gpkg", tmp_path / "dask.gpkg"
    shutil.copyfile(sample_gpkg, local_db)
    shutil.copyfile(sample_gpkg, dask_db)
    with engine_context("local"):
        _run_jobs(local_db, tmp_path / "out_local")
    with engine_context("dask", scheduler) as state:
        _run_jobs(dask_db, tmp_path / "out_dask")
        used_dask = state.client is not None
    assert used_dask, "no job asked the spatial engine for anything"

    ref, got = _result_tables(local_db), _result_tables(dask_db)
    assert set(got) == set(ref)
    written = [name for name, frame in ref.items() if len(frame)]
    for expected in (
        "enterprise_evaluation",
        "parcel_idle_status",
        "zone_evaluation",
        "corridor_zone",
    ):
        assert expected in written, f"{expected} was not written"
    for name in written:
        a, b = _normalised(ref[name]), _normalised(got[name])
        pd.testing.assert_frame_equal(b, a, check_exact=False, rtol=1e-9, atol=1e-9, obj=name)


@pytest.mark.parametrize("partitioning", ["sort", "shuffle"])
def test_dask_hand_values_and_edge_cases(scheduler: str, partitioning: str) -> None:
    """The hand-worked cases of test_spatial.py, on the cluster, both partitionings."""
    from test_spatial import _buildings, _parcels

    parcels, buildings = _parcels(), _buildings()
    with engine_context("dask", scheduler, partitioning=partitioning):
        share = footprint_share(parcels, buildings)
        unbuilt = footprint_share(parcels, buildings.iloc[:0])
        nothing = footprint_share(parcels.iloc[[2]], buildings)  # only the null geometry
        assigned = assign_by_location(buildings, parcels, "parcel_code")
    # A: (1000 + 100) / 10 000 = 0.11 ; B: 100 / 10 000 = 0.01 ; C: NaN ; D: 0
    np.testing.assert_allclose(share.to_numpy(), [0.11, 0.01, np.nan, 0.0], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(unbuilt.to_numpy(), [0.0, 0.0, np.nan, 0.0])
    assert nothing.isna().all()
    pd.testing.assert_series_equal(assigned, assign_by_location(buildings, parcels, "parcel_code"))
