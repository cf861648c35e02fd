"""The console command: help everywhere, one-paragraph errors, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DEVZONE = str(Path(sys.executable).with_name("devzone"))


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DEVZONE, *args], capture_output=True, text=True, env=env)


def subcommands() -> list[list[str]]:
    from typer.main import get_command

    from devzone.cli.main import app

    root = get_command(app)
    out: list[list[str]] = []

    def walk(cmd, path):
        out.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(root, [])
    return out


@pytest.mark.parametrize("path", subcommands(), ids=lambda p: " ".join(p) or "devzone")
def test_every_command_has_help(path: list[str]) -> None:
    res = run(*path, "--help")
    assert res.returncode == 0, res.stderr
    assert "Usage" in res.stdout
    # A real description, not just the usage line.
    assert len(res.stdout.strip().splitlines()) > 4


def test_bad_url_is_one_paragraph_without_traceback(tmp_path) -> None:
    res = run("db", "info", "--db", "postgresql://u:Secr3tPw@127.0.0.1:1/x")
    assert res.returncode != 0
    assert "Traceback" not in res.stderr + res.stdout
    assert "Cannot connect to PostgreSQL" in res.stderr
    assert "u:***@127.0.0.1:1/x" in res.stderr  # the URL is named, its password hidden
    assert "Secr3tPw" not in res.stderr + res.stdout  # in no form (URL, conninfo, ...)


def test_missing_spatialite_says_what_to_install(tmp_path) -> None:
    import os

    env = dict(os.environ, SPATIALITE_LIBRARY_PATH=str(tmp_path / "no_such_mod_spatialite"))
    res = run("db", "init", "--db", str(tmp_path / "a.gpkg"), env=env)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    assert "libsqlite3-mod-spatialite" in res.stderr
