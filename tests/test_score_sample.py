"""``devzone score --year 2019`` on the bundled sample: tables, workbook, manifest cases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from devzone.paths import SAMPLE_DIR

DEVZONE = str(Path(sys.executable).with_name("devzone"))
SAMPLE = SAMPLE_DIR

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scored_sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample loaded through the ETL into a GeoPackage, then scored by the CLI."""
    import pyogrio  # noqa: F401  (GDAL before spatialite, see devzone.jobs.score)

    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.etl.load import load_paths
    from devzone.jobs.demo import sample_paths

    folder = tmp_path_factory.mktemp("sample")
    db = folder / "landbase.gpkg"
    engine = make_engine(str(db), create=True)
    init_db(engine)
    load_paths(engine, sample_paths(), kind="auto", rejects=folder / "rejects.csv")
    engine.dispose()
    out = folder / "score.xlsx"
    res = subprocess.run(
        [DEVZONE, "score", "--year", "2019", "--db", str(db), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    return db, out


def _manifest(analysis: str) -> pd.DataFrame:
    m = pd.read_csv(SAMPLE / "manifest.csv", dtype=str, keep_default_na=False)
    return m[m["analysis"] == analysis]


def _same(got: object, expected: str) -> bool:
    if expected.lower() in ("true", "false"):
        return bool(got) == (expected.lower() == "true")
    try:
        return abs(float(got) - float(expected)) < 0.01
    except (TypeError, ValueError):
        return str(got) == expected


def test_sample_manifest_cases(scored_sample) -> None:
    from devzone.db.engine import make_engine
    from devzone.db.io import read

    db, _ = scored_sample
    engine = make_engine(str(db))
    ev = read(engine, "enterprise_evaluation")
    ev = ev[ev["year"] == 2019].set_index("credit_code")
    pp = read(engine, "parcel_performance")
    pp = pp[pp["year"] == 2019].set_index("parcel_code")
    pi = read(engine, "parcel_intensity").set_index("parcel_code")
    engine.dispose()
    perf, inten = _manifest("performance"), _manifest("intensity")
    assert len(perf)
    assert len(inten)
    problems = []
    for case in perf.itertuples():
        if case.credit_code and case.field in ev.columns:
            got = ev.loc[case.credit_code, case.field]
        else:
            got = pp.loc[case.parcel_code, case.field]
        if not _same(got, case.expected):
            problems.append(f"{case.case}: {case.field} = {got!r}, expected {case.expected}")
    for case in inten.itertuples():
        got = pi.loc[case.parcel_code, case.field]
        if not _same(got, case.expected):
            problems.append(f"{case.case}: {case.field} = {got!r}, expected {case.expected}")
    assert not problems, "\n".join(problems)
    # Every parcel is in the performance and intensity tables, none silently dropped.
    assert pp.index.is_unique
    assert len(pp) == len(pi)
    assert set(pp["grade"]) <= {"A", "B", "C", "D", "T", "none"}


def test_sample_workbook_is_readable_by_planners(scored_sample) -> None:
    _, xlsx = scored_sample
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["企业评价", "宗地效益", "宗地集约", "企业排行榜", "等级变化", "说明"]
    for name in wb.sheetnames[:-1]:
        ws = wb[name]
        assert ws.freeze_panes == "A3", name  # note row + header row frozen
        headers = [c.value for c in ws[2]]
        assert all(h and not h.isascii() for h in headers), (name, headers)
    ws = wb["企业评价"]
    headers = [c.value for c in ws[2]]
    for label in ("亩均税收 (万元/亩)", "用地面积 (亩)", "综合得分 (分)"):
        col = headers.index(label)
        values = [r[col].value for r in ws.iter_rows(min_row=3, max_row=60)]
        numbers = [v for v in values if v is not None]
        assert numbers, label
        assert all(isinstance(v, int | float) for v in numbers), label
    assert "合成数据" in " ".join(str(c.value) for c in wb["说明"]["B"])
