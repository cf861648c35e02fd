"""Gather the analysis result tables declared next to the code that fills them.

Each analysis package declares its result tables in its own ``tables.py`` on
``Base.metadata``; importing this module registers them all, so ``db init`` creates
the whole schema.
"""

from __future__ import annotations

import importlib

__all__: list[str] = []

RESULT_TABLE_MODULES = ("devzone.landuse.tables", "devzone.zones.tables")

for _name in RESULT_TABLE_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a package that declares no result table yet
        if exc.name != _name:
            raise
