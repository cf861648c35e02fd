"""devzone.spatial: footprint_share / assign_by_location on the local and postgis engines.

Expected values are worked by hand on boxes drawn in EPSG:4548 (metres; the default
area CRS, :func:`devzone.settings.area_crs`) and
handed to the functions in EPSG:4490, so the reprojection is exercised as well.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from devzone.errors import ConfigError, InputError
from devzone.spatial import (
    assign_by_location,
    current_engine,
    engine_context,
    footprint_share,
)
from devzone.units import SRID

#: The CRS the hand-worked boxes are drawn in (metres), the default area CRS.
METRES = "EPSG:4548"
X0, Y0 = 500_000.0, 3_500_000.0  # a point near Lu'an in EPSG:4548


def _gdf(geoms: list, crs: str = METRES, to: int | None = SRID, **cols) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(cols, geometry=geoms, crs=crs)
    return frame.to_crs(to) if to else frame


def _parcels() -> gpd.GeoDataFrame:
    # A: 100 m x 100 m = 10 000 m²; B: its eastern neighbour, same size;
    # C: no geometry; D: 100 m x 100 m far away with no building.
    return _gdf(
        [
            box(X0, Y0, X0 + 100, Y0 + 100),
            box(X0 + 100, Y0, X0 + 200, Y0 + 100),
            None,
            box(X0 + 1000, Y0, X0 + 1100, Y0 + 100),
        ],
        parcel_code=["A", "B", "C", "D"],
    )


def _buildings() -> gpd.GeoDataFrame:
    # b1: 50 m x 20 m = 1000 m² inside A
    # b2: 20 m x 10 m straddling A|B at x = 100: 10 x 10 = 100 m² in each
    # b3: 30 m x 30 m outside every parcel
    return _gdf(
        [
            box(X0, Y0, X0 + 50, Y0 + 20),
            box(X0 + 90, Y0, X0 + 110, Y0 + 10),
            box(X0 + 500, Y0 + 500, X0 + 530, Y0 + 530),
        ]
    )


def test_footprint_share_by_hand() -> None:
    share = footprint_share(_parcels(), _buildings())
    # A: (1000 + 100) / 10 000 = 0.11 ; B: 100 / 10 000 = 0.01 ; C: no area → NaN ; D: 0
    assert list(share.index) == ["A", "B", "C", "D"]
    assert share.index.name == "parcel_code"
    assert share["A"] == pytest.approx(0.11, abs=1e-9)
    assert share["B"] == pytest.approx(0.01, abs=1e-9)
    assert np.isnan(share["C"])
    assert share["D"] == 0.0


def test_footprint_share_clips_overlapping_footprints_and_repairs_invalid() -> None:
    parcels = _gdf(
        [box(X0, Y0, X0 + 10, Y0 + 10), box(X0 + 20, Y0, X0 + 120, Y0 + 100)],
        parcel_code=["full", "bowtie"],
    )
    bowtie = Polygon(
        [(X0 + 20, Y0), (X0 + 30, Y0 + 10), (X0 + 30, Y0), (X0 + 20, Y0 + 10), (X0 + 20, Y0)]
    )
    assert not bowtie.is_valid
    buildings = _gdf([box(X0, Y0, X0 + 10, Y0 + 10), box(X0, Y0, X0 + 10, Y0 + 10), bowtie])
    share = footprint_share(parcels, buildings)
    # full: two identical 100 m² footprints sum to 200 m² on a 100 m² parcel → clipped to 1
    assert share["full"] == 1.0
    # bowtie: repaired into two triangles of 10 x 5 / 2 = 25 m² each → 50 / 10 000 = 0.005
    assert share["bowtie"] == pytest.approx(0.005, abs=1e-9)


def test_footprint_share_without_buildings_and_without_crs() -> None:
    parcels = _gdf([box(116.5, 31.7, 116.51, 31.71)], crs=None, to=None, parcel_code=["P"])
    empty = gpd.GeoDataFrame(geometry=[], crs=SRID)
    share = footprint_share(parcels, empty)
    assert share.tolist() == [0.0]


def test_assign_by_location_by_hand() -> None:
    zones = _gdf(
        [box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 100, Y0, X0 + 200, Y0 + 100)],
        zone_code=["Z1", "Z2"],
    )
    # features stay in metres (EPSG:4548), polygons are in EPSG:4490
    features = _gdf(
        [
            box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20),  # inside Z1
            box(X0 + 150, Y0 + 10, X0 + 160, Y0 + 20),  # inside Z2
            box(X0 + 80, Y0 + 10, X0 + 180, Y0 + 20),  # straddles; point at x=130 → Z2
            box(X0 + 900, Y0, X0 + 910, Y0 + 10),  # outside → NA
            None,  # no geometry → NA
        ],
        to=None,
    )
    features.index = [10, 11, 12, 13, 14]
    got = assign_by_location(features, zones, "zone_code")
    assert got.name == "zone_code"
    assert list(got.index) == [10, 11, 12, 13, 14]
    assert got.iloc[:3].tolist() == ["Z1", "Z2", "Z2"]
    assert got.iloc[3:].isna().all()


def test_assign_tie_goes_to_first_polygon_and_int_keys_stay_ints() -> None:
    # A point exactly on the shared edge x = 100 belongs to both: the first listed wins.
    polys = _gdf([box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=METRES, to=None, k=[7, 3])
    pts = _gdf([shapely.Point(100, 50), shapely.Point(500, 50)], crs=METRES, to=None)
    got = assign_by_location(pts, polys, "k")
    assert str(got.dtype) == "Int64"
    assert got.iloc[0] == 7
    assert got.iloc[1] is pd.NA
    reversed_polys = polys.iloc[::-1]
    assert assign_by_location(pts, reversed_polys, "k").iloc[0] == 3


def test_bad_input_names_the_field() -> None:
    with pytest.raises(InputError, match="parcel_code"):
        footprint_share(_buildings(), _buildings())
    with pytest.raises(InputError, match="zone_code"):
        assign_by_location(_buildings(), _parcels(), "zone_code")
    with pytest.raises(InputError, match="GeoDataFrame"):
        footprint_share(pd.DataFrame({"parcel_code": ["A"]}), _buildings())


def test_engine_context_selects_and_restores() -> None:
    assert current_engine().name == "local"
    with engine_context("dask", "tcp://nowhere:8786") as state:
        assert current_engine() is state
        assert state.scheduler == "tcp://nowhere:8786"
        with engine_context("local"):
            assert current_engine().name == "local"
        assert current_engine().name == "dask"
    assert current_engine().name == "local"
    with pytest.raises(ConfigError, match="unknown engine"), engine_context("spark"):
        pass


def test_postgis_engine_matches_local(engine) -> None:
    """On PostGIS the joins run in the database; on GeoPackage the engine is refused."""
    parcels, buildings = _parcels(), _buildings()
    local = footprint_share(parcels, buildings)
    local_assign = assign_by_location(buildings, parcels, "parcel_code")
    if engine.dialect.name != "postgresql":
        with pytest.raises(ConfigError, match="PostgreSQL"), engine_context("postgis", db=engine):
            pass
        return
    with engine_context("postgis", db=engine):
        share = footprint_share(parcels, buildings)
        assigned = assign_by_location(buildings, parcels, "parcel_code")
    np.testing.assert_allclose(share.to_numpy(), local.to_numpy(), rtol=0, atol=1e-9)
    assert share.index.equals(local.index)
    # b1 lies inside A, b2 straddles A|B (its point decides), b3 lies outside all
    assert assigned.iloc[0] == "A"
    assert assigned.iloc[1] in ("A", "B")
    assert assigned.isna().tolist() == [False, False, True]
    pd.testing.assert_series_equal(assigned, local_assign)


def _multi(frame: gpd.GeoDataFrame) -> np.ndarray:
    """The frame's polygons as MultiPolygons in EPSG:4490 (the stored type), None kept."""
    return np.array(
        [None if g is None else shapely.MultiPolygon([g]) for g in frame.to_crs(SRID).geometry],
        dtype=object,
    )


@pytest.mark.postgis
def test_footprint_share_in_db_by_hand(pg_url: str) -> None:
    """The in-place PostGIS join over the parcel and building tables."""
    from devzone.db.admin import init_db
    from devzone.db.bulk import insert_rows
    from devzone.db.engine import make_engine
    from devzone.db.io import table_of
    from devzone.spatial import footprint_share_in_db

    db = make_engine(pg_url, create=True)
    try:
        init_db(db)
        parcels, buildings = _parcels(), _buildings()
        with db.begin() as conn:
            insert_rows(
                conn,
                table_of("parcel"),
                pd.DataFrame({"parcel_code": parcels["parcel_code"]}),
                _multi(parcels),
            )
            insert_rows(
                conn,
                table_of("building"),
                pd.DataFrame({"building_code": ["b1", "b2", "b3"]}),
                _multi(buildings),
            )
        share = footprint_share_in_db(db)
    finally:
        db.dispose()
    # same hand values as test_footprint_share_by_hand: A 0.11, B 0.01, C NaN, D 0
    assert list(share.index) == ["A", "B", "C", "D"]
    assert share["A"] == pytest.approx(0.11, abs=1e-9)
    assert share["B"] == pytest.approx(0.01, abs=1e-9)
    assert np.isnan(share["C"])
    assert share["D"] == 0.0


def test_footprint_share_in_db_refuses_geopackage(tmp_path) -> None:
    from devzone.db.engine import make_engine
    from devzone.spatial import footprint_share_in_db

    db = make_engine(str(tmp_path / "x.gpkg"), create=True)
    try:
        with pytest.raises(ConfigError, match="PostgreSQL"):
            footprint_share_in_db(db)
    finally:
        db.dispose()


def test_area_crs_from_environment_is_checked(tmp_path, monkeypatch) -> None:
    """DEVZONE_AREA_CRS: normalised to EPSG:<code>; a wrong one is a one-paragraph error."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from devzone.settings import area_crs

    monkeypatch.delenv("DEVZONE_AREA_CRS", raising=False)
    assert area_crs(None) == "EPSG:4548"
    assert area_crs(" epsg:4549 ") == "EPSG:4549"  # CM 120°E
    with pytest.raises(ConfigError, match="projected"):
        area_crs("EPSG:4490")  # geographic: degrees, not metres
    monkeypatch.setenv("DEVZONE_AREA_CRS", "EPSG:4549")
    assert area_crs() == "EPSG:4549"  # read at call time, not at import
    devzone = str(Path(sys.executable).with_name("devzone"))
    env = dict(os.environ, DEVZONE_AREA_CRS="EPSG:45480")  # a typo of 4548
    res = subprocess.run(
        [devzone, "demo", "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env
    )
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "DEVZONE_AREA_CRS='EPSG:45480'" in res.stderr
