"""``devzone etl load`` from the command line: summaries, JSON, and bad files that must
give a one-paragraph message naming file/row/field, never a traceback."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from test_etl_builders import (
    INDICATOR_HEADER,
    bad_credit,
    credit,
    indicator_rows,
    parcels_frame,
    parcels_shp_gk,
    supply_gbk_csv,
    write_csv,
)
from typer.testing import CliRunner

from devzone.cli.main import app
from devzone.units import SRID

pytestmark = pytest.mark.filterwarnings("ignore:Non-conformant content:RuntimeWarning")


def run(*args: str):
    result = CliRunner().invoke(app, ["etl", "load", *args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def one_paragraph(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def db(db_url: str) -> str:
    return db_url


def test_json_summary_and_second_load_unchanged(db, tmp_path):
    path = supply_gbk_csv(tmp_path, 3)
    r = run(str(path), "--db", db, "--json", "--rejects", str(tmp_path / "r.csv"))
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert (d["read"], d["inserted"], d["rejected"]) == (3, 3, 0)
    assert d["files"][0]["kind"] == "supply"
    r2 = run(str(path), "--db", db, "--json", "--rejects", str(tmp_path / "r.csv"))
    assert json.loads(r2.stdout)["unchanged"] == 3


def test_table_summary_says_what_kind_was_decided(db, tmp_path):
    r = run(
        str(parcels_shp_gk(tmp_path, 2)),
        "--db",
        db,
        "--quiet",
        "--rejects",
        str(tmp_path / "r.csv"),
    )
    assert r.exit_code == 0, r.output
    assert "auto: 宗地 (parcels)" in r.stdout
    assert "EPSG:4527" in r.stdout


def test_wrong_encoding_declared_names_file_and_row(db, tmp_path):
    path = supply_gbk_csv(tmp_path, 2)
    r = run(str(path), "--db", db, "--encoding", "utf-8")
    assert r.exit_code == 2
    msg = one_paragraph(r.stderr)
    assert str(path.name) in msg
    assert "row 1" in msg
    assert "cannot be decoded as utf-8" in msg


def test_wrong_cpg_names_file_row_and_field(db, tmp_path):
    path = parcels_shp_gk(tmp_path, 2)
    path.with_suffix(".cpg").write_text("UTF-8")  # but the .dbf is GBK
    r = run(str(path), "--db", db)
    assert r.exit_code == 2
    msg = one_paragraph(r.stderr)
    assert "parcels.shp" in msg
    assert "row 1" in msg
    assert "field QLR" in msg
    assert "--encoding GBK" in msg


def test_unmappable_header_is_unreadable(db, tmp_path):
    path = write_csv(tmp_path / "misc.csv", pd.DataFrame({"甲": [1], "乙": [2]}), "utf-8")
    r = run(str(path), "--db", db)
    assert r.exit_code == 2
    msg = one_paragraph(r.stderr)
    assert "misc.csv" in msg
    assert "no header row could be mapped" in msg


def test_invalid_credit_code_rejected_but_rest_loaded(db, tmp_path):
    rows = indicator_rows(2, years=(2019,))
    rows[1][0] = bad_credit(2)
    path = write_csv(tmp_path / "ind.csv", pd.DataFrame(rows, columns=INDICATOR_HEADER), "gbk")
    rej = tmp_path / "rejects.csv"
    r = run(str(path), "--db", db, "--rejects", str(rej), "--quiet")
    assert r.exit_code == 0, r.output
    out = pd.read_csv(rej, encoding="utf-8-sig")
    assert (out.loc[0, "row"], out.loc[0, "field"]) == (3, "统一社会信用代码")
    assert out.loc[0, "value"] == bad_credit(2)
    assert "1 rejected rows written to" in one_paragraph(r.stdout)


def test_everything_rejected_exits_non_zero(db, tmp_path):
    df = pd.DataFrame(
        {"统一社会信用代码": [bad_credit(1)], "企业名称": ["示例有限公司"], "年度": [2019]}
    )
    path = write_csv(tmp_path / "ind.csv", df, "utf-8-sig")
    r = run(str(path), "--db", db, "--rejects", str(tmp_path / "r.csv"))
    assert r.exit_code == 2
    assert "nothing could be loaded" in one_paragraph(r.stderr)
    assert credit(1) != bad_credit(1)


def test_corrupt_geometry_rejected_with_row(db, tmp_path):
    gdf = parcels_frame(2)
    spike = shapely.Polygon([(116.6, 31.7), (116.6, 31.7), (116.6, 31.7)])  # zero area
    gdf = gpd.GeoDataFrame(
        gdf.drop(columns="geometry"), geometry=[gdf.geometry.iloc[0], spike], crs=SRID
    )
    path = tmp_path / "parcels.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    rej = tmp_path / "rej.csv"
    r = run(str(path), "--db", db, "--rejects", str(rej), "--quiet")
    assert r.exit_code == 0, r.output
    out = pd.read_csv(rej, encoding="utf-8-sig")
    assert (out.loc[0, "row"], out.loc[0, "field"]) == (2, "geometry")


def test_truncated_shapefile_loses_only_its_cut_features(db, tmp_path):
    path = parcels_shp_gk(tmp_path, 3)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a copy interrupted half-way
    rej = tmp_path / "rej.csv"
    r = run(str(path), "--db", db, "--json", "--rejects", str(rej))
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert (d["read"], d["inserted"], d["rejected"]) == (3, 1, 2)
    out = pd.read_csv(rej, encoding="utf-8-sig")
    assert out["row"].tolist() == [2, 3]
    assert set(out["reason"]) == {"empty or missing geometry"}


def test_missing_file_and_unknown_kind(db, tmp_path):
    r = run(str(tmp_path / "nope.csv"), "--db", db)
    assert r.exit_code == 2
    assert "does not exist" in one_paragraph(r.stderr)
    path = supply_gbk_csv(tmp_path, 1)
    r = run(str(path), "--db", db, "--kind", "nonsense")
    assert r.exit_code == 2
    assert "unknown kind" in one_paragraph(r.stderr)


def test_fields_lists_aliases():
    r = CliRunner().invoke(app, ["etl", "fields", "parcels"])
    assert r.exit_code == 0
    assert "zddm" in r.stdout.lower()


def test_error_quoting_cells_is_not_read_as_markup(db, tmp_path):
    # The message quotes the first row; "[/x]" used to crash rich (MarkupError traceback)
    # and "[bold]" vanished from the message.
    df = pd.DataFrame({"[bold]甲": [1], "乙[/x]": [2]})
    path = write_csv(tmp_path / "misc.csv", df, "utf-8")
    r = run(str(path), "--db", db)
    assert r.exit_code == 2
    msg = one_paragraph(r.stderr)
    assert "[bold]甲" in msg
    assert "乙[/x]" in msg


def test_unknown_crs_is_a_message_not_a_traceback(db, tmp_path):
    path = tmp_path / "parcels.geojson"
    parcels_frame(1).to_file(path, driver="GeoJSON", engine="pyogrio")
    r = run(str(path), "--db", db, "--crs", "EPSG:nope")
    assert r.exit_code == 2
    assert "is not a known CRS" in one_paragraph(r.stderr)
