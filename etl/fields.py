"""Field specifications of the eight export kinds and their header aliases (字段别名).

Each kind maps to one table of :mod:`devzone.db.schema`. A header in a file is matched
after normalising it (:func:`normalise_header`): full-width → half-width, spaces and
punctuation removed, lower case, and any unit in brackets split off (``面积(公顷)`` →
``面积`` + unit ``公顷``). Aliases cover the Chinese names of the registries, English
names, the English keys of the land-market portal scraper (``idnumber``,
``plot_ratio_minimum`` …, see ``shared/reference/landchina``) and the pinyin
abbreviations of the cadastral standard TD/T 1015 (``ZDDM``, ``QLR``, ``ZL``, ``ZDMJ``,
``YT``, ``DZJGH``, ``KFQDM``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from devzone.errors import InputError
from devzone.etl.draft import Draft

__all__ = [
    "DATA_NOTE_HEADERS",
    "IGNORED_HEADERS",
    "DeriveHook",
    "Field",
    "FinishHook",
    "KindSpec",
    "MeasureHook",
    "UnrecognisedFileError",
    "WriteHook",
    "data_notes",
    "match_headers",
    "normalise_header",
]


class UnrecognisedFileError(InputError):
    """A readable file whose headers map to no export kind (skipped, not fatal)."""


#: Normalised headers that carry no data of their own and do not count against a kind
#: (data notes, serial numbers, GIS housekeeping columns).
IGNORED_HEADERS = frozenset(
    {
        "数据说明",
        "sjsm",
        "备注",
        "bz",
        "序号",
        "xh",
        "fid",
        "id",
        "objectid",
        "ogcfid",
        "shapeleng",
        "shapearea",
        "shapelength",
        "url",
        "header",
        "link",
    }
)


#: Normalised headers of the data-note column (数据说明, pinyin SJSM): recorded per load
#: in ``load_batch.data_note`` (e.g. ``合成数据(synthetic)``), never loaded as a field.
DATA_NOTE_HEADERS = frozenset({"数据说明", "sjsm"})


def data_notes(cells: pd.DataFrame) -> list[str]:
    """Distinct non-blank values of the data-note columns of a file, in order.

    Examples
    --------
    >>> import pandas as pd
    >>> data_notes(pd.DataFrame({"SJSM": ["合成数据(synthetic)", " 合成数据(synthetic) ", None]}))
    ['合成数据(synthetic)']
    >>> data_notes(pd.DataFrame({"name": ["a"]}))
    []
    """
    notes: dict[str, None] = {}
    for header in cells.columns:
        if normalise_header(header)[0] not in DATA_NOTE_HEADERS:
            continue
        for value in pd.unique(cells[header].to_numpy(dtype=object)):
            text = "" if pd.isna(value) else str(value).strip()
            if text:
                notes.setdefault(text, None)
    return list(notes)


@dataclass(frozen=True)
class Field:
    """One canonical column: its type, unit and the header aliases that map to it.

    ``ftype`` is one of ``text``, ``code`` (identifier, upper-cased), ``date``,
    ``year``, ``num``, ``int``, ``bool``; ``unit`` is the canonical unit of a number
    (``m2``, ``ha``, ``wan``, ``wan_per_mu`` …) used to convert values whose header or
    cell names another unit. ``signed`` numbers may be negative (tax refunds, losses in
    value added or profit); every other number is refused when negative, with the reason
    (areas, prices, employees, energy).
    """

    name: str
    ftype: str
    aliases: tuple[str, ...]
    unit: str | None = None
    label: str = ""
    signed: bool = False


#: Completes a cleaned chunk of one kind (derived columns, kind-specific checks).
FinishHook = Callable[[Draft], None]
#: Which features of a chunk need their area measured (True, False or a mask).
MeasureHook = Callable[[pd.DataFrame], "bool | np.ndarray"]
#: Runs before a chunk is written through the load's connection; returns a note or None.
WriteHook = Callable[[Connection, pd.DataFrame], "str | None"]
#: Writes a table derived from every row of a file: ``(conn, frames, provenance)`` →
#: ``(table, counts, notes)``.
DeriveHook = Callable[
    [Connection, list[pd.DataFrame], dict[str, Any]], "tuple[str, Any, list[str]]"
]


@dataclass(frozen=True)
class KindSpec:
    """An export kind: target table, key, fields, and what differs from kind to kind.

    Attributes
    ----------
    required
        Fields every row must have (their columns must be in the file).
    required_any
        At least one of these columns must be in the file (project progress: 电子监管号
        or 宗地代码), for cleaning and for ``--kind auto``.
    detect_any
        ``--kind auto`` takes the kind only when one of these fields is matched.
    measure
        Which features need their area measured (see :data:`MeasureHook`).
    finish
        Completes a cleaned chunk after the geometry step (see :data:`FinishHook`).
    latest
        Date column of which the latest row per key is kept: earlier rows of a key,
        and rows older than the stored one, are rejected (project progress).
    locate
        ``(column, table)``: a missing ``column`` is filled from the ``table`` polygon
        containing the feature.
    stamp
        Constant columns written with every row (not part of the content digest).
    before_write
        Runs before each chunk is written (see :data:`WriteHook`).
    derive
        Writes a table derived from the file's rows (see :data:`DeriveHook`).
    names_holders
        The kind carries holder or enterprise names: loading it calls for holder-name
        matching (unless a link file is loaded too).
    link_file
        The kind links parcels to enterprises itself: no holder-name matching.
    """

    kind: str
    table: str
    label: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    spatial: bool = False
    required: tuple[str, ...] = ()
    required_any: tuple[str, ...] = ()
    detect_any: tuple[str, ...] = ()
    measure: MeasureHook | None = None
    finish: FinishHook | None = None
    latest: str | None = None
    locate: tuple[str, str] | None = None
    stamp: tuple[tuple[str, str], ...] = ()
    before_write: WriteHook | None = None
    derive: DeriveHook | None = None
    names_holders: bool = False
    link_file: bool = False

    def by_name(self) -> dict[str, Field]:
        """Fields keyed by canonical name."""
        return {f.name: f for f in self.fields}

    @cached_property
    def alias_index(self) -> dict[str, str]:
        """Normalised alias → canonical field name."""
        return {normalise_header(a)[0]: f.name for f in self.fields for a in f.aliases}

    def missing_columns(self, mapped: set[str]) -> list[str]:
        """Labels of the required columns that are not among ``mapped``."""
        by = self.by_name()
        missing = [by[f].label for f in self.required if f not in mapped]
        if self.required_any and not set(self.required_any) & mapped:
            missing.insert(0, " or ".join(by[f].label for f in self.required_any))
        return missing

    def detectable(self, matched: set[str]) -> bool:
        """True when ``matched`` holds this kind's required and telling fields."""
        if self.required_any and not set(self.required_any) & matched:
            return False
        if self.detect_any and not set(self.detect_any) & matched:
            return False
        return set(self.required) <= matched


_UNIT_RE = re.compile(r"[\(（\[【]([^\)）\]】]*)[\)）\]】]\s*$")
_OPEN_UNIT_RE = re.compile(r"[\(（\[【][^\)）\]】]*$")
_PUNCT_RE = re.compile(r"[\s_\-·.:：/\\\"'`]+")


def normalise_header(header: object) -> tuple[str, str | None]:
    """A header's matching key and the unit named in brackets, if any.

    Examples
    --------
    >>> normalise_header("面积（公顷）")
    ('面积', '公顷')
    >>> normalise_header(" Plot_Ratio_Minimum ")
    ('plotratiominimum', None)
    """
    text = unicodedata.normalize("NFKC", str(header)).strip()
    unit = None
    m = _UNIT_RE.search(text)
    if m and m.start() > 0:
        unit = m.group(1).strip() or None
        text = text[: m.start()]
    else:  # a unit cut off by the 10-byte .dbf field-name limit: 核准面积(
        text = _OPEN_UNIT_RE.sub("", text) or text
    return _PUNCT_RE.sub("", text).lower(), unit


def match_headers(spec: KindSpec, headers: list[object]) -> dict[object, tuple[str, str | None]]:
    """Map a file's headers to the canonical fields of ``spec``'s kind.

    Returns
    -------
    dict
        ``{header: (canonical name, unit from the header or None)}`` for every header
        that matched; the first header wins when two map to one field.
    """
    index = spec.alias_index
    out: dict[object, tuple[str, str | None]] = {}
    taken: set[str] = set()
    for h in headers:
        key, unit = normalise_header(h)
        name = index.get(key)
        if name and name not in taken:
            out[h] = (name, unit)
            taken.add(name)
    for h in headers:  # .dbf field names cut at 10 bytes: 所在县区代码 → 所在县区代
        if h in out or not _dbf_truncated(str(h)):
            continue
        key, unit = normalise_header(h)
        names = {n for a, n in index.items() if a.startswith(key) and n not in taken}
        if len(key) >= 3 and len(names) == 1:
            name = names.pop()
            out[h] = (name, unit)
            taken.add(name)
    return out


def _dbf_truncated(header: str) -> bool:
    """True when a header fills the 10 bytes of a .dbf field name (GBK or UTF-8)."""
    sizes = {len(header.encode(enc, errors="replace")) for enc in ("gb18030", "utf-8")}
    return bool(sizes & {9, 10}) and not header.isascii()
