"""TEMPORARY (restructure): the untyped policy dict; use :mod:`devzone.policy` and
:mod:`devzone.paths`.

Policy configuration: every number with a policy source lives in ``data/policy/*.toml``.

Each TOML file under ``data/policy/`` holds one top-level table per topic
(``[performance]``, ``[idle]``, ``[intensity]``, ``[zones]``, ``[corridor]`` …) with the
source of each number beside it. A city points ``--config`` at its own TOML file; its
tables are deep-merged over the defaults, so it only needs the keys it changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomllib

from devzone.errors import ConfigError

__all__ = ["DATA_DIR", "POLICY_DIR", "data_path", "deep_merge", "load_policy"]

DATA_DIR = Path(__file__).resolve().parent / "data"
POLICY_DIR = DATA_DIR / "policy"


def data_path(*parts: str) -> Path:
    """Path of a file shipped in ``data/``."""
    return DATA_DIR.joinpath(*parts)


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated by ``override``; nested tables are merged, not replaced."""
    out: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"Config file {path} does not exist.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}.") from exc


def load_policy(config: str | Path | None = None) -> dict[str, Any]:
    """Load the default policy tables, then deep-merge a city's own file over them.

    Parameters
    ----------
    config
        Optional path to a TOML file whose tables override the defaults.

    Returns
    -------
    dict
        One key per topic (``performance``, ``idle``, ``intensity``, ``zones``,
        ``corridor``, ...).

    Examples
    --------
    >>> policy = load_policy()
    >>> "performance" in policy
    True
    """
    merged: dict[str, Any] = {}
    for path in sorted(POLICY_DIR.glob("*.toml")):
        merged = deep_merge(merged, _read_toml(path))
    if config is not None:
        merged = deep_merge(merged, _read_toml(Path(config)))
    return merged
