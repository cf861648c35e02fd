"""Runtime settings: read from the environment in one place, at call time.

These are not policy (no source, no TOML): they say where the data is and how this
machine measures it.

==================  ==========================================================  ===========
variable            meaning                                                     default
==================  ==========================================================  ===========
``DEVZONE_DB``      database URL or ``.gpkg`` path (``--db`` wins)              ``landbase.gpkg``
``DEVZONE_AREA_CRS`` projected CRS for measured areas and lengths               ``EPSG:4548``
==================  ==========================================================  ===========

Examples
--------
>>> import os
>>> os.environ.pop("DEVZONE_AREA_CRS", None) and None
>>> area_crs()
'EPSG:4548'
>>> area_crs("EPSG:4545")
'EPSG:4545'
"""

from __future__ import annotations

import os
from contextvars import ContextVar

from devzone.errors import ConfigError

__all__ = [
    "AREA_CRS_VAR",
    "DB_VAR",
    "DEFAULT_AREA_CRS",
    "DEFAULT_DB",
    "area_crs",
    "current_command",
    "database_url",
    "set_command",
]

DB_VAR = "DEVZONE_DB"
AREA_CRS_VAR = "DEVZONE_AREA_CRS"
DEFAULT_DB = "gpkg:///landbase.gpkg"
#: CGCS2000 3-degree Gauss–Krüger CM 117°E: right for Lu'an and Hefei (115.3°–117.8°E).
DEFAULT_AREA_CRS = "EPSG:4548"


def database_url(db: str | None = None) -> str:
    """``db``, else ``$DEVZONE_DB``, else the default GeoPackage ``landbase.gpkg``."""
    return db or os.environ.get(DB_VAR) or DEFAULT_DB


def area_crs(value: str | None = None) -> str:
    """The projected CRS areas are measured in, spelled ``EPSG:<code>``.

    ``value`` (an explicit choice) wins over ``$DEVZONE_AREA_CRS``, which wins over
    EPSG:4548. A city off 117°E sets its own CGCS2000 3-degree zone, EPSG:4534 (CM 75°E)
    … EPSG:4554 (CM 135°E), i.e. ``4534 + (CM − 75) / 3``.

    Raises
    ------
    ConfigError
        The value is not a projected CRS with an EPSG code.
    """
    raw = value if value is not None else os.environ.get(AREA_CRS_VAR)
    if not raw or not raw.strip():
        return DEFAULT_AREA_CRS
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(raw.strip())
    except CRSError as exc:
        raise ConfigError(
            f"{AREA_CRS_VAR}={raw!r} is not a coordinate reference system PROJ knows "
            f"({exc}). Give the EPSG code of your city's CGCS2000 3-degree Gauss–Krüger "
            "zone, EPSG:4534 (CM 75°E) … EPSG:4554 (CM 135°E), or unset it for EPSG:4548."
        ) from None
    code = crs.to_epsg()
    if not crs.is_projected or code is None:
        raise ConfigError(
            f"{AREA_CRS_VAR}={raw!r} must be a projected CRS with an EPSG code (areas are "
            "measured in metres): EPSG:4534 … EPSG:4554, or unset it for EPSG:4548."
        )
    return f"EPSG:{code}"


#: The devzone command running in this context (``"score --year 2019"``), set by the CLI
#: and named in the audit trail (:func:`devzone.db.audit.tag_transaction`).
_COMMAND: ContextVar[str | None] = ContextVar("devzone_command", default=None)


def set_command(command: str | None) -> None:
    """Name the command this process runs (the CLI calls it before the command).

    Examples
    --------
    >>> set_command("score --year 2019"); current_command()
    'score --year 2019'
    >>> set_command(None); current_command("write parcel_performance")
    'write parcel_performance'
    """
    _COMMAND.set(command)


def current_command(default: str | None = None) -> str | None:
    """The command set by :func:`set_command`, else ``default``."""
    return _COMMAND.get() or default
