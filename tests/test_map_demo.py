"""The demo map (``devzone demo`` on the bundled sample) in headless Chromium, offline.

Runs the whole demo once (≈ 30 s) into a temporary folder, then opens its OSM map
with the network cut: only tile requests are attempted, every layer toggles, a
planted idle-land case of ``data/sample/manifest.csv`` shows its status and fee in
its popup, and the search finds it by code.
"""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
from test_map_browser import click_parcel, errors, open_map, screenshot

from devzone.paths import data_path

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MANIFEST = data_path("sample", "manifest.csv")


@pytest.fixture(scope="module")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        yield b
        b.close()


def _idle_fee_case() -> tuple[str, str]:
    """A planted parcel whose expected status is idle_fee, with its expected fee."""
    import pandas as pd

    m = pd.read_csv(MANIFEST, dtype=str, keep_default_na=False)
    idle = m[m["analysis"] == "idle"]
    fee = idle[idle["field"] == "idle_fee_wan"].set_index("parcel_code")["expected"]
    status = idle[(idle["field"] == "status") & (idle["expected"] == "idle_fee")]
    code = next(c for c in status["parcel_code"] if c in fee.index and fee[c])
    return code, fee[code]


def _inside_point(gpkg: Path, code: str) -> tuple[float, float]:
    """(lat, lon) of a point inside the parcel, read the way QGIS would (GDAL)."""
    gdf = pyogrio.read_dataframe(
        gpkg, layer="parcel", columns=["parcel_code"], where=f"parcel_code = '{code}'"
    )
    pt = gdf.geometry.iloc[0].representative_point()
    return pt.y, pt.x


def test_demo_map_works_offline(browser, demo_out: Path) -> None:
    p = open_map(browser, demo_out / "map_osm.html")
    try:
        assert all(u.startswith("https://tile.openstreetmap.org/") for u in p.requests)
        assert all("Failed to load resource" in t for _, t in errors(p)), errors(p)
        labels = p.page.locator(".leaflet-control-layers-overlays label")
        names = [labels.nth(i).inner_text().strip() for i in range(labels.count())]
        assert len(names) == 6, names  # every layer of issue 8 has data in the demo
        for i in range(len(names)):
            box = labels.nth(i).locator("input")
            box.click()
            assert not box.is_checked()
            box.click()
            assert box.is_checked()
        screenshot(p, "map_demo_osm.png")
        code, fee = _idle_fee_case()
        text = click_parcel(p, code, _inside_point(demo_out / "landbase.gpkg", code))
        assert code in text
        assert "闲置满一年 (征收闲置费)" in text
        assert f"{float(fee):,.2f} 万元" in text
        screenshot(p, "map_demo_popup.png")
        p.page.locator(".leaflet-popup-close-button").click()
        search = p.page.locator(".dz-search input")
        search.fill(code)
        search.press("Enter")
        p.page.locator(".leaflet-popup-content", has_text=code).wait_for(timeout=5_000)
        assert [e for e in errors(p) if "Failed to load resource" not in e[1]] == []
        assert p.dialogs == []
    finally:
        p.page.close()


def test_demo_map_names_the_city_its_districts_and_hefei(browser, demo_out: Path) -> None:
    p = open_map(browser, demo_out / "map_osm.html", size=(1280, 720))
    try:
        assert p.page.title() == "六安市 开发区工业用地 2019"
        p.page.evaluate("DZ.map.setZoom(9, {animate: false})")  # city scale
        districts = p.page.locator(".dz-label-district").all_inner_texts()
        assert "合肥市" in districts, districts
        assert "金安区" in districts, districts
        zones = p.page.locator(".dz-label-zone").all_inner_texts()
        assert len(zones) == p.page.evaluate("DZ.stores.zone.n"), zones
        p.page.locator(".dz-summary .dz-panel-head").click()
        assert p.page.locator(".dz-summary tr").count() == len(zones) + 1
        p.page.locator(".dz-notice").wait_for(timeout=5_000)  # tiles blocked → notice
        screenshot(p, "map_demo_city_labels.png")
    finally:
        p.page.close()
