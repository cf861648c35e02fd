"""Benchmark of the sample generator (issue 4): ``devzone sample`` at 1,000,000 parcels
"in a few minutes within a few GB of memory" — target < 600 s and < 4 GB peak.

Protocol of :mod:`benchmarks.common`; the timed call is
:func:`devzone.sample.generate.generate_sample` into the scratch ``workdir`` (not the
cache: the cached sample of :func:`benchmarks.common.sample_dir` is built separately).
Run one size with ``python -m benchmarks --only sample --sizes 1000000``.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.common import measure, row

TARGET_S = 600.0
TARGET_MB = 4096.0


def bench(n: int, workdir: Path) -> list[dict]:
    """Time ``generate_sample(workdir, parcels=n, seed=2019)``; report size on disk."""
    from devzone.sample.generate import generate_sample

    out = Path(workdir) / "sample"
    result, seconds, peak = measure(lambda: generate_sample(out, parcels=n, seed=2019))
    size_mb = sum(p.stat().st_size for p in out.iterdir()) / 2**20
    at_target = n >= 1_000_000
    return [
        row(
            "generate",
            n,
            seconds,
            peak,
            target="< 600 s and < 4 GB at 1M",
            ok=(seconds < TARGET_S and peak < TARGET_MB) if at_target else None,
            note=f"{size_mb:.0f} MB written; {result['headline']}",
        )
    ]
