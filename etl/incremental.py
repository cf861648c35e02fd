"""Incremental reload: clean only the rows whose raw text changed (issue 14).

Every loaded row stores ``raw_hash``, a digest of the record *as read* — its cells as
the file gives them and its geometry's WKB, before any cleaning — salted with what else
decides how it is cleaned (the kind, the file's columns, its CRS, the declared CRS, the
devzone version, and for kinds that fill a missing reference from polygons the state of
that polygon table). On a reload, a record whose digest is already stored is the same
record: it is counted *unchanged* without being parsed, repaired, reprojected or hashed,
and only the new and changed records go through :func:`devzone.etl.clean.clean`.

:func:`clean_changed` is called at one place, ``etl/load.py``'s ``_prepare_chunk``.

Kinds excluded (always cleaned in full): those with a derived table or a hook before
the write (indicators → enterprise, the link file replacing holder-name links), whose
hooks need every row, and those keyed by a date (project progress), whose stored keys
do not compare with parsed ones without cleaning. A row loaded before this change has
no digest and is cleaned until its content next changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date, DateTime

from devzone.db.io import table_of
from devzone.etl.clean import Cleaned
from devzone.etl.draft import RawTable
from devzone.etl.write import existing_rows

if TYPE_CHECKING:
    from devzone.etl.fields import KindSpec

__all__ = ["RAW_HASH", "applies", "clean_changed", "raw_digests"]

RAW_HASH = "raw_hash"


def applies(spec: KindSpec) -> bool:
    """Whether a kind is reloaded incrementally (see the module notes).

    Examples
    --------
    >>> from devzone.etl.kinds import KINDS
    >>> [k for k, s in KINDS.items() if applies(s)]
    ['districts', 'zones', 'supply', 'parcels', 'buildings']
    """
    if spec.derive is not None or spec.before_write is not None:
        return False
    table = table_of(spec.table)
    if RAW_HASH not in table.c:
        return False
    return not any(isinstance(table.c[c].type, Date | DateTime) for c in spec.key)


def _geometry_wkb(geometry: Any) -> np.ndarray | None:
    if geometry is None:
        return None
    import shapely

    values = np.asarray(getattr(geometry, "values", geometry), dtype=object)
    return np.asarray(shapely.to_wkb(values), dtype=object)


def raw_digests(raw: RawTable, salt: str) -> np.ndarray:
    """A 64-bit digest (``uint64``) of each record as read: its cells and geometry WKB.

    Stored as decimal text in ``raw_hash``.

    Examples
    --------
    >>> from pathlib import Path
    >>> raw = RawTable(Path("x.csv"), pd.DataFrame({"a": ["1", "1 "], "b": ["x", "x"]}),
    ...                np.array([2, 3]), "line")
    >>> d = raw_digests(raw, "s")
    >>> bool(d[0] != d[1]), bool(d[0] == raw_digests(raw, "s")[0]), d.dtype.name
    (True, True, 'uint64')
    >>> mixed = RawTable(Path("x.xlsx"), pd.DataFrame({"a": [45, "45亩"]}), np.array([3, 4]), "row")
    >>> len(set(raw_digests(mixed, "s").tolist()))
    2
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(raw.frame)
    if not n:
        return np.array([], dtype=np.uint64)
    cols = [str(c) for c in raw.frame.columns]
    frame = raw.frame.set_axis(cols, axis=1)
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed cells (a spreadsheet column)
        table = pa.Table.from_pandas(frame.astype("string"), preserve_index=False)
    parts = [pc.fill_null(pc.cast(table.column(c), pa.string()), "\x00") for c in cols]
    joined = pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]
    h = pd.util.hash_array(joined.to_numpy(zero_copy_only=False).astype(object), categorize=False)
    wkb = _geometry_wkb(raw.geometry)
    if wkb is not None:
        present = np.array([w is not None for w in wkb])
        gh = np.zeros(n, dtype=np.uint64)
        if present.any():
            gh[present] = pd.util.hash_array(wkb[present], categorize=False)
        h = h ^ (gh * np.uint64(0x9E3779B97F4A7C15))
    key = int.from_bytes(
        hashlib.sha1((salt + "|" + ",".join(cols)).encode()).digest()[:8], "little"
    )
    return h ^ np.uint64(key)


def _salt(conn: Connection, spec: KindSpec, raw: RawTable, declared_crs: str | None) -> str:
    """What besides the record decides its cleaned row."""
    from devzone import __version__

    crs = raw.crs.to_string() if raw.crs is not None and hasattr(raw.crs, "to_string") else ""
    parts = [spec.kind, crs, declared_crs or "", str(__version__)]
    if spec.locate is not None:
        table = spec.locate[1]
        state = conn.exec_driver_sql(
            f'SELECT count(*), max(batch_id), max(fid) FROM "{table}"'
        ).one()
        parts.append(f"{table}:{tuple(state)}")
    return "|".join(parts)


def _subset(raw: RawTable, keep: np.ndarray) -> RawTable:
    geometry = raw.geometry
    if geometry is not None:
        geometry = (
            geometry.iloc[keep].reset_index(drop=True)
            if hasattr(geometry, "iloc")
            else np.asarray(geometry, dtype=object)[keep]
        )
    return RawTable(
        raw.path,
        raw.frame.iloc[keep].reset_index(drop=True),
        np.asarray(raw.row_numbers)[keep],
        raw.row_label,
        geometry=geometry,
        crs=raw.crs,
        encoding=raw.encoding,
        notes=raw.notes,
    )


def clean_changed(
    conn: Connection,
    state: Any,
    raw: RawTable,
    clean: Callable[[RawTable], Cleaned],
    *,
    declared_crs: str | None,
    sync: Callable[[], None],
) -> Cleaned:
    """Clean the records of ``raw`` whose raw digest is not stored; count the others.

    ``state`` is the loader's per-file state (``spec``, ``summary``, ``existing``,
    ``seen``): the stored rows are read once per file (with their ``raw_hash``), the
    records skipped are counted as read and unchanged in ``state.summary``, and their
    keys join ``state.seen`` (so a later duplicate is rejected and ``--complete`` does
    not retire them). The cleaned rows carry their ``raw_hash``.
    """
    spec = state.spec
    if not applies(spec):
        return clean(raw)
    if state.existing is None:
        sync()
        state.existing = existing_rows(conn, spec.table, spec.key, (RAW_HASH,))
        state.raw_salt = _salt(conn, spec, raw, declared_crs)
        stored = state.existing.dropna(subset=[RAW_HASH])
        codes = pd.Series(_as_u64(stored[RAW_HASH]), index=stored.index)
        first = ~codes.duplicated().to_numpy()
        state.raw_stored = stored[first].reset_index(drop=True)
        state.raw_index = pd.Index(codes[first].to_numpy())
        state.raw_used = np.zeros(len(state.raw_index), dtype=bool)
    digests = raw_digests(raw, state.raw_salt)
    rows = np.asarray(raw.row_numbers)
    pos = (
        state.raw_index.get_indexer(digests) if len(state.raw_index) else np.full(len(digests), -1)
    )
    known = pos >= 0
    skip = known & ~pd.Series(digests).duplicated().to_numpy()
    skip[known] &= ~state.raw_used[pos[known]]
    state.raw_used[pos[skip]] = True
    if skip.any():
        _count_skipped(state, state.raw_stored.iloc[pos[skip]], rows[skip])
    keep = np.flatnonzero(~skip)
    if not len(keep) and skip.any():
        keep = np.flatnonzero(skip)[-1:]  # one record still goes through (as unchanged)
        _uncount_one(state)
    cleaned = clean(_subset(raw, keep))
    by_row = pd.Series(digests[keep].astype(str), index=rows[keep])
    cleaned.frame[RAW_HASH] = cleaned.frame["src_row"].map(by_row).to_numpy()
    return cleaned


def _as_u64(text: pd.Series) -> np.ndarray:
    """Stored ``raw_hash`` text as ``uint64``."""
    return np.asarray(text.astype(str).to_numpy(dtype=object), dtype=object).astype(np.uint64)


def _count_skipped(state: Any, hit: pd.DataFrame, rows: np.ndarray) -> None:
    """Count the skipped records and add their stored keys to ``state.seen``."""
    key = list(state.spec.key)
    seen = hit[key].reset_index(drop=True)
    seen["src_row"] = rows
    seen["row_hash"] = hit["row_hash"].to_numpy()
    state.seen = seen if state.seen is None else pd.concat([state.seen, seen], ignore_index=True)
    n = len(rows)
    state.summary.read += n
    state.summary.unchanged += n


def _uncount_one(state: Any) -> None:
    """The one record kept for cleaning is counted again by the loader."""
    state.summary.read -= 1
    state.summary.unchanged -= 1
    state.seen = state.seen.iloc[:-1]
