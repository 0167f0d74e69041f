"""Embedding lrs in users' own integration tests (``running_lrs``, pytest plugin)."""
