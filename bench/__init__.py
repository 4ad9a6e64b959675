"""Benchmark scripts (not tests): each prints one summary line and exits non-zero when it misses its target."""
