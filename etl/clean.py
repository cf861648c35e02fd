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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from devzone.codes import PARCEL_RE, SUPERVISION_RE, valid_credit_codes
from devzone.db.bulk import ewkb_hex
from devzone.errors import InputError
from devzone.etl.fields import KindSpec, match_headers
from devzone.etl.geometry import GeometryResult, normalise_geometries
from devzone.etl.parse import clean_text, parse_bool, parse_dates, parse_numbers
from devzone.etl.read import RawTable

__all__ = ["STATUS_MAP", "Cleaned", "clean", "row_hashes"]

#: 经营状态 as registries write it → the schema's status values.
STATUS_MAP: dict[str, str] = {
    **dict.fromkeys(("在营", "存续", "开业", "正常", "营业", "在业", "operating"), "operating"),
    **dict.fromkeys(("停产", "停业", "歇业", "半停产", "suspended"), "suspended"),
    **dict.fromkeys(("破产", "破产清算", "清算", "bankrupt"), "bankrupt"),
    **dict.fromkeys(("注销", "吊销", "关闭", "关停", "迁出", "closed"), "closed"),
}

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


class _Problems:
    """First problem of each row, with later ones appended to its reason."""

    def __init__(self, n: int) -> None:
        self.field = np.full(n, "", dtype=object)
        self.value = np.full(n, "", dtype=object)
        self.reason = np.full(n, "", dtype=object)

    def add(
        self,
        mask: pd.Series | np.ndarray,
        field: str,
        values: object,
        reason: str | np.ndarray,
    ) -> None:
        """Record ``reason`` (one text, or one per row) for the rows in ``mask``."""
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return
        new = m & (self.reason == "")
        also = m & ~new
        vals = pd.Series(values).astype("string").fillna("").to_numpy(dtype=object)
        if vals.shape[0] != m.shape[0]:
            vals = np.full(m.shape[0], "", dtype=object)
        why = np.broadcast_to(np.asarray(reason, dtype=object), m.shape)
        self.field[new] = field
        self.value[new] = vals[new]
        self.reason[new] = why[new]
        if also.any():
            self.reason[also] = self.reason[also] + f"; also {field}: " + why[also]

    @property
    def bad(self) -> np.ndarray:
        return self.reason != ""


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
    present = clean_text(values.astype("string")).notna()
    ok = num.between(1949, 2100) & (num == np.floor(num))
    out = num.where(ok).astype("Int64")
    return out, present & ~ok


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


def _missing_required(spec: KindSpec, mapped: set[str]) -> list[str]:
    if spec.kind == "progress":
        return [] if {"supervision_no", "parcel_code"} & mapped else ["电子监管号 or 宗地代码"]
    by = spec.by_name()
    return [by[f].label for f in spec.required if f not in mapped]


def clean(
    raw: RawTable,
    spec: KindSpec,
    *,
    declared_crs: str | None = None,
    resolved_crs: tuple[str, str] | None = None,
    area_crs: str | None = None,
) -> Cleaned:
    """Map, parse and validate one file (or chunk) of ``spec``'s kind.

    Raises
    ------
    InputError
        A required column (e.g. 电子监管号 for supply) is not among the headers.
    """
    mapping = match_headers(spec.kind, list(raw.frame.columns))
    mapped = {name for name, _ in mapping.values()}
    missing = _missing_required(spec, mapped)
    if missing:
        raise InputError(
            f"no column maps to {', '.join(missing)} of {spec.label} ({spec.kind}); headers "
            f"found: {', '.join(map(str, list(raw.frame.columns)[:15]))}",
            file=str(raw.path),
            field=missing[0],
        )
    frame = raw.frame.reset_index(drop=True)
    rows = np.asarray(raw.row_numbers)
    geoms = None if raw.geometry is None else np.asarray(raw.geometry, dtype=object)
    notes: list[str] = []

    # Fully blank rows are not records.
    cols = list(mapping)
    texts = {h: clean_text(frame[h].astype("string")) for h in cols}
    blank = np.ones(len(frame), dtype=bool)
    for h in cols:
        blank &= texts[h].isna().to_numpy()
    if geoms is not None:
        import shapely

        blank &= shapely.is_missing(geoms)
    if blank.any():
        notes.append(f"{int(blank.sum())} blank rows skipped")
        keep = ~blank
        frame, rows = frame[keep].reset_index(drop=True), rows[keep]
        texts = {h: t[keep].reset_index(drop=True) for h, t in texts.items()}
        geoms = geoms[keep] if geoms is not None else None

    n = len(frame)
    probs = _Problems(n)
    out = pd.DataFrame(index=frame.index)
    by = spec.by_name()
    header_of: dict[str, str] = {}
    for header, (name, unit) in mapping.items():
        f = by[name]
        header_of[name] = str(header)
        raw_values = frame[header]
        label = str(header)
        if f.ftype == "text":
            out[name] = texts[header]
        elif f.ftype == "code":
            out[name] = _code(texts[header])
        elif f.ftype == "date":
            values, bad = parse_dates(raw_values)
            out[name] = values
            probs.add(bad, label, raw_values, "not a date (or outside 1949–2100)")
        elif f.ftype == "year":
            values, bad = _year(raw_values)
            out[name] = values
            probs.add(bad, label, raw_values, "not a year between 1949 and 2100")
        elif f.ftype in ("num", "int"):
            if name == "use_years":
                raw_values, multi = _longest_term(raw_values)
                if multi:
                    notes.append(
                        f"{multi} mixed-use 土地使用年限 (e.g. 住宅70年; 商服40年): the longest "
                        "term is stored"
                    )
            values, bad = parse_numbers(raw_values, unit=f.unit, header_unit=unit)
            probs.add(bad, label, raw_values, "not a number (in a known unit)")
            neg = values < 0
            probs.add(neg, label, raw_values, "negative value")
            lo, hi = RANGES.get(name, (0, np.inf))
            out_of_range = ~neg & ~values.between(lo, hi) & values.notna()
            probs.add(out_of_range, label, raw_values, f"outside the valid range {lo}–{hi}")
            if f.ftype == "int":
                frac = values.notna() & (values != np.floor(values))
                probs.add(frac, label, raw_values, "not a whole number")
                values = values.round().astype("Int64")
            if name in ("far_min", "far_max"):
                # The land-market portal writes 0 for "no limit set".
                values = values.mask(values == 0)
            out[name] = values
        elif f.ftype == "bool":
            values, bad = parse_bool(raw_values)
            out[name] = values
            probs.add(bad, label, raw_values, "not 是/否 (yes/no)")

    def raw_of(name: str) -> pd.Series:
        return frame[header_of[name]] if name in header_of else pd.Series([""] * n)

    # Required values present.
    for name in spec.required:
        if name in out:
            probs.add(
                out[name].isna(),
                header_of[name],
                raw_of(name),
                f"missing {by[name].label} (required key of {spec.label})",
            )
    # Code shapes and check digits.
    if "credit_code" in out:
        cc = out["credit_code"]
        bad = cc.notna() & ~valid_credit_codes(cc.fillna(""))
        probs.add(
            bad,
            header_of["credit_code"],
            raw_of("credit_code"),
            "invalid 统一社会信用代码 (GB 32100-2015: 18 characters and a check character)",
        )
    for name, pattern, what in (
        (
            "supervision_no",
            SUPERVISION_SPLIT_RE,
            "电子监管号 (16 characters: 6-digit adcode, "
            "year, letter, 5 digits; a split parcel may add -1, -2 …)",
        ),
        ("parcel_code", PARCEL_RE, "宗地代码 (19 characters, GB/T 26424)"),
    ):
        if name in out:
            s = out[name]
            bad = s.notna() & ~s.str.fullmatch(pattern.pattern).fillna(False).astype(bool)
            probs.add(bad, header_of[name], raw_of(name), f"not a valid {what}")
    # Orders.
    for a, b in DATE_ORDER:
        if a in out and b in out:
            bad = (out[a] > out[b]).fillna(False).to_numpy(dtype=bool)
            probs.add(bad, header_of[a], raw_of(a), f"later than {header_of[b]}")
    if "far_min" in out and "far_max" in out:
        bad = (out["far_min"] > out["far_max"]).fillna(False).to_numpy(dtype=bool)
        probs.add(bad, header_of["far_min"], raw_of("far_min"), f"above {header_of['far_max']}")
    if "status" in out and spec.kind == "indicators":
        status = out["status"].map(STATUS_MAP, na_action="ignore")
        bad = out["status"].notna() & status.isna()
        probs.add(
            bad,
            header_of["status"],
            raw_of("status"),
            "unknown 经营状态 (use 在营, 停产, 破产 or 注销)",
        )
        out["status"] = status.astype("string")
    if spec.kind == "progress":
        sup = out.get("supervision_no", pd.Series(pd.NA, index=out.index, dtype="string"))
        par = out.get("parcel_code", pd.Series(pd.NA, index=out.index, dtype="string"))
        out["project_key"] = sup.fillna(par)
        probs.add(
            out["project_key"].isna(),
            header_of.get("supervision_no", header_of.get("parcel_code", "")),
            raw_of("supervision_no" if "supervision_no" in header_of else "parcel_code"),
            "missing: 电子监管号 or 宗地代码 is needed",
        )

    # Geometry.
    crs = resolved_crs
    result: GeometryResult | None = None
    if spec.spatial and geoms is not None:
        kwargs = {"area_crs": area_crs} if area_crs else {}
        try:
            result = normalise_geometries(
                geoms,
                file_crs=raw.crs,
                declared_crs=declared_crs,
                measure=_to_measure(spec.kind, out),
                resolved=resolved_crs,
                **kwargs,
            )
        except InputError as exc:  # the CRS cannot be decided: name the file
            if exc.file:
                raise
            raise InputError(str(exc), file=str(raw.path), field="geometry") from exc
        crs = (result.crs, result.crs_note)
        bad = result.reasons != ""
        probs.add(bad, "geometry", _geom_text(geoms, bad), result.reasons)
        geoms = result.geoms
        if spec.kind == "buildings":
            out["footprint_m2"] = result.footprint_m2
        if spec.kind == "parcels":
            measured = pd.Series(result.footprint_m2, index=out.index)
            if "area_m2" not in out:
                out["area_m2"] = measured
                notes.append("no 宗地面积 column: area_m2 measured from the geometry")
            else:
                fill = out["area_m2"].isna() & measured.notna()
                if fill.any():
                    out.loc[fill, "area_m2"] = measured[fill]
                    notes.append(f"{int(fill.sum())} missing 宗地面积 measured from the geometry")
    elif spec.spatial:
        geoms = np.full(n, None, dtype=object)
    if spec.kind == "buildings":
        code = out.get("building_code", pd.Series(pd.NA, index=out.index, dtype="string"))
        if code.isna().any():
            digest = _geometry_digest(geoms)
            out["building_code"] = code.fillna(pd.Series(digest, index=out.index))
            still = out["building_code"].isna()
            probs.add(still, "建筑编号", raw_of("building_code"), "no 建筑编号 and no geometry")

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
    accepted = out[good].reset_index(drop=True)
    accepted_geoms = geoms[good] if geoms is not None else None
    if accepted_geoms is not None:
        accepted["_ewkb"] = ewkb_hex(accepted_geoms)
    accepted["row_hash"] = row_hashes(accepted)
    accepted["src_row"] = rows[good]
    if result is not None and result.repaired:
        notes.append(f"{result.repaired} invalid geometries repaired with make_valid")
    return Cleaned(accepted, accepted_geoms, rejects, notes, crs, header_of)


def _to_measure(kind: str, out: pd.DataFrame) -> bool | np.ndarray:
    """Which features need their area: every building, parcels without 宗地面积."""
    if kind == "buildings":
        return True
    if kind == "parcels":
        return True if "area_m2" not in out else out["area_m2"].isna().to_numpy()
    return False


def _geom_text(geoms: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The start of the WKT of the masked geometries (for the rejects file)."""
    import shapely

    out = np.full(len(geoms), "", dtype=object)
    if mask.any():
        text = pd.Series(shapely.to_wkt(geoms[mask], rounding_precision=3), dtype="string")
        out[mask] = text.str.slice(0, 80).fillna("").to_numpy(dtype=object)
    return out


def _geometry_digest(geoms: np.ndarray | None) -> np.ndarray:
    import shapely

    if geoms is None:
        return np.array([], dtype=object)
    wkb = shapely.to_wkb(geoms)
    has = ~pd.isna(wkb)
    out = np.full(len(geoms), None, dtype=object)
    if has.any():
        h = pd.util.hash_array(np.asarray(wkb[has], dtype=object), categorize=False)
        out[has] = np.char.add("G", h.astype(str)).astype(object)
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
        c for c in frame.columns if c not in ("row_hash", "src_row") and not c.startswith("_")
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
