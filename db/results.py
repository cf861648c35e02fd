"""Gather the analysis result tables declared next to the code that fills them.

Each analysis package declares its result tables in modules named ``tables*.py``
(``landuse/tables_performance.py``, ``landuse/tables_idle.py``, ``zones/tables.py`` …)
on ``Base.metadata``; importing this module registers them all, so ``db init``
creates the whole schema.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__: list[str] = []

for _pkg in ("devzone.landuse", "devzone.zones"):
    _mod = importlib.import_module(_pkg)
    for _info in pkgutil.iter_modules(_mod.__path__):
        if _info.name.startswith("tables"):
            importlib.import_module(f"{_pkg}.{_info.name}")
