"""Token-authenticated JSON endpoints, described by /api/v1/openapi.json."""

from __future__ import annotations

import re

from flask import current_app, g, jsonify, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ramp.blueprints.api.blueprint import bp
from ramp.certificates.codes import format_code
from ramp.certificates.operations import certificate_status, find_certificate, utc
from ramp.certificates.queries import STATUSES, listed, verify_url
from ramp.errors import NotFound, ValidationError
from ramp.extensions import csrf, db
from ramp.metrics.api import SCOPES, TokenRefused, authenticate, import_payload, revoke_token
from ramp.metrics.imports import ImportRefused, ImportReport
from ramp.metrics.mapping import FIELDS
from ramp.metrics.undo import undo_import as undo
from ramp.milestones.models import Hire
from ramp.webkit import external_url

csrf.exempt(bp)  # no cookies here: every request carries its bearer token instead


# The one scope each operation needs (ramp.metrics.api.SCOPES). An endpoint missing here is
# refused to every token, so a new one cannot be left open by mistake.
REQUIRED_SCOPE = {
    "api.contacts": "records:write",
    "api.qa": "records:write",
    "api.undo_import": "imports:undo",
    "api.hires": "hires:read",
    "api.certificates": "certificates:read",
    "api.certificate": "certificates:read",
}
# Any valid token may do these, whatever its scopes.
ANY_TOKEN = {"api.revoke_current_token"}


@bp.before_request
def require_token():
    """Every endpoint but the description needs `Authorization: Bearer <token>` with its scope."""
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else None
    try:
        token = authenticate(secret)
    except TokenRefused as exc:
        db.session.rollback()
        return (
            jsonify(error="unauthorized", message=str(exc)),
            401,
            {"WWW-Authenticate": 'Bearer realm="ramp"'},
        )
    g.api_token = token
    db.session.commit()  # last_used_at
    if request.endpoint in ANY_TOKEN:
        return None
    scope = REQUIRED_SCOPE.get(request.endpoint)
    if scope not in token.scope_list:
        missing = scope or "(none: this operation is not open to tokens)"
        return (
            jsonify(
                error="forbidden",
                missing_scope=scope,
                message=f"This token lacks the scope {missing}; ask an admin for a token with it.",
            ),
            403,
            {
                "WWW-Authenticate": f'Bearer realm="ramp", error="insufficient_scope", scope="{scope or ""}"'
            },
        )
    return None


@bp.delete("/tokens/current")
def revoke_current_token():
    """Revoke the token that sends this request: a leaked token can be stopped by anyone holding it."""
    token = g.api_token
    revoke_token(token, None, "revoked itself through the API")
    db.session.commit()
    return jsonify(id=token.id, name=token.name, status="revoked")


def _report(report: ImportReport, changed: int = 0) -> dict:
    return {
        "written": report.written,
        "import_run": report.import_run_id,
        "summary": report.summary(),
        "records_read": report.rows_read,
        "created": report.created,
        "updated": report.updated,
        "rejected": report.rows_rejected,
        "milestones_changed": changed,
        "unknown_agents": sorted(name for name, _ in report.unknown_agents),
        "problems": [
            {"record": p.line, "field": p.column, "message": p.message} for p in report.problems
        ],
    }


def _records(kind: str):
    payload = request.get_json(silent=True)
    accept_good = request.args.get("accept_good") == "true"
    try:
        report, changed = import_payload(kind, payload, accept_good, g.api_token)
    except ValidationError as exc:
        db.session.rollback()
        return jsonify(error="invalid", problems=exc.problems), 400
    except ImportRefused as exc:
        db.session.rollback()
        return jsonify(_report(exc.report)), 422
    db.session.commit()
    return jsonify(_report(report, changed)), 200


@bp.post("/records/contacts")
def contacts():
    """Create or update contact records (by source and external_id)."""
    return _records("contacts")


@bp.post("/records/qa")
def qa():
    """Create or update QA evaluations (by source and external_id)."""
    return _records("qa")


@bp.post("/imports/<int:run_id>/undo")
def undo_import(run_id: int):
    """Undo an import run: its new records removed, the records it updated given back."""
    body = request.get_json(silent=True)
    reason = body.get("reason") if isinstance(body, dict) else None
    if reason is not None and not isinstance(reason, str):
        return jsonify(error="invalid", problems=["'reason' must be text"]), 400
    try:
        result = undo(run_id, None, reason, token=g.api_token.name)
    except NotFound as exc:
        db.session.rollback()
        return jsonify(error="not_found", message=str(exc)), 404
    except ValidationError as exc:
        db.session.rollback()
        return jsonify(error="refused", problems=exc.problems), 409
    db.session.commit()
    return jsonify(
        run=result.run_id, status="undone", removed=result.removed, restored=result.restored,
        agents=result.agents, milestones_changed=result.milestones_changed,
    )  # fmt: skip


@bp.get("/hires")
def hires():
    """Every active hire with their phase, status, next milestone and curriculum progress."""
    rows = db.session.execute(
        select(Hire)
        .where(Hire.active.is_(True))
        .options(joinedload(Hire.user), joinedload(Hire.cohort))
        .order_by(Hire.id)
    ).scalars()
    return jsonify(
        hires=[
            {
                "id": h.id,
                "name": h.user.name,
                "email": h.user.email,
                "cohort": h.cohort.name,
                "start_date": h.start_date.isoformat(),
                "phase": h.phase,
                "status": h.status,
                "next_milestone": h.next_milestone,
                "next_status": h.next_status,
                "next_due": h.next_due.isoformat() if h.next_due else None,
                "curriculum_progress": h.progress_percent,
                "placement": h.placement_label,
            }
            for h in rows
        ]
    )


def _certificate_json(cert, home: str) -> dict:
    """A certificate as the API shows it; home: ramp's address, for certificates issued before
    their own address was recorded."""
    snap = cert.snapshot
    return {
        "id": cert.id,
        "code": format_code(cert.code),
        "status": certificate_status(cert),
        "agent": snap["agent"],
        "email": cert.user.email if cert.user else None,
        "hire_id": cert.hire_id,
        "template": snap["template"],
        "curriculum": snap["curriculum"],
        "placement": snap["placement"],
        "issued_at": utc(cert.issued_at).isoformat(),
        "issued_by": snap["issued_by"],
        "expires_at": utc(cert.expires_at).isoformat(),
        "revoked_at": utc(cert.revoked_at).isoformat() if cert.revoked_at else None,
        "revocation_reason": cert.revocation_reason,
        "replaces_id": cert.replaces_id,
        "verify_url": verify_url(cert, home),
    }


@bp.get("/certificates")
def certificates():
    """Every certificate, newest first; ?status=valid|expired|revoked and ?email= narrow it."""
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        return jsonify(error="invalid", problems=["status is valid, expired or revoked"]), 400
    found = listed(status, request.args.get("email"))
    home = external_url("main.home").rstrip("/")
    return jsonify(certificates=[_certificate_json(c, home) for c in found])


@bp.get("/certificates/<code>")
def certificate(code: str):
    """One certificate by its code, with its evidence and signed credential."""
    cert = find_certificate(code)
    if cert is None:
        return jsonify(error="not_found", message="No certificate has this code."), 404
    body = _certificate_json(cert, external_url("main.home").rstrip("/"))
    body["evidence"] = cert.snapshot
    body["credential_jwt"] = cert.credential
    return jsonify(body)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    kinds = {
        "datetime": {"type": "string", "format": "date-time"},
        "duration": {"type": "number", "description": "seconds"},
        "integer": {"type": "integer"},
        "number": {"type": "number"},
        "boolean": {"type": "boolean"},
        "text": {"type": "string"},
    }

    def record_schema(kind: str, required: list[str]) -> dict:
        return {
            "type": "object",
            "required": required,
            "properties": {name: kinds[t] for name, t in FIELDS[kind].items()},
            "description": "Name the agent by agent_email or by agent_id (their id in the source, linked with `ramp users link`).",
        }

    def batch(kind: str, required: list[str]) -> dict:
        return {
            "type": "object",
            "required": ["source", "records"],
            "properties": {
                "source": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
                "records": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 10000,
                    "items": record_schema(kind, required),
                },
            },
        }

    report = {
        "type": "object",
        "properties": {
            "written": {"type": "boolean"}, "summary": {"type": "string"},
            "import_run": {"type": ["integer", "null"], "description": "The run in the import history (undo it with POST /imports/{run_id}/undo); a refused batch's run is kept as failed"},
            "records_read": {"type": "integer"}, "created": {"type": "integer"},
            "updated": {"type": "integer"}, "rejected": {"type": "integer"},
            "milestones_changed": {"type": "integer"},
            "unknown_agents": {"type": "array", "items": {"type": "string"}},
            "problems": {"type": "array", "items": {"type": "object", "properties": {
                "record": {"type": "integer"}, "field": {"type": ["string", "null"]}, "message": {"type": "string"}}}},
        },
    }  # fmt: skip

    undone = {
        "type": "object",
        "properties": {
            "run": {"type": "integer"}, "status": {"type": "string", "enum": ["undone"]},
            "removed": {"type": "integer"}, "restored": {"type": "integer"},
            "agents": {"type": "integer"}, "milestones_changed": {"type": "integer"},
        },
    }  # fmt: skip
    refused = {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "problems": {"type": "array", "items": {"type": "string"}},
        },
    }

    def records_op(kind: str, required: list[str], summary: str) -> dict:
        return {
            "post": {
                "summary": summary,
                "description": "The whole batch is checked first; by default nothing is written when any record is bad (422 with every problem). With accept_good=true the good records are written.",
                "parameters": [
                    {
                        "name": "accept_good",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["true", "false"]},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": batch(kind, required)}},
                },
                "responses": {
                    "200": {
                        "description": "Written",
                        "content": {"application/json": {"schema": report}},
                    },
                    "400": {"description": "Not a batch of records"},
                    "401": {"description": "No valid token"},
                    "422": {
                        "description": "Refused: nothing written",
                        "content": {"application/json": {"schema": report}},
                    },
                },
            }
        }

    doc = {
        "openapi": "3.1.0",
        "info": {
            "title": "ramp API",
            "version": "1",
            "description": "Push QA evaluations and contacts, undo an import; read hires' progress and certificates.",
        },
        "servers": [{"url": url_for("api.openapi", _external=True).rsplit("/openapi.json", 1)[0]}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/records/contacts": records_op(
                "contacts", ["external_id", "created_at"], "Create or update contacts"
            ),
            "/records/qa": records_op(
                "qa", ["external_id", "evaluated_at"], "Create or update QA evaluations"
            ),
            "/imports/{run_id}/undo": {
                "post": {
                    "summary": "Undo an import run",
                    "description": "Removes the records the run created and gives the records it updated back the values an earlier import gave them; the agents' weekly figures and plans are worked out again. Refused (409) for a failed or already undone run, and while a later run has updated the same records (undo that one first).",
                    "parameters": [
                        {
                            "name": "run_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "reason": {
                                            "type": "string",
                                            "description": "Kept in the audit log",
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Undone",
                            "content": {"application/json": {"schema": undone}},
                        },
                        "400": {"description": "The reason is not text"},
                        "401": {"description": "No valid token"},
                        "404": {"description": "No import run has this number"},
                        "409": {
                            "description": "Refused: nothing changed",
                            "content": {"application/json": {"schema": refused}},
                        },
                    },
                }
            },
            "/hires": {
                "get": {
                    "summary": "Active hires and their progress",
                    "responses": {
                        "200": {"description": "The hires"},
                        "401": {"description": "No valid token"},
                    },
                }
            },
            "/certificates": {
                "get": {
                    "summary": "Readiness certificates, newest first",
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {
                                "type": "string",
                                "enum": list(STATUSES),
                            },
                        },
                        {"name": "email", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "The certificates"},
                        "400": {"description": "Unknown status"},
                        "401": {"description": "No valid token"},
                    },
                }
            },
            "/certificates/{code}": {
                "get": {
                    "summary": "One certificate with its frozen evidence and signed credential",
                    "parameters": [
                        {
                            "name": "code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": {"description": "The certificate"},
                        "401": {"description": "No valid token"},
                        "404": {"description": "No certificate has this code"},
                    },
                }
            },
            "/tokens/current": {
                "delete": {
                    "summary": "Revoke the token that sends this request (any valid token may)",
                    "description": "For a token that leaked: it stops working at once.",
                    "responses": {
                        "200": {"description": "The token is revoked"},
                        "401": {"description": "No valid token"},
                    },
                }
            },
        },
    }
    _declare_scopes(doc)
    return jsonify(doc)


def _declare_scopes(doc: dict) -> None:
    """Give each operation in the document the scope its endpoint checks (REQUIRED_SCOPE)."""
    prefix = url_for("api.openapi").rsplit("/openapi.json", 1)[0]
    adapter = current_app.url_map.bind("localhost")
    doc["components"]["securitySchemes"]["bearer"]["description"] = (
        "An API token made by an admin (Admin > API tokens, or `ramp tokens create`). Each "
        "operation needs one scope, named in its x-required-scope: "
        + "; ".join(f"{name}: {what}" for name, what in SCOPES.items())
    )
    doc["x-scopes"] = dict(SCOPES)
    for path, operations in doc["paths"].items():
        url = prefix + re.sub(r"\{[^}]+\}", "1", path)
        for method, operation in operations.items():
            endpoint, _ = adapter.match(url, method=method.upper())
            if endpoint in ANY_TOKEN:
                operation["x-required-scope"] = None
                operation["security"] = [{"bearer": []}]
                continue
            scope = REQUIRED_SCOPE[endpoint]
            operation["x-required-scope"] = scope
            operation["security"] = [{"bearer": [scope]}]
            text = f"Needs a token with the scope `{scope}`."
            operation["description"] = f"{operation.get('description', '')}\n\n{text}".strip()
            operation["responses"]["403"] = {
                "description": f"The token lacks the scope {scope}",
                "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "error": {"type": "string", "enum": ["forbidden"]},
                    "missing_scope": {"type": "string"}, "message": {"type": "string"}}}}},
            }  # fmt: skip
