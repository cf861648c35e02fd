"""Link parcels to enterprises by the land-use right holder's name (权利人名称匹配).

When no 宗地企业对照 file was given, a parcel's enterprise is found by comparing the
supply record's 土地使用权人 (or, without a supply record, the parcel's own 权利人)
with the enterprise names, after normalising both (:func:`normalise_name`).

Decisions: it runs automatically at the end of a load that brought supply, parcel or
indicator rows but no link file, and on demand with ``devzone etl link``; it only
links parcels that have no link yet (a link file always wins: loading one replaces
the name matches of its parcels); a name that matches several enterprises is not
linked but reported, like a name that matches none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from devzone.db.history import keep_versions
from devzone.etl.clean import row_hashes
from devzone.etl.write import existing_rows, upsert, utcnow

__all__ = ["HOLDER_SOURCE", "LinkReport", "link_by_holder", "normalise_name", "normalise_names"]

HOLDER_SOURCE = "holder-name match (土地使用权人 ↔ 企业名称)"

_SUFFIXES = (("有限责任公司", "有限公司"), ("股份有限公司", "股份公司"))


def normalise_name(name: str) -> str:
    """One name's matching key (see :func:`normalise_names`).

    Examples
    --------
    >>> normalise_name(" 六安市（示例）机械 有限责任公司 ")
    '六安市示例机械有限公司'
    """
    key = normalise_names(pd.Series([name])).iloc[0]  # one rule for tests and loads
    return "" if pd.isna(key) else str(key)


def normalise_names(names: pd.Series) -> pd.Series:
    """Names reduced for matching, vectorised: NFKC (full-width → half-width), no
    spaces, brackets or punctuation, upper case, 有限责任公司 → 有限公司,
    股份有限公司 → 股份公司."""
    s = names.astype("string").str.normalize("NFKC")
    s = s.str.replace(r"[\s()\[\]{}（）【】〔〕<>《》·・.,，、\"'“”‘’]+", "", regex=True)
    for long, short in _SUFFIXES:
        s = s.str.replace(long, short, regex=False)
    return s.str.upper().replace("", pd.NA)


@dataclass
class LinkReport:
    """Outcome of a holder-name matching run."""

    candidates: int = 0
    linked: int = 0
    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)
    ambiguous: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_dict(self) -> dict[str, object]:
        """Counts and the first few names, for ``--json``."""
        return {
            "parcels_without_link": self.candidates,
            "linked_by_name": self.linked,
            "unmatched_names": len(self.unmatched),
            "ambiguous_names": len(self.ambiguous),
            "unmatched_examples": self.unmatched.get("holder", pd.Series(dtype=str))
            .head(10)
            .tolist(),
            "ambiguous_examples": self.ambiguous.get("holder", pd.Series(dtype=str))
            .head(10)
            .tolist(),
        }

    def problems(self) -> pd.DataFrame:
        """Every unmatched or ambiguous holder (columns parcel_code … candidates)."""
        return pd.concat([self.unmatched, self.ambiguous], ignore_index=True)


def link_by_holder(conn: Connection, *, batch_id: int | None = None) -> LinkReport:
    """Create ``parcel_enterprise`` rows for unlinked parcels whose holder name matches
    exactly one enterprise; report the rest."""
    q = pd.read_sql_query
    report = LinkReport()
    firms = q("SELECT credit_code, name FROM enterprise", conn)
    if firms.empty:
        return report
    parcels = q("SELECT parcel_code, supervision_no, holder, area_m2 FROM parcel", conn)
    supply = q("SELECT supervision_no, parcel_code, holder FROM land_supply", conn)
    linked = q("SELECT DISTINCT parcel_code FROM parcel_enterprise", conn)
    if parcels.empty:
        return report
    parcels = parcels[~parcels["parcel_code"].isin(linked["parcel_code"])]
    by_no = supply.dropna(subset=["supervision_no"]).drop_duplicates("supervision_no")
    cand = parcels.merge(
        by_no[["supervision_no", "holder"]].rename(columns={"holder": "supply_holder"}),
        on="supervision_no",
        how="left",
    )
    by_code = supply.dropna(subset=["parcel_code"]).drop_duplicates("parcel_code")
    cand = cand.merge(
        by_code[["parcel_code", "holder"]].rename(columns={"holder": "code_holder"}),
        on="parcel_code",
        how="left",
    )
    cand["holder_used"] = (
        cand["supply_holder"].fillna(cand["code_holder"]).fillna(cand["holder"]).astype("string")
    )
    cand = cand[cand["holder_used"].notna()].copy()
    report.candidates = len(cand)
    if cand.empty:
        return report
    cand["key"] = normalise_names(cand["holder_used"])
    firms["key"] = normalise_names(firms["name"])
    groups = (
        firms.dropna(subset=["key"])
        .groupby("key")["credit_code"]
        .agg(n="nunique", codes=lambda c: "、".join(sorted(set(c))))
    )
    cand = cand.merge(groups, left_on="key", right_index=True, how="left")
    cand["n"] = cand["n"].fillna(0).astype(int)
    cols = ["parcel_code", "supervision_no", "holder_used", "key", "codes"]
    out_cols = {"holder_used": "holder", "key": "normalised", "codes": "candidates"}
    report.unmatched = cand.loc[cand["n"] == 0, cols].rename(columns=out_cols)
    report.unmatched["result"] = "unmatched"
    report.ambiguous = cand.loc[cand["n"] > 1, cols].rename(columns=out_cols)
    report.ambiguous["result"] = "ambiguous"
    hit = cand[cand["n"] == 1]
    if hit.empty:
        return report
    links = pd.DataFrame(
        {
            "parcel_code": hit["parcel_code"].astype("string").to_numpy(),
            "credit_code": hit["codes"].astype("string").to_numpy(),
            "used_area_m2": pd.to_numeric(hit["area_m2"]).to_numpy(),
            "match_method": "holder_name",
        }
    )
    links["row_hash"] = row_hashes(links)
    links["src_row"] = pd.array([None] * len(links), dtype="Int64")
    existing = existing_rows(conn, "parcel_enterprise", ("parcel_code", "credit_code"))
    counts, _ = upsert(
        conn,
        "parcel_enterprise",
        ("parcel_code", "credit_code"),
        links,
        None,
        existing,
        provenance={"src_file": HOLDER_SOURCE, "batch_id": batch_id, "loaded_at": utcnow()},
    )
    report.linked = counts.inserted + counts.updated
    return report


def drop_name_links(
    conn: Connection, parcel_codes: np.ndarray, *, batch_id: int | None = None
) -> int:
    """Delete holder-name links of parcels a link file now describes.

    The links deleted are kept first in ``parcel_enterprise_history`` (``change =
    'retired'``, valid to ``batch_id``: by default this load's batch, the latest one).
    """
    codes = pd.unique(pd.Series(parcel_codes).dropna().astype(str))
    if not len(codes):
        return 0
    if _count_name_links(conn) == 0:
        return 0
    fids = _name_link_fids(conn, codes)
    if not fids:
        return 0
    if batch_id is None:
        batch_id = conn.exec_driver_sql("SELECT max(fid) FROM load_batch").scalar()
    keep_versions(
        conn,
        "parcel_enterprise",
        fids,
        batch_id=None if batch_id is None else int(batch_id),
        change="retired",
    )
    mark = "?" if conn.dialect.name == "geopackage" else "%s"
    conn.exec_driver_sql(f"DELETE FROM parcel_enterprise WHERE fid = {mark}", [(f,) for f in fids])
    return len(fids)


def _name_link_fids(conn: Connection, codes: np.ndarray) -> list[int]:
    """``fid`` of the holder-name links of ``codes``."""
    links = pd.read_sql_query(
        "SELECT fid, parcel_code FROM parcel_enterprise WHERE match_method = 'holder_name'", conn
    )
    hit = links["parcel_code"].astype("string").isin(set(codes))
    return [int(f) for f in links.loc[hit.fillna(False).to_numpy(), "fid"]]


def _count_name_links(conn: Connection) -> int:
    r = conn.exec_driver_sql(
        "SELECT count(*) FROM parcel_enterprise WHERE match_method = 'holder_name'"
    ).scalar()
    return int(r or 0)
