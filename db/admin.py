"""Create the schema (``devzone db init``) and describe a database (``devzone db info``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, inspect, select, text

from devzone.db.roles import install_security
from devzone.db.schema import SRID, Base

__all__ = ["TableInfo", "all_tables", "describe", "init_db", "register_attribute_tables"]


def all_tables() -> Base.metadata.__class__:
    """The complete metadata: input tables plus every analysis result table."""
    # Importing the result-table modules registers their tables on Base.metadata.
    from devzone.db import results  # noqa: F401

    return Base.metadata


def register_attribute_tables(engine: Engine) -> None:
    """Register non-spatial tables in ``gpkg_contents`` so QGIS/GDAL list them."""
    metadata = all_tables()
    with engine.begin() as conn:
        known = {r[0] for r in conn.execute(text("SELECT table_name FROM gpkg_contents")).all()}
        for table in metadata.sorted_tables:
            if table.name in known or "geom" in table.c:
                continue
            conn.execute(
                text(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description)"
                    " VALUES (:t, 'attributes', :t, :d)"
                ),
                {"t": table.name, "d": table.comment or ""},
            )


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
    if engine.dialect.name == "geopackage":
        register_attribute_tables(engine)
    install_security(engine, metadata.sorted_tables)  # PostGIS: roles, RLS, audit
    after = set(inspect(engine).get_table_names())
    from devzone.db.gpkg_meta import refresh_metadata  # imports this module

    refresh_metadata(engine)
    return sorted(t for t in after - before if not t.startswith("rtree_"))


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
