"""Learning Locker's aggregation API: pipelines parsed once into a typed form (``ast``,
``parse``), run by a Python evaluator (``evaluate``, ``expressions``, ``values``, ``dates``)."""
