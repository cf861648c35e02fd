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
* **The filled case ledger** (案件台账, recognised by its 案件编号 and officers'
  columns, or ``--kind case_ledger``) is not a registry table: each filled date cell is
  a case event, recorded, unchanged (recorded before) or rejected with its row and
  field (:func:`devzone.etl.hooks.record_case_ledger`), counted in the summary like the
  rows of a registry file. Case files are appended to, never replaced, so a ledger is
  recorded after the registry files of the same call have been committed (in its own
  transaction).
* **Server roles** (issue 18): the loading role's scope is read once per load
  (:func:`devzone.db.roles.current_scope`; none for the owner or on a GeoPackage). For
  a county or zone role every chunk is checked before it is written
  (:func:`devzone.db.roles.scope_check`): rows outside the scope go to the rejects with
  the reason, the rest are written, so row-level security never has to refuse a row
  half-way through the transaction. A scoped load writes parcels before the land-supply
  contracts (a zone sees a contract only through its parcel).
* Every transaction is tagged for the audit trail (:func:`devzone.db.audit.tag_transaction`:
  the command and the batch); ``load_batch.os_user`` records the operating-system user.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, insert, inspect, select, text, update

from devzone.db.audit import current_command, os_user, tag_transaction
from devzone.db.io import table_of
from devzone.db.roles import Scope, current_scope, scope_check
from devzone.db.schema import LoadBatch
from devzone.errors import InputError
from devzone.etl.clean import Cleaned, clean, row_hashes
from devzone.etl.count import csv_records, vector_layers
from devzone.etl.csvsafe import restore, write_csv
from devzone.etl.fields import KindSpec, UnrecognisedFileError, data_notes
from devzone.etl.hooks import record_case_ledger
from devzone.etl.incremental import clean_changed
from devzone.etl.kinds import (
    CASE_LEDGER,
    CASE_LEDGER_ALIASES,
    CASE_LEDGER_LABEL,
    KIND_ALIASES,
    KINDS,
    detect_kind,
)
from devzone.etl.link import LinkReport, link_by_holder
from devzone.etl.locate import assign_keys, read_polygons
from devzone.etl.read import (
    STREAM_CSV_BYTES,
    VECTOR_SUFFIXES,
    RawTable,
    open_csv,
    open_vector,
    read_export,
    read_workbook,
)
from devzone.etl.write import (
    Counts,
    defer_indexes,
    existing_rows,
    restore_indexes,
    upsert,
    utcnow,
)
from devzone.landuse.cases import is_case_ledger
from devzone.policy import Policy, load_policy
from devzone.policy.sections import EtlPolicy

__all__ = [
    "REJECT_COLUMNS",
    "FileSummary",
    "LoadSummary",
    "Progress",
    "is_rejects_file",
    "load_paths",
    "order_rejects",
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
    label: str = ""


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


def _open_source(
    path: Path, kind: str, encoding: str | None, hidden_sheets: bool = False
) -> tuple[list[_Source], list[dict[str, str]]]:
    """The sources of one file (one per sheet of a workbook, per layer of a vector
    container) and the parts skipped with the reason."""
    if is_rejects_file(path):
        return _rejects_sources(path, kind), []
    if _is_vector(path):
        return _vector_sources(path, kind, encoding)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls") and path.exists():
        tables, skipped = read_workbook(path, hidden_sheets=hidden_sheets)
        if not tables:
            first = next((s["reason"] for s in skipped if "hidden" not in s["reason"]), None)
            raise UnrecognisedFileError(
                first
                or "; ".join(f"{s['file']}: {s['reason']}" for s in skipped)
                or "the workbook has no data",
                file=str(path),
            )
        many = len(tables) > 1 or bool(skipped)
        return [_table_source(path, raw, kind, part=many) for raw in tables], skipped
    if (
        path.suffix.lower() in (".csv", ".tsv", ".txt")
        and path.exists()
        and path.stat().st_size > STREAM_CSV_BYTES
    ):
        big = open_csv(path, encoding=encoding)
        k, decided = _decide(kind, list(big.headers), False, path)
        chunks = big.chunks(CHUNK_FEATURES * 2)
        return [_Source(path, k, decided, 0, chunks, list(big.notes), str(path))], []
    return [_table_source(path, read_export(path, encoding=encoding), kind)], []


def _decide(kind: str, headers: list[object], has_geom: bool, where: Path | str) -> tuple[str, str]:
    if kind == "auto":
        k, why = detect_kind(headers, has_geometry=has_geom, file=str(where))
        return k, f"auto: {why}"
    k = _resolve_kind(kind, Path(str(where)))
    return k, f"declared: {KINDS[k].label} ({k})"


def _table_source(path: Path, raw: RawTable, kind: str, *, part: bool = False) -> _Source:
    label = f"{path} [{raw.part}]" if part and raw.part else str(path)
    ledger = _as_ledger(kind, list(raw.frame.columns))
    if ledger is not None:  # a filled case ledger (案件台账), recorded as case events
        return _Source(path, CASE_LEDGER, ledger, len(raw.frame), [raw], list(raw.notes), label)
    k, decided = _decide(kind, list(raw.frame.columns), raw.geometry is not None, label)
    return _Source(path, k, decided, len(raw.frame), [raw], list(raw.notes), label)


def _vector_sources(
    path: Path, kind: str, encoding: str | None
) -> tuple[list[_Source], list[dict[str, str]]]:
    """One source per layer whose fields map (a GeoPackage or a zipped Shapefile set
    may hold several); the other layers are skipped with the reason."""
    layers = vector_layers(path) if path.exists() else [(None, None)]
    many = len(layers) > 1
    out: list[_Source] = []
    skipped: list[dict[str, str]] = []
    first_error: UnrecognisedFileError | None = None
    for name, _ in layers:
        vec = open_vector(path, encoding=encoding, layer=name if many else None)
        label = f"{path} [layer {vec.layer}]" if many else str(path)
        try:
            k, decided = _decide(kind, list(vec.fields), True, label)
        except UnrecognisedFileError as exc:
            if not many:
                raise
            first_error = first_error or exc
            skipped.append({"file": label, "reason": str(exc)})
            continue
        chunks = vec.chunks(CHUNK_FEATURES)
        total = max(vec.features, 0)
        out.append(_Source(path, k, decided, total, chunks, list(vec.notes), label))
    if not out:
        raise first_error or UnrecognisedFileError("no layer to load", file=str(path))
    return out, skipped


def is_rejects_file(path: Path) -> bool:
    """True for a rejects CSV written by devzone (its header starts with
    :data:`REJECT_COLUMNS`)."""
    if path.suffix.lower() != ".csv" or not path.exists():
        return False
    with open(path, "rb") as fh:
        head = fh.read(256).decode("utf-8", "ignore").lstrip("\ufeff")
    return head.startswith(",".join(REJECT_COLUMNS))


def _rejects_sources(path: Path, kind: str) -> list[_Source]:
    """A rejects file loaded back: its original records, one source per file they came
    from, each loaded as its kind (the clerk's corrections included)."""
    text = path.read_text(encoding="utf-8-sig")
    starts, _ = csv_records(text, ",", file=str(path))
    table = pd.read_csv(
        io.StringIO(text), dtype=str, keep_default_na=False, index_col=False, engine="c"
    )
    table = table.map(restore)
    rows = np.asarray(starts[1 : len(table) + 1], dtype=int)
    out = []
    for origin, idx in table.groupby("file", sort=False).indices.items():
        part = table.iloc[idx].drop(columns=REJECT_COLUMNS)
        part = part.loc[:, [(part[c] != "").any() for c in part.columns]]
        part.columns = [str(c).removesuffix(_CLASH) for c in part.columns]
        raw = RawTable(path, part.reset_index(drop=True), rows[idx], "line", part=str(origin))
        label = f"{path} [rejects of {Path(str(origin)).name}]"
        k, decided = _decide(kind, list(part.columns), False, label)
        note = f"rejects file: {len(part)} corrected rows of {origin}"
        out.append(_Source(path, k, decided, len(part), [raw], [note], label))
    return out


def _as_ledger(kind: str, headers: list[object]) -> str | None:
    """How a file was decided to be the filled case ledger, or None when it is not."""
    if kind.strip().lower() in CASE_LEDGER_ALIASES or kind.strip() == CASE_LEDGER_LABEL:
        return f"declared: {CASE_LEDGER_LABEL} ({CASE_LEDGER})"
    if kind == "auto" and is_case_ledger(headers):
        return f"auto: {CASE_LEDGER_LABEL} ({CASE_LEDGER}): 案件编号 and the officers' columns"
    return None


@dataclass
class _LoadScope:
    """The loading role's scope and what it knows of parcels, links and zones (the
    ones it sees in the database plus those of this load, as they are accepted)."""

    scope: Scope
    parcels: pd.DataFrame
    links: pd.DataFrame
    zones: dict[str, str]

    @classmethod
    def read(cls, conn: Connection, scope: Scope) -> _LoadScope:
        """What the role sees now (row-level security applies to ``conn``)."""

        def rows(name: str, *columns: str) -> pd.DataFrame:
            table = table_of(name)
            return pd.read_sql(select(*[table.c[c] for c in columns]), conn)

        return cls(
            scope,
            rows("parcel", "parcel_code", "supervision_no", "zone_code"),
            rows("parcel_enterprise", "parcel_code", "credit_code"),
            cls._zone_map(rows("dev_zone", "zone_code", "district_code")),
        )

    @staticmethod
    def _zone_map(zones: pd.DataFrame) -> dict[str, str]:
        known = zones.dropna(subset=["zone_code", "district_code"])
        return dict(zip(known["zone_code"], known["district_code"], strict=True))

    def check(
        self, spec: KindSpec, frame: pd.DataFrame, headers: dict[str, str]
    ) -> tuple[np.ndarray, pd.DataFrame]:
        """Rows of ``frame`` the role may write, and the rejects of the others."""
        ok, why = scope_check(
            frame, spec.kind, self.scope, parcels=self.parcels, links=self.links, zones=self.zones
        )
        self._learn(spec.table, frame[ok])
        bad = ~ok
        columns = [str(w).split(" ", 1)[0] for w in why[bad]]
        values = [
            str(frame[c].iloc[i]) if c in frame else ""
            for c, i in zip(columns, np.flatnonzero(bad), strict=True)
        ]
        rejects = pd.DataFrame(
            {
                "row": frame["src_row"].to_numpy()[bad],
                "field": [headers.get(c, c) if c in frame else "" for c in columns],
                "value": values,
                "reason": why[bad],
            }
        )
        return ok, rejects

    def _learn(self, table: str, rows: pd.DataFrame) -> None:
        """Accepted parcels, links and zones become known to the later files."""
        if table == "parcel":
            cols = [c for c in ("parcel_code", "supervision_no", "zone_code") if c in rows]
            self.parcels = pd.concat([self.parcels, rows[cols]], ignore_index=True)
        elif table == "parcel_enterprise":
            cols = [c for c in ("parcel_code", "credit_code") if c in rows]
            self.links = pd.concat([self.links, rows[cols]], ignore_index=True)
        elif table == "dev_zone" and {"zone_code", "district_code"} <= set(rows.columns):
            self.zones.update(self._zone_map(rows))


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
    scope: _LoadScope | None = None
    policy: EtlPolicy | None = None

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
    return out[REJECT_COLUMNS].reset_index(drop=True)


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
        lambda r: clean(r, spec, declared_crs=crs, resolved_crs=state.crs, policy=state.policy),
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
    if state.scope is not None and len(frame):
        ok, outside = state.scope.check(spec, frame, cleaned.headers)
        frame = frame[ok].reset_index(drop=True)
        geoms = geoms[ok] if geoms is not None else None
        rejects.append(outside)
    for column, value in spec.stamp:
        frame[column] = value
    out = (
        pd.concat([r for r in rejects if len(r)], ignore_index=True)
        if any(len(r) for r in rejects)
        else pd.DataFrame(columns=["row", "field", "value", "reason"])
    )
    summary.rejected += len(out)
    return _Job(frame, geoms, _with_records(_reject_frame(raw.path, out), raw))


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
    value, reason, then the original record's columns as they were in the file; every
    cell a spreadsheet would evaluate is neutralised (:mod:`devzone.etl.csvsafe`)."""
    return write_csv(order_rejects(rejects), path)


def order_rejects(rejects: pd.DataFrame) -> pd.DataFrame:
    """:data:`REJECT_COLUMNS` first, then the record's columns in file order."""
    rest = [c for c in rejects.columns if c not in REJECT_COLUMNS]
    return rejects.reindex(columns=[*REJECT_COLUMNS, *rest])


#: Suffix of a record column whose header clashes with one of :data:`REJECT_COLUMNS`.
_CLASH = " (原)"


def _record_text(value: object) -> str:
    """A cell as the clerk saw it: blanks empty, dates as dates, numbers as written."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _with_records(rejects: pd.DataFrame, raw: RawTable) -> pd.DataFrame:
    """The rejects of a chunk with each row's original record beside them."""
    if not len(rejects):
        return rejects
    records = raw.frame.astype(object).map(_record_text)
    records.columns = [
        f"{c}{_CLASH}" if str(c) in REJECT_COLUMNS else str(c) for c in records.columns
    ]
    records.index = np.asarray(raw.row_numbers)
    found = records.reindex(rejects["row"].astype("int64").to_numpy())
    return pd.concat([rejects.reset_index(drop=True), found.reset_index(drop=True)], axis=1)


def _sorted_sources(sources: list[_Source], *, scoped: bool = False) -> list[_Source]:
    """Sources in write order (:data:`KINDS`; a scoped role's parcels before the supply
    contracts it sees through them; case ledgers last)."""
    kinds = list(KINDS)
    if scoped and "parcels" in kinds and "supply" in kinds:
        kinds.remove("parcels")
        kinds.insert(kinds.index("supply"), "parcels")
    order = {k: i for i, k in enumerate(kinds)}
    return sorted(sources, key=lambda s: order.get(s.kind, len(order)))


def load_paths(  # noqa: PLR0913 (keyword-only options of the one load entry point)
    engine: Engine,
    paths: Iterable[str | Path],
    *,
    kind: str = "auto",
    rejects: str | Path | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    link: bool | None = None,
    progress: Progress | None = None,
    hidden_sheets: bool = False,
    policy: Policy | None = None,
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
    hidden_sheets
        Load hidden sheets of a workbook too (skipped and listed otherwise).
    policy
        The policy (default: ``data/policy/``): its ``[etl]`` section gives the
        placeholders of optional fields; a filled case ledger is validated with its
        ``[cases]`` section (events may not be dated after today).
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
    pol = policy if policy is not None else load_policy()
    summary = LoadSummary()
    scope = current_scope(engine)  # once per load; None: the owner, or a GeoPackage
    sources = _open_sources([Path(p) for p in paths], kind, encoding, summary, hidden_sheets)
    sources = _sorted_sources(sources, scoped=scope is not None)
    registry = [s for s in sources if s.kind in KINDS]
    ledgers = [s for s in sources if s.kind == CASE_LEDGER]
    reject_parts: list[pd.DataFrame] = []
    started = utcnow()
    command = current_command("etl load") or "etl load"
    staged: list[tuple[Path, Path]] = []
    try:
        with engine.begin() as conn:
            tag_transaction(conn, command)
            summary.batch_id = _start_batch(conn, sources, started)
            tag_transaction(conn, command, summary.batch_id)
            known = _LoadScope.read(conn, scope) if scope is not None and registry else None
            states = []
            for source in registry:
                prov = {
                    "src_file": str(source.path),
                    "batch_id": summary.batch_id,
                    "loaded_at": started,
                }
                state = _load_source(
                    conn,
                    source,
                    summary,
                    prov,
                    crs=crs,
                    progress=progress,
                    rejects=reject_parts,
                    scope=known,
                    policy=pol.etl,
                )
                states.append(state)
            if complete:
                _retire_absent(conn, states, summary.batch_id)
            if registry and _wants_links(link, registry):
                summary.links = link_by_holder(conn, batch_id=summary.batch_id)
            if not ledgers:
                staged = _close_batch(conn, summary, reject_parts, rejects)
        if ledgers:  # case events are recorded on their own connection (cases_io)
            for source in ledgers:
                _load_ledger(engine, source, summary, reject_parts, policy=pol)
            with engine.begin() as conn:
                tag_transaction(conn, command, summary.batch_id)
                staged = _close_batch(conn, summary, reject_parts, rejects)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        raise
    for tmp, final in staged:
        os.replace(tmp, final)
    return summary


def _close_batch(
    conn: Connection,
    summary: LoadSummary,
    reject_parts: list[pd.DataFrame],
    rejects: str | Path | None,
) -> list[tuple[Path, Path]]:
    """Finish the batch row and stage the rejects files, inside the transaction: a
    rejects file that cannot be written fails the load."""
    _finish_batch(conn, summary)
    parts = [p for p in reject_parts if len(p)]
    summary.rejects = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REJECT_COLUMNS)
    )
    return _stage_reject_files(summary, rejects)


def _load_ledger(
    engine: Engine,
    source: _Source,
    summary: LoadSummary,
    rejects: list[pd.DataFrame],
    *,
    policy: Policy,
) -> None:
    """Record a filled case ledger's events (:func:`devzone.etl.hooks.record_case_ledger`)."""
    fsum = FileSummary(str(source.path), source.kind, source.decided)
    fsum.notes.extend(source.notes)
    summary.files.append(fsum)
    for raw in _iter(source.chunks):
        _add_data_notes(summary, raw)
        first = int(raw.row_numbers[0]) if len(raw.row_numbers) else 1
        counts = record_case_ledger(
            engine,
            raw.frame,
            str(source.path),
            today=dt.date.today(),
            policy=policy,
            first_row=first,
            batch=str(summary.batch_id),
        )
        fsum.read += counts.read
        fsum.inserted += counts.recorded
        fsum.unchanged += counts.unchanged
        fsum.rejected += counts.rejected
        rejects.append(counts.rejects.reindex(columns=REJECT_COLUMNS))
    fsum.notes.append("每个已填日期 = 一条案件记录 (one case event per filled date cell)")


def _ensure_tables(engine: Engine) -> None:
    """Create the tables when one the load writes is missing."""
    from devzone.db.admin import init_db

    needed = {s.table for s in KINDS.values()} | {"load_batch"}
    if not needed <= set(inspect(engine).get_table_names()):
        init_db(engine)


def _open_sources(
    paths: list[Path],
    kind: str,
    encoding: str | None,
    summary: LoadSummary,
    hidden_sheets: bool = False,
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
            found, skipped = _open_source(p, kind, encoding, hidden_sheets)
            opened.extend(found)
            summary.skipped.extend(skipped)
        except UnrecognisedFileError as exc:
            if kind != "auto" or len(paths) == 1:
                raise
            summary.skipped.append({"file": str(p), "reason": str(exc)})
    if not opened:
        raise InputError(
            "nothing to load: " + "; ".join(f"{d['file']}: {d['reason']}" for d in summary.skipped)
        )
    return opened


def _start_batch(conn: Connection, sources: list[_Source], started: dt.datetime) -> int:
    """Insert this load's ``load_batch`` row; its ``fid``.

    ``os_user`` (and ``db_role`` where the schema has it) say who loaded; a GeoPackage
    created before the column existed gets it added.
    """
    values: dict[str, Any] = {
        "started_at": started,
        "files": "\n".join(str(s.path) for s in sources),
        "kinds": ",".join(dict.fromkeys(s.kind for s in sources)),
        "tool_version": _version(),
    }
    stored = {c["name"] for c in inspect(conn).get_columns("load_batch")}
    if "os_user" not in stored:
        conn.execute(text("ALTER TABLE load_batch ADD COLUMN os_user VARCHAR"))
    values["os_user"] = os_user()
    if "db_role" in LoadBatch.__table__.c and "db_role" in stored:
        role = "SELECT current_user" if conn.dialect.name == "postgresql" else None
        values["db_role"] = conn.execute(text(role)).scalar() if role else None
    batch_id = conn.execute(insert(LoadBatch).values(**values)).inserted_primary_key[0]
    return int(batch_id)


def _load_source(  # noqa: PLR0913 (the per-file options of load_paths, passed through)
    conn: Connection,
    source: _Source,
    summary: LoadSummary,
    prov: dict[str, Any],
    *,
    crs: str | None,
    progress: Progress | None,
    rejects: list[pd.DataFrame],
    scope: _LoadScope | None = None,
    policy: EtlPolicy | None = None,
) -> _FileState:
    """Load one file chunk by chunk (cleaning the next chunk while one is written)."""
    fsum = FileSummary(source.label or str(source.path), source.kind, source.decided)
    fsum.notes.extend(source.notes)
    summary.files.append(fsum)
    state = _FileState(KINDS[source.kind], fsum, scope=scope, policy=policy)
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


def _stage_reject_files(
    summary: LoadSummary, rejects: str | Path | None
) -> list[tuple[Path, Path]]:
    """Write the rejects CSV and, next to it, the holder names that matched no
    enterprise, as temporary files renamed after the commit; ``(temporary, final)``.

    Raises
    ------
    InputError
        A file cannot be written (the load is then rolled back whole).
    """
    if rejects is None:
        return []
    target = Path(rejects)
    files: list[tuple[Path, pd.DataFrame]] = []
    if len(summary.rejects):
        files.append((target, order_rejects(summary.rejects)))
        summary.rejects_file = str(target)
    if summary.links is not None and len(summary.links.problems()):
        files.append((target.with_name(target.stem + "_holders.csv"), summary.links.problems()))
    staged: list[tuple[Path, Path]] = []
    for final, frame in files:
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        try:
            write_csv(frame, tmp)
        except OSError as exc:
            for done in (tmp, *(d for d, _ in staged)):
                with contextlib.suppress(OSError):
                    done.unlink(missing_ok=True)
            raise InputError(
                f"the rejects file cannot be written ({exc.strerror or exc}); nothing was "
                f"loaded — free disk space or choose another --rejects path and load again",
                file=str(final),
            ) from exc
        staged.append((tmp, final))
    return staged


def _iter(chunks: Iterable[RawTable]) -> Iterator[RawTable]:
    yield from chunks


def _version() -> str:
    try:
        from devzone import __version__

        return str(__version__)
    except ImportError:  # pragma: no cover
        return "unknown"
