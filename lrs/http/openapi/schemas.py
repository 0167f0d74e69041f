"""JSON Schemas (2020-12, as OpenAPI 3.1 takes them) for the bodies the API reads and writes.

The xAPI schemas describe Statements, Agents, Activities and the rest closely enough for a client
or a fuzzer to build plausible requests; ``lrs.xapi.validate`` stays the authority (IRIs, IFI
rules, score ranges and such are checked there, and a failure is a 400). Their property names
come from that module's own key sets, so a property it accepts cannot be missing here.

The REST v2 schemas are generated from ``lrs.models.registry``: one response schema, one write
schema (POST, PUT, bulk items) and one patch schema per model.
"""

from __future__ import annotations

from typing import Any

from lrs.models.registry import MODELS, Field, Kind, ModelSpec
from lrs.xapi import validate as xv
from lrs.xapi.datatypes import INTERACTION_TYPES

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    """A reference to a schema under ``components/schemas``."""
    return {"$ref": f"#/components/schemas/{name}"}


def _closed(properties: dict[str, Schema], keys: frozenset[str], **extra: Any) -> Schema:
    """An object with exactly ``keys`` as properties (every key needs a schema)."""
    missing = keys - properties.keys()
    assert not missing, f"no schema for {sorted(missing)}"
    return {
        "type": "object",
        "properties": {k: properties[k] for k in sorted(keys)},
        "additionalProperties": False,
        **extra,
    }


_UUID = {
    "type": "string",
    "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
}
# The same best-effort shapes as lrs.xapi.datatypes: a scheme, ':', no whitespace or controls.
IRI: Schema = {
    "type": "string",
    "pattern": '^[A-Za-z][A-Za-z0-9+.\\-]*:[^\\s<>"\\x00-\\x1f\\x7f]+$',
}
_IRI = IRI
# ISO 8601 extended or basic date and time, as lrs.xapi.timestamps reads them (a superset:
# the values are checked there) and as statements echo them.
_TIMESTAMP = {
    "type": "string",
    "pattern": "^[0-9]{4}(-[0-9]{2}-[0-9]{2}|[0-9]{4})[Tt][0-9]{2}(:?[0-9]{2}){1,2}"
    "([.,][0-9]+)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?$",
    "description": "ISO 8601 date and time",
}
_EXTENSIONS = {"type": "object", "description": "IRI keys, any JSON values"}
_LANGUAGE_MAP = {
    "type": "object",
    "propertyNames": {"pattern": "^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$"},
    "additionalProperties": {"type": "string"},
    "description": "RFC 5646 language tag keys",
}

_MAIL_CHAR = '[^\\s\\x00-\\x1f@<>"]'
_DOMAIN_CHAR = '[^\\s\\x00-\\x1f@<>".]'
_AGENT_PROPERTIES: dict[str, Schema] = {
    "objectType": {"const": "Agent"},
    "name": {"type": "string"},
    "mbox": {
        "type": "string",
        "pattern": f"^mailto:{_MAIL_CHAR}+@{_DOMAIN_CHAR}+(\\.{_DOMAIN_CHAR}+)*$",
    },
    "mbox_sha1sum": {"type": "string", "pattern": "^[0-9a-fA-F]{40}$"},
    "openid": _IRI,
    "account": ref("Account"),
}
_IFIS = ("mbox", "mbox_sha1sum", "openid", "account")
_ONE_IFI = {"oneOf": [{"required": [ifi]} for ifi in _IFIS]}

_COMPONENTS = {"type": "array", "items": ref("InteractionComponent")}
_DEFINITION_PROPERTIES: dict[str, Schema] = {
    "name": _LANGUAGE_MAP,
    "description": _LANGUAGE_MAP,
    "type": _IRI,
    "moreInfo": _IRI,
    "extensions": _EXTENSIONS,
    "interactionType": {"enum": sorted(INTERACTION_TYPES)},
    "correctResponsesPattern": {"type": "array", "items": {"type": "string"}},
    **{name: _COMPONENTS for name in xv._COMPONENT_LISTS},
}

_STATEMENT_PROPERTIES: dict[str, Schema] = {
    "id": _UUID,
    "objectType": {"const": "SubStatement"},
    "actor": ref("Actor"),
    "verb": ref("Verb"),
    "object": ref("StatementObject"),
    "result": ref("Result"),
    "context": ref("Context"),
    "timestamp": _TIMESTAMP,
    "stored": _TIMESTAMP,
    "authority": ref("Actor"),
    "version": {
        "type": "string",
        "pattern": "^[12]\\.0(\\.[0-9]+)?$",
        "description": "1.0 or 1.0.x; under xAPI 2.0.0 also 2.0 or 2.0.x",
    },
    "attachments": {"type": "array", "items": ref("Attachment")},
}

_RELEVANT_TYPES = {"type": "array", "items": _IRI, "minItems": 1}
_ACTIVITY_LIST = {"anyOf": [ref("Activity"), {"type": "array", "items": ref("Activity")}]}


def xapi_schemas() -> dict[str, Schema]:
    """The xAPI component schemas, by name."""
    agent = _closed(_AGENT_PROPERTIES, xv._AGENT_KEYS, **_ONE_IFI)
    group_properties = {
        **_AGENT_PROPERTIES,
        "objectType": {"const": "Group"},
        "member": {"type": "array", "items": ref("Agent")},
    }
    statement = _closed(
        _STATEMENT_PROPERTIES, xv._STATEMENT_KEYS, required=["actor", "verb", "object"]
    )
    return {
        "Account": _closed(
            {"homePage": _IRI, "name": {"type": "string"}},
            xv._ACCOUNT_KEYS,
            required=["homePage", "name"],
        ),
        "Agent": agent,
        "Group": _closed(
            group_properties,
            xv._GROUP_KEYS,
            required=["objectType"],
            description="An identified Group has one IFI; an anonymous one lists its members.",
            anyOf=[
                _ONE_IFI,
                {
                    "required": ["member"],
                    "properties": {"member": {"minItems": 1}},
                    "not": {"anyOf": [{"required": [ifi]} for ifi in _IFIS]},
                },
            ],
        ),
        "Actor": {"anyOf": [ref("Agent"), ref("Group")]},
        "Verb": _closed({"id": _IRI, "display": _LANGUAGE_MAP}, xv._VERB_KEYS, required=["id"]),
        "InteractionComponent": _closed(
            {"id": {"type": "string"}, "description": _LANGUAGE_MAP},
            xv._COMPONENT_KEYS,
            required=["id"],
        ),
        "ActivityDefinition": _closed(_DEFINITION_PROPERTIES, xv._DEFINITION_KEYS),
        "Activity": _closed(
            {
                "objectType": {"const": "Activity"},
                "id": _IRI,
                "definition": ref("ActivityDefinition"),
            },
            xv._ACTIVITY_KEYS,
            required=["id"],
        ),
        "StatementRef": _closed(
            {"objectType": {"const": "StatementRef"}, "id": _UUID},
            xv._STATEMENT_REF_KEYS,
            required=["objectType", "id"],
        ),
        "SubStatement": _closed(
            _STATEMENT_PROPERTIES,
            xv._SUBSTATEMENT_KEYS,
            required=["objectType", "actor", "verb", "object"],
        ),
        "StatementObject": {
            "anyOf": [
                ref("Activity"),
                {"allOf": [ref("Agent"), {"required": ["objectType"]}]},
                ref("Group"),
                ref("StatementRef"),
                ref("SubStatement"),
            ]
        },
        "Score": _closed({name: {"type": "number"} for name in xv._SCORE_KEYS}, xv._SCORE_KEYS),
        "Result": _closed(
            {
                "score": ref("Score"),
                "success": {"type": "boolean"},
                "completion": {"type": "boolean"},
                "response": {"type": "string"},
                "duration": {
                    "type": "string",
                    "pattern": "^P([0-9]+([.,][0-9]+)?[YMWD])*(T([0-9]+([.,][0-9]+)?[HMS])+)?$",
                    "description": "ISO 8601 duration",
                },
                "extensions": _EXTENSIONS,
            },
            xv._RESULT_KEYS,
        ),
        "ContextActivities": _closed(
            {name: _ACTIVITY_LIST for name in xv._CONTEXT_ACTIVITY_KEYS},
            xv._CONTEXT_ACTIVITY_KEYS,
        ),
        "ContextAgent": _closed(
            {
                "objectType": {"const": "contextAgent"},
                "agent": ref("Agent"),
                "relevantTypes": _RELEVANT_TYPES,
            },
            xv._CONTEXT_AGENT_KEYS,
            required=["objectType", "agent"],
        ),
        "ContextGroup": _closed(
            {
                "objectType": {"const": "contextGroup"},
                "group": ref("Group"),
                "relevantTypes": _RELEVANT_TYPES,
            },
            xv._CONTEXT_GROUP_KEYS,
            required=["objectType", "group"],
        ),
        "Context": _closed(
            {
                "contextAgents": {
                    "type": "array",
                    "items": ref("ContextAgent"),
                    "description": "xAPI 2.0.0 only (a 400 under 1.0.3)",
                },
                "contextGroups": {
                    "type": "array",
                    "items": ref("ContextGroup"),
                    "description": "xAPI 2.0.0 only (a 400 under 1.0.3)",
                },
                "registration": _UUID,
                "instructor": ref("Actor"),
                "team": ref("Group"),
                "contextActivities": ref("ContextActivities"),
                "revision": {"type": "string"},
                "platform": {"type": "string"},
                "language": {"type": "string"},
                "statement": ref("StatementRef"),
                "extensions": _EXTENSIONS,
            },
            xv._CONTEXT_KEYS | xv._CONTEXT_2_0_KEYS,
        ),
        "Attachment": _closed(
            {
                "usageType": _IRI,
                "display": _LANGUAGE_MAP,
                "description": _LANGUAGE_MAP,
                "contentType": {"type": "string"},
                "length": {"type": "integer", "minimum": 0},
                "sha2": {"type": "string", "pattern": "^[0-9a-fA-F]+$"},
                "fileUrl": _IRI,
            },
            xv._ATTACHMENT_KEYS,
            required=list(xv._ATTACHMENT_REQUIRED),
        ),
        "Statement": statement,
        "StoredStatement": {
            **statement,
            "required": ["id", "actor", "verb", "object", "stored", "timestamp", "authority"],
        },
        "StatementResult": {
            "type": "object",
            "properties": {
                "statements": {"type": "array", "items": ref("StoredStatement")},
                "more": {
                    "type": "string",
                    "description": "Relative URL of the next page; empty on the last page.",
                },
            },
            "required": ["statements", "more"],
            "additionalProperties": False,
        },
        "Person": {
            "type": "object",
            "properties": {
                "objectType": {"const": "Person"},
                **{
                    name: {"type": "array", "items": _AGENT_PROPERTIES[name]}
                    for name in ("name", *_IFIS)
                },
            },
            "required": ["objectType"],
            "additionalProperties": False,
        },
        "About": {
            "type": "object",
            "properties": {
                "version": {"type": "array", "items": {"type": "string"}},
                "extensions": {"type": "object"},
            },
            "required": ["version"],
            "additionalProperties": False,
        },
    }


ERROR_SCHEMA: Schema = {
    "type": "object",
    "description": "Every error response. `message` names the field or parameter at fault; "
    "a 500 carries only the `errorId`, which the server log records with the details.",
    "properties": {
        "errorId": {"type": "string", "format": "uuid"},
        "message": {"type": "string"},
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["errorId", "message"],
    "additionalProperties": False,
}

OBJECT_ID: Schema = {
    "type": "string",
    "pattern": "^[0-9a-fA-F]{24}$",
    "description": "A 24-character hexadecimal id",
}


# --- REST v2 models, from the registry ---------------------------------------------------------


def _kind_schema(kind: Kind, items: Kind | None = None, *, writing: bool) -> Schema:
    if kind is Kind.ARRAY:
        return {"type": "array", "items": _kind_schema(items or Kind.ANY, writing=writing)}
    if kind is Kind.JSON_TEXT:
        if writing:
            return {
                "type": ["string", "object", "array"],
                "description": "JSON: an object, an array, or a string holding JSON",
            }
        return {}
    return {
        Kind.STRING: {"type": "string"},
        Kind.BOOLEAN: {"type": "boolean"},
        Kind.NUMBER: {"type": "number"},
        Kind.INTEGER: {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
        Kind.OBJECT_ID: ref("ObjectId"),
        Kind.DATETIME: {"type": "string", "description": "ISO 8601 date and time"},
        Kind.OBJECT: {"type": "object"},
        Kind.ANY: {},
    }[kind]


def _nullable(schema: Schema) -> Schema:
    if not schema:
        return schema
    if list(schema) == ["anyOf"]:
        return {"anyOf": [*schema["anyOf"], {"type": "null"}]}
    return {"anyOf": [schema, {"type": "null"}]}


def _read_field(spec_field: Field) -> Schema:
    """A field as responses hold it: ``populate`` may have replaced a reference by its model."""
    schema = _kind_schema(spec_field.kind, spec_field.items, writing=False)
    if spec_field.choices:
        schema = {**schema, "enum": list(spec_field.choices)}
    if spec_field.ref is not None:
        if spec_field.kind is Kind.ARRAY:
            schema = {"type": "array", "items": {"anyOf": [ref("ObjectId"), {"type": "object"}]}}
        else:
            schema = {"anyOf": [ref("ObjectId"), {"type": "object"}]}
    return schema if spec_field.name in ("_id",) else _nullable(schema)


def _write_field(spec_field: Field) -> Schema:
    schema = _kind_schema(spec_field.kind, spec_field.items, writing=True)
    if spec_field.choices:
        schema = {**schema, "enum": list(spec_field.choices)}
    return schema if spec_field.required else _nullable(schema)


def model_schema_names(spec: ModelSpec) -> tuple[str, str, str]:
    """Component names of a model's response, write and patch schemas."""
    base = f"Rest{spec.name.capitalize()}"
    return base, f"{base}Write", f"{base}Patch"


def model_schemas(spec: ModelSpec) -> dict[str, Schema]:
    """A model's response, write and patch schemas (see ``model_schema_names``)."""
    read_name, write_name, patch_name = model_schema_names(spec)
    shown = [f for f in spec.fields if not (f.hidden or f.write_only)]
    writable = [f for f in spec.fields if not (f.read_only or f.hidden)]
    schemas = {
        read_name: {
            "type": "object",
            "description": f"A {spec.name} as the API returns it. `select` may leave fields out "
            "and `populate` replaces references by the models they name.",
            "properties": {f.name: _read_field(f) for f in shown},
        }
    }
    if spec.writable:
        properties = {f.name: _write_field(f) for f in writable}
        note = "Undeclared and read-only fields are ignored."
        schemas[write_name] = {
            "type": "object",
            "description": f"A {spec.name} to store. {note}",
            "properties": properties,
            "required": [f.name for f in writable if f.required],
        }
        schemas[patch_name] = {
            "type": "object",
            "description": f"The {spec.name} fields to change. {note}",
            "properties": properties,
        }
    return schemas


def all_model_schemas() -> dict[str, Schema]:
    """Every model's schemas."""
    schemas: dict[str, Schema] = {}
    for spec in MODELS.values():
        schemas.update(model_schemas(spec))
    return schemas


CONNECTION_PAGE: Schema = {
    "type": "object",
    "properties": {
        "edges": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"cursor": {"type": "string"}, "node": {"type": "object"}},
                "required": ["cursor", "node"],
                "additionalProperties": False,
            },
        },
        "pageInfo": {
            "type": "object",
            "properties": {
                "hasNextPage": {"type": "boolean"},
                "hasPreviousPage": {"type": "boolean"},
                "startCursor": {"type": ["string", "null"]},
                "endCursor": {"type": ["string", "null"]},
            },
            "required": ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
            "additionalProperties": False,
        },
    },
    "required": ["edges", "pageInfo"],
    "additionalProperties": False,
}


def component_schemas() -> dict[str, Schema]:
    """Every schema the document's ``components/schemas`` holds."""
    return {
        "Error": ERROR_SCHEMA,
        "ObjectId": OBJECT_ID,
        "ConnectionPage": CONNECTION_PAGE,
        **xapi_schemas(),
        **all_model_schemas(),
    }
