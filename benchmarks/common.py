"""Shared helpers and the protocol every ``benchmarks/bench_<area>.py`` follows.

Protocol
--------
Each module ``benchmarks/bench_<area>.py`` defines::

    def bench(n: int, workdir: Path) -> list[dict]:
        ...

``n`` is the number of parcels (10_000, 100_000, 1_000_000 by default); ``workdir`` is
an empty scratch directory owned by that call (deleted afterwards). It returns one row
per measured step, built with :func:`row` (or a dict with exactly these keys):

``step`` (str)
    short step name, e.g. ``"score"``, ``"etl_postgis"``, ``"map_first_draw"``;
``n`` (int)
    parcels;
``seconds`` (float), ``peak_mb`` (float)
    wall time and peak resident memory of the step (use :func:`measure`);
``baseline`` (str or None), ``baseline_seconds`` (float or None), ``ratio`` (float or None)
    what the step is compared with (e.g. ``"ogr2ogr"``) and seconds / baseline_seconds;
``target`` (str), ``ok`` (bool or None)
    the acceptance target in words (``"< 10 s at 1M"``, ``"<= 1.5x ogr2ogr"``) and
    whether this row meets it (None when the target does not apply at this ``n``).

Rows may carry extra keys (``note``, ``engine``); the runner keeps them in the JSON.

The runner (``python -m benchmarks``) imports each module in a **fresh subprocess per
(module, n)**, so memory is not shared between sizes and the child's ``ru_maxrss`` is
recorded as ``process_peak_mb`` next to each row's own ``peak_mb``. Do the expensive
shared preparation (sample generation, loading) through the cached helpers below
*outside* :func:`measure`, so it is not counted in a step and happens once per size.

Helpers
-------
:func:`sample_dir` (``devzone sample --parcels n --seed 2019`` once, cached),
:func:`loaded_gpkg` / :func:`loaded_postgis` (the sample loaded once, cached),
:func:`prepared` (any of those, run in a separate process so that building the
cache does not count in this process's peak memory), :func:`measure`, :func:`row`,
:func:`ogr2ogr`. The cache lives in
``$DEVZONE_BENCH_CACHE`` or ``benchmarks/.cache``; PostGIS databases are named
``devzone_bench_<n>`` on ``$DEVZONE_BENCH_PG`` (default
``postgresql://postgres@127.0.0.1:5432``).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pyogrio  # noqa: F401  GDAL must load before the first spatialite connection

__all__ = [
    "CACHE_DIR",
    "REPO",
    "cache_dir",
    "loaded_gpkg",
    "loaded_postgis",
    "measure",
    "ogr2ogr",
    "pg_database",
    "pg_server_url",
    "prepared",
    "row",
    "sample_dir",
]

T = TypeVar("T")
REPO = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO / "benchmarks" / ".cache"
SEED = 2019
ROW_KEYS = (
    "step",
    "n",
    "seconds",
    "peak_mb",
    "baseline",
    "baseline_seconds",
    "ratio",
    "target",
    "ok",
)


def cache_dir() -> Path:
    """The benchmark cache directory (``$DEVZONE_BENCH_CACHE`` or benchmarks/.cache)."""
    path = Path(os.environ.get("DEVZONE_BENCH_CACHE") or CACHE_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def code_fingerprint(*parts: str) -> str:
    """A digest of the source files that decide a cached artifact's content.

    ``parts`` are paths relative to the repository (folders or files). A cache built by
    other code (an older generator or ETL) is rebuilt rather than silently reused.
    """
    import hashlib

    digest = hashlib.sha256()
    for part in parts:
        target = REPO / part
        files = (
            sorted(p for p in target.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if target.is_dir()
            else [target]
        )
        for path in files:
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


#: What decides the content of a generated sample, and of a loaded database.
SAMPLE_CODE = ("sample", "data/reference", "units.py")
LOADED_CODE = (*SAMPLE_CODE, "etl", "db", "crs.py", "codes.py", "settings.py")


def _loaded_fingerprint() -> str:
    return code_fingerprint(*LOADED_CODE)


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """An exclusive file lock in the cache (two runners never build the same thing)."""
    with open(cache_dir() / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def sample_dir(n: int, *, seed: int = SEED) -> Path:
    """Directory of the synthetic sample with ``n`` parcels, generated once and cached.

    Equivalent to ``devzone sample --parcels n --seed 2019 --out <cache>/sample-n``.
    """
    out = cache_dir() / f"sample-{n}-{seed}"
    stamp = code_fingerprint(*SAMPLE_CODE)
    with _locked(out.name):
        done = out / ".complete"
        if done.exists() and done.read_text().split()[-1] == stamp:
            return out
        from devzone.sample.generate import generate_sample

        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        generate_sample(tmp, parcels=n, seed=seed)
        (tmp / ".complete").write_text(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {stamp}")
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    return out


def _sample_paths(n: int) -> list[Path]:
    folder = sample_dir(n)
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _load(engine: Any, n: int) -> None:
    from devzone.db.admin import init_db
    from devzone.etl.load import load_paths

    init_db(engine)
    load_paths(engine, _sample_paths(n), kind="auto", rejects=None)


def loaded_gpkg(n: int, *, copy_to: Path | None = None) -> Path:
    """GeoPackage with the ``n``-parcel sample loaded (cached; optionally copied).

    Pass ``copy_to=workdir`` when the benchmark writes results into the database, so
    the cached copy stays pristine.
    """
    from devzone.db.engine import make_engine

    path = cache_dir() / f"loaded-{n}.gpkg"
    stamp = _loaded_fingerprint()
    with _locked(path.name):
        done = path.with_suffix(".complete")
        if not done.exists() or done.read_text() != stamp:
            path.unlink(missing_ok=True)
            engine = make_engine(str(path), create=True)
            try:
                _load(engine, n)
            finally:
                engine.dispose()
            done.write_text(stamp)
    if copy_to is None:
        return path
    target = Path(copy_to) / path.name
    shutil.copyfile(path, target)
    return target


def pg_server_url() -> str:
    """PostgreSQL server URL for benchmark databases (no database name)."""
    return os.environ.get("DEVZONE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432").rstrip("/")


def _admin_engine() -> Any:
    from sqlalchemy import create_engine

    url = f"{pg_server_url()}/postgres".replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(url, isolation_level="AUTOCOMMIT")


def pg_database(name: str, *, fresh: bool = False) -> str:
    """URL of database ``name`` on the benchmark server, created with PostGIS if missing.

    ``fresh=True`` drops and recreates it.
    """
    from sqlalchemy import create_engine, text

    url = f"{pg_server_url()}/{name}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if exists and fresh:
                conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            if fresh or not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with eng.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    finally:
        eng.dispose()
    return url


def loaded_postgis(n: int) -> str:
    """URL of database ``devzone_bench_<n>`` with the sample loaded (created once).

    The database is dropped and rebuilt when an earlier load did not finish or was
    made by other sample/ETL code (:func:`code_fingerprint`).
    """
    from sqlalchemy import text

    from devzone.db.engine import make_engine

    name = f"devzone_bench_{n}"
    stamp = _loaded_fingerprint()
    with _locked(name):
        url = pg_database(name)
        db = make_engine(url)
        try:
            with db.connect() as conn:
                done = conn.execute(text("SELECT to_regclass('public._bench_complete')")).scalar()
                if done:
                    done = conn.execute(
                        text("SELECT count(*) FROM _bench_complete WHERE fingerprint = :f"),
                        {"f": stamp},
                    ).scalar()
        except Exception:  # an older cache without the fingerprint column
            done = False
        finally:
            db.dispose()
        if done:
            return url
        url = pg_database(name, fresh=True)
        db = make_engine(url)
        try:
            _load(db, n)
            with db.begin() as conn:
                conn.execute(
                    text(
                        "CREATE TABLE _bench_complete "
                        "(at timestamptz DEFAULT now(), fingerprint text)"
                    )
                )
                conn.execute(
                    text("INSERT INTO _bench_complete (fingerprint) VALUES (:f)"), {"f": stamp}
                )
        finally:
            db.dispose()
    return url


def prepared(helper: str, n: int) -> str:
    """Run a cached helper (``"loaded_postgis"``, ``"loaded_gpkg"``, ``"sample_dir"``) in
    a separate process and return its result as text (a URL or a path).

    Use it so that building the cache (generating, loading 1M parcels) does not
    count in the benchmark process's own peak memory.
    """
    if helper not in {"loaded_postgis", "loaded_gpkg", "sample_dir"}:
        raise ValueError(f"unknown cached helper {helper!r}")
    code = f"import sys, benchmarks.common as c; print('RESULT=' + str(c.{helper}({int(n)})))"
    proc = run_command([sys.executable, "-c", code], cwd=REPO)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT=")]
    if not lines:
        raise RuntimeError(f"{helper}({n}) printed no result: {proc.stdout[-500:]}")
    return lines[-1].removeprefix("RESULT=")


def ogr2ogr() -> str | None:
    """Path of the ``ogr2ogr`` executable (GDAL), or None when it is not installed."""
    return shutil.which("ogr2ogr")


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _children_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measure(fn: Callable[[], T], *, interval: float = 0.01) -> tuple[T, float, float]:
    """Run ``fn()`` and return ``(result, seconds, peak_mb)``.

    ``peak_mb`` is the highest resident memory of this process sampled every
    ``interval`` s while ``fn`` runs, or of a child process it waited for (e.g.
    ``ogr2ogr``) when that was higher. Memory held by a separate server (PostgreSQL,
    a dask cluster started elsewhere) is not counted.
    """
    gc.collect()
    peak = _rss_mb()
    children_before = _children_maxrss_mb()
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(interval):
            peak = max(peak, _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        result = fn()
    finally:
        seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
    peak = max(peak, _rss_mb())
    children_after = _children_maxrss_mb()
    if children_after > children_before:
        peak = max(peak, children_after)
    return result, seconds, peak


def run_command(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run an external command (baselines), raising with its stderr on failure."""
    proc = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc


def row(
    step: str,
    n: int,
    seconds: float | None,
    peak_mb: float | None,
    *,
    baseline: str | None = None,
    baseline_seconds: float | None = None,
    target: str = "",
    ok: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One result row of the protocol (``ratio`` = seconds / baseline_seconds).

    ``seconds``/``peak_mb`` are None for a step that could not run (say why in
    ``note=``).
    """
    ratio = seconds / baseline_seconds if baseline_seconds and seconds is not None else None
    out: dict[str, Any] = {
        "step": step,
        "n": int(n),
        "seconds": None if seconds is None else round(float(seconds), 4),
        "peak_mb": None if peak_mb is None else round(float(peak_mb), 1),
        "baseline": baseline,
        "baseline_seconds": None if baseline_seconds is None else round(baseline_seconds, 4),
        "ratio": None if ratio is None else round(ratio, 3),
        "target": target,
        "ok": ok,
    }
    out.update(extra)
    return out
