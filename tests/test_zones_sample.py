"""Zone ranking and corridor report on the bundled sample, loaded through the ETL.

Checks the planted industry-fit cases of ``data/sample/manifest.csv`` and that the
figures in the reports are the database's: A/D shares recomputed here from
``enterprise_evaluation``, idle area from ``parcel_idle_status``, the corridor's
contribution from its zones' rows.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from devzone.db.admin import init_db
from devzone.db.engine import make_engine
from devzone.db.io import read
from devzone.paths import data_path

pytestmark = pytest.mark.slow

SAMPLE = data_path("sample")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory):
    from devzone.etl.load import load_paths
    from devzone.jobs.corridor import run_corridor_report
    from devzone.jobs.demo import sample_paths
    from devzone.jobs.idle import run_idle
    from devzone.jobs.score import run_score
    from devzone.jobs.zones import run_zone_rank

    tmp = tmp_path_factory.mktemp("sample")
    engine = make_engine(str(tmp / "landbase.gpkg"), create=True)
    init_db(engine)
    load_paths(engine, sample_paths(), kind="auto")
    run_score(engine, year=2019, out_xlsx=tmp / "score.xlsx")
    run_idle(engine, as_of=dt.date(2019, 12, 31), out_dir=tmp / "idle")
    rank = run_zone_rank(engine, year=2019, out_dir=tmp / "zones")
    corridor = run_corridor_report(engine, year=2019, out_dir=tmp / "corridor")
    yield engine, rank, corridor
    engine.dispose()


def test_planted_industry_fit_cases(sample_db) -> None:
    engine, _, _ = sample_db
    fit = read(engine, "parcel_industry_fit").set_index("parcel_code")["fit"]
    cases = pd.read_csv(SAMPLE / "manifest.csv", dtype=str)
    cases = cases[cases["analysis"] == "industry_fit"]
    assert len(cases) >= 3
    for case in cases.itertuples():
        assert fit[case.parcel_code] == case.expected, case.case


def test_zone_ranking_matches_the_database(sample_db) -> None:
    engine, rank, _ = sample_db
    ev = read(engine, "zone_evaluation").set_index("zone_code")
    assert len(ev) == 8
    assert ev["rank"].notna().all()
    # A/D shares: recount the graded firms of each zone.
    firms = read(engine, "enterprise_evaluation")
    graded = firms[(firms["year"] == 2019) & firms["grade"].isin(list("ABCD"))]
    share_a = (graded["grade"] == "A").groupby(graded["zone_code"]).mean()
    for zone, share in share_a.items():
        assert ev.at[zone, "share_grade_a"] == pytest.approx(share)
    # Idle area: the idle parcels of the 2019-12-31 ledger, in ha.
    idle = read(engine, "parcel_idle_status")
    parcels = read(engine, "parcel").set_index("parcel_code")["area_m2"]
    statuses = ["idle_fee", "idle_recover", "idle_stalled", "government_cause"]
    g = idle[idle["status"].isin(statuses)]
    g_ha = g["parcel_code"].map(parcels).groupby(g["zone_code"]).sum() / 1e4
    for zone, ha in g_ha.items():
        assert ev.at[zone, "area_g_ha"] == pytest.approx(ha)
    # The HTML shows the stored scores.
    html = rank["outputs"][0].read_text(encoding="utf-8")
    for name, score in zip(ev["zone_name"], ev["score"], strict=True):
        assert re.search(re.escape(name) + r"</td><td>" + f"{score:,.1f}", html)


def test_corridor_matches_its_zones(sample_db) -> None:
    engine, _, corridor = sample_db
    t = read(engine, "corridor_contribution")
    members = set(read(engine, "corridor_zone")["zone_code"])
    assert members  # the default axis buffer takes in some zones
    zones = t[t["unit"] == "zone"]
    corr = t[t["unit"] == "corridor"].iloc[0]
    inside = zones[zones["zone_code"].isin(members)]
    assert corr["increment_real_wan"] == pytest.approx(inside["increment_real_wan"].sum())
    if pd.notna(corr["contribution"]):
        assert corr["contribution"] == pytest.approx(inside["contribution"].sum())
        html = corridor["outputs"][0].read_text(encoding="utf-8")
        assert f"{corr['contribution'] * 100:.2f}%" in html


def test_sample_reports_show_coverage_and_price_basis(sample_db) -> None:
    """Acceptance: the demo's zone report prints the coverage under every aggregate that
    needs data beyond the land classes (7 per zone), and the corridor report states its
    price basis (the shipped [corridor.deflator] is empty: 现价, not 可比价)."""
    from devzone.zones.indicators import COVERAGE_OF

    engine, rank, corridor = sample_db
    ev = read(engine, "zone_evaluation")
    for col in set(COVERAGE_OF.values()):
        assert ev[col].between(0, 1).all(), col
    html = rank["outputs"][0].read_text(encoding="utf-8")
    table = html.split('id="indicators"')[1].split("</table>")[0]
    assert table.count('class="coverage"') == len(ev) * len(COVERAGE_OF)
    sheet = pd.read_excel(rank["outputs"][1], sheet_name="排名与指标", header=1)
    assert "投资数据覆盖率 (工业用地) (比值)" in sheet.columns
    chtml = corridor["outputs"][0].read_text(encoding="utf-8")
    assert 'id="price-basis"' in chtml
    assert "现价 (未配置价格指数)" in chtml
    assert corridor["headline"]["price basis 价格口径"] == "现价 (未配置价格指数)"
