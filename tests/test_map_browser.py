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
    from devzone.policy import load_policy, replace

    folder = tmp_path_factory.mktemp("maps")
    eng = make_engine(f"gpkg:///{folder / 'small.gpkg'}", create=True)
    init_db(eng)
    build_small_db(eng)
    policy = load_policy()
    policy = replace(policy, maps=replace(policy.maps, tianditu_key="TESTKEY"))
    out = {}
    for basemap in ("none", "osm", "gaode", "tianditu"):
        out[basemap] = folder / f"map_{basemap}.html"
        run_map(
            eng,
            year=YEAR,
            as_of=AS_OF,
            out_html=out[basemap],
            basemap=basemap,
            policy=policy,
        )
    make_tile_folder(folder / "tiles")
    out["tiles"] = folder / "map_tiles.html"
    result = run_map(
        eng, year=YEAR, as_of=AS_OF, out_html=out["tiles"], tiles=str(folder / "tiles")
    )
    assert result["network"] is False
    eng.dispose()
    return out


#: The colour of every generated tile (a pure red no basemap or data layer uses).
TILE_RGB = (255, 0, 0)


def make_tile_folder(folder: Path, zooms: range = range(8, 16)) -> int:
    """An XYZ folder of red 256 px PNG tiles over the small database's extent."""
    import io
    import math

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), TILE_RGB).save(buf, format="PNG")
    png = buf.getvalue()

    def tile(lon: float, lat: float, z: int) -> tuple[int, int]:
        n = 2**z
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    count = 0
    for z in zooms:
        x0, y0 = tile(116.40, 31.90, z)
        x1, y1 = tile(116.80, 31.60, z)
        for x in range(x0 - 1, x1 + 2):
            for y in range(y0 - 1, y1 + 2):
                path = folder / str(z) / str(x) / f"{y}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(png)
                count += 1
    return count


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


def open_map(browser: object, path: Path, size: tuple[int, int] = (1200, 800)) -> Page:
    """Open ``path`` with the network cut; wait for the first canvas draw."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
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
        assert hits == [f"{parcel_code(2)} — 皖西样例纺织有限公司(合成) — 六安经济技术开发区"]
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


def box_of(p: Page, selector: str, i: int = 0) -> dict:
    return p.page.locator(selector).nth(i).bounding_box()


def overlaps(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_search_results_are_a_readable_list_clear_of_the_zoom_buttons(browser, maps) -> None:
    p = open_map(browser, maps["none"], size=(1280, 720))
    try:
        box = p.page.locator(".dz-search input")
        box.fill("有限公司")
        p.page.locator(".dz-search-hit").first.wait_for(timeout=5_000)
        hits = p.page.locator(".dz-search-hit")
        assert hits.count() >= 4
        zoom = box_of(p, ".leaflet-control-zoom")
        line = p.page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('.dz-search-hit'))"
            ".lineHeight)"
        )
        for i in range(hits.count()):
            b = box_of(p, ".dz-search-hit", i)
            assert b["width"] >= 150, b
            assert b["height"] <= line + 8, b  # one line (padding aside), not one char a line
            assert not overlaps(b, zoom), (b, zoom)
        first = hits.first.inner_text()
        assert first.count(" — ") == 2  # code — holder — zone
        screenshot(p, "map_search_list.png")
        hits.nth(1).click()
        p.page.locator(".leaflet-popup-content").wait_for(timeout=5_000)
        assert errors(p) == []
    finally:
        p.page.close()


def test_districts_and_zones_are_labelled_and_labels_follow_the_layer(browser, maps) -> None:
    p = open_map(browser, maps["none"])
    try:
        p.page.evaluate("DZ.map.setZoom(9, {animate: false})")  # city scale
        assert p.page.locator(".dz-label-district").all_inner_texts() == ["金安区"]
        zones = p.page.locator(".dz-label-zone").all_inner_texts()
        assert sorted(zones) == ["六安经济技术开发区", "安徽裕安经济开发区"]
        assert p.page.locator(".dz-label img").count() == 0
        labels = p.page.locator(".leaflet-control-layers-overlays label")
        labels.filter(has_text="行政区划边界").locator("input").click()
        p.page.wait_for_timeout(300)  # tooltips fade out
        assert p.page.locator(".dz-label-district").count() == 0
        labels.filter(has_text="行政区划边界").locator("input").click()
        assert p.page.locator(".dz-label-district").count() == 1
        assert errors(p) == []
    finally:
        p.page.close()


def test_zone_outline_sits_above_parcels_and_opens_the_zone_facts(browser, maps) -> None:
    p = open_map(browser, maps["none"])
    try:
        z = p.page.evaluate(
            """() => [...['dz_zone', 'dz_parcel', 'dz_misfit']].map(n =>
                +getComputedStyle(DZ.map.getPane(n)).zIndex)"""
        )
        assert z[0] > z[1], z
        assert z[0] > z[2], z
        # The zone's north edge, a click target even where parcels are near.
        pt = p.page.evaluate(
            """() => { const s = DZ.stores.zone;
                DZ.map.fitBounds(s.bounds(0), {animate: false});
                const c = DZ.map.latLngToContainerPoint(L.latLng(31.765, 116.595));
                const r = DZ.map.getContainer().getBoundingClientRect();
                return {x: r.left + c.x, y: r.top + c.y + 2}; }"""
        )
        p.page.mouse.click(pt["x"], pt["y"])
        popup = p.page.locator(".leaflet-popup-content")
        popup.wait_for(timeout=5_000)
        text = popup.inner_text()
        assert "六安经济技术开发区" in text
        assert "6 宗" in text  # 宗地数
        assert "60.00 亩" in text
        assert "20.0 %" in text  # A share of the graded area: 10 of 50 亩
        assert "工业主导型 第 1 名" in text
        # A click inside a parcel still opens the parcel.
        assert parcel_code(0) in click_parcel(p, parcel_code(0))
        screenshot(p, "map_zone_popup.png")
        assert errors(p) == []
    finally:
        p.page.close()


def test_legend_fits_a_laptop_screen_and_follows_the_layers(browser, maps) -> None:
    p = open_map(browser, maps["none"], size=(1280, 720))
    try:
        legend = box_of(p, ".dz-legend")
        assert legend["y"] >= 0, legend
        assert legend["y"] + legend["height"] <= 720, legend
        assert legend["x"] + legend["width"] <= 1280
        p.page.evaluate(
            "() => { const b = document.querySelector('.dz-legend .dz-panel-body');"
            " b.scrollTop = b.scrollHeight; }"
        )
        last = p.page.locator(".dz-legend .dz-panel-body > *").last
        lb = last.bounding_box()
        assert lb["y"] >= 0, lb
        assert lb["y"] + lb["height"] <= 720 + 1, lb
        screenshot(p, "map_legend_1280x720.png")
        grade = p.page.locator(".dz-legend-section", has_text="宗地亩均效益等级")
        assert grade.is_visible()
        labels = p.page.locator(".leaflet-control-layers-overlays label")
        labels.filter(has_text="宗地亩均效益等级").locator("input").click()
        assert not grade.is_visible()
        labels.filter(has_text="宗地亩均效益等级").locator("input").click()
        assert grade.is_visible()
        # Collapsible.
        p.page.locator(".dz-legend-title").click()
        assert not grade.is_visible()
        p.page.locator(".dz-legend-title").click()
        assert grade.is_visible()
        assert errors(p) == []
    finally:
        p.page.close()


def test_zone_summary_panel_shows_the_jobs_figures(browser, maps) -> None:
    p = open_map(browser, maps["none"], size=(1280, 720))
    try:
        p.page.locator(".dz-summary .dz-panel-head").click()
        rows = p.page.locator(".dz-summary tr")
        assert rows.count() == 3  # header + 2 zones
        first = rows.filter(has_text="六安经济技术开发区").locator("td").all_inner_texts()
        assert first[:7] == ["六安经济技术开发区", "60.00", "6", "20.0%", "20.0%", "10.00", "20.00"]
        assert first[-1] == "工业主导型 第 1 名"
        other = rows.filter(has_text="安徽裕安经济开发区").locator("td").all_inner_texts()
        assert other[-1] == "—"  # no zone_evaluation row
        assert ZONE_XSS in other  # lead industry shown as text
        assert p.page.locator(".dz-summary img").count() == 0
        screenshot(p, "map_zone_summary.png")
        assert p.dialogs == []
        assert errors(p) == []
    finally:
        p.page.close()


def test_filters_redraw_and_export_the_selection_as_csv(browser, maps) -> None:
    p = open_map(browser, maps["none"])
    try:
        p.page.locator(".dz-filters .dz-panel-head").click()
        count = p.page.locator(".dz-filter-count")
        assert count.inner_text() == "显示 6 / 6 宗"
        grade = p.page.locator(".dz-filter-group[data-key=grade] label")
        assert grade.filter(has_text="A 类").inner_text().endswith("(1)")
        before = painted(p)
        grade.filter(has_text="A 类").locator("input").click()
        assert count.inner_text() == "显示 5 / 6 宗"
        assert 0 < painted(p) < before
        idle = p.page.locator(".dz-filter-group[data-key=idle] label")
        only_fee = idle.filter(has_text="闲置满一年")
        assert only_fee.inner_text().endswith("(1)")
        for i in range(idle.count()):
            if "闲置满一年" not in idle.nth(i).inner_text():
                idle.nth(i).locator("input").click()
        assert count.inner_text() == "显示 1 / 6 宗"
        zone = p.page.locator(".dz-filter-group[data-key=zone] label")
        assert zone.filter(has_text="六安经济技术开发区").count() == 1
        fit = p.page.locator(".dz-filter-group[data-key=fit] label")
        assert fit.filter(has_text="不符合主导产业").inner_text().endswith("(0)")
        with p.page.expect_download() as dl:
            p.page.locator(".dz-export").click()
        raw = Path(dl.value.path()).read_bytes()
        assert dl.value.suggested_filename == f"宗地筛选_{YEAR}.csv"
        assert raw.startswith(b"\xef\xbb\xbf")
        lines = raw.decode("utf-8-sig").strip().split("\r\n")
        assert len(lines) == 2
        assert parcel_code(3) in lines[1]
        assert '"宗地代码"' in lines[0]
        assert '"面积 (亩)"' in lines[0]
        cells = p.page.evaluate(
            "() => ['=1+1', '+A1', '-2', '@SUM(A1)', '\\tx', '\\rx', 'a\"b', '六安']"
            ".map(DZ.csvCell)"
        )
        assert cells == [
            "\"'=1+1\"", "\"'+A1\"", "\"'-2\"", "\"'@SUM(A1)\"", "\"'\tx\"", "\"'\rx\"",
            '"a""b"', '"六安"',
        ]  # fmt: skip
        assert errors(p) == []
    finally:
        p.page.close()


def test_csv_export_neutralises_formulas_from_the_data(browser, maps) -> None:
    p = open_map(browser, maps["none"])
    try:
        text = p.page.evaluate(
            """() => { const s = DZ.stores.parcel; const col = s.attrs[1];
                const f = 0; const c = 1;
                const orig = s.value; s.value = function (cc, ff) {
                  return cc === c && ff === f ? '=HYPERLINK("http://x")' : orig.call(s, cc, ff); };
                const out = DZ.csv(s, [0]); s.value = orig; return out; }"""
        )
        assert '"\'=HYPERLINK(""http://x"")"' in text
    finally:
        p.page.close()


def test_tile_failure_shows_a_dismissible_notice(browser, maps) -> None:
    p = open_map(browser, maps["osm"])
    try:
        notice = p.page.locator(".dz-notice")
        notice.wait_for(timeout=5_000)
        assert "底图无法加载（离线或网络受限）" in notice.inner_text()
        screenshot(p, "map_tile_notice.png")
        p.page.locator(".dz-notice-close").click()
        assert p.page.locator(".dz-notice").count() == 0
    finally:
        p.page.close()
    p = open_map(browser, maps["none"])
    try:
        p.page.wait_for_timeout(300)
        assert p.page.locator(".dz-notice").count() == 0  # no basemap, nothing to fail
    finally:
        p.page.close()


def test_page_speaks_chinese(browser, maps) -> None:
    p = open_map(browser, maps["none"])
    try:
        assert p.page.title() == f"开发区工业用地 {YEAR}"
        assert p.page.evaluate("document.documentElement.lang") == "zh-CN"
        titles = p.page.evaluate(
            """() => ['.leaflet-control-zoom-in', '.leaflet-control-zoom-out',
                '.leaflet-control-zoom-fullscreen', '.leaflet-control-measure-toggle']
                .map(s => document.querySelector(s).title)"""
        )
        assert titles == ["放大", "缩小", "全屏", "同时测量距离和面积"]
    finally:
        p.page.close()


def test_tianditu_asks_only_tianditu_with_the_key_and_no_shift(browser, maps) -> None:
    p = open_map(browser, maps["tianditu"])
    try:
        assert p.requests
        assert all(".tianditu.gov.cn/" in u and "tk=TESTKEY" in u for u in p.requests)
        assert any("/vec_w/" in u for u in p.requests)
        assert any("/cva_w/" in u for u in p.requests)
        from test_map import LON0

        west = p.page.evaluate("DZ.stores.parcel.bounds(0).getWest()")
        assert west == pytest.approx(LON0, abs=2e-6)  # CGCS2000: drawn unshifted
        assert "天地图 (WGS84)" in p.page.locator(".dz-legend").inner_text()
    finally:
        p.page.close()


def test_local_tile_folder_draws_with_no_network(browser, maps) -> None:
    p = open_map(browser, maps["tiles"])
    try:
        p.page.wait_for_function(
            "document.querySelectorAll('img.leaflet-tile-loaded').length > 0", timeout=10_000
        )
        p.page.wait_for_timeout(300)
        assert p.requests == []
        srcs = p.page.evaluate(
            "() => [...document.querySelectorAll('img.leaflet-tile-loaded')].map(i => i.src)"
        )
        assert srcs
        assert all(s.startswith("file:") and "/tiles/" in s for s in srcs), srcs[:3]
        # Pixels: the screenshot at a corner away from the data shows the red tiles.
        from PIL import Image

        path = screenshot(p, "map_local_tiles.png")
        rgb = Image.open(path).convert("RGB").getpixel((600, 790))
        assert rgb[0] > 200, rgb
        assert max(rgb[1], rgb[2]) < 80, rgb
        assert p.page.locator(".dz-notice").count() == 0
        assert errors(p) == []
    finally:
        p.page.close()
