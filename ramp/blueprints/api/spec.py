"""The OpenAPI 3.1 document of the JSON API, generated from the operations the views declare.

Each view says, beside its code, the scope it needs and its query, body and response models
(ramp.blueprints.api.models); paths and path parameters come from the URL map, schemas from
pydantic. The same registry tells the token check which scope each endpoint needs, so the
document and the check cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import current_app, url_for
from pydantic import BaseModel
from werkzeug.routing import IntegerConverter

from ramp.blueprints.api.models import Error, Forbidden

REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Operation:
    endpoint: str
    scope: str | None  # None: any valid token
    summary: str
    description: str = ""
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_required: bool = True
    form: bool = False  # the body is multipart/form-data
    responses: dict[int, tuple[str, type[BaseModel] | None]] = field(default_factory=dict)
    # Refused unless the token's owner is an admin (the page it mirrors is for admins).
    admin_owner: bool = False
    # Shows what the token's owner sees: refused while the owner's account is deactivated.
    as_owner: bool = True
    # The 200 answer may also be CSV text (asked for with format=csv).
    csv: bool = False


OPERATIONS: dict[str, Operation] = {}


def operation(scope: str | None, summary: str, **options):
    """Declare a view as an API operation (after @bp.get/post, so above it in the source)."""

    def register(view):
        endpoint = f"api.{view.__name__}"
        OPERATIONS[endpoint] = Operation(endpoint, scope, summary, **options)
        return view

    return register


def _no_null_defaults(schema):
    """Drop `default: null` where null is not allowed (an optional record field): the value
    is simply left out, and a default the schema itself refuses makes the document invalid."""
    if isinstance(schema, dict):
        if schema.get("default", 0) is None and "type" in schema and schema["type"] != "null":
            del schema["default"]
        for value in schema.values():
            _no_null_defaults(value)
    elif isinstance(schema, list):
        for value in schema:
            _no_null_defaults(value)
    return schema


class _Schemas:
    """Component schemas, each model once, referenced by name."""

    def __init__(self) -> None:
        self.components: dict[str, dict] = {}

    def ref(self, model: type[BaseModel]) -> dict:
        if model.__name__ not in self.components:
            schema = _no_null_defaults(
                model.model_json_schema(ref_template=REF, mode="serialization")
            )
            self.components.update(schema.pop("$defs", {}))
            self.components[model.__name__] = schema
        return {"$ref": REF.format(model=model.__name__)}

    def inline(self, model: type[BaseModel]) -> dict:
        """The model's own schema (for query parameters and form fields), its parts by ref."""
        schema = _no_null_defaults(model.model_json_schema(ref_template=REF, mode="validation"))
        self.components.update(schema.pop("$defs", {}))
        return schema


def _parameters(rule, schemas: _Schemas, query: type[BaseModel] | None) -> list[dict]:
    params = []
    for name, converter in rule._converters.items():
        # Flask's int converter takes no sign: a negative number is no route at all, and ramp's
        # (webkit.RecordId) stops at the largest id the database holds.
        if isinstance(converter, IntegerConverter):
            schema = {"type": "integer", "minimum": 0, "maximum": converter.max}
        else:
            schema = {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if query is not None:
        schema = schemas.inline(query)
        for name, prop in schema["properties"].items():
            param = {"name": name, "in": "query", "schema": _drop_null(prop)}
            if "description" in prop:
                param["description"] = prop.pop("description")
            params.append(param)
    return params


def _drop_null(schema: dict) -> dict:
    """A query parameter is absent rather than null: its schema without the null branch."""
    options = schema.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        schema = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        schema.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
    schema.pop("default", None)
    schema.pop("title", None)
    return schema


def _operation(op: Operation, rule, schemas: _Schemas, scopes: dict[str, str]) -> dict:
    out: dict = {"summary": op.summary, "operationId": op.endpoint.removeprefix("api.")}
    text = op.description
    if op.scope:
        text = f"{text}\n\nNeeds a token with the scope `{op.scope}`.".strip()
    if op.admin_owner:
        text += " The token's owner must be an admin."
    if text:
        out["description"] = text
    params = _parameters(rule, schemas, op.query)
    if params:
        out["parameters"] = params
    if op.body is not None:
        if op.form:
            schema = schemas.inline(op.body)
            for prop in schema["properties"].values():
                prop.pop("title", None)
                if prop.get("anyOf"):
                    prop.update(_drop_null(prop))
            content = {"multipart/form-data": {"schema": schema}}
        else:
            content = {"application/json": {"schema": schemas.ref(op.body)}}
        out["requestBody"] = {"required": op.body_required, "content": content}
    responses: dict = {}
    for status, (description, model) in sorted(op.responses.items()):
        responses[str(status)] = {"description": description}
        if model is not None:
            responses[str(status)]["content"] = {"application/json": {"schema": schemas.ref(model)}}
        if status == 200 and op.csv:
            responses["200"].setdefault("content", {})["text/csv"] = {"schema": {"type": "string"}}
    responses["401"] = {
        "description": "No valid token",
        "content": {"application/json": {"schema": schemas.ref(Error)}},
    }
    if op.scope or op.admin_owner:
        what = f"The token lacks the scope {op.scope}" if op.scope else "Refused"
        if op.admin_owner:
            what += ", or its owner is not an admin"
        responses["403"] = {
            "description": what,
            "content": {"application/json": {"schema": schemas.ref(Forbidden)}},
        }
    out["responses"] = responses
    out["x-required-scope"] = op.scope
    out["security"] = [{"bearer": [op.scope] if op.scope else []}]
    return out


def document(scopes: dict[str, str]) -> dict:
    """The OpenAPI document of every declared operation, in URL-map order."""
    schemas = _Schemas()
    paths: dict[str, dict] = {}
    prefix = url_for("api.openapi").rsplit("/openapi.json", 1)[0]
    for rule in current_app.url_map.iter_rules():
        op = OPERATIONS.get(rule.endpoint)
        if op is None:
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule).removeprefix(prefix)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(op, rule, schemas, scopes)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ramp API",
            "version": "1",
            "description": "Push QA evaluations and contacts, import files and undo imports; "
            "read people, teams, cohorts, hires' plans and metrics, cohort comparisons and "
            "certificates. Every read shows what the token's owner sees in ramp.",
        },
        "servers": [{"url": url_for("api.openapi", _external=True).rsplit("/openapi.json", 1)[0]}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token made by an admin (Admin > API tokens, or "
                    "`ramp tokens create`). Each operation needs one scope, named in its "
                    "x-required-scope: " + "; ".join(f"{n}: {w}" for n, w in scopes.items()),
                }
            },
            "schemas": dict(sorted(schemas.components.items())),
        },
        "x-scopes": dict(scopes),
        "paths": paths,
    }
