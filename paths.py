"""Where devzone's shipped files are: ``data/`` and its policy tables.

Examples
--------
>>> data_path("policy", "idle.toml").name
'idle.toml'
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA_DIR", "POLICY_DIR", "SAMPLE_DIR", "data_path"]

DATA_DIR = Path(__file__).resolve().parent / "data"
POLICY_DIR = DATA_DIR / "policy"
SAMPLE_DIR = DATA_DIR / "sample"


def data_path(*parts: str) -> Path:
    """Path of a file shipped in ``data/``."""
    return DATA_DIR.joinpath(*parts)
