"""Basemaps for closed networks: ``--tiles DIR|.mbtiles|URL``, 天地图, and the CLI's word
on the network. The browser side (tiles drawn from a folder with the network cut) is
``test_map_browser.py::test_local_tile_folder_draws_with_no_network``.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pyogrio  # noqa: F401  (load GDAL before SpatiaLite: the reverse order segfaults)
import pytest
from test_map import AS_OF, YEAR, build_small_db
from test_map_browser import make_tile_folder

from devzone.errors import ConfigError, InputError
from devzone.maps.tiles import local_basemap, mbtiles_to_folder


def test_tile_folder_is_referenced_relative_to_the_html(tmp_path: Path) -> None:
    make_tile_folder(tmp_path / "tiles", zooms=range(9, 12))
    local = local_basemap(str(tmp_path / "tiles"), tmp_path / "maps" / "m.html")
    assert local.network is False
    assert local.basemap.url == "../tiles/{z}/{x}/{y}.png"
    assert local.basemap.max_zoom == 11
    assert local.basemap.crs == "WGS84"


def test_mbtiles_are_unpacked_next_to_the_html_with_rows_flipped(tmp_path: Path) -> None:
    src = tmp_path / "city.mbtiles"
    con = sqlite3.connect(src)
    con.executescript(
        "CREATE TABLE metadata (name text, value text);"
        "CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob);"
        "INSERT INTO metadata VALUES ('format', 'jpg');"
    )
    con.executemany(
        "INSERT INTO tiles VALUES (?, ?, ?, ?)",
        [(2, 1, 0, b"south"), (2, 1, 3, b"north"), (3, 5, 2, b"z3")],
    )
    con.commit()
    con.close()
    out = tmp_path / "web" / "map.html"
    out.parent.mkdir()
    local = local_basemap(str(src), out)
    folder = tmp_path / "web" / "map_tiles"
    assert (folder / "2" / "1" / "3.jpg").read_bytes() == b"south"  # TMS row 0 = south
    assert (folder / "2" / "1" / "0.jpg").read_bytes() == b"north"
    assert (folder / "3" / "5" / "5.jpg").read_bytes() == b"z3"
    assert local.basemap.url == "map_tiles/{z}/{x}/{y}.jpg"
    assert local.network is False
    assert mbtiles_to_folder(src, tmp_path / "again") == "jpg"


def test_bad_tile_sources_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such folder"):
        local_basemap(str(tmp_path / "missing"), tmp_path / "m.html")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no zoom folders"):
        local_basemap(str(tmp_path / "empty"), tmp_path / "m.html")
    with pytest.raises(InputError, match=r"\{z\}"):
        local_basemap("https://tiles.example.gov.cn/base.png", tmp_path / "m.html")
    (tmp_path / "bad.mbtiles").write_bytes(b"not sqlite at all" * 10)
    with pytest.raises(InputError, match="MBTiles"):
        local_basemap(str(tmp_path / "bad.mbtiles"), tmp_path / "m.html")
    url = local_basemap("http://10.1.2.3/tiles/{z}/{x}/{y}.png", tmp_path / "m.html")
    assert url.network is True
    assert url.basemap.url.startswith("http://10.1.2.3/")


def _small_db(tmp_path: Path) -> Path:
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine

    db = tmp_path / "small.gpkg"
    eng = make_engine(str(db), create=True)
    init_db(eng)
    build_small_db(eng)
    eng.dispose()
    return db


def test_tianditu_needs_a_key_and_is_not_shifted(tmp_path: Path) -> None:
    from devzone.db.engine import make_engine
    from devzone.jobs.maps import run_map

    eng = make_engine(str(_small_db(tmp_path)))
    with pytest.raises(ConfigError, match="DEVZONE_TIANDITU_KEY"):
        run_map(eng, year=YEAR, as_of=AS_OF, out_html=tmp_path / "t.html", basemap="tianditu")
    from devzone.policy import load_policy, replace

    policy = load_policy()
    policy = replace(policy, maps=replace(policy.maps, tianditu_key="K123"))
    res = run_map(
        eng, year=YEAR, as_of=AS_OF, out_html=tmp_path / "t.html", basemap="tianditu",
        policy=policy,
    )  # fmt: skip
    eng.dispose()
    html = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert "tk=K123" in html
    assert "{tk}" not in html
    assert res["network"] is True
    assert res["headline"]["底图 basemap"] == "天地图 (WGS84)"
    assert '<html lang="zh-CN">' in html
    assert "<title>开发区工业用地 2019</title>" in html


def _devzone(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    exe = str(Path(sys.executable).with_name("devzone"))
    environ = {**os.environ, **(env or {})}
    if not env:
        environ.pop("DEVZONE_TIANDITU_KEY", None)
    res = subprocess.run([exe, *args], capture_output=True, text=True, check=False, env=environ)
    # The console wraps long lines: compare with whitespace collapsed.
    res.stdout, res.stderr = " ".join(res.stdout.split()), " ".join(res.stderr.split())
    return res


def test_cli_tells_the_truth_about_the_network(tmp_path: Path) -> None:
    db = str(_small_db(tmp_path))
    make_tile_folder(tmp_path / "tiles", zooms=range(9, 11))
    out = str(tmp_path / "m.html")
    local = _devzone("map", "--db", db, "--out", out, "--tiles", str(tmp_path / "tiles"))
    assert local.returncode == 0, local.stderr
    assert "no network needed" in local.stdout
    assert "本地瓦片 (tiles)" in local.stdout
    none = _devzone("map", "--db", db, "--out", out, "--basemap", "none")
    assert "no network needed" in none.stdout
    osm = _devzone("map", "--db", db, "--out", out, "--basemap", "osm")
    assert osm.returncode == 0, osm.stderr
    assert "no network needed" not in osm.stdout
    assert "basemap tiles need network access" in osm.stdout
    tdt = _devzone(
        "map", "--db", db, "--out", out, "--basemap", "tianditu",
        env={"DEVZONE_TIANDITU_KEY": "ENVKEY"},
    )  # fmt: skip
    assert tdt.returncode == 0, tdt.stderr
    assert "tk=ENVKEY" in Path(out).read_text(encoding="utf-8")
    nokey = _devzone("map", "--db", db, "--out", out, "--basemap", "tianditu")
    assert nokey.returncode != 0
    assert "--tianditu-key" in nokey.stderr + nokey.stdout
    assert "Traceback" not in nokey.stderr


def test_no_hint_names_a_command_that_does_not_exist() -> None:
    root = Path(__file__).resolve().parents[1]
    for rel in ("jobs/maps.py", "maps/build.py", "maps/templates/dzmap.js", "cli/map.py"):
        assert "zones corridor" not in (root / rel).read_text(encoding="utf-8"), rel
