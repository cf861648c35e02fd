"""Chinese text in the corridor report renders as glyphs, not boxes (豆腐块).

Three independent checks, each with a negative control showing it can fail:

1. the PNG charts are drawn with a font file that has glyphs for every Chinese
   character of the chart text, and matplotlib reports no missing glyph while drawing
   them (with DejaVu Sans it does);
2. in Chromium, two different Chinese characters of the report's text font leave
   clearly different amounts of ink (一 vs 廊), as glyphs do, whereas missing glyphs
   draw identical boxes (two unassigned code points leave the same ink);
3. the embedded chart images load and display in the browser.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from PIL import Image
from test_corridor_report import load_two_zone_city

from devzone.db.admin import init_db
from devzone.db.engine import make_engine
from devzone.jobs.corridor import run_corridor_report
from devzone.reports.charts import ChartFont, bar_chart

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The 2019 corridor report of the two-zone city, and the warnings drawing it."""
    tmp = tmp_path_factory.mktemp("corridor")
    engine = make_engine(f"gpkg:///{tmp / 'city.gpkg'}", create=True)
    init_db(engine)
    load_two_zone_city(engine)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_corridor_report(engine, year=2019, out_dir=tmp)
    engine.dispose()
    return result["outputs"][0], [str(w.message) for w in caught]


def _missing_glyph_warnings(messages: list[str]) -> list[str]:
    return [m for m in messages if "missing from" in m and "font" in m]


def test_chart_font_has_the_glyphs(report) -> None:
    html_path, messages = report
    html = html_path.read_text(encoding="utf-8")
    font_file = html.split('data-font-file="')[1].split('"')[0]
    assert "CJK" in Path(font_file).name or "Hei" in Path(font_file).name
    face = FT2Font(font_file)
    for ch in "规上工业增加值年可比价增速贡献率全市走廊目标":
        assert face.get_char_index(ord(ch)) != 0, ch
    assert _missing_glyph_warnings(messages) == []
    # Negative control: DejaVu Sans has no Chinese glyphs and matplotlib says so.
    dejavu = font_manager.findfont("DejaVu Sans")
    assert FT2Font(dejavu).get_char_index(ord("廊")) == 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bar_chart(
            ["走廊"],
            {"增速": [0.1]},
            title="走廊",
            ylabel="增速",
            font=ChartFont("DejaVu Sans", dejavu),
        )
    assert _missing_glyph_warnings([str(w.message) for w in caught])


def _ink(png: bytes) -> int:
    """Number of dark pixels in a screenshot."""
    return int((np.asarray(Image.open(io.BytesIO(png)).convert("L")) < 128).sum())


def test_browser_renders_chinese_glyphs(report, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    html_path, _ = report
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(html_path.resolve().as_uri())
        assert "走廊" in page.title()
        # Charts: every <img class="chart"> decoded and laid out.
        sizes = page.eval_on_selector_all(
            "img.chart", "els => els.map(e => [e.complete, e.naturalWidth, e.clientWidth])"
        )
        assert len(sizes) == 3
        assert all(done and natural > 300 and shown > 300 for done, natural, shown in sizes)
        chart = page.locator("img.chart").first.screenshot()
        assert _ink(chart) > 1000  # bars, axes and labels drawn, not a blank image
        # Text: the same spans in the report's own font, one character each.
        page.evaluate(
            """() => {
              const font = getComputedStyle(document.querySelector('h1')).fontFamily;
              for (const [id, ch] of [['g1', '一'], ['g2', '廊'],
                                      ['x1', '\\u0378'], ['x2', '\\u0379']]) {
                const s = document.createElement('span');
                s.id = id; s.textContent = ch;
                s.style.cssText = `font-family:${font};font-size:64px;display:inline-block;
                  line-height:1;padding:4px;background:#fff;color:#000`;
                document.body.prepend(s);
              }
            }"""
        )
        ink = {k: _ink(page.locator(f"#{k}").screenshot()) for k in ("g1", "g2", "x1", "x2")}
        browser.close()
    # Glyphs: 廊 has several times the ink of 一.
    assert ink["g2"] > 2.5 * ink["g1"] > 0
    # Negative control: two missing glyphs draw the same box, with far more ink than 一.
    assert abs(ink["x1"] - ink["x2"]) <= 0.1 * max(ink["x1"], 1)
    assert ink["g1"] < 0.5 * ink["x1"]
