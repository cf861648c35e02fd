"""Every docstring example of the package runs, as a test (numpydoc ``Examples``)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

from tests.test_code_shape import REPO, package_files


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["devzone", *parts])


MODULES = [_module_name(p) for p in package_files()]


def test_examples_are_collected() -> None:
    assert "devzone.policy.loader" in MODULES
    assert "devzone.units" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
