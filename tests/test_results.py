"""The result writer: the table is the contract, and writes take the bulk path."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from devzone.db.io import CASE_TABLES, TableMissing, read, result_table, write_frame
from devzone.db.results import RESULT_TABLES
from devzone.errors import DatabaseError


def _corridor_row(**extra: object) -> gpd.GeoDataFrame:
    square = shapely.box(116.0, 31.0, 116.1, 31.1)
    row = {"name": ["走廊"], "method": ["buffer"], "description": ["测试"], "area_km2": [1.0]}
    return gpd.GeoDataFrame({**row, **extra}, geometry=[square], crs=4490).rename_geometry("geom")


def test_a_frame_with_other_columns_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DatabaseError, match=r"extra columns \['colour'\]"):
        write_frame(engine, "corridor", _corridor_row(colour=["red"]))
    with pytest.raises(DatabaseError, match=r"missing columns \['area_km2'\]"):
        write_frame(engine, "corridor", _corridor_row().drop(columns="area_km2"))


def test_only_result_tables_are_written() -> None:
    with pytest.raises(DatabaseError, match="not a result table"):
        result_table("parcel")


@pytest.mark.parametrize("table", CASE_TABLES)
def test_the_case_files_are_never_replaced_by_write_frame(engine, table: str) -> None:  # type: ignore[no-untyped-def]
    """Cases and their events are the officers' records: appended by db.cases_io only."""
    columns = [c.name for c in result_table(table).c if c.name != "fid"]
    with pytest.raises(DatabaseError, match="case file"):
        write_frame(engine, table, pd.DataFrame(columns=columns))


def test_a_result_round_trips_with_its_geometry(engine) -> None:  # type: ignore[no-untyped-def]
    assert write_frame(engine, "corridor", _corridor_row()) == 1
    back = read(engine, "corridor")
    assert back["name"].tolist() == ["走廊"]
    assert back.geometry.iloc[0].equals(
        shapely.multipolygons([shapely.box(116.0, 31.0, 116.1, 31.1)])
    )
    # replace_where=None replaces the whole table
    assert write_frame(engine, "corridor", _corridor_row()) == 1
    assert len(read(engine, "corridor")) == 1


def test_a_missing_result_names_the_command_that_fills_it(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TableMissing, match=r"devzone score --year"):
        read(engine, "enterprise_evaluation")
    assert read(engine, "enterprise_evaluation", required=False) is None


def test_every_result_table_of_the_demo_is_filled_and_gpkg_native(demo_out: Path) -> None:
    """Every result table went through write_frame (which checks its columns) and every
    geometry is GeoPackage binary ('GP' magic), not a SpatiaLite blob."""
    con = sqlite3.connect(demo_out / "landbase.gpkg")
    counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in RESULT_TABLES}
    # land_case is filled by the cases `devzone idle` proposes (db.cases_io, not
    # write_frame); land_case_event holds what officers record through a filled case
    # ledger, and the demo loads none: it exists (GeoPackage-registered) and is empty.
    assert counts["land_case"] > 0
    assert [t for t, n in counts.items() if n == 0] == ["land_case_event"]
    spatial = [r[0] for r in con.execute("SELECT table_name FROM gpkg_geometry_columns")]
    for table in spatial:
        bad = con.execute(
            f'SELECT count(*) FROM "{table}" WHERE geom IS NOT NULL AND substr(geom, 1, 2) <> ?',
            (b"GP",),
        ).fetchone()[0]
        assert bad == 0, table
    con.close()
    assert set(RESULT_TABLES) <= set(
        pd.read_sql(
            "SELECT table_name FROM gpkg_contents", sqlite3.connect(demo_out / "landbase.gpkg")
        )["table_name"]
    )
