r"""Count before you read: the true number of records of an export, established
independently of the reader that loads it, so a shortfall is an error and never a
silent loss.

* CSV: records counted by a quote-aware parser (:mod:`csv`, the RFC 4180 rules Excel
  follows), and a quote that swallows whole lines (a stray ``"`` opening a cell that
  only closes many lines later) is refused, naming the line where it opens;
* workbooks: every sheet enumerated with its visibility (:func:`workbook_sheets`);
* vector files: every layer enumerated with GDAL's own feature count
  (:func:`vector_layers`); the reader's count is compared with it after streaming.

Examples
--------
>>> csv_records('a,b\n1,2\n\n3,"x\ny"\n', ",")
([1, 2, 3, 4], 4)
>>> try:
...     csv_records('a,b,c\n1,"oops,3\n4,5,6\n7,8,9\n10,11,12"\n', ",", file="f.csv")
... except Exception as exc:
...     print(str(exc)[:52])
file f.csv, row 2, field 2: a quote (") opens a cell
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pyogrio

from devzone.errors import InputError

__all__ = ["csv_file_records", "csv_records", "vector_layers", "workbook_sheets"]

# a long cell (a pasted WKT polygon, a note) must not stop the header scan
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def csv_records(
    text: str, sep: str, *, first_line: int = 1, file: str | None = None
) -> tuple[list[int], int]:
    """The starting line of every record of a CSV text (blank lines included, as
    records of no field) and the number of records.

    ``first_line`` is the line number of the text's first line in the file. A quoted
    cell spanning lines whose inner lines carry as many separators as a record is taken
    for a stray quote and refused (:class:`InputError` naming the line and the column).
    """
    starts: list[int] = []
    count = _records(io.StringIO(text, newline=""), sep, first_line, file, starts.append)
    return starts, count


def csv_file_records(path: str | Path, encoding: str, sep: str, *, skip_lines: int = 0) -> int:
    """The number of records of a (large) CSV file below its first ``skip_lines`` lines,
    counted quote-aware while streaming (blank lines included, as in
    :func:`csv_records`); a stray quote is refused the same way."""
    with open(path, encoding=encoding, newline="") as fh:
        for _ in range(skip_lines):
            fh.readline()
        return _records(fh, sep, skip_lines + 1, str(path), None)


def _records(stream, sep: str, first_line: int, file: str | None, on_start) -> int:  # type: ignore[no-untyped-def]
    """Read records from ``stream``; call ``on_start`` with each record's first line."""
    reader = csv.reader(stream, delimiter=sep)
    n = 0
    width = 0
    prev = 0
    try:
        for record in reader:
            start = prev + 1
            prev = reader.line_num
            n += 1
            if on_start is not None:
                on_start(first_line + start - 1)
            width = max(width, len(record))
            if prev > start:
                _check_spanning(record, sep, width, first_line + start - 1, prev - start, file)
    except csv.Error as exc:
        raise InputError(
            f"not a readable CSV file after line {first_line + prev - 1}: {exc}",
            file=file,
            row=first_line + prev,
        ) from exc
    return n


def _check_spanning(
    record: list[str], sep: str, width: int, line: int, extra: int, file: str | None
) -> None:
    """Refuse a record whose quoted cell holds whole lines of records."""
    for j, cell in enumerate(record):
        inner = cell.split("\n")[1:]
        if not inner or width < 2:
            continue
        if sum(part.count(sep) >= width - 1 for part in inner) >= 1:
            raise InputError(
                f'a quote (") opens a cell on line {line} that closes only on line '
                f"{line + extra}, so the records of lines {line + 1}–{line + extra} would "
                "be merged into one; remove the stray quote or close it where the cell ends",
                file=file,
                row=line,
                field=str(j + 1),
            )


def workbook_sheets(path: str | Path) -> list[tuple[str, str]]:
    """``(sheet name, state)`` of every sheet of an XLSX workbook, in order; state is
    ``visible``, ``hidden`` or ``veryHidden``."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [(ws.title, ws.sheet_state) for ws in wb.worksheets]
    finally:
        wb.close()


def vector_layers(path: str | Path) -> list[tuple[str, str | None]]:
    """``(layer name, geometry type or None)`` of every layer of a vector file or a
    zipped Shapefile set, in GDAL's order."""
    try:
        return [(str(name), gtype or None) for name, gtype in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL errors come as several exception types
        raise InputError(f"cannot open the vector file: {exc}", file=str(path)) from exc
