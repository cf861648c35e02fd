"""``run_map``: read the database, build the offline map, write one HTML file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from devzone.config import load_policy
from devzone.errors import ConfigError, InputError
from devzone.maps.build import build_map, render_html
from devzone.maps.data import read_map_data

__all__ = ["run_map"]


def run_map(
    engine: Engine,
    *,
    year: int,
    as_of: dt.date,
    out_html: str | Path,
    basemap: str | None = "osm",
    config: str | Path | None = None,
) -> dict[str, Any]:
    """Write the planners' map of ``year`` (performance) and ``as_of`` (idle land).

    Parameters
    ----------
    engine
        The devzone database (GeoPackage or PostGIS).
    year
        Evaluation year of ``parcel_performance`` / ``parcel_intensity``.
    as_of
        As-of date of ``parcel_idle_status``.
    out_html
        The HTML file to write; it is self-contained (Leaflet and plugins inlined).
    basemap
        ``osm`` (WGS84 tiles), ``gaode`` (GCJ-02 tiles: every layer is shifted to
        GCJ-02) or ``none`` (plain background); ``None`` takes
        ``[maps] default_basemap``.
    config
        A city's policy TOML overriding ``data/policy/maps.toml``.

    Returns
    -------
    dict
        ``{"outputs": [out_html], "headline": {...}}``.
    """
    style = load_policy(config).get("maps")
    if not style:
        raise ConfigError("The policy has no [maps] table (data/policy/maps.toml is missing).")
    basemap = basemap or style.get("default_basemap", "osm")
    data = read_map_data(engine, year=year, as_of=as_of)
    m, headline = build_map(data, year=year, as_of=as_of, basemap=basemap, style=style)
    html = render_html(m)
    out = Path(out_html)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot write the map ({exc.strerror}); choose another --out", file=str(out)
        ) from exc
    headline["文件大小 size (MB)"] = round(out.stat().st_size / 1e6, 2)
    return {"outputs": [out], "headline": headline}
