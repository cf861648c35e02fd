"""What the connected role may see, said on every output (issue 18).

On a city server a county or zone role reads only its own rows (row-level security,
:mod:`devzone.db.roles`), so an analysis it runs computes on its own land. Every output
says so: the console headline and each workbook's note line carry
``范围: <zone or county name>`` (:func:`scope_label`). The owner, a city role and a
GeoPackage (no roles) see everything: no line then.

City-wide rankings (``devzone zones rank``, ``devzone report corridor``) compare every
zone of the city; run by a county or zone role they would rank a fragment, so they
refuse (:func:`require_city`).
"""

from __future__ import annotations

from sqlalchemy import Engine

from devzone.db.io import read
from devzone.db.roles import RolesError, Scope, current_scope

__all__ = [
    "SCOPE_KEY",
    "require_city",
    "scope_label",
    "scope_name",
    "shown_database",
    "title_line",
]

#: The headline key and note prefix of the scope line.
SCOPE_KEY = "范围"

_LEVELS = {"zone": "开发区", "county": "县区"}


def _name(engine: Engine, scope: Scope) -> str:
    """The zone's or county's name as the role sees it (its code when unnamed)."""
    if scope.level == "zone":
        table, key = "dev_zone", "zone_code"
    else:
        table, key = "district", "adcode"
    rows = read(engine, table, columns=[key, "name"], required=False)
    if rows is not None:
        named = rows.loc[rows[key] == scope.code, "name"].dropna()
        if len(named):
            return f"{named.iloc[0]} ({scope.code})"
    return f"{_LEVELS.get(scope.level, scope.level)} {scope.code}"


def scope_name(engine: Engine) -> str | None:
    """The zone or county the connected role is limited to; ``None`` for the city.

    ``None`` too for the owner and on a GeoPackage (no roles: everything is seen).
    """
    scope = current_scope(engine)
    if scope is None or scope.sees_all:
        return None
    name = _name(engine, scope)
    return f"{name}, 只读" if scope.read_only else name


def scope_label(engine: Engine) -> str | None:
    """``"范围: <zone or county name>"`` for a county or zone role, else ``None``."""
    name = scope_name(engine)
    return None if name is None else f"{SCOPE_KEY}: {name}"


def require_city(engine: Engine, command: str) -> None:
    """Refuse a city-wide ranking to a county or zone role, in one paragraph.

    Raises
    ------
    devzone.db.roles.RolesError
        The connected role is limited to a county or a zone.
    """
    scope = current_scope(engine)
    if scope is None or scope.sees_all:
        return
    raise RolesError(
        f"`devzone {command}` ranks every zone of the city, but this role sees only "
        f"{_name(engine, scope)}: a ranking of part of the city would mislead. Run it with "
        "a city role (`devzone users add NAME --level city`), or use `devzone score` and "
        "`devzone idle`, which work on the role's own land."
    )


def shown_database(engine: Engine) -> str:
    """The database as a planner reads it: a GeoPackage as its file path, a server URL
    without its password (never ``gpkg:////…``)."""
    from devzone.db.engine import is_geopackage, redact

    if is_geopackage(engine):
        return str(engine.url.database or "")
    return redact(engine.url.render_as_string(hide_password=True))


def title_line(engine: Engine, *parts: str) -> str:
    """The title row of a workbook sheet: ``parts`` (year or as-of date, data vintage),
    then the scope (范围), the synthetic-data note when it applies and the database."""
    from devzone.db.io import synthetic_data

    items = [p for p in parts if p]
    items.append(scope_label(engine) or f"{SCOPE_KEY}: 全市")
    if synthetic_data(engine):
        items.append("合成数据 (synthetic, 仅供演示)")
    items.append(f"数据库: {shown_database(engine)}")
    return "; ".join(items)
