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

from typing import Any

import numpy as np

__all__ = [
    "M2_PER_HA",
    "M2_PER_KM2",
    "M2_PER_MU",
    "MU_PER_HA",
    "SRID",
    "YUAN_PER_WAN",
    "at_least",
    "mu_at_least",
]

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


def at_least(value: Any, threshold: float, *, rel_tol: float) -> np.ndarray:
    """True where ``value`` reaches ``threshold`` at the relative tolerance ``rel_tol``.

    ``value >= threshold × (1 - rel_tol)``: a measured figure below the threshold by
    less than the measurement noise (areas measured from polygons after the EPSG:4490
    round trip carry ~1e-11 relative noise) counts as reaching it; NaN never does.

    Examples
    --------
    >>> at_least([0.0499999999, 0.0499, float("nan")], 0.05, rel_tol=1e-8).tolist()
    [True, False, False]
    """
    v = np.asarray(value, dtype=float)
    with np.errstate(invalid="ignore"):
        return v >= threshold * (1.0 - rel_tol)


def mu_at_least(area_m2: Any, mu: float, *, decimals: int = 2) -> np.ndarray:
    """True where an area in m² is at least ``mu`` 亩 as the certificate states it:
    converted to 亩 and rounded to ``decimals`` places first (3333.33 m² is 5.00 亩).

    Examples
    --------
    >>> mu_at_least([3333.33, 3326.67, float("nan")], 5.0).tolist()  # 5.00 and 4.99 亩
    [True, False, False]
    """
    a = np.asarray(area_m2, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.round(a / M2_PER_MU, decimals) >= mu
