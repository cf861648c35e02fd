"""QGIS itself (PyQGIS 3.22, headless) opens the demo GeoPackage styled and in Chinese.

Marked ``qgis`` like the browser tests: they skip on a machine without Debian's
``python3-qgis`` and FAIL under ``CI=true``. QGIS runs in the system Python
(``/usr/bin/python3``) in a subprocess; the rendered PNG goes to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import missing_service

from devzone import vocab
from devzone.db.gpkg_meta import field_aliases
from devzone.jobs.demo import QGIS_PYTHON, QGIS_SCRIPT

pytestmark = pytest.mark.qgis

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

#: Opens every layer of a GeoPackage and prints what QGIS made of it, as JSON.
PROBE = r"""
import json, sqlite3, sys
from qgis.core import QgsApplication, QgsSettings, QgsVectorLayer
app = QgsApplication([], False); app.initQgis()
QgsSettings().setValue("qgis/walForSqlite3", False)
path = sys.argv[1]
con = sqlite3.connect(path)
names = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
out = {}
for name in names:
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    r = layer.renderer()
    info = {
        "valid": layer.isValid(),
        "count": layer.featureCount(),
        "spatial": layer.isSpatial(),
        "aliases": [[f.name(), layer.attributeAlias(i)] for i, f in enumerate(layer.fields())],
        "renderer": r.type() if r else None,
    }
    if r is not None and r.type() == "categorizedSymbol":
        info["attr"] = r.classAttribute()
        info["categories"] = {
            str(c.value()): [c.label(), c.symbol().color().name()] for c in r.categories()
        }
    elif r is not None and r.type() == "singleSymbol":
        info["colour"] = r.symbol().color().name()
    out[name] = info
print("JSON" + json.dumps(out, ensure_ascii=False), flush=True)
import os; os._exit(0)  # PyQGIS may crash tearing down layers outside a project
"""

#: Reads the project stored in the GeoPackage back.
READ_PROJECT = r"""
import json, sys
from qgis.core import QgsApplication, QgsProject, QgsSettings
app = QgsApplication([], False); app.initQgis()
QgsSettings().setValue("qgis/walForSqlite3", False)
p = QgsProject.instance()
ok = p.read(f"geopackage:{sys.argv[1]}?projectName=devzone")
layers = {}
for layer in p.mapLayers().values():
    src = layer.source().split("layername=")[-1].split("|")[0]
    layers[src] = {
        "name": layer.name(), "subset": layer.subsetString(),
        "joins": [j.joinLayerId() != "" for j in layer.vectorJoins()],
        "alias_grade": layer.attributeAlias(layer.fields().indexOf("grade")),
    }
found = {"ok": ok, "title": p.title(), "layers": layers}
print("JSON" + json.dumps(found, ensure_ascii=False), flush=True)
import os; os._exit(0)
"""


@pytest.fixture(scope="module")
def qgis_python(request: pytest.FixtureRequest) -> str:
    """The system Python with PyQGIS (fails under CI when missing)."""
    probe = [QGIS_PYTHON, "-c", "import qgis.core"]
    if (
        not Path(QGIS_PYTHON).exists()
        or subprocess.run(probe, capture_output=True, env=ENV, check=False).returncode
    ):
        missing_service(request.config, "PyQGIS not found (apt install python3-qgis)")
    return QGIS_PYTHON


@pytest.fixture(scope="module")
def gpkg(demo_out: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo GeoPackage (QGIS writes its project into it)."""
    copy = tmp_path_factory.mktemp("qgis") / "landbase.gpkg"
    shutil.copy(demo_out / "landbase.gpkg", copy)
    return copy


def _run_json(python: str, code: str, *args: str, env: dict | None = None) -> dict:
    res = subprocess.run(
        [python, "-c", code, *args], capture_output=True, text=True, env=env or ENV, check=False
    )
    assert res.returncode == 0, res.stderr[-3000:]
    line = next(x for x in res.stdout.splitlines() if x.startswith("JSON"))
    return json.loads(line[4:])


def test_every_layer_opens_styled_with_chinese_aliases(qgis_python: str, gpkg: Path) -> None:
    from devzone.policy import load_policy

    maps = load_policy().maps
    seen = _run_json(qgis_python, PROBE, str(gpkg))
    con = sqlite3.connect(gpkg)
    for name, info in seen.items():
        if name == "layer_styles":
            continue
        assert info["valid"], name
        total = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        assert info["count"] == total, name
        fields = [a for a in field_aliases(name) if a[0] != "geom"]  # geometry: no field
        assert [tuple(a) for a in info["aliases"]] == fields, name
        if info["spatial"]:
            assert info["renderer"] in ("categorizedSymbol", "singleSymbol"), name
    # styled as devzone stores them (QGIS's own default would be a random colour)
    grades = seen["parcel_latest"]
    assert grades["attr"] == "grade"
    assert grades["categories"]["A"] == [vocab.GRADE_LABELS["A"], maps.grade_colors["A"]]
    assert grades["categories"]["D"] == [vocab.GRADE_LABELS["D"], maps.grade_colors["D"]]
    idle = seen["parcel_idle_status"]
    assert idle["attr"] == "status"
    assert idle["categories"]["idle_fee"] == [
        vocab.IDLE_STATUS_LABELS["idle_fee"],
        maps.idle_colors["idle_fee"],
    ]
    zones = seen["dev_zone"]
    assert zones["attr"] == "lead_industry"
    leads = sorted(r[0] for r in con.execute("SELECT DISTINCT lead_industry FROM dev_zone") if r[0])
    assert zones["categories"][leads[0]] == [leads[0], maps.zones.palette[0]]
    assert seen["parcel"]["colour"] == maps.grade_colors["none"]
    assert dict(seen["parcel_latest"]["aliases"])["grade"] == "评价等级"
    assert dict(seen["parcel_performance"]["aliases"])["parcel_code"] == "宗地代码"


def test_project_stored_with_filters_joins_and_a_rendered_png(qgis_python: str, gpkg: Path) -> None:
    png = ARTIFACTS / "qgis_demo.png"
    png.unlink(missing_ok=True)
    res = subprocess.run(
        [qgis_python, str(QGIS_SCRIPT), str(gpkg), "--png", str(png)],
        capture_output=True,
        text=True,
        env=ENV,
        check=False,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    assert "ERROR" not in res.stderr, res.stderr[-3000:]
    from PIL import Image

    img = Image.open(png).convert("RGB")
    assert img.size == (1200, 900)
    colours = img.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50  # categories drawn, not one flat colour
    project = _run_json(qgis_python, READ_PROJECT, str(gpkg))
    assert project["ok"]
    assert project["title"] == "devzone 开发区工业用地"
    layers = project["layers"]
    assert {"district", "dev_zone", "parcel_latest", "parcel_idle_status"} <= set(layers)
    assert layers["parcel_idle_status"]["subset"] == "\"as_of_date\" = '2019-12-31'"
    assert layers["parcel_performance"]["subset"] == '"year" = 2019'
    assert layers["dev_zone"]["joins"] == [True]
    assert layers["parcel_latest"]["alias_grade"] == "评价等级"
    con = sqlite3.connect(gpkg)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file


def test_demo_stored_its_project(qgis_python: str, demo_out: Path) -> None:
    con = sqlite3.connect(demo_out / "landbase.gpkg")
    assert con.execute("SELECT name FROM qgis_projects").fetchall() == [("devzone",)]


#: Opens PostGIS layers (argv: connection, schema, layer…) and prints renderer + aliases.
PG_PROBE = r"""
import json, sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False); app.initQgis()
conn, schema, names = sys.argv[1], sys.argv[2], sys.argv[3:]
out = {}
for name in names:
    uri = f'{conn} key=\'fid\' srid=4490 type=MultiPolygon table="{schema}"."{name}" (geom)'
    layer = QgsVectorLayer(uri, name, "postgres")
    r = layer.renderer()
    out[name] = {
        "valid": layer.isValid(),
        "count": layer.featureCount(),
        "renderer": r.type() if r else None,
        "attr": r.classAttribute() if r is not None and r.type() == "categorizedSymbol" else None,
        "aliases": {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())},
    }
print("JSON" + json.dumps(out, ensure_ascii=False), flush=True)
import os; os._exit(0)
"""


@pytest.mark.postgis
def test_postgis_layers_open_styled_with_chinese_aliases(qgis_python: str, pg_url: str) -> None:
    """The same styles and aliases on PostGIS (QGIS's postgres provider, layer_styles)."""
    from urllib.parse import unquote

    import numpy as np
    import pandas as pd
    from sqlalchemy.engine import make_url
    from test_gpkg_validity import _frame, _square

    from devzone.db.admin import init_db
    from devzone.db.bulk import insert_rows
    from devzone.db.engine import make_engine
    from devzone.db.io import table_of, write_frame

    eng = make_engine(pg_url)
    init_db(eng)
    parcels = pd.DataFrame({"parcel_code": ["P1", "P2"], "zone_code": ["Z1", "Z1"]})
    with eng.begin() as conn:
        insert_rows(
            conn,
            table_of("parcel"),
            parcels,
            np.array([_square(116.5, 31.7), _square(116.6, 31.7)]),
        )
    frame = _frame("parcel_performance", [{"parcel_code": "P1", "grade": "A", "year": 2019}])
    write_frame(eng, "parcel_performance", frame, replace_where={"year": 2019})
    eng.dispose()
    url = make_url(pg_url)
    schema = unquote(url.query["options"]).split("search_path=")[1].split(",")[0]
    conn = f"dbname='{url.database}' host={url.host or '127.0.0.1'} port={url.port or 5432}"
    if url.username:
        conn += f" user='{url.username}'"
    # QGIS reads the unqualified ``layer_styles`` of its search_path: a planner's role has
    # the devzone schema on it (ALTER ROLE … SET search_path), here through PGOPTIONS.
    env = {**ENV, "PGOPTIONS": f"-csearch_path={schema},public"}
    seen = _run_json(qgis_python, PG_PROBE, conn, schema, "parcel_latest", "parcel", env=env)
    latest = seen["parcel_latest"]
    assert latest["valid"]
    assert latest["count"] == 2
    assert latest["renderer"] == "categorizedSymbol"
    assert latest["attr"] == "grade"
    assert latest["aliases"] == {f: a for f, a in field_aliases("parcel_latest") if f != "geom"}
    assert seen["parcel"]["aliases"]["area_m2"] == "宗地面积"
