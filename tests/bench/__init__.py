"""Benchmarks: ``make bench`` (``python -m tests.bench.run``).

Not tests: pytest never collects these modules (none is named ``test_*.py``). Each section loads a
real ``lrs serve`` (PostgreSQL in a throwaway cluster, or the in-memory store) over HTTP from
loopback clients, prints a report with the issue's targets and writes ``bench-results/*.json``.
"""
