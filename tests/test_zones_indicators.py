"""Zone indicators (TD/T 1029) for a tiny hand-drawn zone, through the database.

The zone Z1 has an approved area of 10 ha (the A+B denominator) and four parcels:

======  ========  ==========  =========  ============================  ============
parcel  area m²   contract    use        buildings (footprint/floor)  other
======  ========  ==========  =========  ============================  ============
P1      20 000    S1 (2018)   工业用地   8 000 / 16 000, completed     invest 6000
P2      10 000    S2 (2018)   工业用地   none                          idle_fee 40
P3      10 000    S3 (2018)   住宅用地   3 000 / 9 000, completed
P4      10 000    none        工业用地   none                          (B21)
======  ========  ==========  =========  ============================  ============

So A = P1+P3 = 3 ha, A2 = P1 = 2 ha (30 亩), A1 = P3 = 1 ha, B21 (not built: P2 and
P4) = 2 ha, D = P1+P2+P3 = 4 ha, G = P2 = 1 ha. Firm F1 on P1 pays 600 万元 tax, F2 on P3 150.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, delete

from devzone.db.admin import all_tables
from devzone.db.bulk import insert_rows
from devzone.db.io import read, table_of
from devzone.jobs.zones import run_zone_rank
from devzone.units import M2_PER_HA, SRID


def seed(engine: Engine, name: str, frame: pd.DataFrame) -> None:
    """Replace table ``name``'s rows with test data (the frame's columns the table has;
    ``geom`` as shapely geometries in EPSG:4490)."""
    table = table_of(name)
    geoms = np.asarray(frame["geom"].to_numpy(), dtype=object) if "geom" in frame else None
    all_tables().create_all(engine, tables=[table], checkfirst=True)
    with engine.begin() as conn:
        conn.execute(delete(table))
        insert_rows(conn, table, frame.drop(columns=["geom"], errors="ignore"), geoms)


def _mp(x0: float, y0: float, dx: float, dy: float) -> MultiPolygon:
    return MultiPolygon([box(x0, y0, x0 + dx, y0 + dy)])


def load_tiny_zone(engine, *, supply_extra=None, building_extra=None) -> None:
    """Write the hand-drawn zone of the module docstring into ``engine`` (with the extra
    ``land_supply`` / ``building`` columns given, column → values)."""
    seed(
        engine,
        "dev_zone",
        pd.DataFrame(
            {
                "zone_code": ["Z1"],
                "name": ["手绘开发区"],
                "approved_area_ha": [10.0],
                "lead_industry": ["汽车零部件"],
                "main_industries": ["装备制造、建材"],
                "geom": [_mp(116.50, 31.70, 0.02, 0.02)],
            }
        ),
    )
    seed(
        engine,
        "land_supply",
        pd.DataFrame(
            {
                "supervision_no": ["S1", "S2", "S3"],
                "parcel_code": ["P1", "P2", "P3"],
                "land_use": ["工业用地", "工业用地", "住宅用地"],
                "industry_code": ["3670", "3411", None],
                "price_wan": [600.0, 200.0, 500.0],
                "contract_date": [dt.date(2018, 1, 5)] * 3,
                "agreed_start_date": [dt.date(2018, 6, 1)] * 3,
                "actual_completion_date": [dt.date(2018, 12, 1), None, dt.date(2018, 10, 1)],
                **(supply_extra or {}),
            }
        ),
    )
    seed(
        engine,
        "parcel",
        pd.DataFrame(
            {
                "parcel_code": ["P1", "P2", "P3", "P4"],
                "supervision_no": ["S1", "S2", "S3", None],
                "zone_code": ["Z1"] * 4,
                "area_m2": [20000.0, 10000.0, 10000.0, 10000.0],
                "land_use": ["工业用地", "工业用地", "住宅用地", "工业用地"],
                "geom": [
                    _mp(116.501, 31.701, 0.002, 0.001),
                    _mp(116.504, 31.701, 0.001, 0.001),
                    _mp(116.506, 31.701, 0.001, 0.001),
                    _mp(116.508, 31.701, 0.001, 0.001),
                ],
            }
        ),
    )
    seed(
        engine,
        "building",
        pd.DataFrame(
            {
                "building_code": ["B1", "B2", "B3"],
                "parcel_code": ["P1", "P1", "P3"],
                "floors": [2, 2, 3],
                "footprint_m2": [5000.0, 3000.0, 3000.0],
                "floor_area_m2": [10000.0, 6000.0, 9000.0],
                "use": ["生产", "仓储", "住宅"],
                **(building_extra or {}),
            }
        ),
    )
    seed(
        engine,
        "project_progress",
        pd.DataFrame(
            {
                "project_key": ["S1"],
                "supervision_no": ["S1"],
                "parcel_code": ["P1"],
                "report_date": [dt.date(2019, 6, 30)],
                "invested_wan": [6000.0],
            }
        ),
    )
    seed(
        engine,
        "enterprise",
        pd.DataFrame(
            {
                "credit_code": ["F1", "F2"],
                "name": ["甲公司(合成)", "乙公司(合成)"],
                "industry_code": ["3670", "7010"],
            }
        ),
    )
    seed(
        engine,
        "enterprise_indicator",
        pd.DataFrame(
            {
                "credit_code": ["F1", "F2"],
                "year": [2019, 2019],
                "is_above_scale": [True, False],
                "tax_wan": [600.0, 150.0],
                "value_added_wan": [3000.0, 0.0],
                "industry_code": ["3670", "7010"],
            }
        ),
    )
    seed(
        engine,
        "parcel_enterprise",
        pd.DataFrame(
            {
                "parcel_code": ["P1", "P3"],
                "credit_code": ["F1", "F2"],
                "used_area_m2": [20000.0, 10000.0],
            }
        ),
    )
    seed(
        engine,
        "parcel_idle_status",
        pd.DataFrame(
            {
                "as_of_date": [dt.date(2019, 12, 31)] * 3,
                "parcel_code": ["P1", "P2", "P3"],
                "zone_code": ["Z1"] * 3,
                "status": ["completed", "idle_fee", "completed"],
                "idle_fee_wan": [0.0, 40.0, 0.0],
            }
        ),
    )


def test_tiny_zone_indicators(engine, tmp_path) -> None:
    load_tiny_zone(engine)
    result = run_zone_rank(engine, year=2019, out_dir=tmp_path)
    ev = read(engine, "zone_evaluation")
    assert len(ev) == 1
    z = ev.iloc[0]
    assert z["year"] == 2019
    assert z["area_basis"] == "approved"
    # Areas in ha: A+B 10 (approved), A 3, A1 1, A2 2, B21 2, D 4, G 1.
    assert z[["area_total_ha", "area_a_ha", "area_a1_ha", "area_a2_ha"]].tolist() == (
        pytest.approx([10.0, 3.0, 1.0, 2.0])
    )
    assert z[["area_b21_ha", "area_d_ha", "area_g_ha"]].tolist() == pytest.approx([2, 4, 1])
    assert z["development_rate"] == pytest.approx(0.5)  # (A + B21) / (A+B) = (3 + 2) / 10
    assert z["supply_rate"] == pytest.approx(0.8)  # D / (A + B21) = 4 / 5
    assert z["built_rate"] == pytest.approx(0.75)  # A / D = 3 / 4
    assert z["industrial_land_rate"] == pytest.approx(2 / 3)  # A2 / A = 2 / 3
    assert z["far"] == pytest.approx(25000 / 30000)  # (16000 + 9000) m² / 3 ha
    assert z["building_density"] == pytest.approx(11000 / 30000)  # (8000 + 3000) / 30000
    assert z["industrial_far"] == pytest.approx(0.8)  # 16000 / 20000
    assert z["industrial_building_coefficient"] == pytest.approx(0.4)  # 8000 / 20000
    assert z["invest_intensity_wan_per_mu"] == pytest.approx(200.0)  # 6000 万元 / 30 亩
    assert z["industrial_tax_per_mu_wan"] == pytest.approx(20.0)  # 600 / 30 亩
    assert z["tax_per_mu_wan"] == pytest.approx(750 / 45)  # (600 + 150) / (3 ha × 15)
    assert z["idle_rate"] == pytest.approx(0.25)  # G / D = 1 / 4
    assert z["idle_fee_wan"] == pytest.approx(40.0)
    # A2/A = 67% > 30% but A1/A = 33% ≥ 25% → 产城融合型.
    assert z["zone_type"] == "产城融合型"
    assert z["rank"] == 1
    # Composite under the shipped default weights (zones.toml): per-indicator scores
    # dev .5, supply .8, built .75, ind. FAR .8/1.2, coeff .4/.6, invest 200/300,
    # tax 20/30, idle (0.25 − 0.10)/(0 − 0.10) → clipped 0; weights 10,10,10,15,10,15,20,10.
    expected = (
        (
            10 * 0.5
            + 10 * 0.8
            + 10 * 0.75
            + 15 * (0.8 / 1.2)
            + 10 * (0.4 / 0.6)
            + 15 * (200 / 300)
            + 20 * (20 / 30)
            + 10 * 0
        )
        / 100
        * 100
    )
    assert z["score"] == pytest.approx(expected)
    # Industry fit: P1 (3670) is the lead 汽车零部件; P2 (3411) main 装备制造; P3 has no
    # contract code and its firm's 7010 (real estate) fits neither → misfit; P4 unknown.
    fit = read(engine, "parcel_industry_fit").set_index("parcel_code")["fit"]
    assert fit.to_dict() == {"P1": "lead", "P2": "main", "P3": "misfit", "P4": "unknown"}
    assert [p.suffix for p in result["outputs"]] == [".html", ".xlsx"]
    html = result["outputs"][0].read_text(encoding="utf-8")
    assert "手绘开发区" in html
    assert "25.00%" in html


def test_year_before_contracts_is_unsupplied(engine) -> None:
    """In 2017 no contract was signed yet: D = 0, so the supply-based rates are empty."""
    load_tiny_zone(engine)
    run_zone_rank(engine, year=2017)
    z = read(engine, "zone_evaluation").iloc[0]
    assert z["area_d_ha"] == 0
    assert z["area_b21_ha"] == pytest.approx(5.0)  # all four parcels: 2 + 1 + 1 + 1 ha
    assert pd.isna(z["built_rate"])  # A / D with D = 0
    # No idle snapshot on or before 2017-12-31: idle rate unknown, not 0.
    assert pd.isna(z["idle_rate"])
    assert "idle_rate" in z["note"] or "闲置" in z["note"]


def test_boundary_area_when_no_approved_area(engine) -> None:
    load_tiny_zone(engine)
    zones = read(engine, "dev_zone")
    seed(
        engine,
        "dev_zone",
        pd.DataFrame(
            {
                "zone_code": zones["zone_code"],
                "name": zones["name"],
                "approved_area_ha": [None],
                "lead_industry": zones["lead_industry"],
                "main_industries": zones["main_industries"],
                "geom": [zones.geometry.iloc[0]],
            }
        ),
    )
    run_zone_rank(engine, year=2019)
    z = read(engine, "zone_evaluation").iloc[0]
    measured = gpd.GeoSeries([box(116.50, 31.70, 116.52, 31.72)], crs=SRID).to_crs(4548).area
    assert z["area_basis"] == "boundary"
    assert z["area_total_ha"] == pytest.approx(measured.iloc[0] / M2_PER_HA)


def test_cli_rank_and_list(engine, db_url, tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from devzone.cli.main import app

    load_tiny_zone(engine)
    runner = CliRunner()
    out = tmp_path / "reports"
    result = runner.invoke(app, ["zones", "rank", "--year", "2019", "--db", db_url,
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "手绘开发区 (60.5)" in result.output
    assert (out / "开发区排名_2019.xlsx").exists()
    listed = runner.invoke(app, ["zones", "list", "--db", db_url, "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert rows[0]["zone_code"] == "Z1"
    assert rows[0]["ok"] is True


def test_zone_floor_area_counts_tall_storeys_double() -> None:
    """Zone FAR uses the same 计容 floor area as the parcel intensity (国土资发〔2008〕24号).

    P1: a 1-storey, 12 m workshop of 1 000 m² (storey 12 m > 8 m → counts 2 000 m²) and a
    4-storey 16 m office of 4 000 m² (4 m storeys → 4 000 m²): 6 000 m² counted.
    """
    from devzone.policy import load_policy
    from devzone.zones.indicators import _building_sums

    buildings = pd.DataFrame(
        {
            "parcel_code": ["P1", "P1"],
            "floors": [1, 4],
            "height_m": [12.0, 16.0],
            "floor_area_m2": [1000.0, 4000.0],
            "footprint_m2": [1000.0, 1000.0],
            "use": ["生产", "行政办公"],
        }
    )
    sums = _building_sums(buildings, intensity=load_policy().intensity, area_crs="EPSG:4548")
    assert sums.loc["P1", "floor_area_m2"] == pytest.approx(2000.0 + 4000.0)
    assert sums.loc["P1", "footprint_m2"] == pytest.approx(2000.0)


def test_rank_report_says_when_charts_are_missing(engine, tmp_path, monkeypatch) -> None:
    """No CJK font on the machine: the report says why it has no chart (not silently)."""
    import devzone.reports.zone_reports as report

    monkeypatch.setattr(report, "cjk_font", lambda: None)
    load_tiny_zone(engine)
    html = run_zone_rank(engine, year=2019, out_dir=tmp_path)["outputs"][0].read_text("utf-8")
    assert "未找到中文字体" in html
    assert '<img class="chart"' not in html


def test_cli_prints_bracketed_names_verbatim(engine, db_url, tmp_path) -> None:
    """Zone names are data, not Rich markup: '[/]' neither crashes nor disappears."""
    from typer.testing import CliRunner

    from devzone.cli.main import app

    load_tiny_zone(engine)
    zones = read(engine, "dev_zone")
    seed(
        engine,
        "dev_zone",
        pd.DataFrame(
            {
                "zone_code": zones["zone_code"],
                "name": ["手绘[east]开发区[/]"],
                "approved_area_ha": zones["approved_area_ha"],
                "lead_industry": zones["lead_industry"],
                "main_industries": zones["main_industries"],
                "geom": [zones.geometry.iloc[0]],
            }
        ),
    )
    runner = CliRunner()
    listed = runner.invoke(app, ["zones", "list", "--db", db_url])
    assert listed.exit_code == 0, listed.output
    assert "[east]" in listed.output
    ranked = runner.invoke(app, ["zones", "rank", "--year", "2019", "--db", db_url])
    assert ranked.exit_code == 0, ranked.output
    assert "手绘[east]开发区[/] (60.5)" in ranked.output


def test_city_intensity_config_moves_parcel_zone_and_idle_far_together(engine, tmp_path) -> None:
    """Issue 13 item 4: one ``--config`` is seen by every analysis.

    P1's two buildings are 2 storeys in 9 m (4.5 m storeys) with 10 000 + 6 000 m² floor
    area on 20 000 m² (agreed FAR ≥ 1.0). Shipped rule (a storey over 8 m counts double):
    16 000 / 20 000 = 0.8 everywhere. A city whose limit is 4.0 m counts both double:
    32 000 / 20 000 = 1.6 — for the parcel (score), the zone's industrial FAR (zones
    rank, P1 is the only A2 parcel) and the idle 用而未尽 FAR (idle) alike.
    """
    from devzone.jobs.idle import run_idle
    from devzone.jobs.score import run_score

    load_tiny_zone(
        engine,
        supply_extra={"far_min": [1.0, None, None]},
        building_extra={"height_m": [9.0, 9.0, 9.0]},
    )
    city = tmp_path / "city.toml"
    city.write_text("[intensity]\ndouble_storey_height_m = 4.0\n", encoding="utf-8")

    def fars(config) -> tuple[float, float, float]:
        run_score(engine, year=2019, config=config)
        run_zone_rank(engine, year=2019, config=config)
        run_idle(engine, as_of=dt.date(2019, 12, 31), config=config)
        parcel = read(engine, "parcel_intensity").set_index("parcel_code").loc["P1", "far"]
        zone = read(engine, "zone_evaluation").iloc[0]["industrial_far"]
        idle = read(engine, "parcel_idle_status").set_index("parcel_code").loc["P1", "far"]
        return float(parcel), float(zone), float(idle)

    assert fars(None) == pytest.approx((0.8, 0.8, 0.8))
    assert fars(city) == pytest.approx((1.6, 1.6, 1.6))


def test_zone_aggregates_over_covered_land_with_coverage(engine) -> None:
    """Data gaps: every zone aggregate is computed over the land that has the data.

    P2 (1 ha, 工业用地) is now completed too, but has no buildings, no progress record, no
    commitment and no firm. So A2 = P1 + P2 = 3 ha, A = P1 + P2 + P3 = 4 ha, and:
    * investment 6000 万元 over the covered A2 land P1 (2 ha = 30 亩) = 200 万元/亩
      (not 6000 / 45 亩 = 133.3), coverage 2/3 < 80 % → flagged;
    * industrial FAR 16 000 / 20 000 = 0.8 over P1 (not 16 000 / 30 000), coverage 2/3;
    * 工业地均税收 600 / 30 亩 = 20; 综合地均税收 (600 + 150) / (P1 + P3 = 45 亩) = 16.67,
      tax coverage 3/4.
    """
    done = [dt.date(2018, 12, 1), dt.date(2018, 12, 1), dt.date(2018, 10, 1)]
    load_tiny_zone(engine, supply_extra={"actual_completion_date": done})
    run_zone_rank(engine, year=2019)
    z = read(engine, "zone_evaluation").iloc[0]
    assert z["area_a2_ha"] == pytest.approx(3.0)
    assert z["invest_intensity_wan_per_mu"] == pytest.approx(6000 / 30)
    assert z["invest_coverage"] == pytest.approx(2 / 3)
    assert z["industrial_far"] == pytest.approx(0.8)
    assert z["industrial_building_coverage"] == pytest.approx(2 / 3)
    assert z["industrial_tax_per_mu_wan"] == pytest.approx(20.0)
    assert z["industrial_tax_coverage"] == pytest.approx(2 / 3)
    assert z["tax_per_mu_wan"] == pytest.approx(750 / 45)
    assert z["tax_coverage"] == pytest.approx(0.75)
    assert z["building_coverage"] == pytest.approx(0.75)
    assert "数据覆盖率低于 80%" in z["note"]
    assert "投资数据覆盖率 (工业用地) 67%" in z["note"]


def _drop(engine, *names: str) -> None:
    for name in names:
        seed(engine, name, pd.DataFrame())


def test_rank_with_missing_indicators_renormalises_and_says_so(engine, db_url, tmp_path) -> None:
    """Data gaps: no enterprise indicators → the tax indicator is missing, not 0.

    Known (weights): development .5 (10), supply .8 (10), built .75 (10), industrial FAR
    0.8/1.2 (15), coefficient 0.4/0.6 (10), investment 200/300 (15), idle 0 (10) = 80 of
    100; 工业地均税收 (20) is left out and the weights renormalised:
    (5 + 8 + 7.5 + 10 + 6.667 + 10 + 0) / 80 × 100 = 58.96.
    """
    from typer.testing import CliRunner

    from devzone.cli.main import app

    load_tiny_zone(engine)
    _drop(engine, "enterprise_indicator")
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        app, ["zones", "rank", "--year", "2019", "--db", db_url, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    z = read(engine, "zone_evaluation").iloc[0]
    expected = (5 + 8 + 7.5 + 15 * 0.8 / 1.2 + 10 * 0.4 / 0.6 + 15 * 200 / 300 + 0) / 80 * 100
    assert z["score"] == pytest.approx(expected)
    assert z["known_weight_share"] == pytest.approx(0.8)
    assert pd.isna(z["industrial_tax_per_mu_wan"])  # missing, not 0
    assert z["missing_indicators"] == "工业用地地均税收 (万元/亩)"
    assert z["rank"] == 1
    assert "缺失指标" in result.output
    assert "工业用地地均税收" in result.output
    html = (out / "开发区排名_2019.html").read_text(encoding="utf-8")
    assert "权重按其余 80% 重新归一" in html


def test_rank_without_indicators_or_buildings_shows_gaps_and_does_not_rank(
    engine, db_url, tmp_path
) -> None:
    """Acceptance: supply, parcels and zones only (no indicators, buildings, progress,
    idle ledger). Known: development, supply and built rates = 30 of 100 weight < the
    50 % of ``[zones] min_known_weight_share`` → the zone is shown with "—" for the
    missing indicators but not scored or ranked, and the console says which are missing
    and that it is not ranked (exit 0: the report itself is the answer)."""
    from typer.testing import CliRunner

    from devzone.cli.main import app

    load_tiny_zone(engine)
    _drop(engine, "enterprise_indicator", "building", "project_progress", "parcel_idle_status")
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        app, ["zones", "rank", "--year", "2019", "--db", db_url, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    z = read(engine, "zone_evaluation").iloc[0]
    assert pd.isna(z["score"])
    assert pd.isna(z["rank"])
    assert z["known_weight_share"] == pytest.approx(0.3)
    for col in ("far", "industrial_far", "invest_intensity_wan_per_mu", "tax_per_mu_wan"):
        assert pd.isna(z[col]), col  # never computed as 0
    assert z["building_coverage"] == 0.0
    assert z["development_rate"] == pytest.approx(0.5)  # land classes are still known
    assert "not ranked 数据不足未排名: 手绘开发区" in result.output
    for name in ("工业用地综合容积率", "工业用地固定资产投入强度", "土地闲置率"):
        assert name in result.output
    html = (out / "开发区排名_2019.html").read_text(encoding="utf-8")
    assert "不计分、不排名" in html
    assert "<td>—" in html


def test_built_land_is_completed_land() -> None:
    """Choice: 已建成 (TD/T 1029 A) = completed on or before 31 December of the year.

    P1 completed on 2019-12-31 → built in 2019. P2 started 2019-03-01 with 4000 m² of
    footprints standing but completes 2020-01-01 → not built in 2019 (B21), built in
    2020. P3 has footprints and no completion date → not built.
    """
    from devzone.policy import load_policy
    from devzone.zones.indicators import classify_parcels

    pol = load_policy()
    parcels = pd.DataFrame(
        {
            "parcel_code": ["P1", "P2", "P3"],
            "zone_code": ["Z"] * 3,
            "area_m2": [10000.0] * 3,
            "supervision_no": ["S1", "S2", "S3"],
            "land_use": ["工业用地"] * 3,
            "actual_start_date": ["2018-03-01", "2019-03-01", "2018-05-01"],
            "actual_completion_date": ["2019-12-31", "2020-01-01", None],
        }
    )
    buildings = pd.DataFrame(
        {
            "parcel_code": ["P1", "P2", "P3"],
            "floors": [1, 1, 1],
            "footprint_m2": [4000.0] * 3,
            "floor_area_m2": [4000.0] * 3,
            "use": ["生产"] * 3,
        }
    )
    kw = {"policy": pol.zones, "intensity": pol.intensity}
    y2019 = classify_parcels(parcels, buildings, year=2019, **kw)
    assert y2019["built"].tolist() == [True, False, False]
    assert y2019["ready"].tolist() == [False, True, True]
    y2020 = classify_parcels(parcels, buildings, year=2020, **kw)
    assert y2020["built"].tolist() == [True, True, False]
