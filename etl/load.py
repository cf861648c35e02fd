"""Load registry exports into the unified database: ``devzone etl load`` (issue 3).

:func:`load_paths` reads every file (kind recognised from its headers unless given),
cleans and validates it (:mod:`devzone.etl.clean`), and upserts the rows by natural
key (:mod:`devzone.etl.write`). Every input record ends up *inserted*, *updated*,
*unchanged* or *rejected* (written to the rejects CSV with file, row, field, value and
reason), so ``read = inserted + updated + unchanged + rejected`` for every file.

Decisions (where the issue is silent):

* **Atomic per call**: all files of one call are written in one transaction; an error
  anywhere (an unreadable file or feature, a database error) rolls everything back and
  leaves the database exactly as it was. Headers are read and kinds decided for every
  file before anything is written; big files are then streamed in chunks.
* Fully blank rows are not records (skipped, counted in the file's notes).
* Files are written in dependency order whatever the order given: districts, zones,
  supply, parcels, indicators, links, buildings, progress.
* Duplicate keys inside one load: the first row is kept, later ones are rejected
  ("duplicate of row N"). Project progress is a series keyed by project and 填报日期:
  every monthly report is kept (issue 14).
* The ``enterprise`` table is derived from indicator rows: one row per credit code
  from its latest year (name, industry, 规上, status, 投产年份); it is updated only when
  the file holds that code's latest year. Derived rows are counted under
  ``derived`` and not in ``read``.
* Parcels without 开发区代码 get the zone containing them; buildings without 宗地代码
  get the parcel containing them (representative point).
* Without a link file in the call, holder names are matched (:mod:`devzone.etl.link`).
* Speed on PostGIS: rows go through ``COPY``; a chunk is written by a writer thread
  while the next one is cleaned; a load of ≥ 50,000 rows into an empty table drops the
  secondary indexes (GiST, look-ups) and rebuilds them after the copy, inside the same
  transaction.
* With ``kind="auto"``, a readable file whose headers map to no kind (a manifest, a
  report) is skipped and listed in ``LoadSummary.skipped`` with the reason; Shapefile
  sidecars (.dbf, .prj, .cpg …) and documents (.md, .pdf) given with the export are
  skipped too. A file that cannot be read (missing, undecodable, corrupt) stops the
  whole call before anything is written.
* Each file's 数据说明 (data note, e.g. ``合成数据(synthetic)``) is not a field: its
  distinct values are recorded in ``load_batch.data_note`` (joined with ``"; "``), which
  :func:`devzone.db.io.synthetic_data` reads.
* What differs per kind (latest report kept, spatial filling, derived table, link-file
  handling) is declared on the kind's spec (:mod:`devzone.etl.kinds`,
  :mod:`devzone.etl.hooks`); progress reaches the caller through ``progress``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, insert, inspect, update

from devzone.db.history import batch_identity
from devzone.db.schema import LoadBatch
from devzone.errors import InputError
from devzone.etl.clean import Cleaned, clean, row_hashes
from devzone.etl.fields import KindSpec, UnrecognisedFileError, data_notes
from devzone.etl.incremental import clean_changed
from devzone.etl.kinds import KIND_ALIASES, KINDS, detect_kind
from devzone.etl.link import LinkReport, link_by_holder
from devzone.etl.locate import assign_keys, read_polygons
from devzone.etl.read import (
    STREAM_CSV_BYTES,
    VECTOR_SUFFIXES,
    RawTable,
    open_csv,
    open_vector,
    read_export,
)
from devzone.etl.write import (
    Counts,
    defer_indexes,
    existing_rows,
    restore_indexes,
    upsert,
    utcnow,
)

__all__ = [
    "REJECT_COLUMNS",
    "FileSummary",
    "LoadSummary",
    "Progress",
    "load_paths",
    "write_rejects",
]

REJECT_COLUMNS = ["file", "row", "field", "value", "reason"]
CHUNK_FEATURES = 50_000

#: Progress of a load: ``(file name, records done, records in the file or 0 if unknown)``,
#: called when a file starts and after each chunk.
Progress = Callable[[str, int, int], None]


@dataclass
class FileSummary:
    """What happened to one file."""

    file: str
    kind: str
    decided: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    notes: list[str] = field(default_factory=list)
    derived: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, counts: Counts) -> None:
        """Add upsert counts."""
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {
            "file": self.file,
            "kind": self.kind,
            "decided": self.decided,
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "notes": list(self.notes),
            "derived": dict(self.derived),
        }


@dataclass
class LoadSummary:
    """Totals of a :func:`load_paths` call; ``read = inserted + updated + unchanged +
    rejected``. ``files`` (also ``details``) holds one :class:`FileSummary` per file."""

    files: list[FileSummary] = field(default_factory=list)
    batch_id: int | None = None
    rejects_file: str | None = None
    links: LinkReport | None = None
    skipped: list[dict[str, str]] = field(default_factory=list)
    rejects: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    data_notes: list[str] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def read(self) -> int:
        """Records read (blank rows excluded)."""
        return self._sum("read")

    @property
    def inserted(self) -> int:
        """Rows inserted."""
        return self._sum("inserted")

    @property
    def updated(self) -> int:
        """Rows whose content changed."""
        return self._sum("updated")

    @property
    def unchanged(self) -> int:
        """Rows already stored with the same content."""
        return self._sum("unchanged")

    @property
    def rejected(self) -> int:
        """Rows written to the rejects file."""
        return self._sum("rejected")

    @property
    def details(self) -> list[FileSummary]:
        """Per-file summaries."""
        return self.files

    @property
    def data_note(self) -> str | None:
        """The files' distinct 数据说明 joined with ``"; "`` (``load_batch.data_note``)."""
        return "; ".join(self.data_notes) or None

    @property
    def loaded(self) -> int:
        """Rows now in the database from this call (inserted + updated + unchanged)."""
        return self.inserted + self.updated + self.unchanged

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for ``--json``."""
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "batch_id": self.batch_id,
            "rejects_file": self.rejects_file,
            "files": [f.to_dict() for f in self.files],
            "skipped": list(self.skipped),
            "data_note": self.data_note,
            "links": self.links.to_dict() if self.links is not None else None,
        }


@dataclass
class _Source:
    path: Path
    kind: str
    decided: str
    total: int
    chunks: Iterable[RawTable]
    notes: list[str]


def _is_vector(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".json" and path.exists():
        head = path.read_bytes()[:4096].decode("utf-8", "ignore")
        return '"FeatureCollection"' in head or '"Feature"' in head
    return suffix in VECTOR_SUFFIXES


def _resolve_kind(kind: str, path: Path) -> str:
    k = KIND_ALIASES.get(kind.strip().lower(), KIND_ALIASES.get(kind.strip()))
    if k is None:
        raise InputError(
            f"unknown kind {kind!r}: use auto or one of {', '.join(KINDS)}", file=str(path)
        )
    return k


#: Files that travel with a Shapefile or document a delivery: skipped, not loaded.
SIDECAR_SUFFIXES = {
    ".cpg",
    ".dbf",
    ".prj",
    ".shx",
    ".sbn",
    ".sbx",
    ".qix",
    ".qmd",
    ".xml",
    ".aux",
    ".md",
    ".pdf",
    ".doc",
    ".docx",
    ".lock",
}


def _open_source(path: Path, kind: str, encoding: str | None) -> _Source:
    if _is_vector(path):
        vec = open_vector(path, encoding=encoding)
        headers: list[object] = list(vec.fields)
        has_geom, total = True, vec.features
        chunks: Iterable[RawTable] = vec.chunks(CHUNK_FEATURES)
        notes = list(vec.notes)
    elif (
        path.suffix.lower() in (".csv", ".tsv", ".txt")
        and path.exists()
        and path.stat().st_size > STREAM_CSV_BYTES
    ):
        big = open_csv(path, encoding=encoding)
        headers, has_geom, total = list(big.headers), False, 0
        chunks = big.chunks(CHUNK_FEATURES * 2)
        notes = list(big.notes)
    else:
        raw = read_export(path, encoding=encoding)
        headers = list(raw.frame.columns)
        has_geom, total = False, len(raw.frame)
        chunks = [raw]
        notes = list(raw.notes)
    if kind == "auto":
        k, why = detect_kind(headers, has_geometry=has_geom, file=str(path))
        decided = f"auto: {why}"
    else:
        k = _resolve_kind(kind, path)
        decided = f"declared: {KINDS[k].label} ({k})"
    return _Source(path, k, decided, total, chunks, notes)


@dataclass
class _FileState:
    spec: KindSpec
    summary: FileSummary
    existing: pd.DataFrame | None = None
    seen: pd.DataFrame | None = None
    crs: tuple[str, str] | None = None
    polygons: Any = None
    derive_rows: list[pd.DataFrame] = field(default_factory=list)
    located: list[int] = field(default_factory=lambda: [0, 0])  # needed, found

    def location_note(self) -> str | None:
        """What the spatial assignment of missing references did, for the notes."""
        needed, found = self.located
        if not needed:
            return None
        if self.spec.locate is None:
            return None
        col, table = self.spec.locate
        if self.polygons is None or self.polygons.empty:
            return f"{needed} rows without {col}: no {table} polygons to assign them from"
        return f"{found} of {needed} rows without {col} assigned spatially from {table}"


def _reject_frame(path: Path, rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.copy()
    out.insert(0, "file", str(path))
    return out[REJECT_COLUMNS]


def _dedupe(
    state: _FileState, cleaned: Cleaned
) -> tuple[pd.DataFrame, np.ndarray | None, pd.DataFrame]:
    """Drop repeated keys (within the chunk and against earlier chunks) as rejects.

    The first row of a key is kept; with ``spec.latest`` the row with the latest date.
    """
    frame, geoms = cleaned.frame, cleaned.geoms
    key = list(state.spec.key)
    latest = state.spec.latest if state.spec.latest in frame else None
    order = np.arange(len(frame))
    if latest:
        order = np.argsort(
            -frame[latest].fillna(pd.Timestamp("1900-01-01")).to_numpy().astype("int64"),
            kind="stable",
        )
    f2 = frame.iloc[order]
    dup = f2.duplicated(key, keep="first").to_numpy().copy()
    first = f2.groupby(key, sort=False, dropna=False)[["src_row", "row_hash"]].transform("first")
    ref_row, ref_hash = first["src_row"].to_numpy(), first["row_hash"].to_numpy()
    if state.seen is not None and len(state.seen):
        probe = f2[key].merge(state.seen, on=key, how="left")
        earlier = probe["src_row"].notna().to_numpy() & ~dup
        ref_row = np.where(earlier, probe["src_row"].to_numpy(), ref_row)
        ref_hash = np.where(earlier, probe["row_hash"].to_numpy(), ref_hash)
        dup = dup | earlier
    rejects = pd.DataFrame(columns=["row", "field", "value", "reason"])
    if dup.any():
        same = ref_hash[dup] == f2["row_hash"].to_numpy()[dup]
        refs = pd.Series(ref_row[dup]).astype("int64").astype(str).to_numpy().astype(object)
        rejects = pd.DataFrame(
            {
                "row": f2["src_row"].to_numpy()[dup],
                "field": cleaned.headers.get(key[0], key[0]),
                "value": f2[key].astype("string").fillna("").agg("/".join, axis=1).to_numpy()[dup],
                "reason": _duplicate_reasons(same, refs, latest=latest is not None),
            }
        )
    kept_idx = np.sort(order[~dup])
    kept = frame.iloc[kept_idx].reset_index(drop=True)
    kept_geoms = geoms[kept_idx] if geoms is not None else None
    new_seen = kept[[*key, "src_row", "row_hash"]]
    state.seen = new_seen if state.seen is None else pd.concat([state.seen, new_seen])
    return kept, kept_geoms, rejects


def _duplicate_reasons(same: np.ndarray, refs: np.ndarray, *, latest: bool) -> np.ndarray:
    """Why a repeated key is rejected, naming the kept row ``refs``.

    Examples
    --------
    >>> import numpy as np
    >>> refs = np.array(["3", "4"], dtype=object)
    >>> list(_duplicate_reasons(np.array([True, False]), refs, latest=False))
    ['duplicate of row 3 (identical)', 'same key as row 4 with different values; row 4 was kept']
    >>> _duplicate_reasons(np.array([False]), refs[:1], latest=True)[0]
    'older report than row 3 of the same project, which is kept'
    """
    if latest:
        return np.where(
            same,
            "duplicate of row " + refs,
            "older report than row " + refs + " of the same project, which is kept",
        )
    return np.where(
        same,
        "duplicate of row " + refs + " (identical)",
        "same key as row " + refs + " with different values; row " + refs + " was kept",
    )


def _fill_by_location(
    conn: Connection, state: _FileState, frame: pd.DataFrame, geoms: np.ndarray | None
) -> None:
    """Fill ``spec.locate``'s missing column from the polygon containing the feature."""
    if state.spec.locate is None or geoms is None or not len(frame):
        return
    col, table = state.spec.locate
    if col not in frame:
        frame[col] = pd.Series(pd.NA, index=frame.index, dtype="string")
    need = frame[col].isna().to_numpy() & ~pd.isna(geoms)
    if not need.any():
        return
    if state.polygons is None:
        state.polygons = read_polygons(conn, table, col)
    state.located[0] += int(need.sum())
    if state.polygons.empty:
        return
    found = assign_keys(geoms[need], state.polygons, col)
    frame.loc[need, col] = found.to_numpy()
    state.located[1] += int(found.notna().sum())
    # the assignment is part of the content: refresh the hash
    frame["row_hash"] = row_hashes(frame)


@dataclass
class _Job:
    """A cleaned chunk waiting to be written."""

    frame: pd.DataFrame
    geoms: np.ndarray | None
    rejects: pd.DataFrame


def _prepare_chunk(
    conn: Connection,
    state: _FileState,
    raw: RawTable,
    *,
    crs: str | None,
    sync: Callable[[], None],
) -> _Job:
    """Clean, de-duplicate and complete one chunk (CPU work; reads the database only
    after ``sync()`` has waited for the chunk being written)."""
    spec, summary = state.spec, state.summary
    cleaned = clean_changed(
        conn,
        state,
        raw,
        lambda r: clean(r, spec, declared_crs=crs, resolved_crs=state.crs),
        declared_crs=crs,
        sync=sync,
    )
    if state.crs is None and cleaned.crs is not None:
        state.crs = cleaned.crs
        summary.notes.append(cleaned.crs[1])
    summary.notes.extend(n for n in cleaned.notes if n not in summary.notes)
    summary.read += len(cleaned.frame) + len(cleaned.rejects)
    frame, geoms, dups = _dedupe(state, cleaned)
    rejects = [cleaned.rejects, dups]
    if state.existing is None:
        sync()
        extra = (spec.latest,) if spec.latest else ()
        state.existing = existing_rows(conn, spec.table, spec.key, extra)
    if state.polygons is None and spec.locate is not None:
        sync()
    _fill_by_location(conn, state, frame, geoms)
    for column, value in spec.stamp:
        frame[column] = value
    out = (
        pd.concat([r for r in rejects if len(r)], ignore_index=True)
        if any(len(r) for r in rejects)
        else pd.DataFrame(columns=["row", "field", "value", "reason"])
    )
    summary.rejected += len(out)
    return _Job(frame, geoms, _reject_frame(raw.path, out))


def _write_chunk(
    conn: Connection, state: _FileState, job: _Job, provenance: dict[str, Any]
) -> None:
    """Write one prepared chunk (may run in the writer thread)."""
    spec, summary = state.spec, state.summary
    if spec.before_write is not None:
        note = spec.before_write(conn, job.frame)
        if note:
            summary.notes.append(note)
    counts, _ = upsert(
        conn, spec.table, spec.key, job.frame, job.geoms, state.existing, provenance=provenance
    )
    summary.add(counts)
    if spec.derive is not None:
        state.derive_rows.append(job.frame)


class _Writer:
    """Writes chunks one at a time, in a background thread on PostGIS so the next chunk
    is cleaned while the server ingests this one (GeoPackage: inline, since SQLite
    connections belong to their thread)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pool = ThreadPoolExecutor(1) if conn.dialect.name == "postgresql" else None
        self.pending: Future[None] | None = None

    def sync(self) -> None:
        """Wait for the chunk being written (re-raising its error)."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def submit(self, state: _FileState, job: _Job, provenance: dict[str, Any]) -> None:
        """Write ``job`` after the previous one."""
        self.sync()
        if self.pool is None:
            _write_chunk(self.conn, state, job, provenance)
        else:
            self.pending = self.pool.submit(_write_chunk, self.conn, state, job, provenance)

    def close(self) -> None:
        """Wait for the last chunk without masking an error raised meanwhile."""
        if self.pending is not None:
            wait([self.pending])
        if self.pool is not None:
            self.pool.shutdown(wait=True)


def write_rejects(path: str | Path, rejects: pd.DataFrame) -> Path:
    """Write the rejects CSV (UTF-8 with BOM, so Excel opens it): file, row, field,
    value, reason."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rejects.reindex(columns=REJECT_COLUMNS).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _sorted_sources(sources: list[_Source]) -> list[_Source]:
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(sources, key=lambda s: order[s.kind])


def load_paths(  # noqa: PLR0913 -- one keyword per `devzone etl load` option
    engine: Engine,
    paths: Iterable[str | Path],
    *,
    kind: str = "auto",
    rejects: str | Path | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    link: bool | None = None,
    progress: Progress | None = None,
    complete: bool = False,
) -> LoadSummary:
    """Load export files into the database, atomically, idempotently.

    Parameters
    ----------
    engine
        GeoPackage or PostGIS engine (:func:`devzone.db.engine.make_engine`); missing
        tables are created.
    paths
        Export files (CSV/XLSX/JSON/JSONL, Shapefile/GeoPackage/GeoJSON).
    kind
        ``auto`` (recognised from the headers) or one of :data:`KINDS`.
    rejects
        Where to write the rejects CSV (written only when a row is rejected).
    crs
        Declared CRS of vector files without a usable ``.prj``: an EPSG code or
        ``gcj02`` for coordinates copied from a web map.
    encoding
        Declared text encoding (detected when omitted).
    link
        Match 土地使用权人 to enterprise names afterwards; default: when the call loaded
        a kind carrying holder names (supply, parcels, indicators) but no link file.
    progress
        Called with ``(file name, records done, records in the file or 0)`` when a file
        starts and after each chunk (see :data:`Progress`); the CLI draws a bar.
    complete
        The files are complete exports (``--complete``): a stored row of a kind loaded
        whose key none of that kind's files lists is retired (kept in its history
        table, removed from the current one, :func:`devzone.db.history.retire_missing`).
        Skipped, with a note, for a kind whose files had rejected rows.

    Returns
    -------
    LoadSummary

    Raises
    ------
    InputError
        A file is missing or unreadable, or its headers map to no kind; nothing is
        written then.
    """
    _ensure_tables(engine)
    summary = LoadSummary()
    sources = _open_sources([Path(p) for p in paths], kind, encoding, summary)
    reject_parts: list[pd.DataFrame] = []
    started = utcnow()
    with engine.begin() as conn:
        summary.batch_id = _start_batch(conn, sources, started)
        states = []
        for source in sources:
            prov = {
                "src_file": str(source.path),
                "batch_id": summary.batch_id,
                "loaded_at": started,
            }
            states.append(
                _load_source(
                    conn, source, summary, prov, crs=crs, progress=progress, rejects=reject_parts
                )
            )
        if complete:
            _retire_absent(conn, states, summary.batch_id)
        if _wants_links(link, sources):
            summary.links = link_by_holder(conn, batch_id=summary.batch_id)
        _finish_batch(conn, summary)
    parts = [p for p in reject_parts if len(p)]
    summary.rejects = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REJECT_COLUMNS)
    )
    _write_reject_files(summary, rejects)
    return summary


def _ensure_tables(engine: Engine) -> None:
    """Create the tables when one the load writes is missing."""
    from devzone.db.admin import init_db

    needed = {s.table for s in KINDS.values()} | {"load_batch"}
    if not needed <= set(inspect(engine).get_table_names()):
        init_db(engine)


def _open_sources(
    paths: list[Path], kind: str, encoding: str | None, summary: LoadSummary
) -> list[_Source]:
    """Open every file and decide its kind, in write order; skipped ones are listed."""
    if not paths:
        raise InputError("no file to load")
    opened = []
    for p in paths:
        if p.suffix.lower() in SIDECAR_SUFFIXES and p.exists():
            summary.skipped.append(
                {"file": str(p), "reason": "not an export (sidecar or document)"}
            )
            continue
        try:
            opened.append(_open_source(p, kind, encoding))
        except UnrecognisedFileError as exc:
            if kind != "auto" or len(paths) == 1:
                raise
            summary.skipped.append({"file": str(p), "reason": str(exc)})
    if not opened:
        raise InputError(
            "nothing to load: " + "; ".join(f"{d['file']}: {d['reason']}" for d in summary.skipped)
        )
    return _sorted_sources(opened)


def _start_batch(conn: Connection, sources: list[_Source], started: dt.datetime) -> int:
    """Insert this load's ``load_batch`` row; its ``fid``."""
    batch_id = conn.execute(
        insert(LoadBatch).values(
            started_at=started,
            files="\n".join(str(s.path) for s in sources),
            kinds=",".join(dict.fromkeys(s.kind for s in sources)),
            tool_version=_version(),
            **batch_identity(conn),
        )
    ).inserted_primary_key[0]
    return int(batch_id)


def _load_source(
    conn: Connection,
    source: _Source,
    summary: LoadSummary,
    prov: dict[str, Any],
    *,
    crs: str | None,
    progress: Progress | None,
    rejects: list[pd.DataFrame],
) -> _FileState:
    """Load one file chunk by chunk (cleaning the next chunk while one is written)."""
    fsum = FileSummary(str(source.path), source.kind, source.decided)
    fsum.notes.extend(source.notes)
    summary.files.append(fsum)
    state = _FileState(KINDS[source.kind], fsum)
    deferred = defer_indexes(conn, state.spec.table, source.total)
    writer = _Writer(conn)
    done = 0
    if progress is not None:
        progress(source.path.name, done, source.total)
    try:
        for raw in _iter(source.chunks):
            _add_data_notes(summary, raw)
            job = _prepare_chunk(conn, state, raw, crs=crs, sync=writer.sync)
            rejects.append(job.rejects)
            writer.submit(state, job, prov)
            done += len(raw.frame)
            if progress is not None:
                progress(source.path.name, done, source.total)
        writer.sync()
    finally:
        writer.close()
    note = state.location_note()
    if note:
        fsum.notes.append(note)
    if deferred:
        restore_indexes(conn, deferred)
        fsum.notes.append(f"{len(deferred)} indexes built after the bulk copy")
    if state.spec.derive is not None:
        table, counts, notes = state.spec.derive(conn, state.derive_rows, prov)
        fsum.derived[table] = {
            "inserted": counts.inserted,
            "updated": counts.updated,
            "unchanged": counts.unchanged,
        }
        fsum.notes.extend(notes)
    return state


def _retire_absent(conn: Connection, states: list[_FileState], batch_id: int | None) -> None:
    """``--complete``: retire the stored rows no file of their kind listed.

    The keys of every file of a kind count together (an export split in several files);
    a kind whose files had rejected rows retires nothing (a rejected row's key would be
    retired), and says so in each file's notes.
    """
    from devzone.db.history import retire_missing

    by_table: dict[str, list[_FileState]] = {}
    for state in states:
        by_table.setdefault(state.spec.table, []).append(state)
    for table, group in by_table.items():
        key = list(group[0].spec.key)
        rejected = sum(s.summary.rejected for s in group)
        if rejected:
            note = f"complete export: nothing retired from {table} ({rejected} rows rejected)"
        else:
            seen = [s.seen[key] for s in group if s.seen is not None and len(s.seen)]
            if not seen:
                note = f"complete export: nothing retired from {table} (the file has no rows)"
            else:
                keys = pd.concat(seen, ignore_index=True)
                gone = retire_missing(conn, table, key, keys, batch_id)
                note = f"complete export: {gone} rows of {table} not listed were retired"
        for state in group:
            state.summary.notes.append(note)


def _add_data_notes(summary: LoadSummary, raw: RawTable) -> None:
    """Record the chunk's 数据说明 values not seen yet."""
    for note in data_notes(raw.frame):
        if note not in summary.data_notes:
            summary.data_notes.append(note)


def _wants_links(link: bool | None, sources: list[_Source]) -> bool:
    """Holder-name matching: as asked, else when a kind naming holders was loaded
    without a link file."""
    if link is not None:
        return link
    specs = [KINDS[s.kind] for s in sources]
    return any(s.names_holders for s in specs) and not any(s.link_file for s in specs)


def _finish_batch(conn: Connection, summary: LoadSummary) -> None:
    """Close this load's ``load_batch`` row with its totals and data note."""
    conn.execute(
        update(LoadBatch)
        .where(LoadBatch.fid == summary.batch_id)
        .values(
            finished_at=utcnow(),
            rows_read=summary.read,
            inserted=summary.inserted,
            updated=summary.updated,
            unchanged=summary.unchanged,
            rejected=summary.rejected,
            data_note=summary.data_note,
        )
    )


def _write_reject_files(summary: LoadSummary, rejects: str | Path | None) -> None:
    """The rejects CSV and, next to it, the holder names that matched no enterprise."""
    if rejects is None:
        return
    if len(summary.rejects):
        summary.rejects_file = str(write_rejects(rejects, summary.rejects))
    if summary.links is not None and len(summary.links.problems()):
        holders = Path(rejects).with_name(Path(rejects).stem + "_holders.csv")
        summary.links.problems().to_csv(holders, index=False, encoding="utf-8-sig")


def _iter(chunks: Iterable[RawTable]) -> Iterator[RawTable]:
    yield from chunks


def _version() -> str:
    try:
        from devzone import __version__

        return str(__version__)
    except ImportError:  # pragma: no cover
        return "unknown"
