"""Benchmarks: performance targets live here, not in timed tests. See ``python -m benchmarks``."""
