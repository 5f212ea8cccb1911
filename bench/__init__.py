"""Benchmarks (not timed tests): `make bench` runs them and rewrites docs/benchmarks.md."""
