"""Read registry exports as they come: CSV (GBK/UTF-8, BOM or not), XLSX with title rows,
JSON/JSONL, and vector files (Shapefile with GBK ``.dbf``, GeoPackage, GeoJSON).

:func:`read_export` returns a :class:`RawTable`: the cells as the file has them (text,
or the spreadsheet's own numbers and dates), the header row found, the row number of
every record as the user sees it in the file, and for vector files the geometry and
the CRS the file declares.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# GDAL (pyogrio) must be initialised before SpatiaLite is loaded into the process by a
# GeoPackage engine, otherwise later pyogrio reads of a GeoPackage crash (segfault).
import pyogrio

from devzone.errors import InputError
from devzone.etl.count import csv_file_records, csv_records
from devzone.etl.draft import RawTable
from devzone.etl.fields import UnrecognisedFileError, match_headers
from devzone.etl.kinds import KINDS

__all__ = [
    "STREAM_CSV_BYTES",
    "VECTOR_SUFFIXES",
    "CsvSource",
    "RawTable",
    "VectorSource",
    "open_vector",
    "read_export",
    "sniff_encoding",
]

VECTOR_SUFFIXES = {".shp", ".gpkg", ".geojson", ".fgb", ".gml", ".kml", ".zip"}
TABLE_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".json", ".jsonl"}
_HEADER_SCAN_ROWS = 15


def sniff_encoding(data: bytes) -> str:
    """The encoding of a text export: UTF-8 with BOM, UTF-8, or GB18030 (⊃ GBK)."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise InputError(
            "the file is neither UTF-8 nor GBK/GB18030 text; save it as UTF-8 or GBK CSV, "
            "or name its encoding with --encoding",
            row=data[: exc.start].count(b"\n") + 1,
        ) from exc


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    try:
        enc = encoding or sniff_encoding(data)
    except InputError as exc:
        message = str(exc).split(": ", 1)[-1] if exc.row is not None else str(exc)
        raise InputError(message, file=str(path), row=exc.row) from exc
    if enc.lower().replace("-", "") in ("utf8", "utf8sig") and data.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    try:
        return data.decode(enc), enc
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            guess = sniff_encoding(data)
        except InputError:
            guess = "unknown"
        raise InputError(
            f"the file cannot be decoded as {enc} (bad bytes at line {line}); it looks "
            f"like {guess.upper()} — drop --encoding to detect it, or declare the right "
            "encoding",
            file=str(path),
            row=line,
        ) from exc
    except LookupError as exc:
        raise InputError(f"unknown encoding {enc!r}", file=str(path)) from exc


def _header_score(cells: list[object]) -> int:
    return max(len(match_headers(spec, cells)) for spec in KINDS.values())


def _split_header(path: Path, grid: pd.DataFrame, first_row: int, label: str) -> RawTable:
    """Find the header row in a grid of cells; the rows below are the records."""
    scan = min(len(grid), _HEADER_SCAN_ROWS)
    scores = [_header_score([c for c in grid.iloc[i].tolist() if _filled(c)]) for i in range(scan)]
    if not scores or max(scores) == 0:
        first = [str(c) for c in grid.iloc[0].tolist() if _filled(c)] if len(grid) else []
        raise UnrecognisedFileError(
            "no header row could be mapped to a known export kind (first row: "
            f"{', '.join(first[:12]) or 'empty'}); rename the columns to the registry's "
            "names (e.g. 电子监管号, 宗地代码, 统一社会信用代码) or see `devzone etl fields`",
            file=str(path),
            row=first_row,
        )
    h = int(np.argmax(scores))
    headers = [str(c).strip() if _filled(c) else f"列{j + 1}" for j, c in enumerate(grid.iloc[h])]
    headers = _dedupe(headers)
    body = grid.iloc[h + 1 :].copy()
    body.columns = headers
    rows = np.arange(h + 1, len(grid)) + first_row
    notes = [f"header found on {label} {h + first_row}" + (" (title rows above it)" if h else "")]
    return RawTable(path, body.reset_index(drop=True), rows, label, notes=notes)


def _filled(v: object) -> bool:
    return not (v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "")


def _dedupe(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        n = seen.get(h, 0)
        out.append(h if n == 0 else f"{h}.{n}")
        seen[h] = n + 1
    return out


def _scan_header(path: Path, text: str, sep: str) -> tuple[int, list[str], list[str]]:
    """Find the header among the first lines (title rows may sit above it).

    Returns the 1-based line of the header, the headers and notes.
    """
    lines = text.splitlines()[:_HEADER_SCAN_ROWS]
    rows = list(csv.reader(lines, delimiter=sep))
    width = max((len(r) for r in rows), default=0)
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    raw = _split_header(path, grid, 1, "line")
    header_line = int(raw.row_numbers[0]) - 1 if len(raw.row_numbers) else len(rows)
    return header_line, list(raw.frame.columns), raw.notes


def _sniff_sep(path: Path, text: str) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    return max([",", "\t", ";", "|"], key=text[:4096].count)


def _read_csv(path: Path, encoding: str | None) -> RawTable:
    text, enc = _decode(path, path.read_bytes(), encoding)
    text = text.lstrip("\ufeff")
    sep = _sniff_sep(path, text)
    nuls = text.count("\x00")
    if nuls:  # the C parser of some pandas versions drops NUL bytes (the cell turns blank)
        text = text.replace("\x00", "\ufffd")
    header_line, headers, notes = _scan_header(path, text, sep)
    if nuls:
        notes.append(f"{nuls} NUL bytes (binary data) shown as \ufffd")
    body_text = "\n".join(text.split("\n")[header_line:])
    starts, records = csv_records(body_text, sep, first_line=header_line + 1, file=str(path))
    try:
        body = pd.read_csv(
            io.StringIO(text),
            header=None,
            names=headers,
            skiprows=header_line,
            dtype=str,
            keep_default_na=False,
            sep=sep,
            skip_blank_lines=False,
            index_col=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"not a readable CSV file: {exc}", file=str(path)) from exc
    if records != len(body):
        last = starts[min(len(body), records) - 1] if min(len(body), records) else header_line
        raise InputError(
            f"the file holds {records} records below the header (counted quote-aware) but "
            f"{len(body)} were read; reading went wrong after line {last} — check that line "
            "for an unclosed quote or a separator inside an unquoted cell",
            file=str(path),
            row=last,
        )
    rows = np.asarray(starts, dtype=int)
    raw = RawTable(path, body, rows, "line", encoding=enc, notes=notes)
    raw.notes.insert(0, f"encoding {enc}")
    return raw


#: What a cell of an error type shows (Excel, WPS, LibreOffice).
EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#GETTING_DATA"}
)
_NO_CACHE = (
    "formula without a saved result (open the workbook in Excel/WPS, let it calculate, "
    "save it and load it again)"
)


def _read_excel(path: Path) -> RawTable:
    tables, skipped = read_workbook(path)
    if tables:
        return tables[0]
    raise InputError(
        "; ".join(s["reason"] for s in skipped) or "the workbook has no data", file=str(path)
    )


def read_workbook(
    path: str | Path, *, hidden_sheets: bool = False
) -> tuple[list[RawTable], list[dict[str, str]]]:
    """Every sheet of a workbook whose header maps to a kind, and the sheets skipped
    with the reason (hidden, empty, no header that maps).

    Merged cells are unmerged (the value copied into every cell of the range); a header
    cell merged across columns is refused by name. A formula cell without a saved result
    and an error cell (``#DIV/0!``) are listed in :attr:`RawTable.bad_cells` so they
    become rejects, never blanks.

    Raises
    ------
    InputError
        The workbook cannot be opened, or a header is merged across columns.
    """
    path = Path(path)
    if path.suffix.lower() == ".xls":
        return _read_xls(path), []
    import openpyxl

    try:
        values = openpyxl.load_workbook(path, data_only=True)
        formulas = openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise InputError(f"not a readable Excel workbook: {exc}", file=str(path)) from exc
    tables: list[RawTable] = []
    skipped: list[dict[str, str]] = []
    for ws in values.worksheets:
        where = f"{path} [sheet {ws.title}]"
        if ws.sheet_state != "visible" and not hidden_sheets:
            skipped.append(
                {"file": where, "reason": f"{ws.sheet_state} sheet (load it with --hidden-sheets)"}
            )
            continue
        grid, bad, merged = _sheet_grid(ws, formulas[ws.title])
        if grid.empty:
            skipped.append({"file": where, "reason": "empty sheet"})
            continue
        try:
            raw = _split_header(path, grid, 1, "spreadsheet row")
        except UnrecognisedFileError as exc:
            skipped.append({"file": where, "reason": str(exc)})
            continue
        header_row = int(raw.row_numbers[0]) - 1 if len(raw.row_numbers) else len(grid)
        _refuse_merged_header(path, ws.title, merged, header_row)
        raw.bad_cells = [
            (r, str(raw.frame.columns[c]), text, why) for r, c, text, why in bad if r > header_row
        ]
        raw.part = f"sheet {ws.title}"
        raw.notes.insert(0, f"sheet {ws.title}")
        tables.append(raw)
    return tables, skipped


def _read_xls(path: Path) -> list[RawTable]:
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object)
    except Exception as exc:  # xlrd raises many types for a broken workbook
        raise InputError(f"not a readable Excel workbook: {exc}", file=str(path)) from exc
    out = []
    for name, grid in sheets.items():
        if not grid.empty:
            raw = _split_header(path, grid, 1, "spreadsheet row")
            raw.part = f"sheet {name}"
            out.append(raw)
    return out


def _sheet_grid(ws, wf) -> tuple[pd.DataFrame, list, list]:  # type: ignore[no-untyped-def]
    """The cells of a sheet (merged ranges filled), its cells without a value
    ``(row, column index, text, reason)`` and its merged ranges across columns."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((len(r) for r in rows), default=0)
    rows = [r + [None] * (width - len(r)) for r in rows]
    across = []
    for rng in ws.merged_cells.ranges:
        top = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(rows) else None
        for r in range(rng.min_row, min(rng.max_row, len(rows)) + 1):
            for c in range(rng.min_col, min(rng.max_col, width) + 1):
                rows[r - 1][c - 1] = top
        if rng.max_col > rng.min_col:
            across.append((rng.min_row, rng.max_row, str(rng.coord), top))
    bad = []
    for (r, c), cell in wf._cells.items():
        if r > len(rows) or c > width:
            continue
        v = rows[r - 1][c - 1]
        if cell.data_type == "f" and v is None:
            bad.append((r, c - 1, str(cell.value)[:80], _NO_CACHE))
        elif isinstance(v, str) and v.strip() in EXCEL_ERRORS:
            bad.append((r, c - 1, v, f"spreadsheet error value {v.strip()} (no value)"))
    return pd.DataFrame(rows, dtype=object), bad, across


def _refuse_merged_header(path: Path, sheet: str, merged: list, header_row: int) -> None:
    """A header cell merged across columns hides a column's name: refuse it by name."""
    for top, bottom, coord, value in merged:
        if top <= header_row <= bottom:
            raise InputError(
                f"sheet {sheet}: the header cell {value!s} is merged across {coord}, so "
                "the columns under it have no name of their own; unmerge it and give "
                "each column its own header",
                file=str(path),
                row=header_row,
                field=str(value),
            )


def _read_json(path: Path, encoding: str | None) -> RawTable:
    text, enc = _decode(path, path.read_bytes(), encoding)
    stripped = text.lstrip()
    records: list[dict] = []
    lines: list[int] = []
    label = "record"
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", file=str(path), row=exc.lineno) from exc
        if not isinstance(data, list):
            data = [data]
        odd = next((i for i, r in enumerate(data, start=1) if not isinstance(r, dict)), None)
        if odd is not None:
            raise InputError(
                f"record {odd} of the JSON array is not an object of named fields "
                f'({str(data[odd - 1])[:40]!r}); every record must be {{"字段": 值, …}}',
                file=str(path),
                row=odd,
            )
        records = list(data)
        lines = list(range(1, len(records) + 1))
    else:
        label = "line"
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"invalid JSON Lines record: {exc.msg}", file=str(path), row=i
                ) from exc
            records.append(obj if isinstance(obj, dict) else {"value": obj})
            lines.append(i)
    frame = pd.DataFrame.from_records(records)
    for c in frame.columns:  # nested values (e.g. paid_plan) stay as JSON text
        if frame[c].map(lambda v: isinstance(v, dict | list)).any():
            frame[c] = frame[c].map(
                lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v
            )
    if not frame.columns.size or _header_score(list(frame.columns)) == 0:
        raise UnrecognisedFileError(
            "no field name could be mapped to a known export kind (keys: "
            f"{', '.join(map(str, frame.columns[:12]))})",
            file=str(path),
        )
    raw = RawTable(path, frame, np.asarray(lines, dtype=int), label, encoding=enc)
    raw.notes.append(f"encoding {enc}")
    return raw


def _dbf_encoding(path: Path) -> str | None:
    """Encoding of a Shapefile's .dbf when no .cpg says it (UTF-8 or GB18030)."""
    cpg = path.with_suffix(".cpg")
    if cpg.exists() or path.with_suffix(".CPG").exists():
        return None
    dbf = next(
        (p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None
    )
    if dbf is None:
        return None
    data = dbf.read_bytes()
    header_len = int.from_bytes(data[8:10], "little") if len(data) > 10 else 0
    body = data[header_len:]
    try:
        body.decode("ascii")
        return None
    except UnicodeDecodeError:
        pass
    try:
        body.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "GB18030"


_GBK_NAMES = {"gbk", "936", "cp936", "gb2312", "gb18030", "ansi 936", "windows-936"}


def _cpg_conflict(path: Path, notes: list[str]) -> str | None:
    """A ``.cpg`` declaring GBK beside a ``.dbf`` whose text is UTF-8 (multi-byte, valid):
    the data wins, and the conflict is noted. Returns the encoding to read with."""
    cpg = next(
        (p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.exists()), None
    )
    dbf = next(
        (p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None
    )
    if cpg is None or dbf is None:
        return None
    declared = cpg.read_text(errors="replace").strip()
    if declared.lower() not in _GBK_NAMES:
        return None
    data = dbf.read_bytes()
    body = data[int.from_bytes(data[8:10], "little") :] if len(data) > 10 else b""
    try:
        body.decode("ascii")
        return None
    except UnicodeDecodeError:
        pass
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    notes.append(
        f"{cpg.name} declares {declared} but the attributes are valid UTF-8 (read as GBK "
        "they would be mojibake): read as UTF-8 — fix the .cpg, or pass --encoding GBK to "
        "force the declared encoding"
    )
    return "UTF-8"


def _read_vector(path: Path, encoding: str | None, layer: str | None) -> RawTable:

    notes = []
    enc = encoding
    if enc is None and path.suffix.lower() == ".shp":
        enc = _dbf_encoding(path)
        if enc:
            notes.append(f"no .cpg beside the .shp: attribute encoding detected as {enc}")
    if layer is None and path.suffix.lower() == ".gpkg":
        layers = pyogrio.list_layers(path)
        spatial = [name for name, gtype in layers if gtype]
        layer = spatial[0] if spatial else (layers[0][0] if len(layers) else None)
    try:
        gdf = pyogrio.read_dataframe(
            path, layer=layer, encoding=enc, use_arrow=True, on_invalid="warn"
        )
    except Exception as exc:  # GDAL errors come as several exception types
        raise InputError(f"cannot read the vector file: {exc}", file=str(path)) from exc
    if "geometry" not in gdf.columns:
        frame = pd.DataFrame(gdf)
        return RawTable(path, frame, np.arange(1, len(frame) + 1), "feature", notes=notes)
    geometry = gdf.geometry
    frame = pd.DataFrame(gdf.drop(columns="geometry"))
    raw = RawTable(
        path,
        frame,
        np.arange(1, len(frame) + 1),
        "feature",
        geometry=geometry.reset_index(drop=True),
        crs=gdf.crs,
        encoding=enc,
        notes=notes,
    )
    if gdf.crs is None:
        raw.notes.append("the file declares no CRS (no .prj)")
    return raw


def read_export(
    path: str | Path, *, encoding: str | None = None, layer: str | None = None
) -> RawTable:
    """Read one export file.

    Parameters
    ----------
    path
        CSV/TSV/TXT, XLSX, JSON/JSONL, Shapefile, GeoPackage, GeoJSON (a JSON file that
        holds a FeatureCollection is read as vector).
    encoding
        Declared text encoding; detected when omitted (BOM, UTF-8, else GB18030).
    layer
        Layer of a GeoPackage; the first spatial layer when omitted.

    Raises
    ------
    InputError
        The file is missing, unreadable, or has no header that maps to a known kind.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("the file does not exist", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".json",):
        head = path.read_bytes()[:2048].decode("utf-8", "ignore")
        if '"FeatureCollection"' in head or '"Feature"' in head:
            suffix = ".geojson"
    if suffix in VECTOR_SUFFIXES:
        return _read_vector(path, encoding, layer)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return _read_excel(path)
    if suffix in (".json", ".jsonl"):
        return _read_json(path, encoding)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path, encoding)
    raise InputError(
        f"unsupported file type {path.suffix!r}: use CSV, XLSX, JSON/JSONL, Shapefile, "
        "GeoPackage or GeoJSON",
        file=str(path),
    )


@dataclass
class VectorSource:
    """A vector file opened for streaming: its fields, CRS, size and read options."""

    path: Path
    layer: str | None
    encoding: str | None
    fields: list[str]
    crs: object | None
    features: int
    notes: list[str] = field(default_factory=list)

    def chunks(self, size: int = 100_000):
        """Yield :class:`RawTable` chunks of ``size`` features (Arrow stream, GDAL ≥ 3.6).

        Row numbers continue across chunks (feature 1, 2, …).
        """
        import pyarrow as pa
        import shapely

        start = 1
        try:
            with pyogrio.open_arrow(
                self.path,
                layer=self.layer,
                encoding=self.encoding,
                batch_size=size,
                use_pyarrow=True,
            ) as (meta, reader):
                gcol = meta.get("geometry_name") or "wkb_geometry"
                for batch in reader:
                    _check_text(batch, self.path, start, self.encoding)
                    table = pa.Table.from_batches([batch])
                    geom = None
                    if gcol in table.column_names:
                        wkb = table.column(gcol).to_numpy(zero_copy_only=False)
                        geom = shapely.from_wkb(wkb, on_invalid="ignore")
                        table = table.drop_columns([gcol])
                    frame = table.to_pandas()
                    rows = np.arange(start, start + len(frame))
                    start += len(frame)
                    yield RawTable(
                        self.path,
                        frame,
                        rows,
                        "feature",
                        geometry=geom,
                        crs=self.crs,
                        encoding=self.encoding,
                        part=f"layer {self.layer}" if self.layer else None,
                    )
            if self.features >= 0 and start - 1 != self.features:
                raise InputError(
                    f"GDAL counts {self.features} features in "
                    f"{('layer ' + self.layer) if self.layer else 'the file'} but reading "
                    f"stopped after feature {start - 1}: the file is truncated or damaged "
                    "(a short .dbf or .shp); export it again",
                    file=str(self.path),
                    row=start,
                )
        except InputError:
            raise
        except Exception as exc:  # GDAL/Arrow errors come as several exception types
            raise InputError(f"cannot read the vector file: {exc}", file=str(self.path)) from exc


def open_vector(
    path: str | Path, *, encoding: str | None = None, layer: str | None = None
) -> VectorSource:
    """Open a vector file for streaming: fields, CRS and feature count, no features yet.

    Raises
    ------
    InputError
        The file cannot be opened by GDAL.
    """

    path = Path(path)
    if not path.exists():
        raise InputError("the file does not exist", file=str(path))
    notes: list[str] = []
    enc = encoding
    if enc is None and path.suffix.lower() == ".shp":
        enc = _dbf_encoding(path)
        if enc:
            notes.append(f"no .cpg beside the .shp: attribute encoding detected as {enc}")
        else:
            enc = _cpg_conflict(path, notes)
    try:
        if layer is None and path.suffix.lower() == ".gpkg":
            layers = pyogrio.list_layers(path)
            spatial = [name for name, gtype in layers if gtype]
            layer = spatial[0] if spatial else (layers[0][0] if len(layers) else None)
        info = pyogrio.read_info(path, layer=layer, encoding=enc)
    except Exception as exc:  # GDAL errors come as several exception types
        raise InputError(f"cannot open the vector file: {exc}", file=str(path)) from exc
    fields = [str(f) for f in info["fields"]]
    bad = [f for f in fields if "\ufffd" in f]
    if bad:
        raise InputError(
            "field names cannot be decoded with the declared encoding "
            f"({enc or info.get('encoding') or 'from .cpg'}): {', '.join(bad[:5])}; fix the "
            ".cpg file or pass --encoding GBK / --encoding UTF-8",
            file=str(path),
        )
    crs = info.get("crs")
    if crs is None:
        notes.append("the file declares no CRS (no .prj)")
    features = info.get("features")
    count = -1 if features is None else int(features)
    return VectorSource(path, layer, enc, fields, crs, count, notes)


def _check_text(batch, path: Path, first_row: int, encoding: str | None) -> None:  # type: ignore[no-untyped-def]
    """Raise a clear InputError when a text field is not valid in the declared encoding."""
    import pyarrow as pa

    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:
            values = column.cast(pa.binary()).to_pylist()
            row = next(i for i, v in enumerate(values) if v is not None and not _utf8(v))
            cpg = path.with_suffix(".cpg")
            declared = encoding or (
                f"{cpg.read_text().strip()} (from {cpg.name})" if cpg.exists() else "UTF-8"
            )
            raise InputError(
                f"text cannot be decoded as {declared}; the values look like GBK/GB18030 — "
                "fix the .cpg file or pass --encoding GBK",
                file=str(path),
                row=first_row + row,
                field=name,
            ) from None


def _utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


#: CSV files larger than this are streamed in chunks instead of read whole.
STREAM_CSV_BYTES = 64 * 2**20
_SNIFF_BYTES = 4 * 2**20


@dataclass
class CsvSource:
    """A large CSV opened for streaming: encoding, separator, header row and headers."""

    path: Path
    encoding: str
    sep: str
    header_line: int
    headers: list[str]
    notes: list[str] = field(default_factory=list)

    def chunks(self, size: int = 200_000):
        """Yield :class:`RawTable` chunks of ``size`` records (line numbers assume one
        line per record)."""
        start = self.header_line + 1
        try:
            reader = pd.read_csv(
                self.path,
                header=None,
                names=self.headers,
                skiprows=self.header_line,
                dtype=str,
                keep_default_na=False,
                sep=self.sep,
                encoding=self.encoding,
                chunksize=size,
                engine="c",
                index_col=False,
                skip_blank_lines=False,
            )
            for frame in reader:
                rows = np.arange(start, start + len(frame))
                start += len(frame)
                yield RawTable(
                    self.path, frame.reset_index(drop=True), rows, "line", encoding=self.encoding
                )
            read = start - self.header_line - 1
            records = csv_file_records(
                self.path, self.encoding, self.sep, skip_lines=self.header_line
            )
            if records != read:
                raise InputError(
                    f"the file holds {records} records below the header (counted "
                    f"quote-aware) but {read} were read; check for an unclosed quote or a "
                    "separator inside an unquoted cell",
                    file=str(self.path),
                )
        except UnicodeDecodeError as exc:
            raise InputError(
                f"the file cannot be decoded as {self.encoding} after line {start}; declare "
                "the right encoding with --encoding",
                file=str(self.path),
                row=start,
            ) from exc
        except (pd.errors.ParserError, ValueError) as exc:
            raise InputError(
                f"not a readable CSV file: {exc}", file=str(self.path), row=start
            ) from exc


def open_csv(path: str | Path, *, encoding: str | None = None) -> CsvSource:
    """Open a large CSV for streaming: encoding sniffed from its first megabytes, header
    row found among its first lines (title rows above it are skipped)."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    cut = head.rfind(b"\n")
    head = head[: cut + 1] if cut > 0 else head
    text, enc = _decode(path, head, encoding)
    text = text.lstrip("\ufeff")
    sep = _sniff_sep(path, text)
    header_line, headers, scan_notes = _scan_header(path, text, sep)
    notes = [f"encoding {enc}", *scan_notes, "streamed in chunks (large file)"]
    return CsvSource(path, enc, sep, header_line, headers, notes)
