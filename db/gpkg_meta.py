"""What QGIS and other readers expect beside the rows: metadata, extents, latest views.

:func:`refresh_metadata` is the one call made after the schema is created
(:func:`devzone.db.admin.init_db`), after a result is written
(:func:`devzone.db.io.write_frame`), at the end of an ETL load and at the end of the
demo. On a GeoPackage it sets

* the file header: ``application_id`` ``GPKG`` and ``user_version`` 10200 (GeoPackage 1.2);
* the two undefined systems of ``gpkg_spatial_ref_sys`` (srs_id -1 and 0, spec §1.1.2.1.2);
* each feature table's extent in ``gpkg_contents`` (from its R*Tree index);
* ``gpkg_data_columns`` (Schema extension, registered in ``gpkg_extensions``): each
  column's Chinese title and full description, from the SQLAlchemy column comments;

and on both backends the "latest evaluation" layer (:data:`LATEST_VIEWS`) and the layer
styles (:func:`devzone.db.styles.write_styles`). Everything is idempotent and cheap: a
call names the tables it touched, or ``None`` for all of them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Column, Connection, Engine, MetaData, inspect, text
from sqlalchemy.exc import DBAPIError

from devzone.db.schema import Base
from devzone.db.styles import write_styles
from devzone.policy.sections import MapsPolicy
from devzone.units import SRID

__all__ = [
    "APPLICATION_ID",
    "LATEST_VIEWS",
    "USER_VERSION",
    "View",
    "column_title",
    "field_aliases",
    "refresh_metadata",
    "view_sources",
]

#: ``PRAGMA application_id`` of a GeoPackage: the ASCII bytes ``GPKG``.
APPLICATION_ID = int.from_bytes(b"GPKG", "big")
#: ``PRAGMA user_version``: GeoPackage 1.2.0.
USER_VERSION = 10200

_SCHEMA_EXT = "http://www.geopackage.org/spec120/#extension_schema"


@dataclass(frozen=True)
class View:
    """A layer defined by SQL over the tables (the same SQL on both backends)."""

    description: str
    sql: str
    #: Tables the view reads, in the order their column comments title its columns.
    sources: tuple[str, ...]
    #: Titles that differ from the source column's (a view mixes several tables).
    titles: tuple[tuple[str, str], ...] = ()


#: "The latest evaluation" a planner can join without filters: each parcel with its own
#: latest year's grade/score (parcel_performance) and latest idle status; and, once the
#: case tables exist, each parcel's latest case.
LATEST_VIEWS: dict[str, View] = {
    "parcel_latest": View(
        "宗地最新评价 (每宗地最近一年的亩均效益等级与最近一期闲置状态)",
        """
SELECT p.fid, p.parcel_code, p.supervision_no, p.zone_code, p.holder, p.location,
       p.area_m2, p.land_use, perf.year, perf.grade, perf.score, idle.as_of_date,
       idle.status, idle.idle_fee_wan, p.geom
FROM parcel p
LEFT JOIN parcel_performance perf
  ON perf.fid = (SELECT pp.fid FROM parcel_performance pp
                 WHERE pp.parcel_code = p.parcel_code
                 ORDER BY pp.year DESC, pp.fid DESC LIMIT 1)
LEFT JOIN parcel_idle_status idle
  ON idle.fid = (SELECT pi.fid FROM parcel_idle_status pi
                 WHERE pi.parcel_code = p.parcel_code
                 ORDER BY pi.as_of_date DESC, pi.fid DESC LIMIT 1)
""",
        ("parcel", "parcel_performance", "parcel_idle_status"),
        (
            ("year", "评价年度"),
            ("grade", "评价等级"),
            ("score", "评价得分"),
            ("as_of_date", "闲置认定基准日"),
            ("status", "闲置状态"),
        ),
    ),
    "parcel_case": View(
        "宗地最新案件 (每宗地最近立案的闲置土地/退出案件及其状态)",
        """
SELECT p.fid, p.parcel_code, p.zone_code, p.holder, p.location, p.area_m2, c.case_id,
       c.procedure, c.state, c.next_step, c.next_due, p.geom
FROM parcel p
JOIN land_case c
  ON c.fid = (SELECT lc.fid FROM land_case lc
              WHERE lc.parcel_code = p.parcel_code
              ORDER BY lc.opened_on DESC, lc.fid DESC LIMIT 1)
""",
        ("parcel", "land_case"),
        (("state", "案件状态"),),
    ),
}


def view_sources(name: str) -> set[str]:
    """The tables a view reads (empty for a table).

    Examples
    --------
    >>> sorted(view_sources("parcel_latest"))
    ['parcel', 'parcel_idle_status', 'parcel_performance']
    """
    view = LATEST_VIEWS.get(name)
    return set(view.sources) if view else set()


#: Titles of the columns that carry no comment.
_UNCOMMENTED = {"fid": "要素编号"}


def all_tables() -> MetaData:
    """Input and result tables (as :func:`devzone.db.admin.all_tables`, which calls us)."""
    from devzone.db import results  # noqa: F401  (registers the result tables)

    return Base.metadata


_TITLE_END = re.compile(r"[\s(（]")


def column_title(comment: str | None, name: str) -> str:
    """The short Chinese title of a column: its comment up to the first space or bracket.

    Examples
    --------
    >>> column_title("宗地面积 (平方米, 登记)", "area_m2")
    '宗地面积'
    >>> column_title("评价等级 A/B/C/D", "grade")
    '评价等级'
    >>> column_title(None, "fid")
    'fid'
    """
    if not comment:
        return name
    return _TITLE_END.split(comment.strip(), maxsplit=1)[0] or name


def _is_gpkg(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "geopackage"


def _header(conn: Connection) -> None:
    if conn.exec_driver_sql("PRAGMA application_id").scalar() != APPLICATION_ID:
        conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
    if (conn.exec_driver_sql("PRAGMA user_version").scalar() or 0) < USER_VERSION:
        conn.exec_driver_sql(f"PRAGMA user_version = {USER_VERSION}")


def _undefined_srs(conn: Connection) -> None:
    rows = (
        (-1, "Undefined Cartesian SRS", "undefined Cartesian coordinate reference system"),
        (0, "Undefined geographic SRS", "undefined geographic coordinate reference system"),
    )
    for srs_id, name, desc in rows:
        conn.execute(
            text(
                "INSERT OR IGNORE INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization,"
                " organization_coordsys_id, definition, description)"
                " VALUES (:n, :i, 'NONE', :i, 'undefined', :d)"
            ),
            {"n": name, "i": srs_id, "d": desc},
        )


#: Fixes of the GeoPackage 1.0 base tables SpatiaLite creates, to the 1.2 text the
#: validator expects (same meaning: ``CURRENT_TIMESTAMP`` and ``'now'`` are one instant).
_SCHEMA_FIXES = (
    ("gpkg_contents", "%fZ',CURRENT_TIMESTAMP)", "%fZ','now')"),
    ("gpkg_metadata_reference", "%fZ',CURRENT_TIMESTAMP)", "%fZ','now')"),
    ("gpkg_metadata", "metadata TEXT NOT NULL)", "metadata TEXT NOT NULL DEFAULT '')"),
)
#: GeoPackage 1.0 Annex N triggers (dropped from the spec in 1.2; GDAL never writes them).
_OLD_TRIGGER_EXTENSIONS = ("gpkg_geometry_type_trigger", "gpkg_srs_id_trigger")


def _fix_base_tables(conn: Connection) -> None:
    """Bring SpatiaLite's GeoPackage 1.0 base tables to GeoPackage 1.2."""
    conn.exec_driver_sql(
        "UPDATE gpkg_spatial_ref_sys SET definition = 'undefined'"
        " WHERE srs_id IN (-1, 0) AND definition <> 'undefined'"
    )
    fixes = []
    for table, old, new in _SCHEMA_FIXES:
        sql = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
        ).scalar()
        if sql and old in sql:
            fixes.append((table, old, new))
    if fixes:
        version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
        conn.exec_driver_sql("PRAGMA writable_schema = ON")
        for table, old, new in fixes:
            conn.execute(
                text("UPDATE sqlite_master SET sql = replace(sql, :o, :n) WHERE name = :t"),
                {"o": old, "n": new, "t": table},
            )
        conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    old_triggers = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND ("
        "name LIKE 'fgti\\_%' ESCAPE '\\' OR name LIKE 'fgtu\\_%' ESCAPE '\\' OR "
        "name LIKE 'fgsi\\_%' ESCAPE '\\' OR name LIKE 'fgsu\\_%' ESCAPE '\\')"
    ).scalars()
    for name in list(old_triggers):
        conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')
    conn.execute(
        text("DELETE FROM gpkg_extensions WHERE extension_name IN (:a, :b)"),
        {"a": _OLD_TRIGGER_EXTENSIONS[0], "b": _OLD_TRIGGER_EXTENSIONS[1]},
    )


def _extents(conn: Connection, tables: set[str] | None) -> None:
    features = conn.execute(text("SELECT table_name, column_name FROM gpkg_geometry_columns")).all()
    present = set(
        conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'").scalars()
    )
    for name, col in features:
        if tables is not None and name not in tables:
            continue
        rtree = f"rtree_{name}_{col}"
        if rtree in present:
            sql = f'SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "{rtree}"'
        elif name in LATEST_VIEWS:  # a view over parcel: the parcel's extent
            sql = 'SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "rtree_parcel_geom"'
            if "rtree_parcel_geom" not in present:
                continue
        else:
            continue
        box = conn.exec_driver_sql(sql).one()
        conn.execute(
            text(
                "UPDATE gpkg_contents SET min_x = :a, min_y = :b, max_x = :c, max_y = :d"
                " WHERE table_name = :t"
            ),
            {"a": box[0], "b": box[1], "c": box[2], "d": box[3], "t": name},
        )


_DATA_COLUMNS_DDL = (
    """CREATE TABLE IF NOT EXISTS gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
  description TEXT, mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name))""",
    """CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
  constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT,
  min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN,
  description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))""",
)


def _register_schema_extension(conn: Connection) -> None:
    for ddl in _DATA_COLUMNS_DDL:
        conn.exec_driver_sql(ddl)
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT,"
        " extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL,"
        " CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))"
    )
    for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
        known = conn.execute(
            text(
                "SELECT 1 FROM gpkg_extensions WHERE table_name = :t"
                " AND extension_name = 'gpkg_schema'"
            ),
            {"t": table},
        ).first()
        if known is None:
            conn.execute(
                text(
                    "INSERT INTO gpkg_extensions (table_name, column_name, extension_name,"
                    " definition, scope) VALUES (:t, NULL, 'gpkg_schema', :d, 'read-write')"
                ),
                {"t": table, "d": _SCHEMA_EXT},
            )


def _select_list(sql: str) -> list[str]:
    """The output column names of a view's ``SELECT a.x, b.y … FROM``."""
    head = sql.split("FROM", 1)[0].replace("SELECT", "", 1)
    return [item.strip().split(".")[-1] for item in head.split(",")]


def _columns_of(name: str) -> list[Column]:
    """The columns of a table, or of a view (each taken from the first source having it)."""
    tables = all_tables().tables
    if name not in LATEST_VIEWS:
        return list(tables[name].c) if name in tables else []
    view = LATEST_VIEWS[name]
    out = []
    for col_name in _select_list(view.sql):
        for src in view.sources:
            if src in tables and col_name in tables[src].c:
                out.append(tables[src].c[col_name])
                break
    return out


def _titles(name: str) -> list[tuple[Column, str]]:
    """Each column of a table or view with its Chinese title."""
    view = LATEST_VIEWS.get(name)
    own = dict(view.titles) if view else {}
    return [
        (c, own.get(c.name) or _UNCOMMENTED.get(c.name) or column_title(c.comment, c.name))
        for c in _columns_of(name)
    ]


def field_aliases(name: str) -> list[tuple[str, str]]:
    """``(column, 中文标题)`` of each field of a table or view, for QGIS aliases.

    Examples
    --------
    >>> aliases = dict(field_aliases("parcel_latest"))
    >>> aliases["grade"], aliases["area_m2"], aliases["fid"]
    ('评价等级', '宗地面积', '要素编号')
    """
    return [(c.name, title) for c, title in _titles(name)]


def _data_columns(conn: Connection, tables: set[str] | None) -> None:
    _register_schema_extension(conn)
    registered = set(conn.exec_driver_sql("SELECT table_name FROM gpkg_contents").scalars())
    for name in sorted(registered):
        if tables is not None and name not in tables:
            continue
        cols = _titles(name)
        if not cols:
            continue
        conn.execute(text("DELETE FROM gpkg_data_columns WHERE table_name = :t"), {"t": name})
        conn.execute(
            text(
                "INSERT INTO gpkg_data_columns (table_name, column_name, name, title,"
                " description) VALUES (:t, :c, :c, :ti, :d)"
            ),
            [{"t": name, "c": c.name, "ti": title, "d": c.comment or title} for c, title in cols],
        )


def _create_views(conn: Connection, *, gpkg: bool) -> list[str]:
    """Create the views whose source tables exist; the names of those present."""
    insp = inspect(conn)
    tables, present = set(insp.get_table_names()), set(insp.get_view_names())
    out = []
    for name, view in LATEST_VIEWS.items():
        if not set(view.sources) <= tables:
            continue
        if name in present:
            out.append(name)
            continue
        try:
            with conn.begin_nested():  # a source table of another shape: no view, no abort
                conn.exec_driver_sql(f'CREATE VIEW "{name}" AS {view.sql}')
                conn.exec_driver_sql(f'SELECT * FROM "{name}" LIMIT 0')  # SQLite binds late
        except DBAPIError as exc:
            warnings.warn(f"view {name} not created: {exc.orig}", RuntimeWarning, stacklevel=2)
            continue
        out.append(name)
        if not gpkg:
            conn.exec_driver_sql(f"COMMENT ON VIEW \"{name}\" IS '{view.description}'")
            continue
        conn.execute(
            text(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier,"
                " description, srs_id) VALUES (:t, 'features', :t, :d, :s)"
            ),
            {"t": name, "d": view.description, "s": SRID},
        )
        conn.execute(
            text(
                "INSERT OR IGNORE INTO gpkg_geometry_columns (table_name, column_name,"
                " geometry_type_name, srs_id, z, m) VALUES (:t, 'geom', 'MULTIPOLYGON', :s, 0, 0)"
            ),
            {"t": name, "s": SRID},
        )
    return out


def _views_over(tables: set[str]) -> set[str]:
    """The views whose rows or extent change when ``tables`` change."""
    return {v for v in LATEST_VIEWS if view_sources(v) & tables}


def refresh_metadata(
    engine: Engine, tables: Iterable[str] | None = None, *, maps: MapsPolicy | None = None
) -> None:
    """Bring the metadata of ``tables`` (all when ``None``) up to date, on either backend.

    Needs the schema (:func:`devzone.db.admin.init_db`); touches no row of the tables.
    ``maps`` (the colours of the styles) defaults to the shipped policy.
    """
    wanted = None if tables is None else set(tables)
    touched = None if wanted is None else wanted | _views_over(wanted)
    gpkg = _is_gpkg(engine)
    with engine.begin() as conn:
        _create_views(conn, gpkg=gpkg)
        if gpkg:
            _header(conn)
            _undefined_srs(conn)
            _fix_base_tables(conn)
            _extents(conn, touched)
            _data_columns(conn, touched)
        layers = [n for n in _layers(conn, gpkg) if touched is None or n in touched]
    write_styles(engine, {n: field_aliases(n) for n in layers}, maps=maps)


def _layers(conn: Connection, gpkg: bool) -> list[str]:
    """Every table and view QGIS lists (``layer_styles`` aside)."""
    if gpkg:
        names = conn.exec_driver_sql("SELECT table_name FROM gpkg_contents").scalars()
        return [n for n in names if n != "layer_styles" and _columns_of(n)]
    insp = inspect(conn)
    present = set(insp.get_table_names()) | set(insp.get_view_names())
    names = [t.name for t in all_tables().sorted_tables] + list(LATEST_VIEWS)
    return [n for n in names if n in present]
