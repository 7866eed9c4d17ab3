"""Benchmarks (`make bench`): not tests. See docs/performance.md."""
