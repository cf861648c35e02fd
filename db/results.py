"""The analysis result tables, declared explicitly (not discovered).

Each ``results_*.py`` module declares the tables one family of analyses fills, on the
same :data:`devzone.db.schema.Base` metadata as the input tables; this module imports
them all so ``devzone db init`` creates the whole schema, and lists them in
:data:`RESULT_TABLES` (the names the result writer accepts).
"""

from __future__ import annotations

from devzone.db import results_cases, results_idle, results_performance, results_zones

__all__ = ["RESULT_MODULES", "RESULT_TABLES"]

RESULT_MODULES = (results_performance, results_idle, results_zones, results_cases)

#: Every result table's name, in declaration order.
RESULT_TABLES: tuple[str, ...] = tuple(
    cls.__tablename__
    for module in RESULT_MODULES
    for cls in (getattr(module, name) for name in module.__all__)
)
