"""The isolation matrix: for each route and method of the app, the requests an attacker sends
at a victim tenant's data.

``ISOLATION[(template, method)]`` makes the cases for one attacker and victim. A case marked
``control`` is compared with the same request naming fresh identifiers that exist nowhere: the
answers must be the same (status and body, identifiers aside), so not even existence leaks.
Writes without a control are still checked: the victim's data must not change and no response
may hold anything of the victim's that the request did not send.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from lrs.models.registry import MODELS
from tests.isolation.world import API, XAPI, Party, document_params, statement

READ_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class Case:
    """One request of the attacker."""

    method: str
    path: str
    params: dict[str, str] | None = None
    body: Any = None
    xapi: bool = False
    control: bool = False
    headers: dict[str, str] | None = None
    #: A POST that only reads (an aggregation pipeline sent in a body).
    reads_only: bool = False

    @property
    def is_read(self) -> bool:
        """GET or HEAD, or a POST that only reads."""
        return self.method in READ_METHODS or self.reads_only


Maker = Callable[[Party, Party], list[Case]]


def _j(value: Any) -> str:
    return orjson.dumps(value).decode()


def _statements(method: str) -> Maker:
    def make(attacker: Party, victim: Party) -> list[Case]:
        first, second = victim.statement_ids
        if method in READ_METHODS:
            return [
                Case(method, f"{XAPI}/statements", {"statementId": first}, xapi=True, control=True),
                Case(
                    method,
                    f"{XAPI}/statements",
                    {"statementId": first, "attachments": "true"},
                    xapi=True,
                    control=True,
                ),
                Case(
                    method,
                    f"{XAPI}/statements",
                    {"voidedStatementId": second},
                    xapi=True,
                    control=True,
                ),
                Case(
                    method,
                    f"{XAPI}/statements",
                    {"agent": _j(victim.agent)},
                    xapi=True,
                    control=True,
                ),
                Case(
                    method,
                    f"{XAPI}/statements",
                    {"activity": victim.activity_id, "attachments": "true"},
                    xapi=True,
                    control=True,
                ),
                Case(method, f"{XAPI}/statements", {"limit": "100"}, xapi=True),
            ]
        voiding = statement(
            attacker,
            verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
            object={"objectType": "StatementRef", "id": second},
        )
        if method == "PUT":
            body = {**statement(attacker), "id": first}
            return [Case("PUT", f"{XAPI}/statements", {"statementId": first}, body, True, True)]
        fresh = {**statement(attacker), "id": str(uuid.uuid4())}
        return [
            Case("POST", f"{XAPI}/statements", None, voiding, xapi=True, control=True),
            Case(
                "POST",
                f"{XAPI}/statements",
                None,
                [fresh, {**statement(attacker), "id": first}],
                True,
                True,
            ),
        ]

    return make


def _documents(path: str, method: str) -> Maker:
    def make(attacker: Party, victim: Party) -> list[Case]:
        params = document_params(victim)[path]
        listing = {k: v for k, v in params.items() if k not in ("stateId", "profileId")}
        url = f"{XAPI}/{path}"
        if method in READ_METHODS:
            return [
                Case(method, url, params, xapi=True, control=True),
                Case(method, url, listing, xapi=True, control=True),
            ]
        if method == "DELETE":
            return [
                Case("DELETE", url, params, xapi=True, control=True),
                *(
                    [Case("DELETE", url, listing, xapi=True, control=True)]
                    if path.endswith("state")
                    else []
                ),
            ]
        headers = {"If-None-Match": "*"} if path.endswith("profile") else None
        return [Case(method, url, params, {"attacker": "was here"}, True, True, headers)]

    return make


def _activities(method: str) -> Maker:
    def make(attacker: Party, victim: Party) -> list[Case]:
        return [
            Case(
                method,
                f"{XAPI}/activities",
                {"activityId": victim.activity_id},
                xapi=True,
                control=True,
            )
        ]

    return make


def _agents(method: str) -> Maker:
    def make(attacker: Party, victim: Party) -> list[Case]:
        return [
            Case(method, f"{XAPI}/agents", {"agent": _j(victim.agent)}, xapi=True, control=True)
        ]

    return make


def _victim_models(victim: Party) -> dict[str, str]:
    """The victim's models by REST name: its statements and, for another organisation, the rest."""
    return {"statement": victim.statement_doc_ids[0], **victim.models}


def _models(method: str) -> Maker:
    def make(attacker: Party, victim: Party) -> list[Case]:
        cases = []
        for model, model_id in _victim_models(victim).items():
            url = f"{API}/{model}"
            if method == "GET":
                cases.append(Case("GET", url, {"query": _j({"_id": model_id})}, control=True))
                cases.append(Case("GET", url, {"limit": "1000"}))
            elif model != "statement":
                if method == "POST":
                    # An explicit _id of theirs: refused or ignored, never theirs overwritten.
                    cases.append(Case("POST", url, None, {"_id": model_id}))
                elif method == "PUT":
                    cases.append(Case("PUT", url, None, [{"_id": model_id}]))
                else:
                    cases.append(Case("PATCH", url, None, [{"_id": model_id}], control=True))
        if method == "POST" and "persona" in victim.models:
            # A reference to their persona from a new model of ours.
            cases.append(
                Case(
                    "POST",
                    f"{API}/personaidentifier",
                    None,
                    {
                        "persona": victim.models["persona"],
                        "ifi": {"key": "mbox", "value": f"mailto:{uuid.uuid4().hex}@example.com"},
                    },
                    control=True,
                )
            )
        return cases

    return make


def _count(attacker: Party, victim: Party) -> list[Case]:
    return [
        Case("GET", f"{API}/{model}/count", {"query": _j({"_id": model_id})}, control=True)
        for model, model_id in _victim_models(victim).items()
    ]


def _model(method: str) -> Maker:
    def make(attacker: Party, victim: Party) -> list[Case]:
        cases = []
        for model, model_id in _victim_models(victim).items():
            url = f"{API}/{model}/{model_id}"
            if method in ("GET", "DELETE", "PATCH"):
                body = None if method != "PATCH" else {"name": "attacker"}
                cases.append(Case(method, url, None, body, control=True))
            elif model != "statement":
                # PUT/POST of a fresh id creates; of an id taken elsewhere it is 404 (ids are
                # global, as Learning Locker's ObjectIds), so there is no control.
                cases.append(Case(method, url, None, {"name": "attacker"}))
        return cases

    return make


def _verb(attacker: Party, victim: Party) -> list[Case]:
    cases = [
        Case(
            "POST",
            f"{API}/statement/{victim.statement_doc_ids[0]}/regenerate",
            None,
            {},
            control=True,
        )
    ]
    verbs = {"client": "regenerate", "export": "download", "persona": "merge"}
    for model, verb in verbs.items():
        if model in victim.models:
            url = f"{API}/{model}/{victim.models[model]}/{verb}"
            body = {"mergePersonaFromId": victim.models[model]} if model == "persona" else {}
            cases.append(Case("POST", url, None, body, control=True))
    return cases


def _download(attacker: Party, victim: Party) -> list[Case]:
    if not victim.download_id:
        return []
    template = "/api/organisation/{}/downloadexport/{}.csv"
    return [
        Case("GET", template.format(victim.organisation_id, victim.download_id), control=True),
        Case("GET", template.format(attacker.organisation_id, victim.download_id), control=True),
    ]


def _connection(attacker: Party, victim: Party) -> list[Case]:
    cases = [
        Case("GET", "/api/connection/statement", {"first": "100"}),
        Case(
            "GET",
            "/api/connection/statement",
            {"filter": _j({"statement.id": victim.statement_ids[0]})},
            control=True,
        ),
    ]
    for model in MODELS:
        if model != "statement":
            cases.append(Case("GET", f"/api/connection/{model}", {"first": "100"}))
    for model, model_id in victim.models.items():
        cases.append(
            Case("GET", f"/api/connection/{model}", {"filter": _j({"_id": model_id})}, control=True)
        )
    return cases


def _aggregate(method: str, path: str = "/api/statements/aggregate") -> Maker:
    """Pipelines that would show the victim's statements: all of them, grouped, and one by id
    (answered as for an id that exists nowhere)."""

    def make(attacker: Party, victim: Party) -> list[Case]:
        pipelines = [
            ([{"$project": {"statement": 1, "person": 1}}], False),
            ([{"$group": {"_id": None, "ids": {"$push": "$statement.id"}}}], False),
            ([{"$match": {"statement.id": victim.statement_ids[0]}}, {"$count": "n"}], True),
            ([{"$match": {"_id": {"$in": list(victim.statement_doc_ids)}}}], True),
        ]
        if method == "GET":
            return [Case("GET", path, {"pipeline": _j(p)}, control=c) for p, c in pipelines]
        return [
            Case("POST", path, body={"pipeline": p}, control=c, reads_only=True)
            for p, c in pipelines
        ]

    return make


def _plain(path: str, xapi: bool = False) -> Maker:
    def make(attacker: Party, victim: Party) -> list[Case]:
        return [Case("GET", path, xapi=xapi)]

    return make


def _head(path: str) -> Maker:
    def make(attacker: Party, victim: Party) -> list[Case]:
        return [Case("HEAD", path)]

    return make


ISOLATION: dict[tuple[str, str], Maker] = {
    (f"{XAPI}/about", "GET"): _plain(f"{XAPI}/about"),
    ("/health", "GET"): _plain("/health"),
    ("/ready", "GET"): _plain("/ready"),
    ("/ready", "HEAD"): _head("/ready"),
    ("/metrics", "GET"): _plain("/metrics"),
    ("/api/openapi.json", "GET"): _plain("/api/openapi.json"),
    ("/api/auth/client/info", "GET"): _plain("/api/auth/client/info"),
    **{(f"{XAPI}/statements", m): _statements(m) for m in ("GET", "HEAD", "PUT", "POST")},
    **{
        (f"{XAPI}/{path}", m): _documents(path, m)
        for path in ("activities/state", "activities/profile", "agents/profile")
        for m in ("GET", "HEAD", "PUT", "POST", "DELETE")
    },
    **{(f"{XAPI}/activities", m): _activities(m) for m in READ_METHODS},
    **{(f"{XAPI}/agents", m): _agents(m) for m in READ_METHODS},
    ("/api/connection/{model}", "GET"): _connection,
    **{("/api/statements/aggregate", m): _aggregate(m) for m in ("GET", "POST")},
    ("/api/statements/aggregateAsync", "GET"): _aggregate("GET", "/api/statements/aggregateAsync"),
    **{(f"{API}/{{model}}", m): _models(m) for m in ("GET", "POST", "PUT", "PATCH")},
    (f"{API}/{{model}}/count", "GET"): _count,
    **{
        (f"{API}/{{model}}/{{id}}", m): _model(m) for m in ("GET", "PUT", "POST", "PATCH", "DELETE")
    },
    (f"{API}/{{model}}/{{id}}/{{verb}}", "POST"): _verb,
    ("/api/organisation/{organisation}/downloadexport/{download}.csv", "GET"): _download,
}
