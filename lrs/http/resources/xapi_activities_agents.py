"""``GET /data/xAPI/activities`` (the canonical Activity) and ``GET /data/xAPI/agents`` (Person)."""

from __future__ import annotations

import falcon
import orjson

from lrs.core.errors import BadRequest
from lrs.http.resources import xapi_params as p
from lrs.statements.service import StatementService
from lrs.tenancy.scopes import Access

_PERSON_KEYS = ("name", "mbox", "mbox_sha1sum", "openid", "account")


class ActivitiesResource:
    """The Activity with the definition merged from every statement that described it."""

    access = {"GET": Access.PROFILE_READ, "HEAD": Access.PROFILE_READ}

    def __init__(self, statements: StatementService) -> None:
        self._statements = statements

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The Activity object; ``definition`` only for an activity some statement described.

        ``objectType`` is always there: the conformance suite compares the whole Activity object
        a statement sent with what this returns (seed 002's example leaves it out).
        """
        params = p.single_valued_params(req, ["activityId"])
        activity_id = p.iri(params, "activityId")
        if activity_id is None:
            raise BadRequest("activityId: the parameter is required", field="activityId")
        definitions = self._statements.activity_definitions(req.context.principal, [activity_id])
        definition = definitions.get(activity_id)
        body: dict[str, object] = {"objectType": "Activity", "id": activity_id}
        if definition:
            body["definition"] = definition
        resp.data = orjson.dumps(body)
        resp.content_type = falcon.MEDIA_JSON

    def on_head(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The GET's headers without its body."""
        self.on_get(req, resp)
        resp.data = b""


class AgentsResource:
    """The Person object for an Agent: every property as an array (Communication 2.4)."""

    access = {"GET": Access.PROFILE_READ, "HEAD": Access.PROFILE_READ}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Build the Person from the agent's own identifiers."""
        params = p.single_valued_params(req, ["agent"])
        raw = params.get("agent")
        if raw is None:
            raise BadRequest("agent: the parameter is required", field="agent")
        agent = p.agent_object(raw)
        if agent.get("objectType") == "Group":
            raise BadRequest("agent: must be an Agent, not a Group", field="agent")
        person: dict[str, object] = {"objectType": "Person"}
        for key in _PERSON_KEYS:
            if key in agent:
                person[key] = [agent[key]]
        resp.data = orjson.dumps(person)
        resp.content_type = falcon.MEDIA_JSON

    def on_head(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The GET's headers without its body."""
        self.on_get(req, resp)
        resp.data = b""
