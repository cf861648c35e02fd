"""The adversarial corpus (tests/adversarial/corpus.py) on GeoPackage and PostGIS: every
malformed input is either accounted for record by record or refused in one paragraph
naming the file — 0 rows lost, 0 tracebacks; a refused load changes nothing; every CSV
written along the way holds no cell a spreadsheet would evaluate."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from sqlalchemy import inspect, text
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import build

from devzone.errors import DevzoneError
from devzone.etl.csvsafe import FORMULA_STARTS
from devzone.etl.load import load_paths


def _row_counts(engine) -> dict[str, int]:
    names = [
        n
        for n in inspect(engine).get_table_names()
        if not n.startswith(("gpkg", "rtree", "spatial", "sqlite"))
    ]
    with engine.connect() as conn:
        return {n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar() for n in names}


def _evaluated_cells(path: Path) -> list[str]:
    """Cells of a CSV that Excel would evaluate (read as Excel reads a CSV)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [c for row in csv.reader(fh) for c in row if c.startswith(FORMULA_STARTS)]


def _outcome(engine, case, tmp: Path) -> str | None:
    """None when the case behaved, else what went wrong."""
    before = _row_counts(engine)
    rejects = tmp / f"{case.name}_rejects.csv"
    try:
        s = load_paths(engine, case.paths, rejects=rejects, **case.kwargs)
    except DevzoneError as exc:
        msg = str(exc)
        if case.expect == "account":
            return f"refused, expected accounted: {msg}"
        if "\n" in msg or not any(p.name in msg for p in case.paths):
            return f"message not one paragraph naming the file: {msg!r}"
        if _row_counts(engine) != before:
            return "refused but the database changed"
        return None
    except Exception as exc:
        return f"traceback: {type(exc).__name__}: {exc}"
    if case.expect == "refuse":
        return f"loaded, expected refused: {s.to_dict()}"
    if s.read != case.count:
        files = [f.to_dict() for f in s.files]
        return f"read {s.read}, file holds {case.count} ({files}, skipped {s.skipped})"
    if s.read != s.inserted + s.updated + s.unchanged + s.rejected:
        return f"read != sum: {s.to_dict()}"
    for written in tmp.glob(f"{case.name}_rejects*.csv"):
        if bad := _evaluated_cells(written):
            return f"{written.name}: cells a spreadsheet evaluates: {bad[:3]}"
    if case.check is not None:
        case.check(s, engine)
    return None


def test_corpus_has_at_least_80_inputs(tmp_path):
    assert len(build(tmp_path)) >= 80


def test_every_input_accounted_for_or_refused(engine, tmp_path):
    cases = build(tmp_path / "corpus")
    problems = {}
    for case in cases:
        why = _outcome(engine, case, tmp_path)
        if why:
            problems[case.name] = why
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())


CLI_SUBSET = (
    "raw_stray_quote_merges",
    "x_two_sheets",
    "v_truncated_dbf",
    "csv_hostile_1",
    "x_merged_header",
)


def test_cli_subset_one_paragraph_no_traceback(db_url, tmp_path):
    from devzone.cli.main import app

    cases = {c.name: c for c in build(tmp_path / "corpus")}
    for name in CLI_SUBSET:
        case = cases[name]
        r = CliRunner().invoke(
            app,
            [
                "etl",
                "load",
                *map(str, case.paths),
                "--db",
                db_url,
                "--rejects",
                str(tmp_path / "r.csv"),
                "-q",
            ],
        )
        assert r.exception is None or isinstance(r.exception, SystemExit), (name, r.exception)
        assert "Traceback" not in r.output, (name, r.output)
        if case.expect == "refuse":
            assert r.exit_code != 0, (name, r.output)
            err = r.output  # stdout and stderr together (every click version)
            assert case.paths[0].name in err.replace("\n", ""), (name, err)
        else:
            assert r.exit_code == 0, (name, r.output)
