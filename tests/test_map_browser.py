"""The map in real headless Chromium (Debian's ``/usr/bin/chromium``), network cut.

Every request that is not ``file:``/``data:`` is aborted and recorded; a map with no
basemap must make none at all, an OSM map only tile requests (which fail: the data
still draws over the plain background). Layers toggle, a click opens the right
popup, search finds a parcel, and data markup stays text (no dialog ever fires).
Screenshots go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyogrio  # noqa: F401  (load GDAL before SpatiaLite: the reverse order segfaults)
import pytest
from test_map import AS_OF, XSS, YEAR, ZONE_XSS, build_small_db, parcel_code

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The small database's map, once per basemap."""
    from devzone.db.admin import init_db
    from devzone.db.engine import make_engine
    from devzone.jobs.maps import run_map

    folder = tmp_path_factory.mktemp("maps")
    eng = make_engine(f"gpkg:///{folder / 'small.gpkg'}", create=True)
    init_db(eng)
    build_small_db(eng)
    out = {}
    for basemap in ("none", "osm", "gaode"):
        out[basemap] = folder / f"map_{basemap}.html"
        run_map(eng, year=YEAR, as_of=AS_OF, out_html=out[basemap], basemap=basemap)
    eng.dispose()
    return out


@dataclass
class Page:
    """A loaded map page with what it tried to fetch, logged and popped up."""

    page: object
    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        yield b
        b.close()


def open_map(browser: object, path: Path) -> Page:
    """Open ``path`` with the network cut; wait for the first canvas draw."""
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    out = Page(page)

    def route(r: object) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            out.requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: out.console.append((m.type, m.text)))
    page.on("pageerror", lambda e: out.console.append(("pageerror", str(e))))

    def dialog(d: object) -> None:
        out.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(path.as_uri())
    page.wait_for_function("window.DZ_FIRST_DRAW !== undefined", timeout=30_000)
    return out


def errors(p: Page) -> list[tuple[str, str]]:
    return [c for c in p.console if c[0] in ("error", "pageerror")]


def painted(p: Page) -> int:
    """Non-transparent pixels on the parcel layer's canvas."""
    return p.page.evaluate(
        """() => { const c = document.querySelector('.leaflet-dz_parcel-pane canvas');
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; }
             return n; }"""
    )


def screenshot(p: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    p.page.wait_for_timeout(300)  # let popups finish fading in
    path = ARTIFACTS / name
    p.page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


def click_parcel(p: Page, code: str, at: tuple[float, float] | None = None) -> str:
    """Zoom to the parcel ``code``, click ``at`` (lat, lon; default its bbox centre).

    Returns the popup text.
    """
    pt = p.page.evaluate(
        """([code, at]) => {
            const s = DZ.stores.parcel;
            let f = -1;
            for (let k = 0; k < s.n; k++) { if (s.value(0, k) === code) { f = k; } }
            DZ.map.fitBounds(s.bounds(f), {animate: false, maxZoom: 17});
            const c = DZ.map.latLngToContainerPoint(at ? L.latLng(at) : s.center(f));
            const r = DZ.map.getContainer().getBoundingClientRect();
            return {x: r.left + c.x, y: r.top + c.y};
        }""",
        [code, list(at) if at else None],
    )
    p.page.wait_for_timeout(100)
    p.page.mouse.click(pt["x"], pt["y"])
    popup = p.page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    return popup.inner_text()


def test_offline_map_makes_no_request_and_logs_no_error(browser, maps) -> None:
    p = open_map(browser, maps["none"])
    try:
        assert p.requests == []
        assert errors(p) == []
        # Controls: search, fullscreen, measure, scale, layers, legend with the CRS.
        for sel in (
            ".dz-search input",
            ".leaflet-control-zoom-fullscreen",
            ".leaflet-control-measure",
            ".leaflet-control-scale",
            ".leaflet-control-layers",
            ".dz-legend",
        ):
            assert p.page.locator(sel).count() == 1, sel
        legend = p.page.locator(".dz-legend").inner_text()
        assert "EPSG:4490" in legend
        assert "无底图" in legend
        assert "A 类 (1 宗)" in legend
        assert "无评价 (1 宗)" in legend
        assert "闲置费 20.00 万元" in legend
        assert painted(p) > 0  # the parcel canvas has non-transparent pixels
        screenshot(p, "map_small_none.png")
        # The measure tool works offline (its marker icons are inlined too).
        p.page.locator(".leaflet-control-measure").hover()
        p.page.click(".leaflet-control-measure .js-start")
        for x, y in ((500, 400), (700, 400), (700, 600)):
            p.page.mouse.click(x, y)
        assert "公顷" in p.page.locator(".leaflet-control-measure .js-results").inner_text()
        p.page.click(".leaflet-control-measure .js-finish")
        p.page.click(".leaflet-control-zoom-fullscreen")
        p.page.wait_for_timeout(300)
        assert p.requests == []
        assert errors(p) == []
    finally:
        p.page.close()


def test_osm_map_only_asks_for_tiles_and_still_draws(browser, maps) -> None:
    p = open_map(browser, maps["osm"])
    try:
        assert p.requests, "the OSM basemap should have asked for tiles"
        assert all(
            u.startswith("https://tile.openstreetmap.org/") and u.endswith(".png")
            for u in p.requests
        ), p.requests[:5]
        # Blocked tiles are the only errors the browser logs.
        assert all("Failed to load resource" in text for _, text in errors(p)), errors(p)
        assert painted(p) > 0  # the data still draws with every tile blocked
        screenshot(p, "map_small_osm_offline.png")
    finally:
        p.page.close()


def test_each_layer_toggles(browser, maps) -> None:
    p = open_map(browser, maps["none"])
    try:
        labels = p.page.locator(".leaflet-control-layers-overlays label")
        names = [labels.nth(i).inner_text().strip() for i in range(labels.count())]
        assert len(names) == 6, names  # districts, zones, corridor, grades, idle, misfit
        assert "合六经济走廊及成员开发区" in names
        for i, name in enumerate(names):
            idx = p.page.evaluate("name => DZ.layers.findIndex(l => l.name === name)", name)
            assert idx >= 0, name
            on = f"DZ.map.hasLayer(DZ.layers[{idx}]) && !!DZ.layers[{idx}]._container"
            assert p.page.evaluate(on)
            labels.nth(i).locator("input").click()
            assert not p.page.evaluate(f"DZ.map.hasLayer(DZ.layers[{idx}])"), name
            labels.nth(i).locator("input").click()
            assert p.page.evaluate(on), name
        assert errors(p) == []
    finally:
        p.page.close()


def test_click_parcel_popup_has_its_facts(browser, maps) -> None:
    p = open_map(browser, maps["none"])
    try:
        text = click_parcel(p, parcel_code(0))
        assert parcel_code(0) in text
        assert "六安示例机械有限公司(合成)" in text
        assert "10.00 亩" in text  # 6666.67 m² / 666.667 m² per 亩
        assert "A 类" in text
        assert "35.50 万元/亩" in text
        assert "1.20" in text  # 容积率
        assert "已竣工" in text  # idle status 'completed' shown in the popup only
        assert "六安经济技术开发区" in text
        text = click_parcel(p, parcel_code(3))
        assert parcel_code(3) in text
        assert "D 类" in text
        assert "闲置满一年 (征收闲置费)" in text
        assert "20.00 万元" in text
        assert "400 天" in text
        screenshot(p, "map_small_popup.png")
        assert errors(p) == []
    finally:
        p.page.close()


def test_search_finds_parcel_by_code_and_by_name(browser, maps) -> None:
    p = open_map(browser, maps["none"])
    try:
        box = p.page.locator(".dz-search input")
        box.fill(parcel_code(4))
        box.press("Enter")
        popup = p.page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5_000)
        assert parcel_code(4) in popup.inner_text()
        assert "T 类" in popup.inner_text()
        box.fill("皖西样例")
        p.page.locator(".dz-search-hit", has_text="皖西样例").wait_for(timeout=5_000)
        hits = p.page.locator(".dz-search-hit").all_inner_texts()
        assert hits == [f"{parcel_code(2)} — 皖西样例纺织有限公司(合成)"]
        box.fill("没有这家企业")
        p.page.locator(".dz-search-none").wait_for(timeout=5_000)
    finally:
        p.page.close()


def test_markup_in_data_shows_as_text_and_runs_nothing(browser, maps) -> None:
    p = open_map(browser, maps["none"])
    try:
        text = click_parcel(p, parcel_code(1))
        assert XSS in text  # shown literally
        assert p.page.locator(".leaflet-popup-content img").count() == 0
        box = p.page.locator(".dz-search input")
        box.fill("onerror")
        p.page.locator(".dz-search-hit", has_text="onerror").wait_for(timeout=5_000)
        assert XSS in p.page.locator(".dz-search-results").inner_text()
        legend = p.page.locator(".dz-legend")
        assert ZONE_XSS in legend.inner_text()
        assert p.page.locator(".dz-legend img, .dz-search img, .leaflet-tooltip img").count() == 0
        p.page.wait_for_timeout(300)
        assert p.dialogs == []
        assert errors(p) == []
    finally:
        p.page.close()


def test_gaode_map_states_its_crs_and_asks_only_amap_tiles(browser, maps) -> None:
    p = open_map(browser, maps["gaode"])
    try:
        legend = p.page.locator(".dz-legend").inner_text()
        assert "高德地图 (GCJ-02)" in legend
        assert "GCJ-02 偏移" in legend
        assert p.requests
        assert all(".is.autonavi.com/appmaptile" in u for u in p.requests)
        # The parcel sits where the GCJ-02 formula puts it (≈ 470 m east of WGS84).
        from test_map import LAT0, LON0

        from devzone.crs import wgs84_to_gcj02

        west = p.page.evaluate("DZ.stores.parcel.bounds(0).getWest()")
        glon, _ = wgs84_to_gcj02([LON0], [LAT0])
        assert west == pytest.approx(glon[0], abs=2e-6)
    finally:
        p.page.close()
