"""Layer styles stored in the database, so QGIS opens every layer styled and in Chinese.

QGIS reads a layer's default style from the ``layer_styles`` table (its own convention,
the same on GeoPackage and PostGIS). :func:`write_styles` stores one QML per layer:

* ``parcel_latest`` — categorised by 亩均效益等级 (``grade``);
* ``parcel_idle_status`` — by 闲置状态 (``status``; the statuses the map draws);
* ``dev_zone`` — by 首位产业 (``lead_industry``, the map's palette in sorted order);
* ``parcel_case`` (when the case tables exist) — by 案件状态 (``state``);
* every other table — one symbol (feature layers) and the aliases only (attributes).

Every style carries the Chinese alias of each field (the column comments' titles, see
:func:`devzone.db.gpkg_meta.column_title`). Colours come from ``policy.maps``, labels
from :mod:`devzone.vocab`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from xml.sax.saxutils import quoteattr

from sqlalchemy import Connection, Engine, text

from devzone import vocab
from devzone.policy import load_policy
from devzone.policy.sections import MapsPolicy

__all__ = ["STYLE_NAME", "Category", "categorized_qml", "layer_qml", "write_styles"]

#: ``styleName`` of the styles devzone writes (replaced on every refresh).
STYLE_NAME = "devzone"

#: One category of a categorised renderer: value (None = NULL), label, colour or None
#: (outline only).
Category = tuple[str | None, str, str | None]

_OUTLINE = "#505050"
_PG_DDL = """CREATE TABLE IF NOT EXISTS layer_styles (
  id SERIAL PRIMARY KEY, f_table_catalog varchar, f_table_schema varchar,
  f_table_name varchar, f_geometry_column varchar, stylename text, styleqml xml,
  stylesld xml, useasdefault boolean, description text,
  owner varchar(63) DEFAULT CURRENT_USER, ui xml, update_time timestamp DEFAULT now(),
  type varchar)"""
_GPKG_DDL = """CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT, f_table_schema TEXT,
  f_table_name TEXT, f_geometry_column TEXT, styleName TEXT, styleQML TEXT,
  styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT, ui TEXT,
  update_time DATETIME)"""


def _rgba(colour: str | None, alpha: int = 255) -> str:
    """``#rrggbb`` as QGIS's ``r,g,b,a``; ``None`` as transparent.

    Examples
    --------
    >>> _rgba("#1a9850")
    '26,152,80,255'
    """
    if colour is None:
        return "0,0,0,0"
    c = colour.lstrip("#")
    return ",".join(str(int(c[i : i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _fill_symbol(
    name: str, colour: str | None, opacity: float, outline: str | None = _OUTLINE
) -> str:
    """A simple fill; ``colour`` None: outline only; both None: not drawn (listed only)."""
    style = "solid" if colour is not None else "no"
    line = "solid" if outline else "no"
    return (
        f'<symbol type="fill" name="{name}" alpha="{opacity}" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
        f'<prop k="color" v="{_rgba(colour)}"/><prop k="style" v="{style}"/>'
        f'<prop k="outline_color" v="{_rgba(outline)}"/><prop k="outline_style" v="{line}"/>'
        f'<prop k="outline_width" v="{0.1 if colour else 0.4}"/>'
        '<prop k="outline_width_unit" v="MM"/>'
        "</layer></symbol>"
    )


def categorized_qml(attr: str, categories: Sequence[Category], opacity: float) -> str:
    """A categorised fill renderer (``renderer-v2``) on ``attr``."""
    cats = "".join(
        f'<category render="true" symbol="{i}" value={quoteattr("" if v is None else v)}'
        f" label={quoteattr(label)}/>"
        for i, (v, label, _) in enumerate(categories)
    )
    symbols = "".join(
        _fill_symbol(str(i), c, opacity, _OUTLINE if c else None)
        for i, (_, _, c) in enumerate(categories)
    )
    return (
        f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(attr)} symbollevels="0"'
        f' enableorderby="0" forceraster="0"><categories>{cats}</categories>'
        f"<symbols>{symbols}</symbols></renderer-v2>"
    )


def _single_qml(colour: str | None, opacity: float, outline: str | None = _OUTLINE) -> str:
    return (
        '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">'
        f"<symbols>{_fill_symbol('0', colour, opacity, outline)}</symbols></renderer-v2>"
    )


def layer_qml(aliases: Sequence[tuple[str, str]], renderer: str | None) -> str:
    """A QML document: the renderer (feature layers) and one alias per field."""
    body = "".join(
        f'<alias field={quoteattr(f)} index="{i}" name={quoteattr(a)}/>'
        for i, (f, a) in enumerate(aliases)
    )
    geometry = "<layerGeometryType>2</layerGeometryType>" if renderer else ""
    return (
        '<qgis version="3.22.0" styleCategories="AllStyleCategories">'
        f"{renderer or ''}<aliases>{body}</aliases>{geometry}</qgis>"
    )


def _grade_categories(maps: MapsPolicy) -> list[Category]:
    cats: list[Category] = [
        (g, vocab.GRADE_LABELS.get(g, g), maps.grade_colors.get(g)) for g in vocab.GRADES
    ]
    return [*cats, (None, vocab.GRADE_LABELS["none"], maps.grade_colors.get("none"))]


def _idle_categories(maps: MapsPolicy) -> list[Category]:
    drawn = [s for s in vocab.STATUSES if s in maps.idle_colors]
    cats: list[Category] = [(s, vocab.IDLE_STATUS_LABELS[s], maps.idle_colors[s]) for s in drawn]
    rest = [s for s in vocab.STATUSES if s not in maps.idle_colors]
    return cats + [(s, vocab.IDLE_STATUS_LABELS[s], None) for s in rest]


def _lead_categories(conn: Connection, maps: MapsPolicy) -> list[Category]:
    leads = conn.execute(
        text("SELECT DISTINCT lead_industry FROM dev_zone WHERE lead_industry IS NOT NULL")
    ).scalars()
    pal = maps.zones.palette
    cats: list[Category] = [(v, v, pal[i % len(pal)]) for i, v in enumerate(sorted(leads))]
    return [*cats, (None, "未定首位产业", maps.zones.no_lead_color)]


def _case_categories(maps: MapsPolicy) -> list[Category]:
    labels: dict[str, str] = getattr(vocab, "CASE_STATE_LABELS", {})
    pal = maps.zones.palette
    return [(s, lab, pal[i % len(pal)]) for i, (s, lab) in enumerate(labels.items())]


def _renderer(conn: Connection, name: str, maps: MapsPolicy) -> str:
    """The renderer of one feature layer."""
    op = maps.fill_opacity
    if name == "parcel_latest":
        return categorized_qml("grade", _grade_categories(maps), op)
    if name == "parcel_idle_status":
        return categorized_qml("status", _idle_categories(maps), op)
    if name == "dev_zone":
        return categorized_qml("lead_industry", _lead_categories(conn, maps), op)
    if name == "parcel_case":
        return categorized_qml("state", _case_categories(maps), op)
    if name == "district":
        return _single_qml(None, 1.0, maps.zones.district_color)
    if name in ("corridor", "corridor_zone"):
        return _single_qml(None, 1.0, maps.zones.corridor_color)
    return _single_qml(maps.grade_colors.get("none"), op)


def _insert_style(conn: Connection, gpkg: bool, row: dict[str, object]) -> None:
    if gpkg:
        conn.execute(
            text("DELETE FROM layer_styles WHERE f_table_name = :t AND styleName = :s"),
            row,
        )
        conn.execute(
            text(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name,"
                " f_geometry_column, styleName, styleQML, styleSLD, useAsDefault,"
                " description, owner, ui, update_time) VALUES ('', '', :t, :g, :s, :q, '',"
                " 1, :d, 'devzone', '', :u)"
            ),
            row,
        )
        return
    conn.execute(
        text(
            "DELETE FROM layer_styles WHERE f_table_name = :t AND stylename = :s"
            " AND f_table_schema = current_schema()"
        ),
        row,
    )
    conn.execute(
        text(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name,"
            " f_geometry_column, stylename, styleqml, stylesld, useasdefault, description,"
            " owner, ui) VALUES (current_database(), current_schema(), :t, :g, :s,"
            " XMLPARSE(DOCUMENT :q), NULL, true, :d, 'devzone', NULL)"
        ),
        row,
    )


def _ensure_table(conn: Connection, gpkg: bool) -> None:
    if not gpkg:
        conn.exec_driver_sql(_PG_DDL)
        # QGIS ≥ 3.22 filters on ``type`` (NULL: any layer type)
        conn.exec_driver_sql("ALTER TABLE layer_styles ADD COLUMN IF NOT EXISTS type varchar")
        return
    conn.exec_driver_sql(_GPKG_DDL)
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)"
        " VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS 图层样式')"
    )


def write_styles(
    engine: Engine,
    layers: Mapping[str, Sequence[tuple[str, str]]],
    *,
    maps: MapsPolicy | None = None,
) -> list[str]:
    """Store the default QML of each layer: ``{layer: [(field, 中文别名), …]}``.

    A layer with a ``geom`` field is drawn (its renderer); the others get aliases only.
    Called by :func:`devzone.db.gpkg_meta.refresh_metadata`, which knows the layers.

    Returns
    -------
    list of str
        The layers styled.
    """
    maps = maps or load_policy().maps
    gpkg = engine.dialect.name == "geopackage"
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    with engine.begin() as conn:
        _ensure_table(conn, gpkg)
        for name, aliases in layers.items():
            geom = "geom" if any(f == "geom" for f, _ in aliases) else None
            renderer = _renderer(conn, name, maps) if geom else None
            row = {"t": name, "g": geom or ("" if gpkg else None), "s": STYLE_NAME, "u": now}
            row |= {"q": layer_qml(aliases, renderer), "d": "devzone 默认样式"}
            _insert_style(conn, gpkg, row)
    return list(layers)
