"""ETL (issue 3): each kind from real-world variants, on GeoPackage and PostGIS."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text
from test_etl_builders import (
    INDICATOR_HEADER,
    SUPPLY_HEADER,
    bad_credit,
    credit,
    indicator_rows,
    parcel_code,
    parcels_frame,
    parcels_shp_gk,
    square,
    sup_no,
    supply_gbk_csv,
    supply_rows,
    to_crs,
    write_csv,
    write_xlsx,
)

from devzone.db.io import read
from devzone.errors import InputError
from devzone.etl.load import load_paths
from devzone.units import SRID

# GeoPackage readers warn that SQLAlchemy's "YYYY-MM-DD HH:MM:SS" timestamps are not
# ISO-8601 with a T; harmless here.
pytestmark = pytest.mark.filterwarnings("ignore:Non-conformant content:RuntimeWarning")


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar())


def counts(summary) -> tuple[int, int, int, int, int]:
    return (summary.read, summary.inserted, summary.updated, summary.unchanged, summary.rejected)


# ---------------------------------------------------------------- supply (供地结果)


def test_supply_gbk_csv_portal_headers(engine, tmp_path):
    path = supply_gbk_csv(tmp_path, n=3)
    s = load_paths(engine, [path])
    assert counts(s) == (3, 3, 0, 0, 0)
    assert s.files[0].kind == "supply"
    assert "auto" in s.files[0].decided
    df = read(engine, "land_supply").set_index("supervision_no")
    row = df.loc[sup_no(2)]
    assert row["area_ha"] == pytest.approx(2.5)  # "2.5000" in 公顷
    assert row["price_wan"] == pytest.approx(1200.5)  # "1,200.50" 万元: separator dropped
    assert row["agreed_start_date"] == pd.Timestamp("2019-07-21")  # 2019年07月21日
    assert row["holder"] == "六安示例机械2有限公司"
    assert row["parcel_code"] == parcel_code(2)


def test_supply_xlsx_title_row_mu_and_excel_dates(engine, tmp_path):
    header = [h if h != "面积(公顷)" else "出让面积(亩)" for h in SUPPLY_HEADER]
    rows = supply_rows(2)
    rows[0][4] = 30  # 30 亩 = 30 / 15 = 2 公顷
    rows[1][4] = "45亩"  # unit in the cell: 45 / 15 = 3 公顷
    rows[0][16] = 43667  # Excel serial 43667 = 2019-07-21
    rows[1][16] = "2019/7/21"
    path = write_xlsx(
        tmp_path / "supply.xlsx", header, rows, title="2019年供地结果（示例，合成数据）"
    )
    s = load_paths(engine, [path])
    assert counts(s) == (2, 2, 0, 0, 0)
    df = read(engine, "land_supply").set_index("supervision_no")
    assert df.loc[sup_no(1), "area_ha"] == pytest.approx(2.0)
    assert df.loc[sup_no(2), "area_ha"] == pytest.approx(3.0)
    assert (df["agreed_start_date"] == pd.Timestamp("2019-07-21")).all()


def test_supply_row_problems_are_rejected_with_row_and_field(engine, tmp_path):
    rows = supply_rows(4)
    rows[1][4] = "-3"  # negative area
    rows[2][16] = "2022年01月01日"  # agreed start after agreed completion (2021-07-20)
    rows[3][1] = "34150X"  # malformed 电子监管号
    path = write_xlsx(tmp_path / "supply.xlsx", SUPPLY_HEADER, rows, title="供地结果")
    rej = tmp_path / "rejects.csv"
    s = load_paths(engine, [path], rejects=rej)
    assert counts(s) == (4, 1, 0, 0, 3)
    out = pd.read_csv(rej, encoding="utf-8-sig", dtype=str)
    assert rej.read_bytes().startswith(b"\xef\xbb\xbf")
    # file, row, field, value, reason, then the original record as it was in the file
    assert list(out.columns) == ["file", "row", "field", "value", "reason", *SUPPLY_HEADER]
    assert out["面积(公顷)"].tolist()[0] == "'-3"  # neutralised for Excel (OWASP)
    # Title row 1, blank row 2, header row 3: data rows are spreadsheet rows 4..7.
    got = dict(
        zip(out["row"].astype(int), zip(out["field"], out["reason"], strict=True), strict=True)
    )
    assert got[5][0] == "面积(公顷)"
    assert "negative" in got[5][1]
    assert got[6][0] == "约定开工时间"
    assert "later than 约定竣工时间" in got[6][1]
    assert got[7][0] == "电子监管号"
    assert "not a valid 电子监管号" in got[7][1]


def test_landchina_real_sample_loads_or_explains(engine, shared_dir, tmp_path):
    path = shared_dir / "reference" / "landchina" / "supply_results_sample_utf8.jsonl"
    lines = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    rej = tmp_path / "rejects.csv"
    s = load_paths(engine, [path], rejects=rej)
    assert s.read == lines
    assert s.read == s.inserted + s.rejected
    assert count(engine, "land_supply") == s.inserted
    out = pd.read_csv(rej, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert len(out) == s.rejected
    assert (out["reason"].str.len() > 0).all()
    assert (out["field"].str.len() > 0).all()
    # Spot-check a record by hand (line 1 of the file): 5.292804 公顷, 10484 万元.
    df = read(engine, "land_supply").set_index("supervision_no")
    assert df.loc["1306262018B00730", "area_ha"] == pytest.approx(5.292804)
    assert df.loc["1306262018B00730", "price_wan"] == pytest.approx(10484.0)
    assert df.loc["1306262018B00730", "agreed_start_date"] == pd.Timestamp("2019-12-21")


# ------------------------------------------------------------------ parcels (宗地)


def test_parcels_shapefile_gk_zone_number_gbk(engine, tmp_path):
    path = parcels_shp_gk(tmp_path, n=3)
    s = load_paths(engine, [path])
    assert counts(s) == (3, 3, 0, 0, 0)
    assert any("EPSG:4527" in n or "zone" in n for n in s.files[0].notes)
    df = read(engine, "parcel").set_index("parcel_code")
    assert df.loc[parcel_code(1), "holder"] == "六安示例机械1有限公司"  # GBK decoded
    assert df.loc[parcel_code(1), "area_m2"] == pytest.approx(10001.0)
    got = df.geometry.loc[parcel_code(2)]
    want = square(2)
    assert got.geom_type == "MultiPolygon"
    # Reprojected back to CGCS2000 lon/lat: same square within 1e-7° (~1 cm).
    assert shapely.hausdorff_distance(got, want) < 1e-7


def test_parcels_geojson_4490_chinese_headers(engine, tmp_path):
    gdf = parcels_frame(2).rename(
        columns={
            "ZDDM": "宗地代码",
            "DZJGH": "电子监管号",
            "QLR": "权利人",
            "ZL": "坐落",
            "ZDMJ": "宗地面积",
            "YT": "用途",
        }
    )
    gdf["数据说明"] = "合成数据(synthetic)"
    path = tmp_path / "parcels.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    s = load_paths(engine, [path])
    assert counts(s) == (2, 2, 0, 0, 0)
    df = read(engine, "parcel").set_index("parcel_code")
    assert shapely.hausdorff_distance(df.geometry.loc[parcel_code(1)], square(1)) < 1e-9


def test_data_note_is_recorded_on_the_batch_and_marks_synthetic_data(engine, tmp_path):
    from devzone.db.io import synthetic_data

    plain = supply_gbk_csv(tmp_path, n=2)
    s = load_paths(engine, [plain], link=False)
    assert s.data_note is None
    assert not synthetic_data(engine)
    gdf = parcels_frame(3)
    gdf["SJSM"] = ["合成数据(synthetic)", " 合成数据(synthetic)", "测试数据"]
    path = tmp_path / "noted" / "parcels.gpkg"
    path.parent.mkdir()
    gdf.to_file(path, layer="parcels", engine="pyogrio")
    s = load_paths(engine, [path], link=False)
    assert s.data_note == "合成数据(synthetic); 测试数据"
    assert s.to_dict()["data_note"] == s.data_note
    batches = read(engine, "load_batch").sort_values("fid")
    assert batches["data_note"].isna().tolist() == [True, False]
    assert batches["data_note"].iloc[-1] == "合成数据(synthetic); 测试数据"
    assert synthetic_data(engine)
    assert "sjsm" not in read(engine, "parcel").columns


def test_progress_callback_sees_every_file_from_start_to_end(engine, tmp_path, monkeypatch):
    import devzone.etl.load as load_mod

    monkeypatch.setattr(load_mod, "CHUNK_FEATURES", 2)  # 5 features → chunks of 2, 2, 1
    path = tmp_path / "parcels.gpkg"
    parcels_frame(5).to_file(path, layer="parcels", engine="pyogrio")
    calls: list[tuple[str, int, int]] = []
    load_paths(engine, [path], link=False, progress=lambda *a: calls.append(a))
    assert calls == [("parcels.gpkg", n, 5) for n in (0, 2, 4, 5)]


def test_parcels_without_prj_need_declared_central_meridian(engine, tmp_path):
    gdf = parcels_frame(2)
    gdf = gdf.set_geometry(to_crs(list(gdf.geometry), 4548)).set_crs(None, allow_override=True)
    path = tmp_path / "noprj.shp"
    gdf.to_file(path, encoding="UTF-8", engine="pyogrio")
    assert not path.with_suffix(".prj").exists()
    with pytest.raises(InputError, match="--crs EPSG:4548"):
        load_paths(engine, [path])
    assert count(engine, "parcel") == 0
    s = load_paths(engine, [path], crs="EPSG:4548")
    assert s.inserted == 2
    df = read(engine, "parcel").set_index("parcel_code")
    assert shapely.hausdorff_distance(df.geometry.loc[parcel_code(2)], square(2)) < 1e-7


def test_parcels_in_web_mercator_prj_load_as_declared(engine, tmp_path):
    # EPSG:3857 eastings in China are 8 digits (~12,950 km) but carry no GK zone: the
    # .prj is trusted (it used to be "corrected" to a GK zone and crashed).
    gdf = parcels_frame(2)
    gdf = gdf.set_geometry(to_crs(list(gdf.geometry), 3857)).set_crs(3857, allow_override=True)
    path = tmp_path / "webmercator.gpkg"
    gdf.to_file(path, driver="GPKG", engine="pyogrio")
    s = load_paths(engine, [path])
    assert s.inserted == 2
    df = read(engine, "parcel").set_index("parcel_code")
    assert shapely.hausdorff_distance(df.geometry.loc[parcel_code(1)], square(1)) < 1e-7


def test_undecidable_crs_is_an_input_error_naming_the_file(engine, tmp_path):
    gdf = parcels_frame(1)
    path = tmp_path / "p.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    with pytest.raises(InputError, match=r"p\.geojson.*--crs 'EPSG:nope' is not a known CRS"):
        load_paths(engine, [path], crs="EPSG:nope")
    # 6-degree zone 20 in the easting (20,500,000 m): not a 3-degree zone, no .prj
    six = gdf.set_geometry([shapely.box(20_500_000, 3_500_000, 20_500_100, 3_500_100)])
    shp = tmp_path / "six.shp"
    six.set_crs(None, allow_override=True).to_file(shp, encoding="UTF-8", engine="pyogrio")
    with pytest.raises(InputError, match=r"six\.shp, field geometry: eastings from 20500000"):
        load_paths(engine, [shp])
    assert count(engine, "parcel") == 0


def test_parcels_gcj02_declared_are_shifted_back(engine, tmp_path):
    from devzone.crs import geometry_wgs84_to_gcj02

    gdf = parcels_frame(1)
    shifted = gdf.set_geometry(list(geometry_wgs84_to_gcj02(gdf.geometry.to_numpy())))
    path = tmp_path / "gcj.geojson"
    shifted.to_file(path, driver="GeoJSON", engine="pyogrio")
    load_paths(engine, [path], crs="gcj02")
    got = read(engine, "parcel").geometry.iloc[0]
    # GCJ-02 moves Lu'an by ~500 m (~0.005°); after the inverse the error is < 1e-6°.
    assert shapely.hausdorff_distance(shifted.geometry.iloc[0], square(1)) > 1e-3
    assert shapely.hausdorff_distance(got, square(1)) < 1e-6


def test_parcels_corrupt_and_foreign_geometries_rejected(engine, tmp_path):
    bowtie = shapely.Polygon([(116.6, 31.7), (116.61, 31.71), (116.61, 31.7), (116.6, 31.71)])
    line_like = shapely.Polygon([(116.6, 31.7), (116.61, 31.7), (116.62, 31.7)])
    paris = shapely.box(2.35, 48.85, 2.36, 48.86)
    gdf = parcels_frame(4)
    gdf = gdf.set_geometry([square(1), bowtie, line_like, paris])
    path = tmp_path / "parcels.gpkg"
    gdf.to_file(path, layer="parcels", engine="pyogrio")
    rej = tmp_path / "rej.csv"
    s = load_paths(engine, [path], rejects=rej)
    # the bow-tie is repaired by make_valid (two triangles), the flat ring collapses,
    # Paris lies outside China.
    assert counts(s) == (4, 2, 0, 0, 2)
    out = pd.read_csv(rej, encoding="utf-8-sig").set_index("row")
    assert "collapsed" in out.loc[3, "reason"] or "not a polygon" in out.loc[3, "reason"]
    assert "outside China" in out.loc[4, "reason"]
    assert (out["field"] == "geometry").all()
    assert any("repaired" in n for n in s.files[0].notes)


# ---------------------------------------------------- indicators (企业年度指标) + enterprise


def test_indicators_xlsx_title_row_and_enterprise_from_latest_year(engine, tmp_path):
    rows = indicator_rows(3, years=(2018, 2019))
    rows[-1][1] = "六安示例机械3股份有限公司"  # renamed in 2019 (its latest year)
    rows[-1][13] = "停产"
    path = write_xlsx(
        tmp_path / "ind.xlsx", INDICATOR_HEADER, rows, title="企业年度指标（合成数据）"
    )
    s = load_paths(engine, [path], link=False)
    assert counts(s) == (6, 6, 0, 0, 0)
    assert s.files[0].derived["enterprise"]["inserted"] == 3
    ind = read(engine, "enterprise_indicator").set_index(["credit_code", "year"])
    assert ind.loc[(credit(2), 2019), "tax_wan"] == pytest.approx(21.0)  # 10·2 + 1
    assert ind.loc[(credit(2), 2019), "revenue_wan"] == pytest.approx(2000.0)  # "2,000"
    ent = read(engine, "enterprise").set_index("credit_code")
    assert ent.loc[credit(3), "name"] == "六安示例机械3股份有限公司"
    assert ent.loc[credit(3), "status"] == "suspended"
    assert ent.loc[credit(1), "status"] == "operating"
    assert ent.loc[credit(1), "production_start_year"] == 2015
    assert bool(ent.loc[credit(1), "is_above_scale"]) is True


def test_indicators_bom_csv_english_headers_invalid_code(engine, tmp_path):
    df = pd.DataFrame(
        {
            "credit_code": [credit(1), bad_credit(2), credit(3)],
            "enterprise_name": ["甲示例有限公司", "乙示例有限公司", "丙示例有限公司"],
            "year": ["2019年", "2019", "2019"],
            "tax": ["12.5万元", "3", "1,500,000元"],  # 1,500,000 元 = 150 万元
            "status": ["在营", "在营", "破产"],
        }
    )
    path = write_csv(tmp_path / "ind.csv", df, "utf-8-sig")
    rej = tmp_path / "rej.csv"
    s = load_paths(engine, [path], rejects=rej, link=False)
    assert counts(s) == (3, 2, 0, 0, 1)
    out = pd.read_csv(rej, encoding="utf-8-sig")
    assert out.loc[0, "row"] == 3  # header is line 1, firm 2 is line 3
    assert out.loc[0, "field"] == "credit_code"
    assert "统一社会信用代码" in out.loc[0, "reason"]
    ind = read(engine, "enterprise_indicator").set_index("credit_code")
    assert ind.loc[credit(1), "tax_wan"] == pytest.approx(12.5)
    assert ind.loc[credit(3), "tax_wan"] == pytest.approx(150.0)
    ent = read(engine, "enterprise").set_index("credit_code")
    assert ent.loc[credit(3), "status"] == "bankrupt"


# ------------------------------------------------------- links (宗地企业对照)


def test_links_bom_csv_and_xlsx(engine, tmp_path):
    a = pd.DataFrame(
        {
            "宗地代码": [parcel_code(1), parcel_code(2)],
            "统一社会信用代码": [credit(1), credit(2)],
            "使用面积(平方米)": ["10,001", "5000"],
        }
    )
    p1 = write_csv(tmp_path / "links.csv", a, "utf-8-sig")
    p2 = write_xlsx(
        tmp_path / "links.xlsx",
        ["宗地代码", "统一社会信用代码", "使用面积(亩)"],
        [[parcel_code(3), credit(3), 15]],
        title="宗地企业对照表",
    )
    s = load_paths(engine, [p1, p2])
    assert counts(s) == (3, 3, 0, 0, 0)
    df = read(engine, "parcel_enterprise").set_index("parcel_code")
    assert df.loc[parcel_code(1), "used_area_m2"] == pytest.approx(10001.0)
    assert df.loc[parcel_code(3), "used_area_m2"] == pytest.approx(10000.0)  # 15 亩
    assert (df["match_method"] == "link_file").all()
    assert s.links is None  # a link file was loaded: no name matching


def test_links_by_holder_name_when_no_link_file(engine, tmp_path):
    parcels = parcels_frame(4)
    parcels["QLR"] = [
        "六安示例机械1有限责任公司",  # 有限责任公司 vs 有限公司
        "六安（示例）机械２有限公司",  # full-width brackets and digit
        "无此企业有限公司",  # matches nothing
        "同名示例有限公司",  # matches two enterprises
    ]
    ppath = tmp_path / "parcels.geojson"
    parcels.drop(columns=["DZJGH"]).to_file(ppath, driver="GeoJSON", engine="pyogrio")
    ind = pd.DataFrame(
        {
            "统一社会信用代码": [credit(1), credit(2), credit(5), credit(6)],
            "企业名称": [
                "六安示例机械1有限公司",
                "六安(示例)机械2有限公司",
                "同名示例有限公司",
                "同名示例 有限公司",
            ],
            "年度": [2019] * 4,
        }
    )
    ipath = write_csv(tmp_path / "ind.csv", ind, "gbk")
    rej = tmp_path / "rej.csv"
    s = load_paths(engine, [ipath, ppath], rejects=rej)
    assert s.links is not None
    assert (s.links.candidates, s.links.linked) == (4, 2)
    assert s.links.unmatched["holder"].tolist() == ["无此企业有限公司"]
    assert s.links.ambiguous["holder"].tolist() == ["同名示例有限公司"]
    assert (tmp_path / "rej_holders.csv").exists()
    df = read(engine, "parcel_enterprise").set_index("parcel_code")
    assert df.loc[parcel_code(1), "credit_code"] == credit(1)
    assert df.loc[parcel_code(2), "credit_code"] == credit(2)
    assert (df["match_method"] == "holder_name").all()
    # A link file later replaces the name match of its parcel.
    lpath = write_csv(
        tmp_path / "links.csv",
        pd.DataFrame({"宗地代码": [parcel_code(1)], "统一社会信用代码": [credit(5)]}),
        "utf-8-sig",
    )
    s2 = load_paths(engine, [lpath])
    assert s2.inserted == 1
    df = read(engine, "parcel_enterprise")
    assert df.loc[df["parcel_code"] == parcel_code(1), "credit_code"].tolist() == [credit(5)]


# ---------------------------------------------------------------- buildings (建筑)


def test_buildings_gpkg_with_parcel_code(engine, tmp_path):
    gdf = gpd.GeoDataFrame(
        {
            "建筑编号": ["B1", "B2"],
            "宗地代码": [parcel_code(1), parcel_code(1)],
            "层数": [3, "2"],
            "建筑高度(米)": [15.0, 9.5],
            "建筑面积(平方米)": ["3,000", 800],
            "用途": ["生产", "行政办公"],
        },
        geometry=[
            shapely.box(116.5241, 31.7401, 116.5245, 31.7405),
            shapely.box(116.5250, 31.7401, 116.5252, 31.7403),
        ],
        crs=SRID,
    )
    path = tmp_path / "buildings.gpkg"
    gdf.to_file(path, layer="buildings", engine="pyogrio")
    s = load_paths(engine, [path])
    assert counts(s) == (2, 2, 0, 0, 0)
    df = read(engine, "building").set_index("building_code")
    assert df.loc["B1", "floors"] == 3
    assert df.loc["B1", "floor_area_m2"] == pytest.approx(3000)
    # footprint measured in EPSG:4548: 0.0004° × 0.0004° at 31.74°N ≈
    # (0.0004·111320·cos 31.74°) × (0.0004·110900) ≈ 37.9 m × 44.4 m ≈ 1680 m²
    assert df.loc["B1", "footprint_m2"] == pytest.approx(1680, rel=0.02)


def test_buildings_geojson_without_parcel_code_assigned_spatially(engine, tmp_path):
    load_paths(engine, [parcels_shp_gk(tmp_path, n=3)], link=False)
    inside2 = square(2).centroid.buffer(0.0003, quad_segs=2)  # inside parcel 2
    nowhere = shapely.box(116.70, 31.90, 116.7005, 31.9005)
    gdf = gpd.GeoDataFrame(
        {"层数": [2, 1], "建筑面积": [500, 100]}, geometry=[inside2, nowhere], crs=SRID
    )
    path = tmp_path / "bld.geojson"
    gdf.to_file(path, driver="GeoJSON", engine="pyogrio")
    s = load_paths(engine, [path], kind="buildings")
    assert counts(s) == (2, 2, 0, 0, 0)
    df = read(engine, "building")
    assert sorted(df["parcel_code"].fillna("-")) == ["-", parcel_code(2)]
    assert df["building_code"].str.startswith("G").all()  # keyed by geometry digest
    # idempotent without a code: the digest is stable
    assert load_paths(engine, [path], kind="buildings").unchanged == 2


# ---------------------------------------------------------- progress (项目进度)


PROGRESS_HEADER = [
    "电子监管号",
    "宗地代码",
    "填报日期",
    "已开发面积(平方米)",
    "已完成投资(万元)",
    "计划总投资(万元)",
    "停工日期",
    "复工日期",
    "政府原因",
]


def test_progress_xlsx_and_gbk_csv_keep_every_report(engine, tmp_path):
    rows = [
        [sup_no(1), parcel_code(1), "2019-06-30", 2000, 500, 3000, "", "", ""],
        [sup_no(1), parcel_code(1), "2019年12月31日", "3,000", 900, 3000, "", "", ""],
        [sup_no(2), parcel_code(2), 43830, 0, 0, 2000, "2019-03-01", "", "规划调整"],
    ]
    p1 = write_xlsx(tmp_path / "prog.xlsx", PROGRESS_HEADER, rows, title="项目进度（合成数据）")
    s = load_paths(engine, [p1])
    # two reports of project 1: both kept (a series by 填报日期, issue 14)
    assert counts(s) == (3, 3, 0, 0, 0)
    df = read(engine, "project_progress").sort_values("report_date")
    mine = df[df["project_key"] == sup_no(1)]
    assert mine["developed_area_m2"].tolist() == pytest.approx([2000, 3000])
    df = df.drop_duplicates("project_key", keep="last").set_index("project_key")
    assert df.loc[sup_no(2), "report_date"] == pd.Timestamp("2019-12-31")  # serial 43830
    assert df.loc[sup_no(2), "government_cause"] == "规划调整"
    csv = pd.DataFrame(
        {
            "宗地代码": [parcel_code(3), parcel_code(1)],
            "填报日期": ["2020/3/31", "2020/3/31"],
            "已完成投资": ["100万元", "200"],
        }
    )
    p2 = write_csv(tmp_path / "prog.csv", csv, "gbk")
    s2 = load_paths(engine, [p2])
    # keyed by 宗地代码 when no 电子监管号: parcel 3 is new, parcel 1's project is keyed by
    # its 电子监管号 in the database, so the 宗地代码 key is a new project too.
    assert counts(s2) == (2, 2, 0, 0, 0)
    assert count(engine, "project_progress") == 5


# ------------------------------------------------------ zones and districts


def _zones(n: int = 2) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "开发区代码": [f"S34{i}001" for i in range(1, n + 1)],
            "开发区名称": [f"示例经济开发区{i}" for i in range(1, n + 1)],
            "批准级别": ["省政府"] * n,
            "开发区类型": ["经济开发区"] * n,
            "所在县区代码": ["341502"] * n,
            "批准时间": ["2006年05月"] * n,
            "核准面积(公顷)": ["1,200.5"] * n,
            "首位产业": ["装备制造"] * n,
            "主导产业": ["装备制造、食品加工"] * n,
        },
        geometry=[
            shapely.box(LON, 31.70, LON + 0.1, 31.80) for LON in np.linspace(116.50, 116.70, n)
        ],
        crs=SRID,
    )


def test_zones_geojson_and_shapefile_then_parcels_get_zone(engine, tmp_path):
    z = _zones(2)
    p1 = tmp_path / "zones.geojson"
    z.iloc[:1].to_file(p1, driver="GeoJSON", engine="pyogrio")
    p2 = tmp_path / "zones2.shp"
    z2 = z.iloc[1:].rename(columns={"开发区代码": "KFQDM", "开发区名称": "KFQMC"})
    z2.to_file(p2, encoding="GBK", engine="pyogrio")
    s = load_paths(engine, [p1, p2])
    assert counts(s) == (2, 2, 0, 0, 0)
    df = read(engine, "dev_zone").set_index("zone_code")
    assert df.loc["S341001", "approved_area_ha"] == pytest.approx(1200.5)
    assert df.loc["S342001", "name"] == "示例经济开发区2"
    # .dbf names cut at 10 bytes (GBK): 所在县区代码 → 所在县区代, 核准面积(公顷) → 核准面积(
    assert df.loc["S342001", "district_code"] == "341502"
    assert df.loc["S342001", "approved_area_ha"] == pytest.approx(1200.5)
    assert df.loc["S341001", "approval_date"] == pd.Timestamp("2006-05-01")
    # parcels without KFQDM get the zone containing them (all lie in zone 1's box)
    s2 = load_paths(engine, [parcels_shp_gk(tmp_path, 2)], link=False)
    assert any("assigned spatially" in n for n in s2.files[0].notes)
    assert set(read(engine, "parcel")["zone_code"]) == {"S341001"}


def test_districts_geojson_and_gpkg(engine, tmp_path):
    d = gpd.GeoDataFrame(
        {
            "行政区划代码": ["341500", "341502"],
            "名称": ["六安市", "金安区"],
            "级别": ["city", "district"],
            "上级代码": ["", "341500"],
        },
        geometry=[shapely.box(115.3, 31.0, 117.2, 32.7), shapely.box(116.3, 31.5, 116.9, 32.0)],
        crs=SRID,
    )
    p1 = tmp_path / "districts.geojson"
    d.iloc[:1].to_file(p1, driver="GeoJSON", engine="pyogrio")
    p2 = tmp_path / "districts.gpkg"
    d.iloc[1:].rename(columns={"行政区划代码": "XZQDM", "名称": "XZQMC"}).to_file(
        p2, layer="xzq", engine="pyogrio"
    )
    s = load_paths(engine, [p1, p2])
    assert counts(s) == (2, 2, 0, 0, 0)
    df = read(engine, "district").set_index("adcode")
    assert df.loc["341502", "parent_adcode"] == "341500"
    assert pd.isna(df.loc["341500", "parent_adcode"])


# ------------------------------------------------- idempotency and atomicity


def _all_files(tmp_path: Path) -> list[Path]:
    zones = tmp_path / "zones.geojson"
    _zones(1).to_file(zones, driver="GeoJSON", engine="pyogrio")
    ind = write_xlsx(tmp_path / "ind.xlsx", INDICATOR_HEADER, indicator_rows(3), title="指标")
    return [supply_gbk_csv(tmp_path, 3), parcels_shp_gk(tmp_path, 3), ind, zones]


def test_second_load_unchanged_and_corrected_file_updates(engine, tmp_path):
    files = _all_files(tmp_path)
    first = load_paths(engine, files)
    assert first.inserted == 3 + 3 + 6 + 1
    assert first.rejected == 0
    before = {
        t: count(engine, t)
        for t in (
            "land_supply",
            "parcel",
            "enterprise_indicator",
            "enterprise",
            "dev_zone",
            "parcel_enterprise",
        )
    }
    second = load_paths(engine, files)
    assert counts(second) == (first.read, 0, 0, first.read, 0)
    assert all(f.derived.get("enterprise", {}).get("inserted", 0) == 0 for f in second.files)
    assert {t: count(engine, t) for t in before} == before
    # correct one supply row (price) and one parcel (area): exactly those are updated
    rows = supply_rows(3)
    rows[1][11] = "1,999"
    pd.DataFrame(rows, columns=SUPPLY_HEADER).to_csv(files[0], index=False, encoding="gbk")
    third = load_paths(engine, [files[0]])
    assert counts(third) == (3, 0, 1, 2, 0)
    df = read(engine, "land_supply").set_index("supervision_no")
    assert df.loc[sup_no(2), "price_wan"] == pytest.approx(1999.0)
    assert int(df.loc[sup_no(2), "batch_id"]) == third.batch_id
    assert int(df.loc[sup_no(1), "batch_id"]) == first.batch_id


def test_failure_half_way_leaves_database_as_before(engine, tmp_path, monkeypatch):
    files = _all_files(tmp_path)
    load_paths(engine, files[:1])  # some rows already there
    tables = (
        "load_batch",
        "land_supply",
        "parcel",
        "enterprise_indicator",
        "enterprise",
        "dev_zone",
    )
    before = {t: count(engine, t) for t in tables}
    import devzone.etl.load as load_mod

    real = load_mod.upsert
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # zones and supply written, parcels fail
            raise RuntimeError("disk full (simulated)")
        return real(*args, **kwargs)

    monkeypatch.setattr(load_mod, "upsert", failing)
    with pytest.raises(RuntimeError, match="simulated"):
        load_paths(engine, files)
    assert calls["n"] == 3
    assert {t: count(engine, t) for t in tables} == before


def test_summary_to_dict_is_json(engine, tmp_path):
    s = load_paths(engine, [supply_gbk_csv(tmp_path, 2)])
    d = json.loads(json.dumps(s.to_dict(), ensure_ascii=False))
    assert d["read"] == d["inserted"] + d["updated"] + d["unchanged"] + d["rejected"] == 2
    assert d["files"][0]["kind"] == "supply"


# ------------------------------------------------------- parsing units (pure)


def test_parse_dates_as_registries_write_them():
    from devzone.etl.parse import parse_dates

    raw = pd.Series(
        ["2019年07月21日", "2019/7/21", "2019-07-21", 43667, "20190721", "2019.07", "", "明年"],
        dtype=object,
    )
    dates, bad = parse_dates(raw)
    assert (dates.iloc[:5] == pd.Timestamp("2019-07-21")).all()  # 43667 = 2019-07-21 (Excel)
    assert dates.iloc[5] == pd.Timestamp("2019-07-01")  # month only → the 1st
    assert pd.isna(dates.iloc[6])
    assert not bad.iloc[6]  # blank is not bad
    assert bool(bad.iloc[7])


def test_parse_numbers_with_units_and_separators():
    from devzone.etl.parse import parse_numbers

    raw = pd.Series(["1,234.5", "3公顷", "15亩", "2,000平方米", "-1", "abc", ""], dtype=object)
    ha, bad = parse_numbers(raw, unit="ha")
    # 3 公顷 = 3 ha; 15 亩 = 15/15 = 1 ha; 2,000 m² = 0.2 ha
    assert ha.tolist()[:5] == [1234.5, 3.0, 1.0, pytest.approx(0.2), -1.0]
    assert bad.tolist() == [False, False, False, False, False, True, False]
    m2, _ = parse_numbers(pd.Series(["2"]), unit="m2", header_unit="亩")
    assert m2.iloc[0] == pytest.approx(2 * 10000 / 15)  # 1 亩 = 666.67 m²


def test_normalise_names_for_holder_matching():
    from devzone.etl.link import normalise_name

    assert normalise_name("六安（示例）机械 有限责任公司") == normalise_name(
        "六安(示例)机械有限公司"
    )
    assert normalise_name("ＡＢＣ有限公司") == "ABC有限公司"
    assert normalise_name("甲有限公司") != normalise_name("乙有限公司")


# --------------------------------------------- CRS detection, chunks, skipping


def test_shapefile_without_prj_zone_number_in_easting(engine, tmp_path):
    gdf = parcels_frame(2)
    gdf = gdf.set_geometry(to_crs(list(gdf.geometry), 4527)).set_crs(None, allow_override=True)
    path = tmp_path / "noprj39.shp"
    gdf.to_file(path, encoding="UTF-8", engine="pyogrio")
    s = load_paths(engine, [path])
    assert s.inserted == 2
    assert any("zone 39" in n and "EPSG:4527" in n for n in s.files[0].notes)
    df = read(engine, "parcel").set_index("parcel_code")
    assert shapely.hausdorff_distance(df.geometry.loc[parcel_code(1)], square(1)) < 1e-7


def _index_names(engine) -> set[str]:
    if engine.dialect.name != "postgresql":
        return set()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'parcel' "
                "AND schemaname = current_schema()"
            )
        )
        return {r[0] for r in rows}


def test_duplicates_across_chunks_and_deferred_indexes(engine, tmp_path, monkeypatch):
    import devzone.etl.load as load_mod
    import devzone.etl.write as write_mod

    monkeypatch.setattr(load_mod, "CHUNK_FEATURES", 2)  # 5 features → chunks of 2, 2, 1
    monkeypatch.setattr(write_mod, "DEFER_INDEXES_FROM", 1)
    indexes_before = _index_names(engine)
    gdf = parcels_frame(5)
    gdf.loc[4, "ZDDM"] = parcel_code(1)  # feature 5 repeats feature 1's key, other values
    path = tmp_path / "parcels.gpkg"
    gdf.to_file(path, layer="parcels", engine="pyogrio")
    rej = tmp_path / "rej.csv"
    s = load_paths(engine, [path], rejects=rej)
    assert counts(s) == (5, 4, 0, 0, 1)
    out = pd.read_csv(rej, encoding="utf-8-sig")
    assert out.loc[0, "row"] == 5
    assert "same key as row 1" in out.loc[0, "reason"]
    if engine.dialect.name == "postgresql":  # secondary indexes dropped for the copy, rebuilt
        assert any("indexes built after" in n for n in s.files[0].notes)
        assert {"ix_parcel_zone_code", "ix_parcel_supervision_no"} <= indexes_before
        assert _index_names(engine) == indexes_before


def test_folder_with_sidecars_and_manifest_is_skipped_not_loaded(engine, tmp_path):
    tmp_path = tmp_path / "delivery"  # the GeoPackage under test lives in tmp_path
    tmp_path.mkdir()
    supply = supply_gbk_csv(tmp_path, 2)
    shp = parcels_shp_gk(tmp_path, 2)
    manifest = write_csv(
        tmp_path / "manifest.csv",
        pd.DataFrame(
            {
                "case": ["c1"],
                "parcel_code": [parcel_code(1)],
                "credit_code": [credit(1)],
                "analysis": ["idle"],
                "field": ["status"],
                "expected": ["overdue"],
                "note": [""],
            }
        ),
        "utf-8",
    )
    (tmp_path / "README.md").write_text("# 合成数据\n", encoding="utf-8")
    paths = sorted(tmp_path.iterdir())
    s = load_paths(engine, paths)
    assert s.inserted == 4  # 2 supply + 2 parcels
    skipped = {Path(d["file"]).name for d in s.skipped}
    assert skipped == {
        "manifest.csv",
        "README.md",
        "parcels.dbf",
        "parcels.prj",
        "parcels.shx",
        "parcels.cpg",
    }
    assert count(engine, "parcel_enterprise") == 0
    assert {Path(f.file).name for f in s.files} == {
        supply.name,
        shp.name,
    } - {manifest.name}


@pytest.mark.slow
def test_bundled_sample_loads_whole_and_reloads_unchanged(engine):
    import pyogrio

    from devzone.jobs.demo import SAMPLE_FILES, sample_paths

    paths = sample_paths()
    assert len(paths) == len(SAMPLE_FILES), "the bundled sample (data/sample) is incomplete"
    s = load_paths(engine, paths)
    assert s.read == s.inserted + s.rejected
    by_kind = {f.kind: f for f in s.files}
    parcels = next(p for p in paths if p.suffix == ".shp")
    assert by_kind["parcels"].read == pyogrio.read_info(parcels)["features"]
    assert count(engine, "parcel") == by_kind["parcels"].inserted
    assert count(engine, "enterprise") > 0
    again = load_paths(engine, paths)
    assert again.unchanged == again.read - again.rejected
    assert again.inserted == again.updated == 0


def test_large_csv_is_streamed_with_title_row_and_line_numbers(engine, tmp_path, monkeypatch):
    import devzone.etl.load as load_mod

    monkeypatch.setattr(load_mod, "STREAM_CSV_BYTES", 0)  # stream even this small file
    monkeypatch.setattr(load_mod, "CHUNK_FEATURES", 1)  # CSV chunks of 2 records
    rows = supply_rows(5)
    rows[3][4] = "-1"  # 4th record: negative area
    body = pd.DataFrame(rows, columns=SUPPLY_HEADER).to_csv(index=False)
    path = tmp_path / "supply_big.csv"
    path.write_bytes(("六安市供地结果（合成数据）\n" + body).encode("gbk"))
    rej = tmp_path / "rej.csv"
    s = load_paths(engine, [path], rejects=rej)
    assert counts(s) == (5, 4, 0, 0, 1)
    assert any("streamed" in n for n in s.files[0].notes)
    out = pd.read_csv(rej, encoding="utf-8-sig")
    # title on line 1, header on line 2, records on lines 3..7: the 4th record is line 6
    assert out.loc[0, "row"] == 6
    assert out.loc[0, "field"] == "面积(公顷)"
    df = read(engine, "land_supply").set_index("supervision_no")
    assert df.loc[sup_no(5), "price_wan"] == pytest.approx(1500.5)


def test_per_kind_behaviour_lives_on_the_kind_spec():
    """No ETL step asks which kind it handles: the kinds' differences are their hooks."""
    import re

    from devzone.etl.kinds import KINDS

    etl_dir = Path(__file__).resolve().parents[1] / "etl"
    names = "|".join(KINDS)
    branch = re.compile(rf"""(kind|\.kind)\s*(==|!=|in)\s*[(\[{{]?\s*["']({names})["']""")
    offenders = [
        f"{path.name}:{i}"
        for path in sorted(etl_dir.glob("*.py"))
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if branch.search(line)
    ]
    assert offenders == []
    assert KINDS["progress"].key == ("project_key", "report_date")
    assert KINDS["indicators"].derive is not None
    assert KINDS["links"].link_file
