"""Small synthetic exports (合成数据) in the shapes registries really export, for the ETL
tests: GBK CSV, XLSX with a title row, UTF-8 BOM CSV, Shapefile in Gauss–Krüger with the
zone number and a .cpg, GeoJSON in EPSG:4490, GeoPackage layers.

Every enterprise name is fictional. This module holds builders only (no tests).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from openpyxl import Workbook
from pyproj import Transformer

from devzone.codes import credit_check_char
from devzone.units import SRID

LON0, LAT0 = 116.52, 31.74  # 六安 (Lu'an), inside the fictional zones below
STEP = 0.004  # degrees between parcels


def credit(n: int) -> str:
    """A valid fictional 统一社会信用代码 number ``n``."""
    first17 = f"91341500MA{n:07d}"
    return first17 + credit_check_char(first17)


def bad_credit(n: int) -> str:
    """``credit(n)`` with a wrong check character."""
    good = credit(n)
    return good[:17] + ("0" if good[17] != "0" else "1")


def sup_no(n: int) -> str:
    """A 电子监管号."""
    return f"3415022019B{n:05d}"


def parcel_code(n: int) -> str:
    """A 宗地代码."""
    return f"341502001002GB{n:05d}"


def square(i: int, size: float = 0.002) -> shapely.Polygon:
    """Parcel ``i``: a square in lon/lat (CGCS2000) east of LON0."""
    x = LON0 + i * STEP
    return shapely.box(x, LAT0, x + size, LAT0 + size)


def to_crs(geoms: list, epsg: int) -> list:
    """Project lon/lat shapes to ``epsg``."""
    tr = Transformer.from_crs(SRID, epsg, always_xy=True)
    return [
        shapely.transform(
            g, lambda xy: __import__("numpy").column_stack(tr.transform(xy[:, 0], xy[:, 1]))
        )
        for g in geoms
    ]


def write_xlsx(path: Path, header: list[str], rows: list[list], title: str | None = None) -> Path:
    """A workbook with an optional title row above the header (as offices send them)."""
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
        ws.append([])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def write_csv(path: Path, df: pd.DataFrame, encoding: str) -> Path:
    """CSV in ``encoding`` (``gbk``, ``utf-8-sig`` …)."""
    df.to_csv(path, index=False, encoding=encoding)
    return path


SUPPLY_HEADER = [
    "行政区",
    "电子监管号",
    "项目名称",
    "项目位置",
    "面积(公顷)",
    "土地来源",
    "土地用途",
    "供地方式",
    "土地使用年限",
    "行业分类",
    "土地级别",
    "成交价格(万元)",
    "土地使用权人",
    "约定容积率下限",
    "约定容积率上限",
    "约定交地时间",
    "约定开工时间",
    "约定竣工时间",
    "实际开工时间",
    "实际竣工时间",
    "批准单位",
    "合同签订日期",
    "宗地代码",
]


def supply_rows(n: int = 3) -> list[list]:
    """Portal-style supply rows (Chinese dates, thousands separators)."""
    rows = []
    for i in range(1, n + 1):
        rows.append(
            [
                "金安区",
                sup_no(i),
                f"示例精密机械项目{i}",
                "六安经开区示例路",
                f"{i}.5000",
                "新增建设用地",
                "工业用地",
                "挂牌出让",
                "50",
                "通用设备制造业",
                "三级",
                f"1,{i}00.50",
                f"六安示例机械{i}有限公司",
                "1.0",
                "2.5",
                "2019年03月01日",
                "2019年07月21日",
                "2021年07月20日",
                "",
                "",
                "六安市人民政府",
                "2019年01月15日",
                parcel_code(i),
            ]
        )
    return rows


def supply_gbk_csv(folder: Path, n: int = 3) -> Path:
    """供地结果 as a GBK CSV with the portal's headers."""
    df = pd.DataFrame(supply_rows(n), columns=SUPPLY_HEADER)
    return write_csv(folder / "supply_gbk.csv", df, "gbk")


def parcels_frame(n: int = 3) -> gpd.GeoDataFrame:
    """Parcels with TD/T 1015 pinyin fields in EPSG:4490."""
    return gpd.GeoDataFrame(
        {
            "ZDDM": [parcel_code(i) for i in range(1, n + 1)],
            "DZJGH": [sup_no(i) for i in range(1, n + 1)],
            "QLR": [f"六安示例机械{i}有限公司" for i in range(1, n + 1)],
            "ZL": ["六安经开区示例路"] * n,
            "ZDMJ": [10000.0 + i for i in range(1, n + 1)],
            "YT": ["工业用地"] * n,
        },
        geometry=[square(i) for i in range(1, n + 1)],
        crs=SRID,
    )


def parcels_shp_gk(folder: Path, n: int = 3) -> Path:
    """Parcels as a GBK Shapefile (.cpg) in EPSG:4527 (zone 39 in the easting)."""
    gdf = parcels_frame(n)
    gdf = gdf.set_geometry(to_crs(list(gdf.geometry), 4527)).set_crs(4527, allow_override=True)
    path = folder / "parcels.shp"
    gdf.to_file(path, encoding="GBK", engine="pyogrio")
    return path


INDICATOR_HEADER = [
    "统一社会信用代码",
    "企业名称",
    "年度",
    "行业代码",
    "是否规上",
    "税收实际贡献(万元)",
    "营业收入(万元)",
    "工业增加值(万元)",
    "综合能耗(吨标准煤)",
    "主要污染物排放当量(吨)",
    "研发经费(万元)",
    "年平均职工人数",
    "技改投资(万元)",
    "经营状态",
    "投产年份",
]


def indicator_rows(n: int = 3, years: tuple[int, ...] = (2018, 2019)) -> list[list]:
    """Indicator rows: firm i, each year; tax = 10·i + (year − 2018)."""
    rows = []
    for y in years:
        for i in range(1, n + 1):
            rows.append(
                [
                    credit(i),
                    f"六安示例机械{i}有限公司",
                    y,
                    "3411",
                    "是",
                    10 * i + (y - 2018),
                    f"{1000 * i:,}",
                    300 * i,
                    50 * i,
                    0.5 * i,
                    20 * i,
                    40 * i,
                    5 * i,
                    "在营",
                    2015,
                ]
            )
    return rows
