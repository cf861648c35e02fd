"""What changed since a load (``devzone etl diff [--since BATCH|DATE]``).

:func:`diff_since` compares every input table as it stood after the ``since`` vintage
(:func:`devzone.db.io.read` with ``as_of``) with the table as it is now, by natural key:
rows **added**, **retired** (removed by a complete export) and **changed**, per kind
(table) and per zone; for each changed row the fields that changed from what to what;
for geometries how far the boundary moved (centroid distance, metres, in
:func:`devzone.settings.area_crs`) and how its area changed. Changes that matter to a
rule are called out (:data:`devzone.vocab.RULE_CHANGE_LABELS`): an agreed start date
moved (the idle-land clock), a government cause added (Art. 8: no fee), a holder
renamed, an area changed by more than ``[history] area_change_tolerance``.

Wiring (CLI, after every load)::

    changes = diff_since(engine, since)          # since: None = before the last load
    print(changes.summary_text()); changes.write(out)   # console + XLSX
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine

from devzone.db.history import INPUT_TABLES, Vintage, natural_key, resolve_vintage
from devzone.db.io import PROVENANCE, read
from devzone.policy import Policy, default_policy
from devzone.settings import area_crs as resolve_area_crs

__all__ = ["ChangeSet", "ZoneLookup", "diff_since", "diff_tables", "rule_changes"]

#: Columns of the per-row frames.
ROW_COLUMNS = ["table", "key", "zone_code"]
FIELD_COLUMNS = [*ROW_COLUMNS, "field", "old", "new"]
GEOMETRY_COLUMNS = [*ROW_COLUMNS, "moved_m", "area_old_m2", "area_new_m2", "area_change"]
RULE_COLUMNS = [*ROW_COLUMNS, "rule", "field", "old", "new"]
#: Registered areas checked against the tolerance.
AREA_FIELDS = ("area_m2", "area_ha", "approved_area_ha")
HOLDER_FIELDS = ("holder",)


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass
class ChangeSet:
    """The changes between two data vintages (load batches ``since`` → ``until``)."""

    since: int
    until: int
    added: pd.DataFrame = field(default_factory=lambda: _empty(ROW_COLUMNS))
    retired: pd.DataFrame = field(default_factory=lambda: _empty(ROW_COLUMNS))
    changed: pd.DataFrame = field(default_factory=lambda: _empty([*ROW_COLUMNS, "fields"]))
    fields: pd.DataFrame = field(default_factory=lambda: _empty(FIELD_COLUMNS))
    geometry: pd.DataFrame = field(default_factory=lambda: _empty(GEOMETRY_COLUMNS))
    rules: pd.DataFrame = field(default_factory=lambda: _empty(RULE_COLUMNS))

    @property
    def empty(self) -> bool:
        """True when nothing was added, retired or changed."""
        return not (len(self.added) or len(self.retired) or len(self.changed))

    def _count(self, by: list[str]) -> pd.DataFrame:
        parts = []
        for what, frame in (
            ("added", self.added),
            ("retired", self.retired),
            ("changed", self.changed),
        ):
            if len(frame):
                n = frame.fillna({"zone_code": ""}).groupby(by, dropna=False).size()
                parts.append(n.rename(what))
        if not parts:
            return _empty([*by, "added", "retired", "changed"])
        out = pd.concat(parts, axis=1).fillna(0).astype(int)
        for what in ("added", "retired", "changed"):
            if what not in out:
                out[what] = 0
        return out[["added", "retired", "changed"]].reset_index()

    def by_kind(self) -> pd.DataFrame:
        """Rows added, retired and changed per table."""
        return self._count(["table"])

    def by_zone(self) -> pd.DataFrame:
        """Rows added, retired and changed per zone and table (zone ``""``: none)."""
        return self._count(["zone_code", "table"])

    def summary_text(self) -> str:
        """The console summary (:func:`devzone.reports.change_report.console_summary`)."""
        from devzone.reports.change_report import console_summary

        return console_summary(self)

    def write(self, path: str | Path, *, synthetic: bool = False) -> Path:
        """The XLSX report (:func:`devzone.reports.change_report.write_change_report`)."""
        from devzone.reports.change_report import write_change_report

        return write_change_report(path, self, synthetic=synthetic)


def _key_text(df: pd.DataFrame, key: Sequence[str]) -> pd.Series:
    parts = []
    for c in key:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.strftime("%Y-%m-%d")
        parts.append(s.astype("string").fillna(""))
    out = parts[0]
    for p in parts[1:]:
        out = out + "/" + p
    return out


def _display(s: pd.Series) -> pd.Series:
    """Values for people: dates as ``YYYY-MM-DD``, missing as None."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), None)
    return s.astype(object).where(s.notna(), None)


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise "not the same value" (both missing is the same)."""
    na_a, na_b = a.isna().to_numpy(), b.isna().to_numpy()
    ta = _display(a).astype(str).to_numpy()
    tb = _display(b).astype(str).to_numpy()
    return (na_a != na_b) | (~na_a & ~na_b & (ta != tb))


class ZoneLookup:
    """Zone of a row: its own ``zone_code``, else through its parcel or contract."""

    def __init__(self, parcels: list[pd.DataFrame], links: list[pd.DataFrame]) -> None:
        frames = [p for p in parcels if p is not None and len(p)]
        both = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        self.by_parcel = self._map(both, "parcel_code")
        self.by_supervision = self._map(both, "supervision_no")
        frames = [x for x in links if x is not None and len(x)]
        link = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if len(link):
            zone = link["parcel_code"].map(self.by_parcel)
            link = link.assign(zone_code=zone).dropna(subset=["zone_code"])
        self.by_credit = self._map(link, "credit_code")

    @staticmethod
    def _map(df: pd.DataFrame, col: str) -> pd.Series:
        if not len(df) or col not in df or "zone_code" not in df:
            return pd.Series(dtype=object)
        sub = df.dropna(subset=[col, "zone_code"]).drop_duplicates(col)
        return sub.set_index(col)["zone_code"]

    def of(self, df: pd.DataFrame) -> pd.Series:
        """The zone code of each row of ``df`` (None where none can be told)."""
        zone = pd.Series(None, index=df.index, dtype=object)
        for col, mapping in (
            ("zone_code", None),
            ("parcel_code", self.by_parcel),
            ("supervision_no", self.by_supervision),
            ("credit_code", self.by_credit),
        ):
            if col not in df:
                continue
            found = df[col] if mapping is None else df[col].map(mapping)
            zone = zone.where(zone.notna(), found.astype(object))
        return zone.where(zone.notna(), None)


def _field_changes(
    name: str, old: pd.DataFrame, new: pd.DataFrame, zones: pd.Series
) -> pd.DataFrame:
    skip = {"fid", "geom", *PROVENANCE}
    parts = []
    for col in [c for c in new.columns if c not in skip and c in old.columns]:
        hit = _differs(old[col], new[col])
        if hit.any():
            parts.append(
                pd.DataFrame(
                    {
                        "table": name,
                        "key": new.index[hit],
                        "zone_code": zones.to_numpy()[hit],
                        "field": col,
                        "old": _display(old[col]).to_numpy()[hit],
                        "new": _display(new[col]).to_numpy()[hit],
                    }
                )
            )
    return pd.concat(parts, ignore_index=True) if parts else _empty(FIELD_COLUMNS)


def _geometry_changes(
    name: str, old: pd.DataFrame, new: pd.DataFrame, zones: pd.Series, crs: str
) -> pd.DataFrame:
    if "geom" not in new or "geom" not in old:
        return _empty(GEOMETRY_COLUMNS)
    a = np.asarray(old["geom"].to_numpy(), dtype=object)
    b = np.asarray(new["geom"].to_numpy(), dtype=object)
    missing_a, missing_b = shapely.is_missing(a), shapely.is_missing(b)
    same = np.where(
        missing_a | missing_b, missing_a == missing_b, shapely.equals_exact(a, b, tolerance=0.0)
    )
    hit = ~same.astype(bool)
    if not hit.any():
        return _empty(GEOMETRY_COLUMNS)
    import geopandas as gpd

    pa = gpd.GeoSeries(a[hit], crs=getattr(old, "crs", None)).to_crs(crs)
    pb = gpd.GeoSeries(b[hit], crs=getattr(new, "crs", None)).to_crs(crs)
    area_a, area_b = pa.area.to_numpy(), pb.area.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(area_a > 0, (area_b - area_a) / area_a, np.nan)
    return pd.DataFrame(
        {
            "table": name,
            "key": new.index[hit],
            "zone_code": zones.to_numpy()[hit],
            "moved_m": pa.centroid.distance(pb.centroid).to_numpy(),
            "area_old_m2": area_a,
            "area_new_m2": area_b,
            "area_change": change,
        }
    )


def _rows(name: str, frame: pd.DataFrame, zones: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {"table": name, "key": frame.index, "zone_code": zones.to_numpy()}, columns=ROW_COLUMNS
    )


def _indexed(df: pd.DataFrame | None, key: Sequence[str]) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame(columns=[*key, "row_hash"]).set_index(pd.Index([], name="key"))
    out = df.copy()
    out.index = pd.Index(_key_text(out, key), name="key")
    return out[~out.index.duplicated()]


def diff_tables(
    name: str,
    old: pd.DataFrame | None,
    new: pd.DataFrame | None,
    zones: ZoneLookup,
    *,
    crs: str,
) -> dict[str, pd.DataFrame]:
    """Added, retired, changed rows, field and geometry changes of one table."""
    key = natural_key(name)
    o, n = _indexed(old, key), _indexed(new, key)
    added = n.loc[n.index.difference(o.index, sort=False)]
    retired = o.loc[o.index.difference(n.index, sort=False)]
    common = n.index.intersection(o.index, sort=False)
    oc, nc = o.loc[common], n.loc[common]
    if "row_hash" in nc and "row_hash" in oc:
        same = (oc["row_hash"].astype("string") == nc["row_hash"].astype("string")).fillna(False)
        oc, nc = oc[~same.to_numpy()], nc[~same.to_numpy()]
    zone_c = zones.of(nc)
    fields = _field_changes(name, oc, nc, zone_c)
    geometry = _geometry_changes(name, oc, nc, zone_c, crs)
    touched = pd.concat([fields[["key", "field"]], geometry.assign(field="geom")[["key", "field"]]])
    per_row = touched.groupby("key", sort=False)["field"].agg(", ".join)
    changed = _rows(
        name, nc.loc[nc.index.isin(per_row.index)], zone_c[nc.index.isin(per_row.index)]
    )
    changed["fields"] = changed["key"].map(per_row)
    return {
        "added": _rows(name, added, zones.of(added)),
        "retired": _rows(name, retired, zones.of(retired)),
        "changed": changed,
        "fields": fields,
        "geometry": geometry,
        "new_rows": added,
        "old_rows": o,
    }


def _no_cause(values: pd.Series, no_cause: Sequence[str]) -> np.ndarray:
    text = values.astype("string").str.strip()
    return (text.isna() | text.isin(list(no_cause))).to_numpy(dtype=bool)


def _cause_added(part: dict[str, pd.DataFrame], no_cause: Sequence[str]) -> pd.DataFrame:
    """Progress rows whose government cause appeared (changed, or a new report)."""
    f = part["fields"]
    f = f[f["field"] == "government_cause"]
    changed = f[_no_cause(f["old"], no_cause) & ~_no_cause(f["new"], no_cause)]
    new = part["new_rows"]
    out = [changed.assign(rule="government_cause_added")]
    if len(new) and "government_cause" in new:
        cited = new[~_no_cause(new["government_cause"], no_cause)]
        old = part["old_rows"]
        had = set()
        if len(old) and "government_cause" in old:
            had = set(old.loc[~_no_cause(old["government_cause"], no_cause), "project_key"])
        cited = cited[~cited["project_key"].isin(had)]
        zone = part["added"].set_index("key")["zone_code"]
        out.append(
            pd.DataFrame(
                {
                    "table": "project_progress",
                    "key": cited.index,
                    "zone_code": zone.reindex(cited.index).to_numpy(),
                    "rule": "government_cause_added",
                    "field": "government_cause",
                    "old": None,
                    "new": cited["government_cause"].astype(object).to_numpy(),
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def _area_share(old: pd.Series, new: pd.Series) -> np.ndarray:
    a = pd.to_numeric(old, errors="coerce").to_numpy(dtype=float)
    b = pd.to_numeric(new, errors="coerce").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.abs(b - a) / np.abs(a)
    return np.where(np.isnan(a) | (a == 0), np.inf, share)


def rule_changes(parts: dict[str, dict[str, pd.DataFrame]], policy: Policy) -> pd.DataFrame:
    """The changes that matter to a rule (:data:`devzone.vocab.RULE_CHANGE_LABELS`)."""
    fields = pd.concat([p["fields"] for p in parts.values()], ignore_index=True)
    tol = policy.history.area_change_tolerance
    out = [
        fields[
            (fields["table"] == "land_supply") & (fields["field"] == "agreed_start_date")
        ].assign(rule="agreed_start_moved"),
        fields[fields["field"].isin(HOLDER_FIELDS)].assign(rule="holder_renamed"),
    ]
    area = fields[fields["field"].isin(AREA_FIELDS)]
    out.append(area[_area_share(area["old"], area["new"]) > tol].assign(rule="area_changed"))
    if "project_progress" in parts:
        out.append(_cause_added(parts["project_progress"], policy.idle.no_cause_values))
    geometry = pd.concat([p["geometry"] for p in parts.values()], ignore_index=True)
    moved = geometry[np.abs(geometry["area_change"].astype(float)) > tol]
    out.append(
        pd.DataFrame(
            {
                "table": moved["table"],
                "key": moved["key"],
                "zone_code": moved["zone_code"],
                "rule": "geometry_area_changed",
                "field": "geom",
                "old": moved["area_old_m2"].round(2),
                "new": moved["area_new_m2"].round(2),
            }
        )
    )
    frames = [f for f in out if len(f)]
    if not frames:
        return _empty(RULE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[RULE_COLUMNS]


def _since_batch(engine: Engine, since: Vintage | None) -> tuple[int, int]:
    batches = read(engine, "load_batch", columns=["fid"], required=False)
    ids = sorted(int(b) for b in batches["fid"]) if batches is not None else []
    until = ids[-1] if ids else 0
    if since is None:
        return (ids[-2] if len(ids) > 1 else 0), until
    return resolve_vintage(engine, since), until


def diff_since(
    engine: Engine,
    since: Vintage | None = None,
    *,
    policy: Policy | None = None,
    area_crs: str | None = None,
    tables: Sequence[str] = INPUT_TABLES,
) -> ChangeSet:
    """What changed in the input tables since the ``since`` vintage.

    Parameters
    ----------
    since
        A load batch id or a date (:func:`devzone.db.history.resolve_vintage`);
        ``None``: the batch before the last one, i.e. what the last load changed.
    policy
        The typed policy (``[history] area_change_tolerance``, ``[idle]
        no_cause_values``); the shipped one by default.
    area_crs
        Projected CRS of distances and areas (:func:`devzone.settings.area_crs`).
    """
    policy = policy or default_policy()
    crs = resolve_area_crs(area_crs)
    start, until = _since_batch(engine, since)
    frames: dict[str, tuple[pd.DataFrame | None, pd.DataFrame | None]] = {}
    for name in tables:
        old = read(engine, name, required=False, as_of=start) if start else None
        frames[name] = (old, read(engine, name, required=False))
    zones = ZoneLookup(
        [frames.get("parcel", (None, None))[1], frames.get("parcel", (None, None))[0]],
        [frames.get("parcel_enterprise", (None, None))[1]],
    )
    parts = {
        name: diff_tables(name, old, new, zones, crs=crs) for name, (old, new) in frames.items()
    }

    def stack(what: str, columns: list[str]) -> pd.DataFrame:
        got = [p[what] for p in parts.values() if len(p[what])]
        return pd.concat(got, ignore_index=True) if got else _empty(columns)

    return ChangeSet(
        since=start,
        until=until,
        added=stack("added", ROW_COLUMNS),
        retired=stack("retired", ROW_COLUMNS),
        changed=stack("changed", [*ROW_COLUMNS, "fields"]),
        fields=stack("fields", FIELD_COLUMNS),
        geometry=stack("geometry", GEOMETRY_COLUMNS),
        rules=rule_changes(parts, policy),
    )
