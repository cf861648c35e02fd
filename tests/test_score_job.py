"""``devzone score`` end to end on a small hand-built database, on GeoPackage and PostGIS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, box

from devzone.db.bulk import insert_rows
from devzone.db.io import read, table_of
from devzone.jobs.score import run_score
from devzone.paths import data_path
from devzone.units import M2_PER_MU as MU

DEVZONE = str(Path(sys.executable).with_name("devzone"))
FIRMS = ["A", "B", "C", "D", "E"]


def _code(letter: str) -> str:
    return f"91341500MA2T{letter}0000X"  # fictional, shape only


def _square(i: int) -> MultiPolygon:
    x = 116.50 + 0.01 * i
    return MultiPolygon([box(x, 31.75, x + 0.005, 31.755)])


def insert(engine, name: str, df: pd.DataFrame) -> None:
    """Insert input rows (``geom`` as shapely geometries) the way the ETL does."""
    geoms = np.asarray(df["geom"], dtype=object) if "geom" in df else None
    with engine.begin() as conn:
        insert_rows(conn, table_of(name), df.drop(columns=["geom"], errors="ignore"), geoms)


def build_db(engine) -> None:
    """Five 规上 firms on 10 亩 each (E started production in 2018) and one empty parcel.

    2019 tax/亩: A 40, B 30, C 20, D 10 (E 100); revenue/亩: A 100, B 200, C 300, D 400.
    """
    codes = [f"P{f}" for f in FIRMS] + ["PX"]
    insert(
        engine,
        "dev_zone",
        pd.DataFrame({"zone_code": ["Z1"], "name": ["虚构开发区"], "district_code": ["341502"]}),
    )
    insert(
        engine,
        "parcel",
        pd.DataFrame(
            {
                "parcel_code": codes,
                "supervision_no": [f"S{c}" for c in codes],
                "zone_code": "Z1",
                "area_m2": 10 * MU,
                "geom": [_square(i) for i in range(len(codes))],
            }
        ),
    )
    insert(
        engine,
        "land_supply",
        pd.DataFrame(
            {
                "supervision_no": [f"S{c}" for c in codes],
                "parcel_code": codes,
                "industry_code": "C3311",
            }
        ),
    )
    insert(
        engine,
        "enterprise",
        pd.DataFrame(
            {
                "credit_code": [_code(f) for f in FIRMS],
                "name": [f"虚构{f}制造有限公司" for f in FIRMS],
                "is_above_scale": True,
                "production_start_year": [2010, 2011, 2012, 2013, 2018],
            }
        ),
    )
    insert(
        engine,
        "parcel_enterprise",
        pd.DataFrame(
            {"parcel_code": [f"P{f}" for f in FIRMS], "credit_code": [_code(f) for f in FIRMS]}
        ),
    )
    tax = {"A": 400, "B": 300, "C": 200, "D": 100, "E": 1000}
    rev = {"A": 1000, "B": 2000, "C": 3000, "D": 4000, "E": 1000}
    rows = [
        {
            "credit_code": _code(f),
            "year": 2019,
            "is_above_scale": True,
            "tax_wan": tax[f],
            "revenue_wan": rev[f],
        }
        for f in FIRMS
    ]
    # 2018: A tax/亩 10, revenue/亩 100; B 40 and 400 → means 25, 250:
    # A 45×0.4 + 20×0.4 = 26 (rank 2/2 → D), B 45×1.6 + 20×1.6 = 104 (1/2 → B).
    rows += [
        {
            "credit_code": _code("A"),
            "year": 2018,
            "is_above_scale": True,
            "tax_wan": 100,
            "revenue_wan": 1000,
        },
        {
            "credit_code": _code("B"),
            "year": 2018,
            "is_above_scale": True,
            "tax_wan": 400,
            "revenue_wan": 4000,
        },
    ]
    insert(engine, "enterprise_indicator", pd.DataFrame(rows))
    # One single-storey 10 m workshop on PA: 2000 m² counted double → 4000 m².
    insert(
        engine,
        "building",
        pd.DataFrame(
            {
                "building_code": ["B1"],
                "parcel_code": ["PA"],
                "floors": [1],
                "height_m": [10.0],
                "floor_area_m2": [2000.0],
                "footprint_m2": [2000.0],
                "use": ["生产"],
            }
        ),
    )


def test_run_score_writes_tables_and_workbook(engine, tmp_path: Path) -> None:
    build_db(engine)
    out = tmp_path / "score.xlsx"
    result = run_score(engine, year=2019, out_xlsx=out)
    assert result["outputs"] == [out]
    assert result["headline"]["A/B/C/D/T"] == "1/1/1/1/1"

    ev = read(engine, "enterprise_evaluation").set_index("credit_code")
    assert len(ev) == 5
    # Benchmarks over A–D (E is T): tax/亩 (40+30+20+10)/4 = 25, revenue/亩 250.
    # A 45×40/25 + 20×100/250 = 72 + 8 = 80; B 54 + 16 = 70; C 36 + 24 = 60; D 18 + 32 = 50.
    scores = ev.loc[[_code(f) for f in "ABCD"], "score"].tolist()
    assert scores == pytest.approx([80.0, 70.0, 60.0, 50.0])
    # n = 4: ranks 1..4 → 0.25 A, 0.5 B, 0.75 C, 1.0 D; E (2019 − 2018 < 3 years) → T.
    grades = ev.loc[[_code(f) for f in FIRMS], "grade"].tolist()
    assert grades == ["A", "B", "C", "D", "T"]
    assert ev.loc[_code("A"), "zone_rank"] == 1
    assert ev.loc[_code("A"), "land_mu"] == pytest.approx(10.0)

    pp = read(engine, "parcel_performance").set_index("parcel_code")
    assert pp.loc["PX", "grade"] == "none"
    assert pp.loc["PX", "performance_note"] == "no_enterprise"
    assert pp.loc["PA", "grade"] == "A"

    pi = read(engine, "parcel_intensity").set_index("parcel_code")
    # PA: 4000 m² counted on 10 亩 = 6666.67 m² → FAR 0.6 < 0.7 (C3311 → 2002 code 34).
    assert pi.loc["PA", "far"] == pytest.approx(4000 / (10 * MU))
    assert not pi.loc["PA", "far_ok"]
    assert pi.loc["PA", "addable_floor_area_m2"] == pytest.approx(0.7 * 10 * MU - 4000)

    gc = read(engine, "grade_change").set_index("credit_code")
    # A: D in 2018 → A in 2019 = up; B: B → B = same; C, D: not graded in 2018 = new.
    assert gc.loc[_code("A"), "change"] == "up"
    assert gc.loc[_code("B"), "change"] == "same"
    assert gc.loc[_code("C"), "change"] == "new"

    # Re-running replaces the year's rows instead of adding to them.
    run_score(engine, year=2019)
    assert len(read(engine, "enterprise_evaluation")) == 5
    assert len(read(engine, "parcel_intensity")) == 6

    wb = openpyxl.load_workbook(out)
    assert {"企业评价", "宗地效益", "宗地集约", "企业排行榜", "等级变化", "说明"} <= set(
        wb.sheetnames
    )
    ws = wb["企业评价"]
    headers = [c.value for c in ws[2]]  # row 1 is the sheet's note
    assert "亩均税收 (万元/亩)" in headers
    assert "综合得分 (分)" in headers
    assert ws.freeze_panes == "A3"
    score_col = headers.index("综合得分 (分)")
    first = list(ws[3])
    assert first[score_col].data_type == "n"
    assert first[score_col].value == pytest.approx(80.0)
    assert first[headers.index("评价组别")].value == "规上"
    ws = wb["宗地集约"]
    headers = [c.value for c in ws[2]]
    assert "容积率" in headers
    assert "可增建筑面积 (平方米)" in headers


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DEVZONE, "score", *args], capture_output=True, text=True)


def test_changed_weight_in_copied_config_changes_grades(engine, db_url, tmp_path) -> None:
    build_db(engine)
    text = data_path("policy", "performance.toml").read_text(encoding="utf-8")
    assert "tax_per_mu_wan = 45.0" in text
    city = tmp_path / "city.toml"
    city.write_text(text.replace("tax_per_mu_wan = 45.0", "tax_per_mu_wan = 10.0", 1), "utf-8")
    res = _cli(
        "--year",
        "2019",
        "--db",
        db_url,
        "--config",
        str(city),
        "--out",
        str(tmp_path / "city.xlsx"),
    )
    assert res.returncode == 0, res.stderr
    ev = read(engine, "enterprise_evaluation").set_index("credit_code")
    # Tax weight 10: A 10×1.6 + 8 = 24; B 12 + 16 = 28; C 8 + 24 = 32; D 4 + 32 = 36
    # → the order flips: D is now A, C B, B C, A D.
    assert ev.loc[_code("A"), "score"] == pytest.approx(24.0)
    grades = ev.loc[[_code(f) for f in "ABCD"], "grade"].tolist()
    assert grades == ["D", "C", "B", "A"]

    # The what-if against the default weights counts all four moves.
    what_if = tmp_path / "what_if.toml"
    what_if.write_text("[performance.weights.above]\ntax_per_mu_wan = 10.0\n", "utf-8")
    res = _cli(
        "--year",
        "2019",
        "--db",
        db_url,
        "--what-if",
        str(what_if),
        "--out",
        str(tmp_path / "default.xlsx"),
    )
    assert res.returncode == 0, res.stderr
    assert "what-if grade changes: 4" in res.stdout
    wb = openpyxl.load_workbook(tmp_path / "default.xlsx")
    assert wb["情景对比"].max_row == 2 + 4  # note, header, four firms


def test_bad_input_is_one_paragraph_without_traceback(tmp_path) -> None:
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine

    db = tmp_path / "x.gpkg"
    res = _cli("--year", "19", "--db", str(db))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr + res.stdout
    assert "--year" in res.stderr
    eng = make_engine(str(db), create=True)
    init_db(eng)
    eng.dispose()
    res = _cli("--year", "2019", "--db", str(db))  # empty database
    assert res.returncode == 2
    assert "no parcels" in res.stderr
    eng = make_engine(str(db))
    build_db(eng)
    eng.dispose()
    res = _cli("--year", "2015", "--db", str(db))  # a year without indicators
    assert res.returncode == 2
    assert "years loaded: 2018, 2019" in " ".join(res.stderr.split())
    bad = tmp_path / "bad.toml"
    bad.write_text("[performance.scoring]\nmethod = 'median'\n", "utf-8")
    res = _cli("--year", "2019", "--db", str(db), "--config", str(bad))
    assert res.returncode == 2
    assert "Traceback" not in res.stderr + res.stdout
    # The typed policy names the file, the table and the key (and what it accepts).
    err = " ".join(res.stderr.split())
    assert "bad.toml" in err
    assert "[performance.scoring], key 'method'" in err
    assert "'benchmark_ratio'" in err
