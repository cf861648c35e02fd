"""The corridor job against a real database (GeoPackage and PostGIS).

The two-zone city of ``test_corridor_contribution`` (same firms and figures), with
real 六安/合肥 boundaries from ``data/reference/districts_wgs84.geojson``: zone A sits
at the 六安经开区 catalog point (on the Hefei–Lu'an axis), zone B at 舒城 (27 km off).
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, Point
from test_corridor_contribution import indicators
from test_zones_indicators import seed

from devzone.db.io import read
from devzone.errors import ConfigError
from devzone.jobs.corridor import run_corridor_report
from devzone.paths import data_path


def _ewkt(geom) -> MultiPolygon:
    """A polygon as the MultiPolygon the spatial tables hold."""
    return MultiPolygon([geom]) if geom.geom_type == "Polygon" else geom


def load_two_zone_city(engine) -> None:
    """Districts, zones A (corridor) and B, one parcel each, firms F1–F6."""
    districts = gpd.read_file(data_path("reference", "districts_wgs84.geojson"))
    districts = districts[districts["adcode"].isin(["340100", "341500"])]
    seed(
        engine,
        "district",
        pd.DataFrame(
            {
                "adcode": districts["adcode"],
                "name": districts["name"],
                "level": districts["level"],
                # Simplified (≈100 m) to keep the test database small.
                "geom": [_ewkt(g.simplify(0.001)) for g in districts.geometry],
            }
        ),
    )
    a = Point(116.594864, 31.766705).buffer(0.01)
    b = Point(116.956264, 31.482368).buffer(0.01)
    seed(
        engine,
        "dev_zone",
        pd.DataFrame(
            {
                "zone_code": ["A", "B"],
                "name": ["甲园区<测试>", "乙园区"],
                "lead_industry": ["装备制造", "建材"],
                "main_industries": ["轻工纺织、建材", "装备制造、轻工纺织"],
                "geom": [_ewkt(a), _ewkt(b)],
            }
        ),
    )
    seed(
        engine,
        "parcel",
        pd.DataFrame(
            {
                "parcel_code": ["PA1", "PB1"],
                "zone_code": ["A", "B"],
                "area_m2": [20000.0, 20000.0],
                "geom": [
                    _ewkt(Point(116.5949, 31.7667).buffer(0.001)),
                    _ewkt(Point(116.9563, 31.4824).buffer(0.001)),
                ],
            }
        ),
    )
    seed(
        engine,
        "parcel_enterprise",
        pd.DataFrame(
            {
                "parcel_code": ["PA1", "PB1", "PA1", "PB1", "PA1", "PB1"],
                "credit_code": ["F1", "F2", "F4", "F4", "F5", "F6"],
                "used_area_m2": [5000.0, 5000.0, 3000.0, 3000.0, 2000.0, 4000.0],
            }
        ),
    )
    seed(engine, "enterprise_indicator", indicators())


def test_corridor_job_2019(engine, tmp_path) -> None:
    load_two_zone_city(engine)
    result = run_corridor_report(engine, year=2019, out_dir=tmp_path)
    members = read(engine, "corridor_zone")
    assert members[["zone_code", "member_by"]].values.tolist() == [["A", "geometry"]]
    corridor = read(engine, "corridor")
    assert len(corridor) == 1
    assert corridor.geometry.iloc[0].contains(Point(116.5949, 31.7667))
    t = read(engine, "corridor_contribution").set_index("unit")
    # Same hand-worked figures as test_corridor_contribution: 66.67% and 8 pp.
    assert t.loc["corridor", "contribution"] == pytest.approx(40 / 60)
    assert t.loc["corridor", "pull_pp"] == pytest.approx(8.0)
    assert result["headline"]["contribution 贡献率"] == "66.67%"
    assert result["headline"]["parcels inside 走廊内宗地"] == 1
    html_path, xlsx_path = result["outputs"]
    html = html_path.read_text(encoding="utf-8")
    assert "66.67%" in html
    assert "达标" in html
    # Data text is escaped (zone name with angle brackets).
    assert "甲园区&lt;测试&gt;" in html
    assert "甲园区<测试>" not in html
    assert len(re.findall(r'<img class="chart" src="data:image/png;base64,', html)) == 3
    sheet = pd.read_excel(xlsx_path, sheet_name="贡献率与拉动", header=1)
    corridor_row = sheet[sheet["单元"] == "走廊"].iloc[0]
    assert corridor_row["贡献率 (比值)"] == pytest.approx(40 / 60)


def test_corridor_job_city_fell(engine, tmp_path) -> None:
    load_two_zone_city(engine)
    result = run_corridor_report(engine, year=2020, out_dir=tmp_path)
    t = read(engine, "corridor_contribution").set_index("unit")
    assert pd.isna(t.loc["corridor", "contribution"])
    assert t.loc["city", "increment_real_wan"] == pytest.approx(-55)  # 560 → 505
    assert result["headline"]["contribution 贡献率"] == "全市未增长, 不计算"
    assert result["headline"]["contribution target 贡献率目标"] == "无法评价"
    html = result["outputs"][0].read_text(encoding="utf-8")
    assert "比上年下降" in html
    assert "贡献率不计算" in html
    # No contribution percentage anywhere in the contribution table.
    table = html.split('id="contribution"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        assert cells[10].strip() == "—"  # 贡献率 column
    # Two charts only: no contribution chart without a city increment.
    assert html.count('<img class="chart"') == 2


def test_member_list_overrides_geometry(engine, tmp_path) -> None:
    load_two_zone_city(engine)
    cfg = tmp_path / "city.toml"
    cfg.write_text('[corridor]\nmembers = ["B"]\n', encoding="utf-8")
    run_corridor_report(engine, year=2019, config=cfg)
    members = read(engine, "corridor_zone")
    assert members[["zone_code", "member_by"]].values.tolist() == [["B", "list"]]
    t = read(engine, "corridor_contribution").set_index("unit")
    assert t.loc["corridor", "contribution"] == pytest.approx(20 / 60)  # zone B's +20
    cfg.write_text('[corridor]\nmembers = ["NOPE"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="NOPE"):
        run_corridor_report(engine, year=2019, config=cfg)


@pytest.mark.postgis
def test_postgis_engine_gives_the_same_members(pg_url) -> None:
    """The corridor point-in-polygon runs inside PostgreSQL with --engine postgis."""
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.spatial import engine_context

    eng = make_engine(pg_url)
    init_db(eng)
    load_two_zone_city(eng)
    with engine_context("postgis", db=eng):
        result = run_corridor_report(eng, year=2019)
    members = read(eng, "corridor_zone")
    eng.dispose()
    assert members["zone_code"].tolist() == ["A"]
    assert result["headline"]["parcels inside 走廊内宗地"] == 1
    assert result["headline"]["contribution 贡献率"] == "66.67%"


def test_growth_without_a_deflator_is_called_nominal(engine, tmp_path) -> None:
    """Data gaps: no ``[corridor.deflator]`` for 2019 (the shipped table is empty) → the
    growth is the nominal growth and every output says "现价 (未配置价格指数)", never
    可比价; with a deflator configured it is comparable and says so."""
    from devzone.policy import load_policy, replace

    load_two_zone_city(engine)
    nominal = "现价 (未配置价格指数)"
    result = run_corridor_report(engine, year=2019, out_dir=tmp_path / "a")
    head = result["headline"]
    assert head["price basis 价格口径"] == nominal
    assert f"corridor growth 走廊增速 ({nominal})" in head
    html = result["outputs"][0].read_text(encoding="utf-8")
    verdict = html.split('id="verdict"')[1].split("</div>")[0]
    assert f"走廊规上工业增加值{nominal}增速" in verdict
    assert "可比价" not in verdict
    assert 'id="price-basis"' in html
    assert "不是可比价" in html
    table = html.split('id="contribution"')[1].split("</table>")[0]
    assert f"{nominal}增速" in table
    assert "可比价增速" not in table
    t = read(engine, "corridor_contribution")
    assert t["note"].str.contains(nominal, regex=False).all()
    sheet = pd.read_excel(result["outputs"][1], sheet_name="贡献率与拉动", header=1)
    assert f"{nominal}增速 (比值)" in sheet.columns

    pol = load_policy()
    pol = replace(pol, corridor=replace(pol.corridor, deflator={"2019": 1.0}))
    result = run_corridor_report(engine, year=2019, policy=pol, out_dir=tmp_path / "b")
    assert result["headline"]["price basis 价格口径"] == "可比价"
    html = result["outputs"][0].read_text(encoding="utf-8")
    assert "走廊规上工业增加值可比价增速" in html
    assert "不是可比价" not in html
