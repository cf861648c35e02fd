"""Run the benchmarks: ``python -m benchmarks [--sizes ...] [--only ...] [--json ...]``.

Every ``benchmarks/bench_<area>.py`` (protocol in :mod:`benchmarks.common`) runs once
per size in its own subprocess; the rows are printed as a table (time, peak memory,
ratio to baseline, growth between the two largest sizes) and written to JSON
(default ``benchmarks/results/latest.json``) with the date and machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_SIZES = [10_000, 100_000, 1_000_000]
DEFAULT_JSON = HERE / "results" / "latest.json"


def discover() -> list[str]:
    """Area names of every ``bench_<area>.py`` next to this file, sorted."""
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def _parse_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if not part:
            continue
        mult = 1
        if part.endswith("k"):
            mult, part = 1_000, part[:-1]
        elif part.endswith("m"):
            mult, part = 1_000_000, part[:-1]
        sizes.append(int(float(part) * mult))
    if not sizes:
        raise argparse.ArgumentTypeError("no sizes given")
    return sizes


def _child(area: str, n: int, out_json: Path) -> int:
    """Run one (area, n) in this process and write its rows to ``out_json``."""
    sys.path.insert(0, str(REPO))
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{area}-{n}-"))
    try:
        module = importlib.import_module(f"benchmarks.bench_{area}")
        rows = module.bench(n, workdir)
        status = 0
    except Exception as exc:  # a broken benchmark is a result, not a crash of the run
        rows = [
            {
                "step": f"{area}:error",
                "n": n,
                "seconds": None,
                "peak_mb": None,
                "baseline": None,
                "baseline_seconds": None,
                "ratio": None,
                "target": "",
                "ok": False,
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()[-4000:],
            }
        ]
        status = 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for r in rows:
        r.setdefault("area", area)
        r["process_peak_mb"] = round(peak, 1)
    out_json.write_text(json.dumps(rows, default=str))
    return status


def _run_one(area: str, n: int, timeout: float) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-rows-") as tmp:
        out = Path(tmp) / "rows.json"
        cmd = [sys.executable, "-m", "benchmarks", "--child", area, str(n), str(out)]
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, cwd=REPO, timeout=timeout, capture_output=True, text=True, check=False
            )
            err = proc.stderr[-2000:] if proc.returncode else ""
        except subprocess.TimeoutExpired:
            err = f"timed out after {timeout:.0f} s"
        if out.exists():
            return json.loads(out.read_text())
        return [
            {
                "area": area,
                "step": f"{area}:error",
                "n": n,
                "seconds": round(time.perf_counter() - start, 2),
                "ok": False,
                "error": err or "no result",
            }
        ]


def _machine() -> dict[str, Any]:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "commit": commit,
    }


def growth(rows: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """Time ratio between the two largest sizes of each (area, step)."""
    by: dict[tuple[str, str], dict[int, float]] = {}
    for r in rows:
        if r.get("seconds") is not None:
            by.setdefault((r.get("area", ""), r["step"]), {})[r["n"]] = r["seconds"]
    out = {}
    for key, times in by.items():
        if len(times) >= 2:
            big, small = sorted(times)[-1], sorted(times)[-2]
            if times[small] > 0:
                out[key] = times[big] / times[small]
    return out


def _fmt(value: Any, spec: str = ".2f") -> str:
    return "" if value is None else format(value, spec)


def _step_cell(r: dict[str, Any]) -> str:
    cell = r["step"]
    if r.get("error"):
        cell += f" [red]{escape(str(r['error'])[:80])}[/]"
    elif r.get("seconds") is None and r.get("note"):
        cell += f" [yellow]{escape(str(r['note'])[:80])}[/]"
    return cell


def print_table(rows: list[dict[str, Any]], sizes: list[int], console: Console) -> None:
    """The rich results table, with the growth ratio of the two largest sizes."""
    ratios = growth(rows)
    label = ""
    if len(sizes) >= 2:
        s = sorted(sizes)
        label = f"{s[-1] // 1000}k/{s[-2] // 1000}k (×{s[-1] / s[-2]:.0f} rows)"
    table = Table(title="devzone benchmarks", show_lines=False)
    for col in ("area", "step", "n", "seconds", "peak MB", "baseline", "ratio", "target", "ok"):
        table.add_column(col, justify="right" if col in ("n", "seconds", "peak MB") else "left")
    table.add_column(f"growth {label}", justify="right")
    for r in rows:
        ok = r.get("ok")
        mark = "" if ok is None else ("[green]yes[/]" if ok else "[red]NO[/]")
        g = ratios.get((r.get("area", ""), r["step"])) if r["n"] == max(sizes) else None
        base = r.get("baseline") or ""
        if r.get("baseline_seconds") is not None:
            base = f"{base} {r['baseline_seconds']:.2f}s"
        table.add_row(
            r.get("area", ""),
            _step_cell(r),
            f"{r['n']:,}",
            _fmt(r.get("seconds")),
            _fmt(r.get("peak_mb"), ".0f"),
            base,
            _fmt(r.get("ratio")),
            r.get("target") or "",
            mark,
            _fmt(g),
        )
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--sizes",
        type=_parse_sizes,
        default=DEFAULT_SIZES,
        help="parcel counts, e.g. 10000,100000,1000000 or 10k,100k,1m",
    )
    parser.add_argument("--only", default="", help="areas to run, e.g. etl,score,spatial")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="results file")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per (area, n)")
    parser.add_argument("--list", action="store_true", help="list the areas and exit")
    parser.add_argument("--child", nargs=3, metavar=("AREA", "N", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        area, n, out = args.child
        return _child(area, int(n), Path(out))
    areas = discover()
    if args.list:
        print("\n".join(areas))
        return 0
    if args.only:
        wanted = [a.strip() for a in args.only.split(",") if a.strip()]
        unknown = sorted(set(wanted) - set(areas))
        if unknown:
            parser.error(f"unknown areas {unknown}; available: {', '.join(areas)}")
        areas = [a for a in areas if a in wanted]
    console = Console() if sys.stdout.isatty() else Console(width=200)
    rows: list[dict[str, Any]] = []
    for n in sorted(args.sizes):
        for area in areas:
            console.print(f"[dim]running {area} at n={n:,} …[/]")
            rows.extend(_run_one(area, n, args.timeout))
    print_table(rows, args.sizes, console)
    result = {
        "machine": _machine(),
        "sizes": sorted(args.sizes),
        "areas": areas,
        "growth": {f"{a}/{s}": round(v, 3) for (a, s), v in growth(rows).items()},
        "rows": rows,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    console.print(f"results written to {args.json}")
    failed = [r for r in rows if r.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
