"""Benchmarks for xiaozhen (not part of the test suite). Run all with ``make bench``."""
