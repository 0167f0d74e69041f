"""The served OpenAPI document: valid OpenAPI 3.1, every route and method of the app and nothing
else, security and limits taken from the code, and error bodies as the app really sends them."""

from __future__ import annotations

from typing import Any

import falcon
import jsonschema
import orjson
import pytest
from falcon import testing
from openapi_spec_validator import OpenAPIV31SpecValidator

from lrs.core.errors import StoreUnavailable
from lrs.core.settings import Settings
from lrs.http.app import create_app
from lrs.http.openapi.builder import SCOPES, UNDESCRIBED, build_document
from lrs.http.openapi.resource import PATH
from lrs.http.openapi.xapi import PARAMETERS
from lrs.http.resources import xapi_statements
from lrs.models.registry import MODELS
from lrs.store.memory import MemoryStore
from tests.openapi.support import Served, app_operations, document_operations, serve

XAPI = {"X-Experience-API-Version": "1.0.3"}


@pytest.fixture(scope="module")
def served() -> Served:
    """One app for the module's read-only tests."""
    return serve()


@pytest.fixture(scope="module")
def document(served: Served) -> dict[str, Any]:
    """The document as the app serves it, fetched without credentials."""
    response = testing.TestClient(served.app).simulate_get(PATH)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, METHOD, operation) of every documented operation."""
    return [
        (path, method.upper(), op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in ("get", "head", "post", "put", "patch", "delete")
    ]


def resolve(document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """An object, or the component a ``$ref`` names."""
    while "$ref" in item:
        node: Any = document
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        item = node
    return item


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    errors = [str(e.message) for e in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


def test_it_is_served_without_credentials_and_built_once(served: Served) -> None:
    client = testing.TestClient(served.app)
    first = client.simulate_get(PATH)
    second = client.simulate_get(PATH, headers={"Authorization": "Basic bm86bm8="})
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    resource = served.app._router.find(PATH)[0]
    assert resource.document() is resource.document()  # cached bytes, not rebuilt


def test_every_route_and_method_of_the_app_is_documented_and_nothing_else(
    served: Served, document: dict[str, Any]
) -> None:
    in_app = app_operations(served.app)
    in_document = document_operations(served.app, document)
    assert sorted(in_app - in_document) == [], "routes missing from the document"
    assert sorted(in_document - in_app) == [], "documented operations the app does not serve"


def test_the_document_follows_the_mounted_routes() -> None:
    """With metrics off there is no /metrics route, and no /metrics in the document."""
    settings = Settings(metrics=False, auth_cache_seconds=0)
    app = serve(settings).app
    document = build_document(app, settings)
    assert "/metrics" not in document["paths"]
    assert document_operations(app, document) == app_operations(app)


def test_the_comparison_catches_a_missing_route(served: Served, document: dict[str, Any]) -> None:
    """The anti-drift test above can fail: a document without one path is told apart."""
    trimmed = {**document, "paths": dict(document["paths"])}
    del trimmed["paths"]["/data/xAPI/agents"]
    missing = app_operations(served.app) - document_operations(served.app, trimmed)
    assert missing == {("/data/xAPI/agents", "GET"), ("/data/xAPI/agents", "HEAD")}


def test_every_operation_has_a_real_description(document: dict[str, Any]) -> None:
    """A route added without a description is documented only by a placeholder; describe it
    with an ``openapi`` attribute on its resource or in lrs/http/openapi/."""
    undescribed = [
        f"{method} {path}" for path, method, op in operations(document) if op.get(UNDESCRIBED)
    ]
    assert undescribed == []


def test_a_route_without_description_gets_a_placeholder(served: Served) -> None:
    class Gadget:
        auth_exempt = True

        def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
            """Answer with a gadget."""

    app = serve().app
    app.add_route("/gadget", Gadget())
    document = build_document(app, Settings())
    operation = document["paths"]["/gadget"]["get"]
    assert operation[UNDESCRIBED] is True
    assert operation["summary"] == "Answer with a gadget."
    assert ("/gadget", "GET") in document_operations(app, document)


def test_the_rest_api_has_every_model_with_its_verbs(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for spec in MODELS.values():
        assert f"/api/v2/{spec.name}" in paths
        assert f"/api/v2/{spec.name}/count" in paths
        assert f"/api/connection/{spec.name}" in paths
        item = paths[f"/api/v2/{spec.name}/{{id}}"]
        assert ("patch" in item) is spec.writable
        for verb in spec.verbs:
            assert "post" in paths[f"/api/v2/{spec.name}/{{id}}/{verb}"]
    assert set(paths["/api/v2/statement"]) == {"get"}


def test_rest_bodies_follow_the_registry(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    write = schemas["RestStoreWrite"]
    assert write["required"] == ["title"]
    assert "statementCount" not in write["properties"]  # read-only
    assert "password" in schemas["RestUserWrite"]["properties"]  # write-only
    assert "password" not in schemas["RestUser"]["properties"]
    assert "content" not in schemas["RestDownload"]["properties"]  # hidden


def test_security_and_scopes_come_from_the_resources(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path in ("/health", "/data/xAPI/about", PATH):
        assert paths[path]["get"]["security"] == []
    statements = paths["/data/xAPI/statements"]
    assert statements["get"]["security"] == [{"basicAuth": []}]
    assert "statements/read/mine" in statements["get"][SCOPES]
    assert "statements/write" not in statements["get"][SCOPES]
    assert statements["post"][SCOPES] == ["all", "xapi/all", "statements/write"]
    assert paths["/api/v2/client"]["get"][SCOPES] == ["all"]
    assert paths["/api/v2/statement/{id}"]["delete"][SCOPES] == ["statements/delete"]
    assert paths["/api/auth/client/info"]["get"][SCOPES] == []
    assert document["components"]["securitySchemes"]["basicAuth"] == {
        "type": "http",
        "scheme": "basic",
        "description": "A client's key (user) and secret (password).",
    }


def test_authenticated_operations_document_401_and_403(document: dict[str, Any]) -> None:
    for path, method, op in operations(document):
        if op["security"]:
            assert {"401", "403"} <= op["responses"].keys(), f"{method} {path}"


def test_limits_come_from_the_settings() -> None:
    settings = Settings(rest_max_limit=50, connection_max_page=70, xapi_max_limit=30)
    document = build_document(serve(settings).app, settings)

    def schema_of(path: str, name: str) -> dict[str, Any]:
        params = document["paths"][path]["get"]["parameters"]
        return next(p for p in params if p["name"] == name)

    assert schema_of("/api/v2/user", "limit")["schema"]["maximum"] == 50
    assert schema_of("/api/connection/statement", "first")["schema"]["maximum"] == 70
    assert "30" in schema_of("/data/xAPI/statements", "limit")["description"]


def test_statement_parameters_are_the_ones_the_resource_accepts(document: dict[str, Any]) -> None:
    get = document["paths"]["/data/xAPI/statements"]["get"]
    query = {p["name"] for p in get["parameters"] if p["in"] == "query"}
    assert query == set(xapi_statements._GET_PARAMS)
    assert query <= PARAMETERS.keys()
    version = next(p for p in get["parameters"] if p["name"] == "X-Experience-API-Version")
    assert version["in"] == "header" and version["required"] is True


def test_document_routes_declare_if_match_headers(document: dict[str, Any]) -> None:
    for path in ("/data/xAPI/activities/state", "/data/xAPI/agents/profile"):
        for method in ("put", "post", "delete"):
            names = {p["name"] for p in document["paths"][path][method]["parameters"]}
            assert {"If-Match", "If-None-Match"} <= names


_STATEMENTS = "/data/xAPI/statements"
# method, documented path, URL, headers, body, status
_ERROR_CASES = [
    ("GET", _STATEMENTS, _STATEMENTS, {}, None, 400),
    ("GET", _STATEMENTS, f"{_STATEMENTS}?limit=x", XAPI, None, 400),
    ("GET", "/api/v2/client/{id}", "/api/v2/client/0123456789abcdef01234567", {}, None, 404),
    ("POST", "/api/v2/store", "/api/v2/store", {"Content-Type": "application/json"}, b"{}", 400),
    ("GET", _STATEMENTS, _STATEMENTS, {**XAPI, "Authorization": "Basic eDp5"}, None, 401),
]


@pytest.mark.parametrize(("method", "path", "url", "headers", "body", "status"), _ERROR_CASES)
def test_error_bodies_match_the_error_schema(
    served: Served,
    document: dict[str, Any],
    method: str,
    path: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    status: int,
) -> None:
    response = testing.TestClient(served.app).simulate_request(
        method, url, headers={**served.auth, **headers}, body=body
    )
    assert response.status_code == status, response.text
    schema = {**document["components"]["schemas"]["Error"], "components": document["components"]}
    jsonschema.validate(orjson.loads(response.content), schema)
    documented = document["paths"][path][method.lower()]["responses"][str(status)]
    assert resolve(document, documented)["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


class _DownStore(MemoryStore):
    """A store that has stopped answering."""

    def ping(self) -> None:
        raise StoreUnavailable("the database does not answer")


def test_an_unavailable_store_answers_the_documented_503(document: dict[str, Any]) -> None:
    response = testing.TestClient(create_app(Settings(), _DownStore())).simulate_get("/health")
    assert response.status_code == 503
    documented = resolve(document, document["paths"]["/health"]["get"]["responses"]["503"])
    assert set(documented["headers"]) == {"Retry-After"}
    assert response.headers["Retry-After"]
    schema = {**document["components"]["schemas"]["Error"], "components": document["components"]}
    jsonschema.validate(response.json, schema)
