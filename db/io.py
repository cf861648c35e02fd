"""The database edge: every job reads its inputs and writes its results here.

* :func:`read` — one table as a (Geo)DataFrame, or :class:`TableMissing` naming the
  command that fills it;
* :func:`parcels_with_contract` — the one join of 宗地 (``parcel``) and 供地结果
  (``land_supply``) every analysis uses (:func:`join_contract` on frames);
* :func:`write_frame` — replace a result table's rows on the bulk path (COPY on PostGIS,
  GeoPackage binary on GeoPackage), refusing a frame whose columns are not the table's
  and the case files (:data:`CASE_TABLES`), which only :mod:`devzone.db.cases_io`
  appends to; the transaction is tagged for the audit trail with the running command.
  GeoPackage binary on GeoPackage), refusing a frame whose columns are not the table's,
  and record the data vintage it was computed on (``result_vintage``).

``read(..., as_of=...)`` gives an input table exactly as it stood after a load batch (or
on a date), from the current and the history rows (:mod:`devzone.db.history`).

The rules (``landuse/``, ``zones/``) never see an engine; the jobs (``jobs/``) call these.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Table,
    delete,
    insert,
    inspect,
    select,
    text,
)

from devzone.db.admin import all_tables, register_attribute_tables
from devzone.db.audit import current_command, tag_transaction
from devzone.db.bulk import insert_rows
from devzone.db.engine import gpkg_path
from devzone.db.gpkg_meta import refresh_metadata
from devzone.db.history import Vintage, as_of_sql, decode_gpkg_blobs, resolve_vintage
from devzone.db.schema import ResultVintage
from devzone.errors import DatabaseError, DevzoneError
from devzone.units import SRID

__all__ = [
    "CASE_TABLES",
    "PROVENANCE",
    "TableMissing",
    "Vintage",
    "join_contract",
    "parcels_with_contract",
    "read",
    "result_table",
    "synthetic_data",
    "table_of",
    "vintage_key",
    "write_frame",
]

#: Provenance columns of loaded rows (not part of a row's content).
PROVENANCE = ("src_file", "src_row", "batch_id", "loaded_at", "row_hash", "raw_hash")

#: What a planner runs to fill each table.
_FILLED_BY: dict[str, str] = {
    "district": "load the district boundaries (行政区划) with `devzone etl load`",
    "dev_zone": "load the zone file (开发区, e.g. zones.geojson) with `devzone etl load`",
    "land_supply": "load the land-supply results (供地结果) with `devzone etl load`",
    "parcel": "load the parcels (宗地, e.g. parcels.shp) with `devzone etl load`",
    "enterprise": "load the enterprise indicators (企业年度指标) with `devzone etl load`",
    "enterprise_indicator": "load the enterprise indicators (企业年度指标) with `devzone etl load`",
    "parcel_enterprise": "load the parcel–enterprise links (宗地企业对照) with `devzone etl load`, "
    "or run `devzone etl link`",
    "building": "load the buildings (建筑) with `devzone etl load`",
    "project_progress": "load the project progress (项目进度) with `devzone etl load`",
    "enterprise_evaluation": "run `devzone score --year YEAR`",
    "parcel_performance": "run `devzone score --year YEAR`",
    "parcel_intensity": "run `devzone score --year YEAR`",
    "grade_change": "run `devzone score --year YEAR`",
    "parcel_idle_status": "run `devzone idle --as-of DATE`",
    "zone_idle_summary": "run `devzone idle --as-of DATE`",
    "exit_candidate": "run `devzone idle --as-of DATE`",
    "parcel_industry_fit": "run `devzone zones rank --year YEAR`",
    "zone_evaluation": "run `devzone zones rank --year YEAR`",
    "corridor": "run `devzone report corridor --year YEAR`",
    "corridor_zone": "run `devzone report corridor --year YEAR`",
    "corridor_contribution": "run `devzone report corridor --year YEAR`",
    "land_case": "run `devzone idle --as-of DATE` (it proposes the cases)",
    "land_case_event": "load the filled case ledger (案件台账.xlsx) with `devzone etl load`",
}

#: Result tables that are case files, not recomputed results: written only through
#: :mod:`devzone.db.cases_io` (append, never replace), refused by :func:`write_frame`.
CASE_TABLES = ("land_case", "land_case_event")


class TableMissing(DevzoneError, KeyError):  # noqa: N818 (the name the issue gives it)
    """A table a command needs is absent or empty; the message says what fills it."""

    def __init__(self, name: str, *, empty: bool) -> None:
        self.table = name
        state = "is empty" if empty else "does not exist yet"
        hint = _FILLED_BY.get(name, "run `devzone db init` and load the data")
        super().__init__(f"The table {name!r} {state}: {hint} first.")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def table_of(name: str) -> Table:
    """The SQLAlchemy table called ``name`` (input or result table)."""
    try:
        return all_tables().tables[name]
    except KeyError:
        raise DatabaseError(f"devzone has no table named {name!r}") from None


def result_table(name: str) -> Table:
    """A result table (declared in ``db/results_*.py``); others are refused."""
    from devzone.db.results import RESULT_TABLES

    if name not in RESULT_TABLES:
        raise DatabaseError(
            f"{name!r} is not a result table (result tables: {', '.join(RESULT_TABLES)})"
        )
    return table_of(name)


#: Words of a file's 数据说明 (data note) that mark synthetic data.
SYNTHETIC_MARKS = ("合成数据", "synthetic")


def synthetic_data(engine: Engine) -> bool:
    """True when the loaded data is synthetic — the one rule every output uses.

    Synthetic when a load recorded a 数据说明 saying so (``load_batch.data_note``, taken
    from the files' own 数据说明 column by the ETL), or loaded a file of the bundled
    sample (``data/sample/``).
    """
    from devzone.paths import SAMPLE_DIR

    batches = read(engine, "load_batch", columns=["files", "data_note"], required=False)
    if batches is None:
        return False
    notes = batches["data_note"].dropna().astype(str)
    if any(notes.str.contains(mark, case=False, regex=False).any() for mark in SYNTHETIC_MARKS):
        return True
    sample = str(SAMPLE_DIR.resolve())
    files = batches["files"].dropna().astype(str).str.split("\n").explode().dropna()
    return bool(files.map(lambda f: str(Path(f).resolve().parent) == sample).any())


def _read_all(engine: Engine, table: Table, wanted: list[str]) -> pd.DataFrame:
    name = table.name
    if "geom" in table.c and "geom" in wanted and engine.dialect.name == "geopackage":
        import pyogrio

        attrs = [c for c in wanted if c not in ("geom", "fid")]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Non-conformant content", RuntimeWarning)
            df = pyogrio.read_dataframe(
                gpkg_path(str(engine.url)), layer=name, columns=attrs, fid_as_index=True
            )
        df.index.name = "fid"
        df = df.reset_index()
        if "fid" not in wanted:
            df = df.drop(columns="fid")
        if df.geometry.name != "geom":
            df = df.rename_geometry("geom")
        return df.set_crs(SRID, allow_override=True)
    # rows in fid order, as an as-of read gives them (PostgreSQL's physical order moves
    # with updates): a result computed now and re-run later from a vintage match row for row
    order = ' ORDER BY "fid"' if "fid" in table.c else ""
    if "geom" in table.c and "geom" in wanted:
        cols = ", ".join(f'"{c}"' for c in wanted if c != "geom")
        sql = f'SELECT {cols}{", " if cols else ""}ST_AsBinary(geom) AS geom FROM "{name}"{order}'
        with engine.connect() as conn:
            return gpd.read_postgis(sql, conn, geom_col="geom", crs=SRID)
    stmt = select(*[table.c[c] for c in wanted if c != "geom"])
    if "fid" in table.c:
        stmt = stmt.order_by(table.c["fid"])
    with engine.connect() as conn:
        return pd.read_sql(stmt, conn)


def _read_as_of(engine: Engine, table: Table, wanted: list[str], batch: int) -> pd.DataFrame:
    """The rows of ``table`` valid after ``batch`` (one UNION ALL query); ``geom`` comes
    last, as :func:`_read_all` gives it."""
    spatial = "geom" in wanted
    wanted = [c for c in wanted if c != "geom"] + (["geom"] if spatial else [])
    sql, params = as_of_sql(engine, table.name, wanted, batch)
    with engine.connect() as conn:
        if spatial and engine.dialect.name == "postgresql":
            return gpd.read_postgis(text(sql), conn, geom_col="geom", crs=SRID, params=params)
        df = pd.read_sql(text(sql), conn, params=params)
    if spatial:
        geoms = decode_gpkg_blobs(df["geom"].tolist())
        df = gpd.GeoDataFrame(df.drop(columns="geom"), geometry=geoms, crs=SRID)
        df = df.rename_geometry("geom")
    return df


def _coerce_types(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    for col in table.c:
        if col.name not in df.columns:
            continue
        if isinstance(col.type, Date | DateTime):
            df[col.name] = pd.to_datetime(df[col.name], errors="coerce")
            if getattr(df[col.name].dt, "tz", None) is not None:
                df[col.name] = df[col.name].dt.tz_localize(None)
        elif isinstance(col.type, Boolean):
            df[col.name] = df[col.name].astype("boolean")
    return df


def read(
    engine: Engine,
    name: str,
    *,
    columns: Sequence[str] | None = None,
    required: bool = True,
    as_of: Vintage | None = None,
) -> pd.DataFrame | gpd.GeoDataFrame | None:
    """One table; spatial tables as a GeoDataFrame in EPSG:4490 with geometry ``geom``.

    Parameters
    ----------
    engine
        The database (GeoPackage or PostGIS).
    name
        Table name (``parcel``, ``enterprise_evaluation`` …).
    columns
        Columns to read (all by default; ``fid`` and provenance included).
    required
        ``True``: an absent or empty table raises :class:`TableMissing`. ``False``: it
        gives ``None``.
    as_of
        An input table as it stood after a load batch: a batch id, or a date/timestamp
        (the last batch finished on or before it, :func:`devzone.db.history.resolve_vintage`).
        Current rows written by that batch or earlier plus the history versions valid
        then, ordered by ``fid``. ``None``: the table as it is now.

    Returns
    -------
    DataFrame, GeoDataFrame or None
        Dates as ``datetime64`` (NaT when missing), booleans as nullable ``boolean``.
    """
    table = table_of(name)
    if name not in inspect(engine).get_table_names():
        if required:
            raise TableMissing(name, empty=False)
        return None
    wanted = list(columns) if columns is not None else [c.name for c in table.c]
    if unknown := [c for c in wanted if c not in table.c]:
        raise DatabaseError(f"table {name!r} has no column(s) {unknown}")
    if as_of is None:
        raw = _read_all(engine, table, wanted)
    else:
        raw = _read_as_of(engine, table, wanted, resolve_vintage(engine, as_of))
    df = _coerce_types(raw, table)
    if not len(df):
        if required:
            raise TableMissing(name, empty=True)
        return None
    return df


def join_contract(
    parcels: pd.DataFrame, supply: pd.DataFrame | None, *, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """Parcels with the columns of their land-supply contract (宗地 + 供地结果).

    A parcel's contract is the one with its 电子监管号 (``supervision_no``); a parcel
    whose number matches no contract (or that has none) takes the contract naming its
    宗地代码, and gets that contract's number. The parcel's own columns keep their
    values; the contract adds the columns the parcel lacks (all, or ``columns``).

    Examples
    --------
    >>> p = pd.DataFrame({"parcel_code": ["P1", "P2", "P3"],
    ...                   "supervision_no": ["S1", None, "S9"]})
    >>> s = pd.DataFrame({"supervision_no": ["S1", "S2"], "parcel_code": [None, "P2"],
    ...                   "price_wan": [100.0, 200.0]})
    >>> join_contract(p, s)[["supervision_no", "price_wan"]].to_dict("list")
    {'supervision_no': ['S1', 'S2', 'S9'], 'price_wan': [100.0, 200.0, nan]}
    """
    out = parcels.copy()
    if supply is None or not len(supply):
        return out
    sup = supply.drop(columns=[c for c in (*PROVENANCE, "fid", "geom") if c in supply.columns])
    wanted = [c for c in (columns or sup.columns) if c in sup.columns and c not in out.columns]
    by_no = sup.dropna(subset=["supervision_no"]).drop_duplicates("supervision_no")
    by_no = by_no.set_index("supervision_no")
    no = out["supervision_no"].astype(object) if "supervision_no" in out else None
    if no is None:
        no = pd.Series(None, index=out.index, dtype=object)
    key = no.where(no.isin(by_no.index), None)
    if "parcel_code" in sup.columns:
        by_code = sup.dropna(subset=["parcel_code", "supervision_no"])
        by_code = by_code.drop_duplicates("parcel_code").set_index("parcel_code")
        fallback = out["parcel_code"].map(by_code["supervision_no"])
        key = key.where(key.notna(), fallback)
    out["supervision_no"] = no.where(no.notna(), key)
    contract = by_no.reindex(key.to_numpy())[wanted]
    for col in wanted:
        out[col] = contract[col].to_numpy()
    return out


def parcels_with_contract(
    engine: Engine, *, columns: Sequence[str] | None = None, as_of: Vintage | None = None
) -> gpd.GeoDataFrame:
    """The ``parcel`` table joined with its contracts (:func:`join_contract`).

    ``as_of`` reads both tables as they stood after that data vintage (see :func:`read`).

    Raises
    ------
    TableMissing
        No parcels are loaded.
    """
    parcels = read(engine, "parcel", as_of=as_of)
    supply = read(engine, "land_supply", required=False, as_of=as_of)
    out = join_contract(parcels, supply, columns=columns)
    return gpd.GeoDataFrame(out, geometry="geom", crs=SRID)


def _geometries(df: pd.DataFrame) -> np.ndarray:
    """The ``geom`` column as shapely geometries in EPSG:4490 (None where missing)."""
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.name == "geom":
        geo = df.geometry
        if geo.crs is not None and geo.crs.to_epsg() != SRID:
            geo = geo.to_crs(SRID)
        return np.asarray(geo.values, dtype=object)
    values = np.asarray(df["geom"].to_numpy(), dtype=object)
    ok = np.array([v is None or isinstance(v, shapely.Geometry) for v in values])
    if not ok.all():
        bad = type(values[np.flatnonzero(~ok)[0]]).__name__
        raise DatabaseError(f"geom must hold shapely geometries, not {bad}")
    return values


def write_frame(
    engine: Engine,
    name: str,
    df: pd.DataFrame,
    *,
    replace_where: Mapping[str, Any] | None = None,
    vintage: int | None = None,
    command: str | None = None,
) -> int:
    """Replace a result table's rows with ``df``, in one transaction, on the bulk path.

    Parameters
    ----------
    name
        A result table (:data:`devzone.db.results.RESULT_TABLES`).
    df
        Exactly the table's columns (``fid`` aside; ``geom`` as shapely geometries in a
        GeoDataFrame or a plain column). A frame with other columns is refused.
    replace_where
        Rows matching these column values are deleted first (e.g. ``{"year": 2019}``);
        ``None`` replaces the whole table.
    vintage
        The load batch the inputs were read at (the data vintage): recorded in
        ``result_vintage`` with ``command``, in the same transaction. ``None`` records
        nothing and removes a record the replaced rows had.
    command
        What computed the result (``devzone score --year 2019``), for the record.

    Returns
    -------
    int
        Rows written.
    """
    if name in CASE_TABLES:
        raise DatabaseError(
            f"{name!r} is a case file (officers' records), not a recomputed result: "
            "it is appended to through devzone.db.cases_io, never replaced"
        )
    table = result_table(name)
    expected = {c.name for c in table.c} - {"fid"}
    got = set(df.columns) - {"fid"}
    if got != expected:
        missing, extra = sorted(expected - got), sorted(got - expected)
        raise DatabaseError(
            f"result {name!r} does not match its table: missing columns {missing}, "
            f"extra columns {extra}"
        )
    all_tables().create_all(engine, tables=[table], checkfirst=True)
    if engine.dialect.name == "geopackage":
        register_attribute_tables(engine)
    stmt = delete(table)
    for col, value in (replace_where or {}).items():
        stmt = stmt.where(table.c[col] == value)
    geoms = _geometries(df) if "geom" in table.c else None
    rows = pd.DataFrame(df.drop(columns=[c for c in ("fid", "geom") if c in df.columns]))
    with engine.begin() as conn:
        tag_transaction(conn, current_command(f"write {name}") or name)
        conn.execute(stmt)
        _record_vintage(conn, name, replace_where, vintage, command)
        written = insert_rows(conn, table, rows, geoms)
    if engine.dialect.name == "geopackage":  # on PostGIS the owner sets them at db init
        refresh_metadata(engine, [name])  # extents, data columns, styles of this table only
    return written


def vintage_key(replace_where: Mapping[str, Any] | None) -> str:
    """``replace_where`` as the text key of ``result_vintage`` (empty: whole table).

    Examples
    --------
    >>> vintage_key({"year": 2019})
    '{"year": 2019}'
    >>> vintage_key(None)
    ''
    """
    if not replace_where:
        return ""
    return json.dumps(dict(replace_where), sort_keys=True, default=str, ensure_ascii=False)


def _record_vintage(
    conn: Connection,
    name: str,
    replace_where: Mapping[str, Any] | None,
    vintage: int | None,
    command: str | None,
) -> None:
    """Replace the ``result_vintage`` row of this result and key (in the transaction)."""
    table = ResultVintage.__table__
    if not inspect(conn).has_table(table.name):
        if vintage is None:
            return
        table.create(conn, checkfirst=True)
        if conn.dialect.name == "geopackage":
            from devzone.db.admin import register_attribute_tables_on

            register_attribute_tables_on(conn)
    key = vintage_key(replace_where)
    stmt = delete(table).where(table.c.result_table == name)
    if key:
        stmt = stmt.where(table.c.result_key == key)
    conn.execute(stmt)
    if vintage is None:
        return
    from devzone.db.history import utcnow

    conn.execute(
        insert(table).values(
            result_table=name,
            result_key=key,
            data_batch=int(vintage),
            computed_at=utcnow(),
            command=command,
        )
    )
