"""The pytest plugin (``pytest11`` entry point ``lrs``): the ``lrs_server`` and ``lrs`` fixtures."""
