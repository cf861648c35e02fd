"""Build the planners' map (规划地图) from :class:`~devzone.maps.data.MapData`.

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
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
from branca.element import MacroElement
from folium.map import CustomPane, Layer
from folium.plugins import Fullscreen, MeasureControl
from folium.template import Template

from devzone.crs import geometry_wgs84_to_gcj02
from devzone.errors import ConfigError
from devzone.maps.data import MapData
from devzone.maps.encode import encode_polygons, encode_varints
from devzone.maps.offline import RawHTML, make_offline, remote_references
from devzone.vocab import FIT_LABELS, GRADE_LABELS, IDLE_STATUS_LABELS

__all__ = ["MapStyle", "build_map", "js_json", "render_html"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
IDLE_DRAWN = ("overdue", "idle_fee", "idle_recover", "idle_stalled", "government_cause")
GRADES = ("A", "B", "C", "D", "T", "none")

MapStyle = Mapping[str, Any]


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
        **options: Any,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "DzLayer"
        self.store = store
        spec: dict[str, Any] = {"name": name, "classes": classes}
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
        "DZ.legend({{ this._parent.get_name() }}, {{ this.legend }});"
        "{% if this.search_store %}DZ.search({{ this._parent.get_name() }}, "
        "{{ this.search_store.get_name() }}, {{ this.search }});{% endif %}"
        "{% endmacro %}"
    )

    def __init__(self, legend: dict, search_store: PolygonStore | None, search: dict) -> None:
        super().__init__()
        self._name = "DzRuntime"
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


def _parcel_attrs(p: pd.DataFrame, style: MapStyle) -> tuple[list[str], list[dict]]:
    grade_labels = GRADE_LABELS
    idle_labels = IDLE_STATUS_LABELS
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
        _str_column(_labelled(p["grade"], grade_labels), "亩均效益等级", tooltip=True),
        _num_column(p["tax_per_mu_wan"], "亩均税收", decimals=2, unit="万元/亩"),
        _num_column(p["far"], "容积率", decimals=2),
        _str_column(_labelled(p["idle_status"], idle_labels), "闲置状态"),
        _num_column(p["days_idle"], "闲置天数", decimals=0, unit="天"),
        _num_column(p["idle_fee_wan"], "土地闲置费", decimals=2, unit="万元"),
        _str_column(fit_text, "产业符合性"),
    ]


def _zone_colours(zones: pd.DataFrame, style: MapStyle) -> tuple[np.ndarray, list[dict], list]:
    palette = list(style["zones"]["palette"])
    leads = zones["lead_industry"].astype(object).where(zones["lead_industry"].notna(), None)
    codes, uniques = pd.factorize(leads, sort=True, use_na_sentinel=True)
    classes = [
        {"fill": palette[i % len(palette)], "stroke": palette[i % len(palette)]}
        for i in range(len(uniques))
    ]
    classes.append({"fill": style["zones"]["no_lead_color"], "stroke": "#636363"})
    cls = np.where(codes < 0, len(uniques), codes)
    return cls, classes, list(uniques)


def _bounds(frames: list[Any]) -> list[list[float]] | None:
    boxes = [f.total_bounds for f in frames if f is not None and len(f)]
    if not boxes:
        return None
    b = np.vstack(boxes)
    return [
        [float(b[:, 1].min()), float(b[:, 0].min())],
        [float(b[:, 3].max()), float(b[:, 2].max())],
    ]


def build_map(
    data: MapData, *, year: int, as_of: Any, basemap: str, style: MapStyle
) -> tuple[folium.Map, dict[str, Any]]:
    """Assemble the Folium map; returns it with headline facts (counts, layers).

    Parameters
    ----------
    data
        Frames read by :func:`devzone.maps.data.read_map_data`.
    year, as_of
        Shown in the layer names and the legend title.
    basemap
        A key of ``style["basemaps"]`` (``osm``, ``gaode``, ``none``).
    style
        The ``[maps]`` policy table (colours, labels, basemaps, precision).
    """
    bases = style["basemaps"]
    if basemap not in bases:
        raise ConfigError(
            f"Unknown basemap {basemap!r}; choose one of {', '.join(sorted(bases))} "
            "(or add a maps.basemaps.<name> table to your --config)."
        )
    base = bases[basemap]
    gcj = str(base.get("crs", "")).upper() == "GCJ-02"
    precision = int(style.get("precision", 6))
    opacity = float(style.get("fill_opacity", 0.7))

    def geoms(frame: pd.DataFrame) -> np.ndarray:
        arr = frame.geometry.to_numpy()
        return geometry_wgs84_to_gcj02(arr) if gcj else arr

    m = folium.Map(tiles=None, prefer_canvas=True, zoom_control=True, control_scale=False)
    if base.get("url"):
        folium.TileLayer(
            tiles=base["url"],
            attr=base.get("attribution") or base.get("label", basemap),
            name=f"底图: {base.get('label', basemap)}",
            subdomains=base.get("subdomains") or "abc",
            max_zoom=int(base.get("max_zoom", 18)),
            overlay=False,
            control=True,
        ).add_to(m)
    frames = [data.parcels, data.zones, data.districts]
    box = _bounds(frames)
    if box is not None and gcj:
        lon, lat = np.array([box[0][1], box[1][1]]), np.array([box[0][0], box[1][0]])
        from devzone.crs import wgs84_to_gcj02

        glon, glat = wgs84_to_gcj02(lon, lat)
        box = [[float(glat[0]), float(glon[0])], [float(glat[1]), float(glon[1])]]
    if box is not None:
        m.fit_bounds(box)
    else:
        m.location, m.zoom_start = [31.75, 116.5], 9

    for i, pane in enumerate(
        ("dz_district", "dz_zone", "dz_corridor", "dz_parcel", "dz_idle", "dz_misfit")
    ):
        CustomPane(pane, z_index=410 + 10 * i, pointer_events=False).add_to(m)

    sections: list[dict] = []
    layers: list[str] = []
    notes = list(data.notes)
    headline: dict[str, Any] = {}

    if data.districts is not None:
        d = data.districts
        store = PolygonStore(
            "district",
            geoms(d),
            [
                _str_column(d["name"], "名称", tooltip=True),
                _str_column(d["adcode"], "行政区划代码"),
            ],
            title="行政区划",
            precision=precision,
        )
        m.add_child(store)
        color = style["zones"]["district_color"]
        PolygonLayer(
            store,
            "行政区划边界",
            [{"stroke": color}],
            pane="dz_district",
            weight=1.5,
            fill=False,
            dash=[6, 4],
            interactive=False,
        ).add_to(m)
        sections.append({"title": "行政区划", "items": [{"stroke": color, "label": "县区边界"}]})
        layers.append("行政区划边界")

    zone_store = None
    if data.zones is not None:
        z = data.zones.reset_index(drop=True)
        cls, classes, leads = _zone_colours(z, style)
        zone_store = PolygonStore(
            "zone",
            geoms(z),
            [
                _str_column(z["name"], "开发区名称", tooltip=True),
                _str_column(z["zone_code"], "开发区代码"),
                _str_column(z["level"], "批准级别"),
                _str_column(z["zone_type"], "开发区类型"),
                _str_column(z["lead_industry"], "首位产业", tooltip=True),
                _str_column(z["main_industries"], "主导产业"),
                _num_column(z["approved_area_ha"], "核准面积", decimals=2, unit="公顷"),
            ],
            title="开发区",
            precision=precision,
        )
        m.add_child(zone_store)
        PolygonLayer(
            zone_store,
            "开发区 (按首位产业着色)",
            classes,
            cls=cls,
            pane="dz_zone",
            weight=2,
            fillOpacity=0.15,
        ).add_to(m)
        items = []
        for k, lead in enumerate(leads):
            rows = z.loc[cls == k]
            split = rows["main_industries"].dropna().astype(str).str.replace("，", "、")
            mains = [
                s
                for s in dict.fromkeys(split.str.split("、").explode().str.strip())
                if s and s != lead
            ]
            names = "、".join(rows["name"].astype(str))
            label = f"首位产业: {lead}" + (f"; 主导产业: {'、'.join(mains)}" if mains else "")
            items.append({**classes[k], "label": f"{label} ({names})"})
        if (cls == len(leads)).any():
            items.append({**classes[-1], "label": "未定首位产业"})
        sections.append({"title": "开发区 (首位产业 / 主导产业)", "items": items})
        layers.append("开发区")

    if data.corridor is not None or data.corridor_zones is not None:
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
        if parts and sum(len(p) for p in parts):
            arr = np.concatenate(parts)
            cstore = PolygonStore(
                "corridor",
                geometry_wgs84_to_gcj02(arr) if gcj else arr,
                [_str_column(pd.Series(names), "名称"), _str_column(pd.Series(kinds), "类型")],
                title="合六经济走廊",
                precision=precision,
            )
            m.add_child(cstore)
            color = style["zones"]["corridor_color"]
            kind_cls = np.array([0 if k == "走廊范围" else 1 for k in kinds])
            PolygonLayer(
                cstore,
                "合六经济走廊及成员开发区",
                [{"stroke": color}, {"stroke": color, "fill": color}],
                cls=kind_cls,
                pane="dz_corridor",
                weight=3,
                fillOpacity=0.1,
                interactive=False,
            ).add_to(m)
            sections.append(
                {
                    "title": "合六经济走廊",
                    "items": [
                        {"stroke": color, "label": "走廊范围"},
                        {"stroke": color, "fill": color, "label": "成员开发区"},
                    ],
                }
            )
            layers.append("合六经济走廊")

    parcel_store = None
    if data.parcels is not None:
        p = data.parcels
        pool, attrs = _parcel_attrs(p, style)
        parcel_store = PolygonStore(
            "parcel", geoms(p), attrs, title="宗地", precision=precision, pool=pool
        )
        m.add_child(parcel_store)
        grade_idx = {g: i for i, g in enumerate(GRADES)}
        gcls = p["grade"].map(grade_idx).fillna(grade_idx["none"]).astype(int).to_numpy()
        gclasses = [{"fill": style["grade_colors"][g], "stroke": "#555555"} for g in GRADES]
        name = f"宗地亩均效益等级 ({year}年)"
        PolygonLayer(
            parcel_store,
            name,
            gclasses,
            cls=gcls,
            pane="dz_parcel",
            weight=0.5,
            fillOpacity=opacity,
        ).add_to(m)
        counts = np.bincount(gcls, minlength=len(GRADES))
        sections.append(
            {
                "title": name,
                "items": [
                    {
                        "fill": style["grade_colors"][g],
                        "stroke": "#555555",
                        "label": f"{GRADE_LABELS[g]} ({counts[i]} 宗)",
                    }
                    for i, g in enumerate(GRADES)
                ],
            }
        )
        layers.append("宗地亩均效益等级")
        headline["宗地 parcels"] = len(p)

        if data.has_idle:
            status = p["idle_status"].astype(object)
            idx = {s: i for i, s in enumerate(IDLE_DRAWN)}
            sel = np.flatnonzero(status.isin(IDLE_DRAWN).to_numpy())
            icls = status.iloc[sel].map(idx).astype(int).to_numpy()
            iclasses = [
                {"fill": style["idle_colors"][s], "stroke": "#000000"} for s in IDLE_DRAWN
            ]
            iname = f"闲置土地 (截至 {as_of})"
            PolygonLayer(
                parcel_store,
                iname,
                iclasses,
                members=sel,
                cls=icls,
                pane="dz_idle",
                weight=1,
                fillOpacity=0.85,
            ).add_to(m)
            fee = pd.to_numeric(p["idle_fee_wan"], errors="coerce").iloc[sel]
            icount = np.bincount(icls, minlength=len(IDLE_DRAWN))
            items = []
            for i, s in enumerate(IDLE_DRAWN):
                f = fee[icls == i].sum()
                extra = f", 闲置费 {f:,.2f} 万元" if f > 0 else ""
                items.append(
                    {
                        "fill": style["idle_colors"][s],
                        "stroke": "#000000",
                        "label": f"{IDLE_STATUS_LABELS[s]} ({icount[i]} 宗{extra})",
                    }
                )
            sections.append({"title": iname, "items": items})
            layers.append("闲置土地")
            headline["闲置宗地 idle parcels"] = len(sel)
            headline["闲置费 idle fees (万元)"] = round(float(fee.sum()), 2)
        if data.has_fit:
            sel = np.flatnonzero((p["fit"].astype(object) == "misfit").to_numpy())
            color = style["misfit_color"]
            PolygonLayer(
                parcel_store,
                "产业不符宗地",
                [{"stroke": color}],
                members=sel,
                pane="dz_misfit",
                weight=2.5,
                fill=False,
            ).add_to(m)
            sections.append(
                {
                    "title": "产业不符宗地",
                    "items": [
                        {
                            "stroke": color,
                            "label": f"{FIT_LABELS['misfit']} ({len(sel)} 宗)",
                        }
                    ],
                }
            )
            layers.append("产业不符宗地")
            headline["产业不符宗地 misfit parcels"] = len(sel)

    base_label = base.get("label", basemap)
    if gcj:
        crs_text = (
            f"底图: {base_label} (GCJ-02)。数据坐标系: CGCS2000 (EPSG:4490), "
            "已按 GCJ-02 偏移绘制以与底图配准。"
        )
    else:
        crs_text = (
            f"底图: {base_label} (WGS84)。数据坐标系: CGCS2000 (EPSG:4490), "
            "按经纬度直接绘制 (与 WGS84 相差厘米级)。"
        )
    legend = {
        "title": f"开发区工业用地 {year}年 (截至 {as_of})",
        "sections": sections,
        "crs": crs_text,
        "notes": notes,
    }
    search = {
        "placeholder": "搜索宗地代码 / 企业名称",
        "none": "未找到",
        "columns": [0, 1, 2],
        "show": [0, 1],
    }
    m.add_child(Runtime(legend, parcel_store, search))
    Fullscreen(title="全屏", title_cancel="退出全屏", position="topleft").add_to(m)
    MeasureControl(
        position="topleft",
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="sqmeters",
        secondary_area_unit="hectares",
    ).add_to(m)
    folium.LayerControl(collapsed=False, position="topright").add_to(m)
    headline["年度 year"] = year
    headline["基准日 as-of"] = str(as_of)
    headline["图层 layers"] = "、".join(layers)
    headline["底图 basemap"] = f"{base_label} ({'GCJ-02' if gcj else 'WGS84'})"
    if notes:
        headline["说明 notes"] = "; ".join(notes)
    return m, headline


def render_html(m: folium.Map) -> str:
    """Render the map to one self-contained HTML string (no remote references)."""
    figure = m.get_root()
    make_offline(figure)
    html = figure.render()
    left = remote_references(html)
    if left:
        raise RuntimeError(f"map HTML still references remote resources: {left[:3]}")
    return html
