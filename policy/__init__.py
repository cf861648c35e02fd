"""The policy: typed sections (:mod:`.sections`) built from ``data/policy/*.toml``.

>>> from devzone.policy import load_policy
>>> policy = load_policy()          # shipped files; load_policy("city.toml") for a city
>>> policy.idle.recover_after_years
2
"""

from devzone.policy.loader import deep_merge, default_policy, load_policy, read_toml, replace
from devzone.policy.sections import (
    CorridorPolicy,
    ExitPolicy,
    IdlePolicy,
    IntensityPolicy,
    MapsPolicy,
    PerformancePolicy,
    Policy,
    ZonesPolicy,
)

__all__ = [
    "CorridorPolicy",
    "ExitPolicy",
    "IdlePolicy",
    "IntensityPolicy",
    "MapsPolicy",
    "PerformancePolicy",
    "Policy",
    "ZonesPolicy",
    "deep_merge",
    "default_policy",
    "load_policy",
    "read_toml",
    "replace",
]
