"""End to end: ``devzone demo`` on the bundled sample, and the sample manifest's cases.

The demo runs once per session (module-scoped fixture) into a temporary folder; the
tests then read its GeoPackage the way a planner's QGIS would (GDAL) and check every
planted case of ``data/sample/manifest.csv`` against the analysis result tables.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from devzone.paths import data_path

DEVZONE = str(Path(sys.executable).with_name("devzone"))
MANIFEST = data_path("sample", "manifest.csv")


@pytest.fixture(scope="module")
def demo_engine(demo_out: Path):
    from devzone.db.engine import make_engine

    eng = make_engine(str(demo_out / "landbase.gpkg"))
    yield eng
    eng.dispose()


def test_demo_geopackage_opens_in_gdal_with_the_sample(demo_out: Path) -> None:
    gpkg = demo_out / "landbase.gpkg"
    assert shutil.which("ogrinfo"), "gdal-bin missing"
    res = subprocess.run(["ogrinfo", "-so", "-al", str(gpkg)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "Warning" not in res.stderr, res.stderr

    def count(layer: str) -> int:
        block = res.stdout.split(f"Layer name: {layer}\n")[1]
        return int(block.split("Feature Count: ")[1].split("\n")[0])

    assert count("dev_zone") == 8
    assert count("parcel") >= 2000
    assert count("enterprise") >= 600


def test_gdal_reads_every_feature_without_warning(demo_out: Path) -> None:
    """Every value (dates, timestamps, booleans) is in the form GDAL expects."""
    res = subprocess.run(
        ["ogrinfo", "-al", "-q", "-geom=NO", str(demo_out / "landbase.gpkg")],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert "Warning" not in res.stderr, res.stderr[:2000]
    assert "OGRFeature(parcel)" in res.stdout


def test_demo_has_three_years_of_indicators(demo_engine) -> None:
    with demo_engine.connect() as conn:
        years = [
            r[0]
            for r in conn.execute(
                text("SELECT DISTINCT year FROM enterprise_indicator ORDER BY year")
            )
        ]
    assert years == [2017, 2018, 2019]


def test_demo_writes_every_output(demo_out: Path) -> None:
    assert (demo_out / "亩均效益评价_2019.xlsx").stat().st_size > 0
    assert list((demo_out / "idle").glob("*.xlsx")), "idle-land ledger missing"
    assert list((demo_out / "idle").rglob("*.html")), "idle-land notices missing"
    assert list((demo_out / "zones").glob("*.xlsx")), "zone ranking missing"
    assert list((demo_out / "corridor").glob("*.html")), "corridor report missing"
    for basemap in ("osm", "gaode"):
        html = (demo_out / f"map_{basemap}.html").read_text(encoding="utf-8")
        assert '<script src="http' not in html


def _manifest() -> pd.DataFrame:
    return pd.read_csv(MANIFEST, dtype=str, keep_default_na=False)


#: analysis → (result table, key column, period column)
RESULT_TABLE = {
    "idle": ("parcel_idle_status", "parcel_code", "as_of_date"),
    "exit": ("exit_candidate", "parcel_code", "as_of_date"),
    "performance": ("enterprise_evaluation", "credit_code", "year"),
    "intensity": ("parcel_intensity", "parcel_code", None),
    "industry_fit": ("parcel_industry_fit", "parcel_code", None),
}


def _target(case: pd.Series) -> tuple[str, str, str | None]:
    """Result table, key and period column for one manifest case."""
    if case.analysis == "performance" and not case.credit_code:
        return "parcel_performance", "parcel_code", "year"
    return RESULT_TABLE[case.analysis]


def _norm(value: object) -> str:
    """A stored value as the manifest writes it (booleans true/false, 2 decimals)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def test_manifest_covers_every_analysis() -> None:
    manifest = _manifest()
    assert set(RESULT_TABLE) <= set(manifest["analysis"])
    for col in ("case", "parcel_code", "analysis", "field", "expected", "note"):
        assert col in manifest.columns


def test_every_planted_case_gets_the_expected_conclusion(demo_engine) -> None:
    from devzone.db.io import table_of

    manifest = _manifest()
    assert len(manifest) >= 15
    failures = []
    with demo_engine.connect() as conn:
        for case in manifest.itertuples():
            table, key, period = _target(case)
            key_value = getattr(case, key)
            column = table_of(table).c[case.field]
            where, params = f"{key} = :k", {"k": key_value}
            if period == "year":
                where, params["p"] = where + " AND year = :p", int(case.year)
            elif period == "as_of_date":
                where, params["p"] = where + " AND as_of_date = :p", case.as_of
            rows = conn.execute(text(f"SELECT {column.name} FROM {table} WHERE {where}"), params)
            values = [r[0] for r in rows]
            if column.type.python_type is bool:
                values = [None if v is None else bool(v) for v in values]
            got = {_norm(v) for v in values}
            if issubclass(column.type.python_type, float) and case.expected:
                ok = any(g and abs(float(g) - float(case.expected)) < 0.01 for g in got)
            else:
                ok = case.expected in got
            if not ok:
                failures.append(
                    f"{case.case}: {table}.{case.field} for {key_value} = {got or 'no row'}, "
                    f"expected {case.expected}"
                )
    assert not failures, "\n".join(failures)
