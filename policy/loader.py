"""Read the policy TOML files, validate them and build the typed :class:`Policy`.

The shipped files under ``data/policy/`` come first (sorted by name), then each file a
city passes (``--config city.toml``; a what-if weight set is one more), deep-merged in
that order: a city file only names the keys it changes. Every key is then checked
against :mod:`devzone.policy.sections`; an unknown key, a wrong type or a value out of
range is a :class:`~devzone.errors.ConfigError` naming the file that set it, the table
and the key, with the known keys listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import tomllib
from pydantic import BaseModel, ValidationError

from devzone.errors import ConfigError
from devzone.paths import POLICY_DIR
from devzone.policy.sections import Policy, Section

__all__ = ["deep_merge", "default_policy", "load_policy", "read_toml", "replace"]

S = TypeVar("S", bound=Section)
_Key = tuple[str, ...]


def read_toml(path: str | Path) -> dict[str, Any]:
    """One TOML file as a dict; a missing or malformed file is a ConfigError naming it.

    Examples
    --------
    >>> from devzone.paths import POLICY_DIR
    >>> "idle" in read_toml(POLICY_DIR / "idle.toml")
    True
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"Config file {path} does not exist.") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"Config file {path} is a folder, not a TOML file.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Config file {path} is not UTF-8 text.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file {path} is not valid TOML: {exc}.") from exc


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``override``; nested tables are merged, not replaced.

    Examples
    --------
    >>> deep_merge({"a": {"x": 1, "y": 2}}, {"a": {"y": 3}})
    {'a': {'x': 1, 'y': 3}}
    """
    out: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _leaves(table: Mapping[str, Any], prefix: _Key = ()) -> dict[_Key, None]:
    """Every key path of a nested table (tables and values alike)."""
    out: dict[_Key, None] = {}
    for key, value in table.items():
        path = (*prefix, str(key))
        out[path] = None
        if isinstance(value, Mapping):
            out.update(_leaves(value, path))
    return out


def _origin(loc: _Key, layers: Sequence[tuple[Path, dict[str, Any]]]) -> Path:
    """The last file that set the longest prefix of ``loc``."""
    for n in range(len(loc), 0, -1):
        for path, data in reversed(layers):
            if loc[:n] in _leaves(data):
                return path
    return layers[-1][0]


def _model_at(loc: _Key) -> type[BaseModel] | None:
    """The section class a key path points into (for listing the known keys)."""
    model: type[BaseModel] | None = Policy
    for part in loc[:-1]:
        if model is None:
            return None
        field = model.model_fields.get(part)
        ann = getattr(field, "annotation", None)
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return model


def _where(loc: _Key) -> str:
    table = ".".join(loc[:-1]) if len(loc) > 1 else loc[0]
    return f"table [{table}], key {loc[-1]!r}" if len(loc) > 1 else f"table [{table}]"


def _message(exc: ValidationError, layers: Sequence[tuple[Path, dict[str, Any]]]) -> str:
    """One paragraph for the first problem pydantic found (and how many more)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(str(p) for p in first["loc"])
    path = _origin(loc, layers)
    if first["type"] == "extra_forbidden":
        model = _model_at(loc)
        known = ", ".join(sorted(model.model_fields)) if model is not None else "?"
        what = f"unknown key (known keys: {known})"
    elif first["type"] == "missing":
        what = "missing; every shipped key must be present"
    else:
        what = f"{first['msg'].lower()} (got {first.get('input')!r})"
    more = f" ({len(errors) - 1} more problem(s) after this one)" if len(errors) > 1 else ""
    return f"Config file {path}, {_where(loc)}: {what}.{more}"


def _validate(layers: Sequence[tuple[Path, dict[str, Any]]]) -> Policy:
    merged: dict[str, Any] = {}
    for _path, data in layers:
        merged = deep_merge(merged, data)
    try:
        return Policy.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_message(exc, layers)) from None


def _shipped() -> list[tuple[Path, dict[str, Any]]]:
    return [(p, read_toml(p)) for p in sorted(POLICY_DIR.glob("*.toml"))]


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """The shipped policy (``data/policy/*.toml``), validated once per process."""
    return _validate(_shipped())


def load_policy(*configs: str | Path | None) -> Policy:
    """The shipped policy with each city file deep-merged over it, in order.

    Parameters
    ----------
    *configs
        TOML files whose tables override the shipped ones (``None`` entries are
        skipped): a city's ``--config``, then e.g. a what-if weight set.

    Raises
    ------
    ConfigError
        A file is missing or malformed, or sets an unknown key, a wrong type or a
        value out of range: the message names the file, the table and the key.

    Examples
    --------
    >>> load_policy().intensity.max_admin_share
    0.06
    """
    files = [Path(c) for c in configs if c is not None]
    if not files:
        return default_policy()
    return _validate([*_shipped(), *((p, read_toml(p)) for p in files)])


def replace(section: S, **changes: Any) -> S:
    """A copy of ``section`` with ``changes``, validated like a config file.

    Examples
    --------
    >>> replace(load_policy().idle, fee_rate=0.1).fee_rate
    0.1
    """
    try:
        return type(section).model_validate({**section.model_dump(), **changes})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        raise ConfigError(
            f"{type(section).__name__}.{'.'.join(map(str, err['loc']))}: {err['msg'].lower()}."
        ) from None
