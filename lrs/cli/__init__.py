"""The ``lrs`` command tree."""
