"""Create the schema (``devzone db init``) and describe a database (``devzone db info``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, func, inspect, select, text

from devzone.db.roles import install_security
from devzone.db.schema import SRID, Base

__all__ = [
    "TableInfo",
    "add_missing_columns",
    "all_tables",
    "describe",
    "init_db",
    "migrate_progress_key",
    "register_attribute_tables",
    "register_attribute_tables_on",
]


def all_tables() -> Base.metadata.__class__:
    """The complete metadata: input tables, their history tables, every result table."""
    # Importing these modules registers their tables on Base.metadata.
    from devzone.db import history, results  # noqa: F401

    return Base.metadata


def register_attribute_tables(engine: Engine) -> None:
    """Register non-spatial tables in ``gpkg_contents`` so QGIS/GDAL list them."""
    with engine.begin() as conn:
        register_attribute_tables_on(conn)


def register_attribute_tables_on(conn: Connection) -> None:
    """:func:`register_attribute_tables` inside the caller's transaction."""
    known = {r[0] for r in conn.execute(text("SELECT table_name FROM gpkg_contents")).all()}
    for table in all_tables().sorted_tables:
        if table.name in known or "geom" in table.c:
            continue
        conn.execute(
            text(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description)"
                " VALUES (:t, 'attributes', :t, :d)"
            ),
            {"t": table.name, "d": table.comment or ""},
        )


def add_missing_columns(engine: Engine) -> list[str]:
    """Add the declared non-spatial columns an older database lacks (``ALTER TABLE``).

    Additive schema changes (``load_batch.os_user``/``db_role`` …) reach databases made
    before them; nothing is dropped or retyped.

    Returns
    -------
    list of str
        ``table.column`` of every column added.
    """
    added: list[str] = []
    inspector = inspect(engine)
    present = set(inspector.get_table_names())
    with engine.begin() as conn:
        for table in all_tables().sorted_tables:
            if table.name not in present:
                continue
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for col in table.c:
                if col.name in have or col.name == "geom" or col.primary_key:
                    continue
                kind = col.type.compile(dialect=conn.dialect)
                conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{col.name}" {kind}'))
                added.append(f"{table.name}.{col.name}")
    return added


def init_db(engine: Engine) -> list[str]:
    """Create every devzone table that does not exist yet (idempotent).

    On PostGIS it also (re)creates the group roles, ``devzone_user``, the audit trail
    and the row-level-security policies (:func:`devzone.db.roles.install_security`).

    Returns
    -------
    list of str
        Names of the tables created by this call.
    """
    metadata = all_tables()
    before = set(inspect(engine).get_table_names())
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    metadata.create_all(engine, checkfirst=True)
    add_missing_columns(engine)
    migrate_progress_key(engine)
    if engine.dialect.name == "geopackage":
        register_attribute_tables(engine)
    install_security(engine, metadata.sorted_tables)  # PostGIS: roles, RLS, audit
    after = set(inspect(engine).get_table_names())
    from devzone.db.gpkg_meta import refresh_metadata  # imports this module

    refresh_metadata(engine)
    return sorted(t for t in after - before if not t.startswith("rtree_"))


def _progress_key_only(conn: Connection) -> list[str]:
    """Unique constraints/indexes of ``project_progress`` on ``project_key`` alone."""
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(
            "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a "
            "ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
            "WHERE c.conrelid = to_regclass('project_progress') AND c.contype = 'u' "
            "GROUP BY c.conname HAVING array_agg(a.attname::text) = ARRAY['project_key']"
        ).all()
        return [r[0] for r in rows]
    found = []
    for _seq, index, unique, *_ in conn.exec_driver_sql("PRAGMA index_list(project_progress)"):
        cols = [r[2] for r in conn.exec_driver_sql(f'PRAGMA index_info("{index}")')]
        if unique and cols == ["project_key"]:
            found.append(str(index))
    return found


def _rebuild_sqlite_progress(conn: Connection) -> None:
    """SQLite cannot drop a column's UNIQUE: rebuild the table, keeping every row.

    The rows wait in a temporary table (no ``ALTER TABLE … RENAME``: SQLite would re-parse
    the GeoPackage metadata triggers, which some writers create malformed).
    """
    from devzone.db.schema import ProjectProgress

    table = ProjectProgress.__table__
    have = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(project_progress)")}
    cols = ", ".join(f'"{c.name}"' for c in table.c if c.name in have)
    conn.exec_driver_sql("DROP TABLE IF EXISTS temp._progress_rows")
    conn.exec_driver_sql(f"CREATE TEMP TABLE _progress_rows AS SELECT {cols} FROM project_progress")
    conn.exec_driver_sql("DROP TABLE project_progress")
    table.create(conn)
    conn.exec_driver_sql(f"INSERT INTO project_progress ({cols}) SELECT {cols} FROM _progress_rows")
    conn.exec_driver_sql("DROP TABLE temp._progress_rows")


def migrate_progress_key(engine: Engine) -> bool:
    """Give an older ``project_progress`` its series key (``project_key`` + ``report_date``).

    Databases made when the table kept one report per project have ``project_key``
    unique; that constraint is replaced (PostGIS: ``ALTER TABLE``; GeoPackage: the
    attribute table is rebuilt with its rows). Idempotent.

    Returns
    -------
    bool
        True when the database was changed.
    """
    if "project_progress" not in inspect(engine).get_table_names():
        return False
    with engine.begin() as conn:
        old = _progress_key_only(conn)
        if not old:
            return False
        if conn.dialect.name != "postgresql":
            _rebuild_sqlite_progress(conn)
            return True
        for name in old:
            conn.exec_driver_sql(f'ALTER TABLE project_progress DROP CONSTRAINT "{name}"')
        conn.exec_driver_sql(
            "ALTER TABLE project_progress ADD CONSTRAINT "
            '"project_progress_project_key_report_date_key" UNIQUE (project_key, report_date)'
        )
        conn.exec_driver_sql(
            "CREATE INDEX IF NOT EXISTS ix_project_progress_project_key "
            "ON project_progress (project_key)"
        )
    return True


@dataclass(frozen=True)
class TableInfo:
    """What ``db info`` prints for one table."""

    name: str
    rows: int
    geometry_type: str | None
    srid: int | None
    extent: tuple[float, float, float, float] | None


def describe(engine: Engine) -> list[TableInfo]:
    """Row counts, geometry type, CRS and extent of every devzone table present."""
    metadata = all_tables()
    present = set(inspect(engine).get_table_names())
    out: list[TableInfo] = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name not in present:
                continue
            rows = conn.execute(select(func.count()).select_from(table)).scalar_one()
            geom_col = table.c.get("geom")
            if geom_col is None:
                out.append(TableInfo(table.name, rows, None, None, None))
                continue
            extent = None
            if rows:
                if engine.dialect.name == "geopackage":
                    # GeoPackage keeps per-feature envelopes in its R*Tree index.
                    r = conn.execute(
                        text(
                            f"SELECT min(minx), min(miny), max(maxx), max(maxy) "
                            f'FROM "rtree_{table.name}_geom"'
                        )
                    ).one()
                else:
                    r = conn.execute(
                        text(
                            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                            f'(SELECT ST_Extent(geom) AS e FROM "{table.name}") s'
                        )
                    ).one()
                if r[0] is not None:
                    extent = (float(r[0]), float(r[1]), float(r[2]), float(r[3]))
            out.append(TableInfo(table.name, rows, geom_col.type.geometry_type, SRID, extent))
    return out
