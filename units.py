"""Units and the storage CRS: defined once, used everywhere.

Column suffixes say the unit (``*_m2``, ``*_ha``, ``*_mu``, ``*_wan`` …); these are the
factors between them. 1 亩 = 10000/15 m² (the legal definition, not 666.67).

Examples
--------
>>> round(3333.33 / M2_PER_MU, 2)
5.0
>>> M2_PER_HA / M2_PER_MU
15.0
"""

from __future__ import annotations

__all__ = ["M2_PER_HA", "M2_PER_KM2", "M2_PER_MU", "MU_PER_HA", "SRID", "YUAN_PER_WAN"]

#: Storage CRS of every geometry: CGCS2000 geographic (EPSG:4490).
SRID = 4490

#: Square metres in one 亩 (mu).
M2_PER_MU = 10000.0 / 15.0

#: Square metres in one 公顷 (hectare).
M2_PER_HA = 10000.0

#: 亩 in one 公顷.
MU_PER_HA = 15.0

#: Square metres in one square kilometre.
M2_PER_KM2 = 1_000_000.0

#: Yuan in one 万元.
YUAN_PER_WAN = 10_000.0
