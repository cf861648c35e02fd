"""Draw the planners' map (规划地图) from :class:`~devzone.maps.data.MapData`.

Folium draws the page (basemap, layer control, fullscreen, measure and scale
controls); the data layers are devzone's own: each table's polygons travel once as a
compact varint payload (:mod:`devzone.maps.encode`) and ``templates/dzmap.js`` draws
every layer on its own canvas, so 100,000 parcels stay a few MB and draw in well
under a second. Attributes travel as column arrays (repeated strings as a
dictionary); popups, tooltips, the legend and search results are built in the
browser with ``textContent``, so no data string is ever parsed as HTML, and the JSON
itself escapes ``<``, ``>`` and ``&`` so it cannot close its ``<script>``.

Decisions (the issue is silent):

* one basemap per HTML file: vectors are shifted to GCJ-02 for the Gaode basemap and
  left in CGCS2000 (≈ WGS84) for OSM or none, so a switchable second basemap would
  put the data 500 m off; ``devzone demo`` writes one file per basemap;
* without ``parcel_performance`` rows for the year, parcels are still drawn (grey,
  "无评价") so popups and search work, and the legend notes why;
* district boundaries and the corridor are outlines without popups, so clicks reach
  the zones and parcels beneath them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.map import CustomPane, Layer
from folium.plugins import Fullscreen, MeasureControl
from folium.template import Template

from devzone.crs import geometry_wgs84_to_gcj02, wgs84_to_gcj02
from devzone.errors import ConfigError
from devzone.maps.data import MapData
from devzone.maps.encode import encode_polygons, encode_varints
from devzone.maps.offline import RawHTML, make_offline, remote_references
from devzone.policy.sections import Basemap, MapsPolicy
from devzone.units import SRID
from devzone.vocab import FIT_LABELS, GRADE_LABELS, GRADES, IDLE_STATUS_LABELS

__all__ = ["basemap_of", "build_map", "js_json", "page_title", "render_html"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The grade layer's classes: the evaluation's grades, then parcels without one.
MAP_GRADES: tuple[str, ...] = (*GRADES, "none")
#: Where the map opens when there is nothing to draw (六安市).
DEFAULT_VIEW = ([31.75, 116.5], 9)
#: The custom panes, bottom to top: zone outlines sit above the parcels so their
#: lead-industry colour shows and their outline stays a click target at every zoom.
PANES = ("dz_district", "dz_corridor", "dz_parcel", "dz_idle", "dz_misfit", "dz_zone")
#: Shown on the page when basemap tiles fail to load.
TILE_NOTICE = "底图无法加载（离线或网络受限）"
#: Planner-facing words of the page's own controls.
UI_TEXT = {
    "zoom_in": "放大",
    "zoom_out": "缩小",
    "measure": "测量距离和面积",
    "layers": "图层",
    "close": "关闭",
    "tile_notice": TILE_NOTICE,
    "filter_title": "筛选与导出",
    "filter_shown": "显示",
    "filter_all": "全选",
    "export": "导出筛选宗地 (CSV)",
    "summary_title": "开发区概况",
    "missing": "—",
}


def js_json(obj: Any) -> str:
    """JSON safe to paste inside ``<script>``: no ``<``, ``>``, ``&`` or line separators."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _codes_b64(codes: np.ndarray) -> str:
    """Dictionary codes (-1 = missing) as varints of ``code + 1`` (0 = missing)."""
    return encode_varints(np.asarray(codes, dtype=np.int64) + 1)


def _num_column(values: pd.Series, label: str, *, decimals: int, unit: str = "") -> dict:
    """A numeric column as varints of ``round(v × 10**decimals)``.

    Stored ``e``: 0 = missing, ``q + 1`` for ``q >= 0``, ``q`` for ``q < 0``.
    """
    arr = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    ok = np.isfinite(arr)
    q = np.zeros(arr.size, dtype=np.int64)
    q[ok] = np.rint(arr[ok] * 10**decimals).astype(np.int64)
    e = np.where(~ok, 0, np.where(q >= 0, q + 1, q))
    col: dict[str, Any] = {"label": label, "num": encode_varints(e), "decimals": decimals}
    if unit:
        col["unit"] = unit
    return col


def _clean_text(values: pd.Series) -> pd.Series:
    s = pd.Series(values).astype("string").str.strip()
    return s.mask(s == "")


def _str_column(values: pd.Series, label: str, *, tooltip: bool = False) -> dict:
    """A text column: dictionary-coded when values repeat, else a plain list."""
    s = _clean_text(values)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    col: dict[str, Any] = {"label": label}
    if len(uniques) * 2 < len(s):
        col["dict"] = [str(u) for u in uniques]
        col["codes"] = _codes_b64(codes)
    else:
        col["values"] = s.to_numpy(dtype=object, na_value=None).tolist()
    if tooltip:
        col["tooltip"] = True
    return col


def _pooled_columns(
    columns: list[tuple[pd.Series, str, bool]],
) -> tuple[list[str], list[dict]]:
    """Text columns sharing one string pool (权利人 and 用地企业 are mostly the same)."""
    parts = [_clean_text(v).reset_index(drop=True) for v, _, _ in columns]
    codes, uniques = pd.factorize(pd.concat(parts, ignore_index=True), use_na_sentinel=True)
    out, start = [], 0
    for part, (_, label, tooltip) in zip(parts, columns, strict=True):
        col: dict[str, Any] = {
            "label": label,
            "pool": True,
            "codes": _codes_b64(codes[start : start + len(part)]),
        }
        if tooltip:
            col["tooltip"] = True
        out.append(col)
        start += len(part)
    return [str(u) for u in uniques], out


def _labelled(values: pd.Series, labels: Mapping[str, str]) -> pd.Series:
    """Map codes to their Chinese labels; unknown codes are kept as they are."""
    codes = pd.Series(values).astype("string")
    return codes.map(dict(labels)).astype("string").fillna(codes)


class PolygonStore(MacroElement):
    """``var store = DZ.store(name, payload)``: geometry + attributes of one table."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = DZ.store({{ this.key|tojson }}, {{ this.payload }});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        key: str,
        geoms: Sequence[Any],
        attrs: list[dict],
        *,
        title: str,
        precision: int,
        pool: list[str] | None = None,
    ) -> None:
        super().__init__()
        self._name = "DzStore"
        self.key = key
        self.n = len(geoms)
        self.payload = js_json(
            {
                "geom": encode_polygons(geoms, precision=precision),
                "attrs": attrs,
                "title": title,
                "pool": pool or [],
            }
        )


class PolygonLayer(Layer):
    """One switchable layer (shown in the layer control) drawn from a store."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = DZ.polygons({{ this.store.get_name() }}, "
        "{{ this.spec }}, {{ this.options }});"
        "{% endmacro %}"
    )

    def __init__(
        self,
        store: PolygonStore,
        name: str,
        classes: list[dict],
        *,
        members: np.ndarray | None = None,
        cls: np.ndarray | None = None,
        pane: str,
        show: bool = True,
        labels: dict | None = None,
        **options: Any,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "DzLayer"
        self.store = store
        spec: dict[str, Any] = {"name": name, "classes": classes}
        if labels is not None:
            spec["labels"] = labels
        if members is not None:
            m = np.asarray(members, dtype=np.int64)
            spec["members"] = encode_varints(np.diff(m, prepend=0))
        if cls is not None:
            spec["cls"] = encode_varints(np.asarray(cls, dtype=np.int64))
        self.count = store.n if members is None else len(members)
        self.spec = js_json(spec)
        self.options = js_json({"pane": pane, **options})


class Runtime(MacroElement):
    """Inline ``dzmap.js``/``dzmap.css`` and wire legend, search and interaction."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "DZ.interact({{ this._parent.get_name() }});"
        "L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});"
        "DZ.ui({{ this._parent.get_name() }}, {{ this.ui }});"
        "DZ.legend({{ this._parent.get_name() }}, {{ this.legend }});"
        "{% if this.search_store %}DZ.search({{ this._parent.get_name() }}, "
        "{{ this.search_store.get_name() }}, {{ this.search }});"
        "DZ.filters({{ this._parent.get_name() }}, "
        "{{ this.search_store.get_name() }}, {{ this.filters }});{% endif %}"
        "{% if this.summary %}DZ.summary({{ this._parent.get_name() }}, "
        "{{ this.summary }});{% endif %}"
        "{% endmacro %}"
    )

    def __init__(
        self,
        legend: dict,
        search_store: PolygonStore | None,
        search: dict,
        *,
        filters: dict | None = None,
        summary: dict | None = None,
    ) -> None:
        super().__init__()
        self._name = "DzRuntime"
        self.ui = js_json(UI_TEXT)
        self.filters = js_json(filters or {})
        self.summary = js_json(summary) if summary else ""
        self.css = (TEMPLATES / "dzmap.css").read_text(encoding="utf-8")
        self.js = (
            (TEMPLATES / "dzmap.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
        )
        self.legend = js_json(legend)
        self.search_store = search_store
        self.search = js_json(search)

    def render(self, **kwargs: Any) -> None:
        """Put the runtime's CSS/JS in the page header, then render the script."""
        figure = self.get_root()
        figure.header.add_child(
            RawHTML(f"<style>{self.css}</style>\n<script>{self.js}</script>"),
            name="dzmap_runtime",
        )
        super().render(**kwargs)


def _parcel_attrs(p: pd.DataFrame) -> tuple[list[str], list[dict]]:
    """The parcels' popup columns (labels from :mod:`devzone.vocab`) and their pool."""
    fit_text = _labelled(p["fit"], FIT_LABELS)
    ind = p["industry_name"].astype("string")
    fit_text = fit_text.where(ind.isna() | fit_text.isna(), fit_text + " (" + ind + ")")
    pool, (holder, firms) = _pooled_columns(
        [(p["holder"], "权利人", True), (p["enterprise_names"], "用地企业", False)]
    )
    return pool, [
        _str_column(p["parcel_code"], "宗地代码", tooltip=True),
        holder,
        firms,
        _str_column(p["zone_name"], "所在开发区"),
        _num_column(p["area_mu"], "面积", decimals=2, unit="亩"),
        _str_column(_labelled(p["grade"], GRADE_LABELS), "亩均效益等级", tooltip=True),
        _num_column(p["tax_per_mu_wan"], "亩均税收", decimals=2, unit="万元/亩"),
        _num_column(p["far"], "容积率", decimals=2),
        _str_column(_labelled(p["idle_status"], IDLE_STATUS_LABELS), "闲置状态"),
        _num_column(p["days_idle"], "闲置天数", decimals=0, unit="天"),
        _num_column(p["idle_fee_wan"], "土地闲置费", decimals=2, unit="万元"),
        _str_column(fit_text, "产业符合性"),
    ]


def _bounds(frames: list[Any]) -> list[list[float]] | None:
    boxes = [f.total_bounds for f in frames if f is not None and len(f)]
    if not boxes:
        return None
    b = np.vstack(boxes)
    return [
        [float(b[:, 1].min()), float(b[:, 0].min())],
        [float(b[:, 3].max()), float(b[:, 2].max())],
    ]


def basemap_of(policy: MapsPolicy, name: str) -> Basemap:
    """The ``[maps.basemaps.<name>]`` tile source.

    Raises
    ------
    ConfigError
        No basemap of that name.

    Examples
    --------
    >>> from devzone.policy import load_policy
    >>> basemap_of(load_policy().maps, "gaode").crs
    'GCJ-02'
    """
    bases = policy.basemaps
    if name not in bases:
        raise ConfigError(
            f"Unknown basemap {name!r}; choose one of {', '.join(sorted(bases))} "
            "(or add a maps.basemaps.<name> table to your --config)."
        )
    return bases[name]


def _colours(table: Mapping[str, str], codes: Sequence[str], key: str) -> list[str]:
    """Colours of ``codes`` from ``[maps.<key>]``; a missing code is a ConfigError."""
    missing = [c for c in codes if c not in table]
    if missing:
        raise ConfigError(f"[maps.{key}] has no colour for {', '.join(missing)}")
    return [table[c] for c in codes]


@dataclass
class Canvas:
    """The map being drawn, and what its legend, layer list and headline collect.

    Attributes
    ----------
    map : folium.Map
        The page.
    policy : MapsPolicy
        Colours, precision and opacity.
    gcj : bool
        Shift every geometry to GCJ-02 (the basemap is a Chinese web map).
    """

    map: folium.Map
    policy: MapsPolicy
    gcj: bool
    sections: list[dict] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
    headline: dict[str, Any] = field(default_factory=dict)

    def store(
        self,
        key: str,
        geoms: pd.DataFrame | np.ndarray,
        attrs: list[dict],
        *,
        title: str,
        pool: list[str] | None = None,
    ) -> PolygonStore:
        """Add the geometries (shifted for GCJ-02) and attributes of one table."""
        arr = geoms.geometry.to_numpy() if isinstance(geoms, pd.DataFrame) else geoms
        if self.gcj:
            arr = geometry_wgs84_to_gcj02(arr)
        store = PolygonStore(
            key, arr, attrs, title=title, precision=self.policy.precision, pool=pool
        )
        self.map.add_child(store)
        return store

    def legend(self, title: str, items: list[dict], layer: str, *, layer_name: str) -> None:
        """One legend section (shown while ``layer_name`` is on) and the layer's short name."""
        self.sections.append({"title": title, "items": items, "layer": layer_name})
        self.layers.append(layer)

    def labels(self, geoms: pd.DataFrame, column: int) -> dict:
        """Permanent labels of a layer: attribute ``column`` at a point inside each polygon."""
        pts = shapely.point_on_surface(geoms.geometry.to_numpy())
        lon, lat = shapely.get_x(pts), shapely.get_y(pts)
        if self.gcj:
            lon, lat = wgs84_to_gcj02(lon, lat)
        digits = self.policy.precision
        return {
            "col": column,
            "pts": [
                [round(float(a), digits), round(float(o), digits)]
                for a, o in zip(lat, lon, strict=True)
            ],
        }


def _tiles(m: folium.Map, base: Basemap, key: str = "") -> None:
    """The basemap's tile layers (none for a basemap without URL); ``{tk}`` → ``key``."""
    if not base.url:
        return
    for url, overlay in ((base.url, False), (base.labels_url, True)):
        if not url:
            continue
        folium.TileLayer(
            tiles=url.replace("{tk}", key),
            attr=base.attribution or base.label,
            name=f"底图: {base.label}" + (" 注记" if overlay else ""),
            subdomains=base.subdomains or "abc",
            max_native_zoom=base.max_zoom,
            max_zoom=max(base.max_zoom, 20),
            overlay=overlay,
            control=not overlay,
        ).add_to(m)


def _filter_group(
    key: str, title: str, values: pd.Series, labels: Mapping[str, str] | None, missing: str
) -> dict:
    """One filter of the parcel panel: a class per value (labels' order first), codes."""
    s = _clean_text(values).reset_index(drop=True)
    present = set(s.dropna())
    cats = [k for k in (labels or {}) if k in present]
    cats += sorted(present - set(cats))
    idx = {c: i for i, c in enumerate(cats)}
    names = [(labels or {}).get(c, c) for c in cats]
    if s.isna().any():
        names.append(missing)
    codes = s.map(idx).fillna(len(cats)).astype(int).to_numpy()
    return {"key": key, "title": title, "labels": names, "codes": encode_varints(codes)}


def _filters(p: pd.DataFrame, year: int) -> dict:
    """The parcel filters (grade, idle status, zone, industry fit) and the CSV name."""
    return {
        "groups": [
            _filter_group("grade", "亩均效益等级", p["grade"], GRADE_LABELS, "无评价"),
            _filter_group("idle", "闲置状态", p["idle_status"], IDLE_STATUS_LABELS, "无认定结果"),
            _filter_group("zone", "所在开发区", p["zone_name"], None, "不在开发区内"),
            _filter_group("fit", "产业符合性", p["fit"], FIT_LABELS, "无产业数据"),
        ],
        "filename": f"宗地筛选_{year}.csv",
    }


def _fmt(value: Any, fmt: str, missing: str = "—") -> str:
    """``format(value, fmt)``, or ``missing`` for a missing value."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return missing
    try:
        if pd.isna(value):
            return missing
    except (TypeError, ValueError):
        pass
    return format(value, fmt) if fmt else str(value)


def _summary(summary: pd.DataFrame | None) -> dict | None:
    """The zone summary panel: one row of display text per zone (missing: "—")."""
    if summary is None or summary.empty:
        return None
    columns = [
        "开发区", "宗地面积 (亩)", "宗地数", "A 类占比", "D 类占比", "闲置面积 (亩)",
        "闲置费 (万元)", "首位产业", "主导产业", "排名",
    ]  # fmt: skip
    rows = [
        [
            _fmt(r["name"], ""),
            _fmt(r["area_mu"], ",.2f"),
            _fmt(r["parcels"], "d"),
            _fmt(r["share_a"], ".1%"),
            _fmt(r["share_d"], ".1%"),
            _fmt(r["idle_area_mu"], ",.2f"),
            _fmt(r["idle_fee_wan"], ",.2f"),
            _fmt(r["lead_industry"], ""),
            _fmt(r["main_industries"], ""),
            _fmt(r["rank"], ""),
        ]
        for r in summary.to_dict("records")
    ]
    return {"title": UI_TEXT["summary_title"], "columns": columns, "rows": rows}


def _fit_view(canvas: Canvas, data: MapData) -> None:
    """Open the map on the bounds of the parcels, zones and districts."""
    box = _bounds([data.parcels, data.zones, data.districts])
    if box is None:
        canvas.map.location, canvas.map.zoom_start = DEFAULT_VIEW
        return
    if canvas.gcj:
        lon, lat = np.array([box[0][1], box[1][1]]), np.array([box[0][0], box[1][0]])
        glon, glat = wgs84_to_gcj02(lon, lat)
        box = [[float(glat[0]), float(glon[0])], [float(glat[1]), float(glon[1])]]
    canvas.map.fit_bounds(box)


def _district_layer(canvas: Canvas, d: pd.DataFrame) -> None:
    """District boundaries: dashed outlines, no popups (clicks reach what is beneath)."""
    attrs = [_str_column(d["name"], "名称", tooltip=True), _str_column(d["adcode"], "行政区划代码")]
    store = canvas.store("district", d, attrs, title="行政区划")
    color = canvas.policy.zones.district_color
    PolygonLayer(
        store,
        "行政区划边界",
        [{"stroke": color}],
        pane="dz_district",
        weight=1.5,
        fill=False,
        dash=[6, 4],
        interactive=False,
        labels=canvas.labels(d, 0),
        labelClass="dz-label dz-label-district",
    ).add_to(canvas.map)
    items = [{"stroke": color, "label": "县区边界"}]
    canvas.legend("行政区划", items, "行政区划边界", layer_name="行政区划边界")


def _zone_colours(zones: pd.DataFrame, policy: MapsPolicy) -> tuple[np.ndarray, list[dict], list]:
    """Class of each zone by 首位产业 (palette cycled in sorted order; last: none)."""
    palette = list(policy.zones.palette)
    leads = zones["lead_industry"].astype(object).where(zones["lead_industry"].notna(), None)
    codes, uniques = pd.factorize(leads, sort=True, use_na_sentinel=True)
    classes = [
        {"fill": palette[i % len(palette)], "stroke": palette[i % len(palette)]}
        for i in range(len(uniques))
    ]
    classes.append({"fill": policy.zones.no_lead_color, "stroke": "#636363"})
    cls = np.where(codes < 0, len(uniques), codes)
    return cls, classes, list(uniques)


def _zone_legend(z: pd.DataFrame, cls: np.ndarray, classes: list[dict], leads: list) -> list:
    """One legend item per 首位产业: its 主导产业 and the zones that lead with it."""
    items = []
    for k, lead in enumerate(leads):
        rows = z.loc[cls == k]
        split = rows["main_industries"].dropna().astype(str).str.replace("，", "、")
        mains = [
            s for s in dict.fromkeys(split.str.split("、").explode().str.strip()) if s and s != lead
        ]
        names = "、".join(rows["name"].astype(str))
        label = f"首位产业: {lead}" + (f"; 主导产业: {'、'.join(mains)}" if mains else "")
        items.append({**classes[k], "label": f"{label} ({names})"})
    if (cls == len(leads)).any():
        items.append({**classes[-1], "label": "未定首位产业"})
    return items


def _summary_attrs(z: pd.DataFrame, summary: pd.DataFrame | None) -> list[dict]:
    """The zone popup's facts from the job's zone summary (nothing without one)."""
    if summary is None:
        return []
    s = z[["zone_code"]].merge(summary.drop_duplicates("zone_code"), on="zone_code", how="left")
    return [
        _num_column(s["area_mu"], "宗地面积", decimals=2, unit="亩"),
        _num_column(s["parcels"], "宗地数", decimals=0, unit="宗"),
        _num_column(pd.to_numeric(s["share_a"]) * 100, "A 类面积占比", decimals=1, unit="%"),
        _num_column(pd.to_numeric(s["share_d"]) * 100, "D 类面积占比", decimals=1, unit="%"),
        _num_column(s["idle_area_mu"], "闲置土地面积", decimals=2, unit="亩"),
        _num_column(s["idle_fee_wan"], "土地闲置费", decimals=2, unit="万元"),
        _str_column(s["rank"], "集约利用评价排名"),
    ]


def _zone_layer(canvas: Canvas, zones: pd.DataFrame, summary: pd.DataFrame | None) -> None:
    """Zones coloured by 首位产业: outlines above the parcels, labels and popups."""
    z = zones.reset_index(drop=True)
    cls, classes, leads = _zone_colours(z, canvas.policy)
    attrs = [
        _str_column(z["name"], "开发区名称", tooltip=True),
        _str_column(z["zone_code"], "开发区代码"),
        _str_column(z["level"], "批准级别"),
        _str_column(z["zone_type"], "开发区类型"),
        _str_column(z["lead_industry"], "首位产业", tooltip=True),
        _str_column(z["main_industries"], "主导产业"),
        _num_column(z["approved_area_ha"], "核准面积", decimals=2, unit="公顷"),
        *_summary_attrs(z, summary),
    ]
    store = canvas.store("zone", z, attrs, title="开发区")
    name = "开发区 (按首位产业着色)"
    PolygonLayer(
        store,
        name,
        classes,
        cls=cls,
        pane="dz_zone",
        weight=3,
        fillOpacity=0.06,
        edgeHit=6,
        labels=canvas.labels(z, 0),
        labelClass="dz-label dz-label-zone",
    ).add_to(canvas.map)
    items = _zone_legend(z, cls, classes, leads)
    canvas.legend("开发区 (首位产业 / 主导产业)", items, "开发区", layer_name=name)


def _corridor_parts(data: MapData) -> tuple[list[np.ndarray], list[str], list[str]]:
    """Geometries, kinds (走廊范围 / 成员开发区) and names of the corridor layer."""
    parts, kinds, names = [], [], []
    if data.corridor is not None:
        parts.append(data.corridor.geometry.to_numpy())
        kinds += ["走廊范围"] * len(data.corridor)
        names += data.corridor["name"].astype(str).tolist()
    if data.corridor_zones is not None and data.zones is not None:
        mz = data.zones.loc[data.zones["zone_code"].astype(str).isin(data.corridor_zones)]
        parts.append(mz.geometry.to_numpy())
        kinds += ["成员开发区"] * len(mz)
        names += mz["name"].astype(str).tolist()
    return parts, kinds, names


def _corridor_layer(canvas: Canvas, data: MapData) -> None:
    """The corridor's extent and its member zones: outlines, no popups."""
    parts, kinds, names = _corridor_parts(data)
    if not parts or not sum(len(p) for p in parts):
        return
    attrs = [_str_column(pd.Series(names), "名称"), _str_column(pd.Series(kinds), "类型")]
    store = canvas.store("corridor", np.concatenate(parts), attrs, title="合六经济走廊")
    color = canvas.policy.zones.corridor_color
    kind_cls = np.array([0 if k == "走廊范围" else 1 for k in kinds])
    PolygonLayer(
        store,
        "合六经济走廊及成员开发区",
        [{"stroke": color}, {"stroke": color, "fill": color}],
        cls=kind_cls,
        pane="dz_corridor",
        weight=3,
        fillOpacity=0.1,
        interactive=False,
    ).add_to(canvas.map)
    items = [
        {"stroke": color, "label": "走廊范围"},
        {"stroke": color, "fill": color, "label": "成员开发区"},
    ]
    canvas.legend("合六经济走廊", items, "合六经济走廊", layer_name="合六经济走廊及成员开发区")


def _grade_layer(canvas: Canvas, p: pd.DataFrame, year: int) -> PolygonStore:
    """Parcels by performance grade; returns the parcel store the other layers share."""
    pool, attrs = _parcel_attrs(p)
    store = canvas.store("parcel", p, attrs, title="宗地", pool=pool)
    colours = _colours(canvas.policy.grade_colors, MAP_GRADES, "grade_colors")
    grade_idx = {g: i for i, g in enumerate(MAP_GRADES)}
    gcls = p["grade"].map(grade_idx).fillna(grade_idx["none"]).astype(int).to_numpy()
    classes = [{"fill": c, "stroke": "#555555"} for c in colours]
    name = f"宗地亩均效益等级 ({year}年)"
    PolygonLayer(
        store,
        name,
        classes,
        cls=gcls,
        pane="dz_parcel",
        weight=0.5,
        fillOpacity=canvas.policy.fill_opacity,
    ).add_to(canvas.map)
    counts = np.bincount(gcls, minlength=len(MAP_GRADES))
    items = [
        {**classes[i], "label": f"{GRADE_LABELS[g]} ({counts[i]} 宗)"}
        for i, g in enumerate(MAP_GRADES)
    ]
    canvas.legend(name, items, "宗地亩均效益等级", layer_name=name)
    canvas.headline["宗地 parcels"] = len(p)
    return store


def _idle_layer(canvas: Canvas, store: PolygonStore, p: pd.DataFrame, as_of: Any) -> None:
    """Idle land: the parcels whose status is a key of ``[maps.idle_colors]``."""
    drawn = tuple(canvas.policy.idle_colors)
    status = p["idle_status"].astype(object)
    idx = {s: i for i, s in enumerate(drawn)}
    sel = np.flatnonzero(status.isin(drawn).to_numpy())
    icls = status.iloc[sel].map(idx).astype(int).to_numpy()
    classes = [{"fill": canvas.policy.idle_colors[s], "stroke": "#000000"} for s in drawn]
    name = f"闲置土地 (截至 {as_of})"
    PolygonLayer(
        store,
        name,
        classes,
        members=sel,
        cls=icls,
        pane="dz_idle",
        weight=1,
        fillOpacity=0.85,
    ).add_to(canvas.map)
    fee = pd.to_numeric(p["idle_fee_wan"], errors="coerce").iloc[sel]
    count = np.bincount(icls, minlength=len(drawn))
    items = []
    for i, s in enumerate(drawn):
        f = fee[icls == i].sum()
        extra = f", 闲置费 {f:,.2f} 万元" if f > 0 else ""
        label = IDLE_STATUS_LABELS.get(s, s)
        items.append({**classes[i], "label": f"{label} ({count[i]} 宗{extra})"})
    canvas.legend(name, items, "闲置土地", layer_name=name)
    canvas.headline["闲置宗地 idle parcels"] = len(sel)
    canvas.headline["闲置费 idle fees (万元)"] = round(float(fee.sum()), 2)


def _misfit_layer(canvas: Canvas, store: PolygonStore, p: pd.DataFrame) -> None:
    """Parcels whose industry fits none of their zone's lead or main industries."""
    sel = np.flatnonzero((p["fit"].astype(object) == "misfit").to_numpy())
    color = canvas.policy.misfit_color
    PolygonLayer(
        store,
        "产业不符宗地",
        [{"stroke": color}],
        members=sel,
        pane="dz_misfit",
        weight=2.5,
        fill=False,
    ).add_to(canvas.map)
    items = [{"stroke": color, "label": f"{FIT_LABELS['misfit']} ({len(sel)} 宗)"}]
    canvas.legend("产业不符宗地", items, "产业不符宗地", layer_name="产业不符宗地")
    canvas.headline["产业不符宗地 misfit parcels"] = len(sel)


def _crs_text(base: Basemap, gcj: bool) -> str:
    """The legend's line on the basemap and how the data sits on it."""
    if gcj:
        return (
            f"底图: {base.label} (GCJ-02)。数据坐标系: CGCS2000 (EPSG:{SRID}), "
            "已按 GCJ-02 偏移绘制以与底图配准。"
        )
    return (
        f"底图: {base.label} (WGS84)。数据坐标系: CGCS2000 (EPSG:{SRID}), "
        "按经纬度直接绘制 (与 WGS84 相差厘米级)。"
    )


def _runtime(
    canvas: Canvas,
    store: PolygonStore | None,
    *,
    title: str,
    base: Basemap,
    notes: list[str],
    filters: dict | None = None,
    summary: dict | None = None,
) -> None:
    """Legend, search over the parcels, fullscreen, measure and layer controls."""
    legend = {
        "title": title,
        "sections": canvas.sections,
        "crs": _crs_text(base, canvas.gcj),
        "notes": notes,
    }
    search = {
        "placeholder": "搜索宗地代码 / 企业名称",
        "none": "未找到",
        "columns": [0, 1, 2],
        "show": [0, 1, 3],
    }
    m = canvas.map
    m.add_child(Runtime(legend, store, search, filters=filters, summary=summary))
    Fullscreen(title="全屏", title_cancel="退出全屏", position="topleft").add_to(m)
    MeasureControl(
        position="topleft",
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="sqmeters",
        secondary_area_unit="hectares",
    ).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)


def page_title(data: MapData, year: int) -> str:
    """The page's ``<title>``: "<city> 开发区工业用地 <year>" (city when the data names one).

    Examples
    --------
    >>> page_title(MapData(city="六安市"), 2019)
    '六安市 开发区工业用地 2019'
    >>> page_title(MapData(), 2019)
    '开发区工业用地 2019'
    """
    return f"{data.city} 开发区工业用地 {year}" if data.city else f"开发区工业用地 {year}"


def build_map(
    data: MapData,
    *,
    year: int,
    as_of: Any,
    basemap: str | Basemap,
    policy: MapsPolicy,
    tianditu_key: str = "",
) -> tuple[folium.Map, dict[str, Any]]:
    """Assemble the Folium map; returns it with headline facts (counts, layers).

    Parameters
    ----------
    data
        Frames read by :func:`devzone.jobs.maps.read_map_data`.
    year, as_of
        Shown in the layer names and the legend title.
    basemap
        A key of ``policy.basemaps`` (``osm``, ``gaode``, ``tianditu``, ``none``), or a
        :class:`Basemap` (``--tiles``, :func:`devzone.maps.tiles.local_basemap`).
    policy
        The ``[maps]`` section (colours, basemaps, precision, opacity); labels come
        from :mod:`devzone.vocab`.
    tianditu_key
        Replaces ``{tk}`` in the basemap's URLs (天地图).

    Raises
    ------
    ConfigError
        Unknown basemap, or a grade without a colour.
    """
    base = basemap if isinstance(basemap, Basemap) else basemap_of(policy, basemap)
    m = folium.Map(tiles=None, prefer_canvas=True, zoom_control=True, control_scale=False)
    m.dz_title = page_title(data, year)
    canvas = Canvas(m, policy, gcj=base.crs == "GCJ-02")
    _tiles(m, base, tianditu_key)
    _fit_view(canvas, data)
    for i, pane in enumerate(PANES):
        CustomPane(pane, z_index=410 + 10 * i, pointer_events=False).add_to(m)
    if data.districts is not None:
        _district_layer(canvas, data.districts)
    if data.zones is not None:
        _zone_layer(canvas, data.zones, data.zone_summary)
    if data.corridor is not None or data.corridor_zones is not None:
        _corridor_layer(canvas, data)
    store = None
    if data.parcels is not None:
        store = _grade_layer(canvas, data.parcels, year)
        if data.has_idle:
            _idle_layer(canvas, store, data.parcels, as_of)
        if data.has_fit:
            _misfit_layer(canvas, store, data.parcels)
    notes = list(data.notes)
    title = f"开发区工业用地 {year}年 (截至 {as_of})"
    filters = _filters(data.parcels, year) if data.parcels is not None else None
    _runtime(
        canvas,
        store,
        title=title,
        base=base,
        notes=notes,
        filters=filters,
        summary=_summary(data.zone_summary),
    )
    head = canvas.headline
    head["年度 year"] = year
    head["基准日 as-of"] = str(as_of)
    head["图层 layers"] = "、".join(canvas.layers)
    head["底图 basemap"] = f"{base.label} ({'GCJ-02' if canvas.gcj else 'WGS84'})"
    if notes:
        head["说明 notes"] = "; ".join(notes)
    return m, head


def render_html(m: folium.Map) -> str:
    """Render the map to one self-contained HTML string (no remote references)."""
    figure = m.get_root()
    make_offline(figure)
    html = figure.render()
    title = getattr(m, "dz_title", "开发区工业用地")
    html = html.replace("<html>", '<html lang="zh-CN">', 1)
    html = html.replace("<head>", f"<head>\n    <title>{escape(title)}</title>", 1)
    left = remote_references(html)
    if left:
        raise RuntimeError(f"map HTML still references remote resources: {left[:3]}")
    return html
