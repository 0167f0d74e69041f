"""The OpenAPI 3.1 document of every route, built from the app and served at
``/api/openapi.json`` (``OpenApiResource``)."""
