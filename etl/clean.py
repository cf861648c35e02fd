"""Turn a file's raw cells into canonical, validated rows of one kind (清洗与校验).

:func:`clean` maps headers to canonical fields, parses every column at once (dates,
numbers with units, codes, booleans), validates them and splits the rows into
*accepted* (a canonical frame ready to write) and *rejected* (one line per row naming
the row, the field as the file calls it, the raw value and the reason; further
problems of the same row are appended to the reason).

Decisions (where the issue is silent):

* fully blank rows are not records: they are skipped and counted in the file notes;
* a code with the wrong shape (电子监管号 16 characters, optionally ``-1``/``-2`` for a
  split parcel as the portal writes them; 宗地代码 19; 统一社会信用代码 with its
  GB 32100-2015 check character) rejects the row, key or not;
* 容积率 0 means "no limit" on the land-market portal and is stored as empty;
* a mixed-use 土地使用年限 (``住宅用地70年; 商服用地40年;``) stores the longest term;
* every amount, area and count must be ≥ 0; 容积率 0–20; 土地使用年限 0–70; years and
  dates 1949–2100; 层数 0–200; 建筑高度 0–700 m; agreed start ≤ agreed completion,
  actual start ≤ actual completion, 容积率下限 ≤ 上限, 停工 ≤ 复工;
* 经营状态 is stored in English (``operating``/``suspended``/``bankrupt``/``closed``);
  an unknown status rejects the row;
* a building without 建筑编号 is keyed by a digest of its geometry (``G…``).

The steps are the same for every kind; what a kind does differently (its status
vocabulary, its derived key, its measured areas) runs in its ``KindSpec.finish`` and
``KindSpec.measure`` hooks (:mod:`devzone.etl.hooks`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from devzone.codes import PARCEL_RE, SUPERVISION_RE, valid_credit_codes
from devzone.db.bulk import ewkb_hex
from devzone.errors import InputError
from devzone.etl.draft import Draft, Problems, RawTable
from devzone.etl.fields import Field, KindSpec, match_headers
from devzone.etl.geometry import GeometryResult, normalise_geometries
from devzone.etl.parse import clean_text, parse_bool, parse_dates, parse_numbers
from devzone.policy.sections import EtlPolicy

__all__ = ["Cleaned", "clean", "row_hashes"]

#: 电子监管号, optionally with the ``-1`` suffix the portal gives split parcels.
SUPERVISION_SPLIT_RE = re.compile(SUPERVISION_RE.pattern[:-1] + r"(?:-\d{1,3})?$")

#: (min, max) of numeric fields beyond "not negative".
RANGES: dict[str, tuple[float, float]] = {
    "far_min": (0, 20),
    "far_max": (0, 20),
    "use_years": (0, 70),
    "floors": (0, 200),
    "height_m": (0, 700),
}

DATE_ORDER = (
    ("agreed_start_date", "agreed_completion_date"),
    ("actual_start_date", "actual_completion_date"),
    ("suspended_date", "resumed_date"),
)

#: Code columns whose shape is checked, with what the shape is.
CODE_SHAPES = (
    (
        "supervision_no",
        SUPERVISION_SPLIT_RE,
        "电子监管号 (16 characters: 6-digit adcode, "
        "year, letter, 5 digits; a split parcel may add -1, -2 …)",
    ),
    ("parcel_code", PARCEL_RE, "宗地代码 (19 characters, GB/T 26424)"),
)


@dataclass
class Cleaned:
    """Accepted rows (canonical columns + ``src_row`` + ``row_hash``, geometry aligned)
    and rejected rows (``row, field, value, reason``)."""

    frame: pd.DataFrame
    geoms: np.ndarray | None
    rejects: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    crs: tuple[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _code(text: pd.Series) -> pd.Series:
    """Identifier cells (already cleaned text): no spaces, upper case, no ``.0``.

    Spreadsheets turn numeric codes into floats (341502.0 → 341502). Arrow kernels.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = text.astype("string[pyarrow]").array.__arrow_array__()
    if pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    arr = pc.utf8_upper(pc.replace_substring_regex(arr, r"\s+", ""))
    floaty = pc.fill_null(pc.match_substring_regex(arr, r"^\d+\.0$"), False)
    arr = pc.if_else(floaty, pc.utf8_slice_codeunits(arr, 0, -2), arr)
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=text.index)


def _year(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        num = pd.to_numeric(values, errors="coerce")
    else:
        s = clean_text(values).str.replace(r"\.0$", "", regex=True)
        num = pd.to_numeric(s.str.extract(r"^(\d{4})\s*年?度?$")[0], errors="coerce")
    num = pd.Series(np.asarray(num, dtype="float64"), index=values.index)
    if values.dtype == object:  # spreadsheet cells: a date typed into a year column is not a year
        typed = values.map(lambda v: isinstance(v, dt.date | pd.Timestamp | np.datetime64 | bool))
        num = num.mask(typed.to_numpy(dtype=bool))
    present = clean_text(values.astype("string")).notna().to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        ok = (num.between(1949, 2100) & (num == np.floor(num))).to_numpy(dtype=bool)
    out = num.where(ok).round().astype("Int64")
    return out, pd.Series(present & ~ok, index=values.index)


def _longest_term(values: pd.Series) -> tuple[pd.Series, int]:
    """Mixed-use terms (``住宅用地70年; 商服用地40年;``) → the longest, as text."""
    s = values.astype("string")
    terms = s.str.extractall(r"(\d+(?:\.\d+)?)\s*年")
    if terms.empty:
        return values, 0
    counts = terms.groupby(level=0).size()
    multi = counts.index[counts > 1]
    if not len(multi):
        return values, 0
    longest = pd.to_numeric(terms[0]).groupby(level=0).max()
    out = values.astype(object).copy()
    out.loc[multi] = longest.loc[multi].map(lambda v: f"{v:g}").to_numpy()
    return out, len(multi)


def clean(
    raw: RawTable,
    spec: KindSpec,
    *,
    declared_crs: str | None = None,
    resolved_crs: tuple[str, str] | None = None,
    area_crs: str | None = None,
    policy: EtlPolicy | None = None,
) -> Cleaned:
    """Map, parse and validate one file (or chunk) of ``spec``'s kind.

    The steps: map the headers, skip blank rows, parse every column by its type,
    check required values, code shapes and orders, normalise the geometry, then the
    kind's own ``spec.finish`` hook; rows with a problem are rejected.

    ``policy`` (the ``[etl]`` section) names the placeholders of optional fields read as
    blank.

    Raises
    ------
    InputError
        A required column (e.g. 电子监管号 for supply) is not among the headers.
    """
    mapping = _mapping(raw, spec)
    draft, rows, texts = _non_blank(raw, mapping)
    _parse_columns(draft, spec, mapping, texts, policy)
    _mark_bad_cells(draft, raw, rows)
    _check_required(draft, spec)
    _check_codes(draft)
    _check_orders(draft)
    crs, result = _geometry(
        draft, spec, raw, declared_crs=declared_crs, resolved_crs=resolved_crs, area_crs=area_crs
    )
    if spec.finish is not None:
        spec.finish(draft)
    if result is not None and result.repaired:
        draft.notes.append(f"{result.repaired} invalid geometries repaired with make_valid")
    return _split(draft, rows, crs)


def _mapping(raw: RawTable, spec: KindSpec) -> dict[object, tuple[str, str | None]]:
    """The file's headers mapped to canonical fields; refused without a required one."""
    mapping = match_headers(spec, list(raw.frame.columns))
    missing = spec.missing_columns({name for name, _ in mapping.values()})
    if missing:
        raise InputError(
            f"no column maps to {', '.join(missing)} of {spec.label} ({spec.kind}); headers "
            f"found: {', '.join(map(str, list(raw.frame.columns)[:15]))}",
            file=str(raw.path),
            field=missing[0],
        )
    return mapping


def _non_blank(
    raw: RawTable, mapping: dict[object, tuple[str, str | None]]
) -> tuple[Draft, np.ndarray, dict[object, pd.Series]]:
    """A draft of the rows that are records (fully blank rows skipped), their row
    numbers, and the mapped columns' cells as cleaned text."""
    frame = raw.frame.reset_index(drop=True)
    rows = np.asarray(raw.row_numbers)
    geoms = None if raw.geometry is None else np.asarray(raw.geometry, dtype=object)
    notes: list[str] = []
    texts = {h: clean_text(frame[h].astype("string")) for h in mapping}
    blank = np.ones(len(frame), dtype=bool)
    for h in mapping:
        # a cell of NUL bytes is binary data, not blank (some Arrow versions trim NUL)
        nul = frame[h].astype("string").str.contains("\x00", regex=False).fillna(False)
        blank &= texts[h].isna().to_numpy() & ~nul.to_numpy(dtype=bool)
    if geoms is not None:
        import shapely

        blank &= shapely.is_missing(geoms)
    if blank.any():
        notes.append(f"{int(blank.sum())} blank rows skipped")
        keep = ~blank
        frame, rows = frame[keep].reset_index(drop=True), rows[keep]
        texts = {h: t[keep].reset_index(drop=True) for h, t in texts.items()}
        geoms = geoms[keep] if geoms is not None else None
    draft = Draft(frame, pd.DataFrame(index=frame.index), Problems(len(frame)), notes=notes)
    draft.geoms = geoms
    return draft, rows, texts


def _placeholders(
    draft: Draft, f: Field, header: str, text: pd.Series, policy: EtlPolicy
) -> pd.Series:
    """An optional field's placeholder cells (暂无, 待定, 未开工 …) as blank, noted."""
    words = set(policy.placeholders)
    if f.ftype == "date":
        words |= set(policy.date_placeholders)
    hit = text.isin(words).fillna(False).to_numpy(bool)
    if not hit.any():
        return text
    found = "、".join(sorted(set(text[hit].astype(str))))
    draft.notes.append(
        f"{int(hit.sum())} cells of {header} ({found}) read as blank: placeholders of an "
        "optional field ([etl] placeholders)"
    )
    return text.mask(hit)


#: Characters of Chinese numerals (digits, not the 万/亿 units alone).
_CN_DIGITS = "〇零一二三四五六七八九十两壹贰叁肆伍陆柒捌玖拾佰仟"
#: A cell that is a number or a date written in Chinese numerals, with its unit.
_CN_NUMBER = (
    rf"[{_CN_DIGITS}百千万亿点\d.]+(?:[年月日号度{_CN_DIGITS}百千万亿点\d.\s]*)"
    r"(?:元|万元|亿元|平方米|公顷|亩|吨标准煤|吨|人|年度?)?"
)


def _chinese_numerals(draft: Draft, header: str, values: pd.Series) -> pd.Series:
    """Cells written in Chinese numerals (一千二百万元, 二〇一九年七月二十一日) read with
    cn2an; the conversion is shown in the notes. Cells it cannot read stay as written
    (and are rejected by the parser)."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = values.astype("string").str.strip()
    hit = text.str.fullmatch(_CN_NUMBER, case=False).fillna(False).to_numpy(bool)
    hit &= text.str.contains(f"[{_CN_DIGITS}]", regex=True).fillna(False).to_numpy(bool)
    if not hit.any():
        return values
    import warnings

    import cn2an

    conv: dict[str, str] = {}
    for v in dict.fromkeys(text[hit].astype(str)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                conv[v] = str(cn2an.transform(v, "cn2an"))
            except Exception:  # cn2an raises ValueError and others on odd text
                conv[v] = v
    out = values.astype(object).copy()
    out[hit] = text[hit].astype(str).map(conv).to_numpy(dtype=object)
    first, to = next(iter(conv.items()))
    draft.notes.append(
        f"{int(hit.sum())} cells of {header} in Chinese numerals read with cn2an "
        f"(e.g. {first} → {to})"
    )
    return out


def _parse_columns(
    draft: Draft,
    spec: KindSpec,
    mapping: dict[object, tuple[str, str | None]],
    texts: dict[object, pd.Series],
    policy: EtlPolicy | None = None,
) -> None:
    """Parse every mapped column by its field type into ``draft.out``."""
    by = spec.by_name()
    for header, (name, unit) in mapping.items():
        f = by[name]
        draft.headers[name] = str(header)
        raw_text = draft.cells[header].astype("string")
        nul = raw_text.str.contains("\x00", regex=False).fillna(False).to_numpy(bool)
        draft.problems.add(nul, str(header), raw_text, "contains a NUL byte (binary data)")
        if policy is not None and name not in spec.required:
            texts[header] = _placeholders(draft, f, str(header), texts[header], policy)
            draft.cells[header] = draft.cells[header].where(texts[header].notna().to_numpy())
        if f.ftype in ("date", "num", "int", "year"):
            draft.cells[header] = _chinese_numerals(draft, str(header), draft.cells[header])
        if f.ftype == "text":
            draft.out[name] = texts[header]
        elif f.ftype == "code":
            text = texts[header]
            if name == "credit_code":  # python-stdnum's compact(): no spaces or hyphens
                text = text.str.replace(r"[\s\-‐‑–—－]+", "", regex=True)
            draft.out[name] = _code(text)
        else:
            _PARSERS[f.ftype](draft, f, str(header), draft.cells[header], unit)


def _parse_date(draft: Draft, f: Field, label: str, raw: pd.Series, unit: str | None) -> None:
    values, bad = parse_dates(raw)
    draft.out[f.name] = values
    draft.problems.add(bad, label, raw, "not a date (or outside 1949–2100)")


def _parse_year(draft: Draft, f: Field, label: str, raw: pd.Series, unit: str | None) -> None:
    values, bad = _year(raw)
    draft.out[f.name] = values
    draft.problems.add(bad, label, raw, "not a year between 1949 and 2100")


def _parse_bool(draft: Draft, f: Field, label: str, raw: pd.Series, unit: str | None) -> None:
    values, bad = parse_bool(raw)
    draft.out[f.name] = values
    draft.problems.add(bad, label, raw, "not 是/否 (yes/no)")


def _parse_number(draft: Draft, f: Field, label: str, raw: pd.Series, unit: str | None) -> None:
    """A number in the field's unit: not negative unless the field is ``signed``, in
    :data:`RANGES`, whole for ``int``."""
    name, probs = f.name, draft.problems
    if name == "use_years":
        raw, multi = _longest_term(raw)
        if multi:
            draft.notes.append(
                f"{multi} mixed-use 土地使用年限 (e.g. 住宅70年; 商服40年): the longest "
                "term is stored"
            )
    values, bad = parse_numbers(raw, unit=f.unit, header_unit=unit)
    probs.add(bad, label, raw, "not a number (in a known unit)")
    neg = (values < 0) & (not f.signed)
    probs.add(neg, label, raw, "negative value")
    lo, hi = RANGES.get(name, (-np.inf if f.signed else 0, np.inf))
    out_of_range = ~neg & ~values.between(lo, hi) & values.notna()
    probs.add(out_of_range, label, raw, f"outside the valid range {lo}–{hi}")
    if f.ftype == "int":
        frac = values.notna() & (values != np.floor(values))
        probs.add(frac, label, raw, "not a whole number")
        values = values.round().astype("Int64")
    if name in ("far_min", "far_max"):
        # The land-market portal writes 0 for "no limit set".
        values = values.mask(values == 0)
    draft.out[name] = values


_PARSERS = {
    "date": _parse_date,
    "year": _parse_year,
    "num": _parse_number,
    "int": _parse_number,
    "bool": _parse_bool,
}


def _mark_bad_cells(draft: Draft, raw: RawTable, rows: np.ndarray) -> None:
    """Cells the reader found without a value (a formula without a saved result, an
    error cell) become rejects with their reason, never blanks."""
    mapped = set(draft.headers.values())
    for row, header, text, why in raw.bad_cells:
        if header not in mapped:
            continue
        mask = rows == row
        draft.problems.add(mask, header, np.full(len(rows), text, dtype=object), why)


def _check_required(draft: Draft, spec: KindSpec) -> None:
    """Required values present."""
    by = spec.by_name()
    for name in spec.required:
        if name in draft.out:
            draft.problems.add(
                draft.out[name].isna(),
                draft.headers[name],
                draft.raw_of(name),
                f"missing {by[name].label} (required key of {spec.label})",
            )


def _check_codes(draft: Draft) -> None:
    """Code shapes and check characters."""
    out = draft.out
    if "credit_code" in out:
        cc = out["credit_code"]
        bad = cc.notna() & ~valid_credit_codes(cc.fillna(""))
        draft.problems.add(
            bad,
            draft.headers["credit_code"],
            draft.raw_of("credit_code"),
            "invalid 统一社会信用代码 (GB 32100-2015: 18 characters and a check character)",
        )
    for name, pattern, what in CODE_SHAPES:
        if name in out:
            s = out[name]
            bad = s.notna() & ~s.str.fullmatch(pattern.pattern).fillna(False).astype(bool)
            draft.problems.add(bad, draft.headers[name], draft.raw_of(name), f"not a valid {what}")


def _check_orders(draft: Draft) -> None:
    """Dates in order (:data:`DATE_ORDER`) and 容积率下限 ≤ 上限."""
    out, headers = draft.out, draft.headers
    for a, b in (*DATE_ORDER, ("far_min", "far_max")):
        if a in out and b in out:
            bad = (out[a] > out[b]).fillna(False).to_numpy(dtype=bool)
            why = f"above {headers[b]}" if a == "far_min" else f"later than {headers[b]}"
            draft.problems.add(bad, headers[a], draft.raw_of(a), why)


def _geometry(
    draft: Draft,
    spec: KindSpec,
    raw: RawTable,
    *,
    declared_crs: str | None,
    resolved_crs: tuple[str, str] | None,
    area_crs: str | None,
) -> tuple[tuple[str, str] | None, GeometryResult | None]:
    """Normalise the geometries of a spatial kind (and measure what ``spec.measure`` asks)."""
    if not spec.spatial:
        return resolved_crs, None
    if draft.geoms is None:
        draft.geoms = np.full(len(draft.out), None, dtype=object)
        return resolved_crs, None
    try:
        result = normalise_geometries(
            draft.geoms,
            file_crs=raw.crs,
            declared_crs=declared_crs,
            measure=False if spec.measure is None else spec.measure(draft.out),
            resolved=resolved_crs,
            area_crs=area_crs,
        )
    except InputError as exc:  # the CRS cannot be decided: name the file
        if exc.file:
            raise
        raise InputError(str(exc), file=str(raw.path), field="geometry") from exc
    bad = result.reasons != ""
    draft.problems.add(bad, "geometry", _geom_text(draft.geoms, bad), result.reasons)
    draft.geoms = result.geoms
    draft.footprint_m2 = result.footprint_m2
    return (result.crs, result.crs_note), result


def _split(draft: Draft, rows: np.ndarray, crs: tuple[str, str] | None) -> Cleaned:
    """Accepted rows (with EWKB, digest and row number) and the rejects."""
    probs, geoms = draft.problems, draft.geoms
    bad = probs.bad
    rejects = pd.DataFrame(
        {
            "row": rows[bad],
            "field": probs.field[bad],
            "value": probs.value[bad],
            "reason": probs.reason[bad],
        }
    )
    good = ~bad
    accepted = draft.out[good].reset_index(drop=True)
    accepted_geoms = geoms[good] if geoms is not None else None
    if accepted_geoms is not None:
        accepted["_ewkb"] = ewkb_hex(accepted_geoms)
    accepted["row_hash"] = row_hashes(accepted)
    accepted["src_row"] = rows[good]
    return Cleaned(accepted, accepted_geoms, rejects, draft.notes, crs, draft.headers)


def _geom_text(geoms: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The start of the WKT of the masked geometries (for the rejects file)."""
    import shapely

    out = np.full(len(geoms), "", dtype=object)
    if mask.any():
        text = pd.Series(shapely.to_wkt(geoms[mask], rounding_precision=3), dtype="string")
        out[mask] = text.str.slice(0, 80).fillna("").to_numpy(dtype=object)
    return out


def row_hashes(frame: pd.DataFrame, geoms: np.ndarray | None = None) -> np.ndarray:
    """Content digest of each row's canonical values and geometry, as decimal text.

    The values (cast to text by Arrow, missing as NUL) and the hex EWKB of the geometry
    (column ``_ewkb``, or computed from ``geoms``) are joined per row and hashed with
    pandas' stable 64-bit hash; the column names are mixed in, so a file with fewer
    columns hashes differently from a complete one. Vectorised.
    """
    import hashlib

    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(frame):
        return np.array([], dtype=object)
    cols = sorted(
        c
        for c in frame.columns
        if c not in ("row_hash", "src_row", "raw_hash") and not c.startswith("_")
    )
    table = pa.Table.from_pandas(frame[cols], preserve_index=False)
    parts = [pc.fill_null(pc.cast(table.column(c), pa.string()), "\x00") for c in cols]
    if "_ewkb" in frame:
        wkb = frame["_ewkb"]
    elif geoms is not None:
        wkb = ewkb_hex(geoms)
    else:
        wkb = None
    if wkb is not None:
        parts.append(pc.fill_null(pa.chunked_array([pa.array(wkb, type=pa.string())]), ""))
    joined = pc.binary_join_element_wise(*parts, "\x1f") if len(parts) > 1 else parts[0]
    h = pd.util.hash_array(joined.to_numpy(zero_copy_only=False), categorize=False)
    salt = int.from_bytes(hashlib.sha1(",".join(cols).encode()).digest()[:8], "little")
    return (h ^ np.uint64(salt)).astype(str).astype(object)
