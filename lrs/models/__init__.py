"""REST API v2 models: the declared fields of each model (``registry``), body validation
(``validate``), per-model rules (``rules``), the use cases (``service``), verb endpoints
(``verbs``), query parameters (``query_params``) and CSV exports (``csv_export``)."""
