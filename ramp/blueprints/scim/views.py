"""SCIM 2.0 endpoints. A token with the `scim` scope authenticates each request (no cookies,
so no CSRF token); answers and errors are SCIM JSON (application/scim+json)."""

from __future__ import annotations

import json
from collections.abc import Callable

import scim2_models as sm
from flask import Response, g, request

from ramp.audit.operations import integration
from ramp.blueprints.scim.blueprint import bp
from ramp.extensions import db
from ramp.metrics.api import TokenRefused, authenticate
from ramp.scim import operations as ops
from ramp.scim import resources as res
from ramp.scim.resources import GroupModel, UserModel
from ramp.webkit import csrf

csrf.exempt(bp)  # every request carries its bearer token instead of a cookie

SCOPE = "scim"
MEDIA_TYPE = "application/scim+json"
MAX_BODY = 1_000_000


def _json(payload: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload), status, headers or {}, mimetype=MEDIA_TYPE)


def _error(exc: sm.SCIMException, headers: dict | None = None) -> Response:
    error = exc.to_error()
    return _json(error.model_dump(mode="json"), error.status or 400, headers)


def _base_url() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


def _body():
    """The request's JSON body; invalidSyntax when it is not JSON."""
    if request.content_length and request.content_length > MAX_BODY:
        raise sm.PayloadTooLargeException(detail="The request is larger than 1 MB.")
    data = request.get_data(cache=False)
    if len(data) > MAX_BODY:
        raise sm.PayloadTooLargeException(detail="The request is larger than 1 MB.")
    try:
        body = json.loads(data)
        nul = _has_nul(body)
    except (ValueError, RecursionError):
        raise sm.InvalidSyntaxException(detail="The body is not JSON.") from None
    if nul:  # no database keeps it (PostgreSQL refuses it in text): refused before any write
        raise sm.InvalidValueException(detail="Text in the body may not contain NUL (\\u0000).")
    return body


def _has_nul(value) -> bool:
    """Whether any key or string in the decoded JSON holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _parameters() -> sm.ResponseParameters | None:
    attributes = request.args.get("attributes")
    excluded = request.args.get("excludedAttributes")
    if not attributes and not excluded:
        return None
    try:
        return sm.ResponseParameters.model_validate(
            {"attributes": attributes or None, "excludedAttributes": excluded or None}
        )
    except (ValueError, TypeError):
        raise sm.InvalidValueException(
            detail="attributes and excludedAttributes name attributes, comma-separated."
        ) from None


def _dump(resource: sm.Resource, ctx: sm.Context) -> dict:
    return resource.model_dump(mode="json", scim_ctx=ctx, response_parameters=_parameters())


@bp.before_request
def require_token():
    """Every SCIM request needs `Authorization: Bearer <token>` of a token with the scim scope."""
    header = request.headers.get("Authorization", "")
    secret = header[7:].strip() if header.lower().startswith("bearer ") else None
    try:
        token = authenticate(secret)
    except TokenRefused as exc:
        db.session.rollback()
        return _error(
            sm.UnauthorizedException(detail=str(exc)), {"WWW-Authenticate": 'Bearer realm="ramp"'}
        )
    if SCOPE not in token.scope_list:
        db.session.rollback()
        return _error(
            sm.ForbiddenException(detail="This token lacks the scim scope; ask an admin for one.")
        )
    g.scim_token = token
    db.session.commit()  # last_used_at
    return None


def _run(change: Callable[[], object], ctx: sm.Context, status: int = 200) -> Response:
    """Run one change as the token's integration, commit once, answer SCIM JSON."""
    try:
        with integration(f"SCIM: {g.scim_token.name}"):
            result = change()
        db.session.commit()
    except sm.SCIMException as exc:
        db.session.rollback()
        return _error(exc)
    if result is None:
        return Response(status=204)
    resource = result
    headers = {"Location": resource.meta.location} if status == 201 else None
    return _json(_dump(resource, ctx), status, headers)


def _read(find: Callable[[], object]) -> Response:
    try:
        return _json(_dump(find(), sm.Context.RESOURCE_QUERY_RESPONSE))
    except sm.SCIMException as exc:
        db.session.rollback()
        return _error(exc)


def _list(list_fn: Callable, model) -> Response:
    try:
        start, count = res.page_bounds(request.args.get("startIndex"), request.args.get("count"))
        page, total = list_fn(request.args.get("filter"), start, count, _base_url())
        listed = res.list_response(page, start, count, total, model)
        payload = listed.model_dump(
            mode="json",
            scim_ctx=sm.Context.SEARCH_RESPONSE,
            response_parameters=_parameters(),
        )
    except sm.SCIMException as exc:
        db.session.rollback()
        return _error(exc)
    return _json(payload)


def _search(list_fn: Callable, model) -> Response:
    """A POST /.search: the SearchRequest's filter, startIndex, count and attributes."""
    try:
        payload = _body()
        if not isinstance(payload, dict):
            raise sm.InvalidSyntaxException(detail="The body must be a SearchRequest.")
        search = sm.SearchRequest.model_validate(payload, scim_ctx=sm.Context.SEARCH_REQUEST)
    except sm.SCIMException as exc:
        return _error(exc)
    except (ValueError, TypeError, RecursionError) as exc:
        return _error(sm.InvalidSyntaxException(detail=f"The SearchRequest cannot be read: {exc}"))
    try:
        start, count = res.page_bounds(
            str(search.start_index) if search.start_index is not None else None,
            str(search.count) if search.count is not None else None,
        )
        page, total = list_fn(
            str(search.filter) if search.filter is not None else None, start, count, _base_url()
        )
        listed = res.list_response(page, start, count, total, model)
        result = listed.model_dump(
            mode="json", scim_ctx=sm.Context.SEARCH_RESPONSE, response_parameters=search
        )
    except sm.SCIMException as exc:
        db.session.rollback()
        return _error(exc)
    return _json(result)


# Discovery ---------------------------------------------------------------------------------


def _config() -> sm.ServiceProviderConfig:
    return sm.ServiceProviderConfig(
        documentation_uri=None,
        patch=sm.Patch(supported=True),
        bulk=sm.Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=sm.Filter(supported=True, max_results=res.MAX_COUNT),
        change_password=sm.ChangePassword(supported=False),
        sort=sm.Sort(supported=False),
        etag=sm.ETag(supported=False),
        authentication_schemes=[
            sm.AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="A ramp API token with the scim scope, made by an admin.",
                primary=True,
            )
        ],
        meta=sm.Meta(
            resource_type="ServiceProviderConfig",
            location=f"{_base_url()}/ServiceProviderConfig",
        ),
    )


def _schemas() -> list[sm.Schema]:
    schemas = []
    for model in (sm.User, sm.EnterpriseUser, sm.Group):
        schema = model.to_schema()
        schema.meta = sm.Meta(resource_type="Schema", location=f"{_base_url()}/Schemas/{schema.id}")
        schemas.append(schema)
    return schemas


def _resource_types() -> list[sm.ResourceType]:
    types = []
    for model in (UserModel, GroupModel):
        resource_type = sm.ResourceType.from_resource(model)
        resource_type.meta = sm.Meta(
            resource_type="ResourceType",
            location=f"{_base_url()}/ResourceTypes/{resource_type.id}",
        )
        types.append(resource_type)
    return types


def _discovery_list(items: list, model) -> Response:
    listed = sm.ListResponse[model](
        total_results=len(items), start_index=1, items_per_page=len(items), resources=items
    )
    return _json(listed.model_dump(mode="json", scim_ctx=sm.Context.SEARCH_RESPONSE))


def _one_of(items: list, ident: str, what: str) -> Response:
    for item in items:
        if item.id == ident:
            return _json(item.model_dump(mode="json", scim_ctx=sm.Context.RESOURCE_QUERY_RESPONSE))
    return _error(sm.NotFoundException(detail=f"No {what} {ident[:120]}."))


@bp.get("/ServiceProviderConfig")
def service_provider_config():
    """What this SCIM service supports: PATCH and filters, not bulk, sort or ETags."""
    return _json(_config().model_dump(mode="json", scim_ctx=sm.Context.RESOURCE_QUERY_RESPONSE))


@bp.get("/Schemas")
def schemas():
    """The schemas of the resources served: User, its enterprise extension, Group."""
    return _discovery_list(_schemas(), sm.Schema)


@bp.get("/Schemas/<path:schema_id>")
def schema(schema_id: str):
    """One schema by its URN."""
    return _one_of(_schemas(), schema_id, "schema")


@bp.get("/ResourceTypes")
def resource_types():
    """The resource types served: User and Group."""
    return _discovery_list(_resource_types(), sm.ResourceType)


@bp.get("/ResourceTypes/<type_id>")
def resource_type(type_id: str):
    """One resource type by its name."""
    return _one_of(_resource_types(), type_id, "resource type")


# Users -------------------------------------------------------------------------------------


@bp.get("/Users")
def users():
    """Users, filtered (e.g. `userName eq "…"`) and paged by startIndex and count."""
    return _list(ops.list_users, UserModel)


def _everything(filter_text: str | None, start: int, count: int, base_url: str):
    """Users, then groups, for a search at the root; a filter applies to the resource types
    it can be read against."""
    found, refusal = [], None
    for list_fn in (ops.list_users, ops.list_groups):
        try:
            page, _total = list_fn(filter_text, 1, res.MAX_COUNT, base_url)
        except sm.InvalidFilterException as exc:
            refusal = exc
            continue
        found.extend(page)
    if refusal is not None and not found and filter_text:
        raise refusal
    return found[start - 1 : start - 1 + count], len(found)


@bp.post("/.search")
def search():
    """Users and groups by a SearchRequest sent as POST to the root."""
    return _search(_everything, UserModel | GroupModel)


@bp.post("/Users/.search")
def search_users():
    """Users by a SearchRequest (filter, paging, attributes) sent as POST."""
    return _search(ops.list_users, UserModel)


@bp.post("/Users")
def create_user():
    """Create a user (or adopt the ramp user with that e-mail); 409 for a taken userName."""
    return _run(
        lambda: ops.create_user(_body(), _base_url()), sm.Context.RESOURCE_CREATION_RESPONSE, 201
    )


@bp.get("/Users/<user_id>")
def user(user_id: str):
    """One user."""
    return _read(lambda: ops.user_resource(*ops.find_user(user_id), _base_url()))


@bp.put("/Users/<user_id>")
def replace_user(user_id: str):
    """Replace a user."""
    return _run(
        lambda: ops.replace_user(user_id, _body(), _base_url()),
        sm.Context.RESOURCE_REPLACEMENT_RESPONSE,
    )


@bp.patch("/Users/<user_id>")
def patch_user(user_id: str):
    """Change a user by PATCH operations (`active: false` deactivates them)."""
    return _run(
        lambda: ops.patch_user(user_id, _body(), _base_url()), sm.Context.RESOURCE_PATCH_RESPONSE
    )


@bp.delete("/Users/<user_id>")
def delete_user(user_id: str):
    """Delete a user: deactivated in ramp, history and certificates kept."""
    return _run(lambda: ops.delete_user(user_id), sm.Context.RESOURCE_QUERY_RESPONSE, 204)


# Groups ------------------------------------------------------------------------------------


@bp.get("/Groups")
def groups():
    """Groups (teams), filtered (e.g. `displayName eq "…"`) and paged."""
    return _list(ops.list_groups, GroupModel)


@bp.post("/Groups/.search")
def search_groups():
    """Groups by a SearchRequest sent as POST."""
    return _search(ops.list_groups, GroupModel)


@bp.post("/Groups")
def create_group():
    """Create a group as a team (or adopt the team of that name)."""
    return _run(
        lambda: ops.create_group(_body(), _base_url()), sm.Context.RESOURCE_CREATION_RESPONSE, 201
    )


@bp.get("/Groups/<group_id>")
def group(group_id: str):
    """One group."""
    return _read(lambda: ops.group_resource(*ops.find_group(group_id), _base_url()))


@bp.put("/Groups/<group_id>")
def replace_group(group_id: str):
    """Replace a group: its name and members."""
    return _run(
        lambda: ops.replace_group(group_id, _body(), _base_url()),
        sm.Context.RESOURCE_REPLACEMENT_RESPONSE,
    )


@bp.patch("/Groups/<group_id>")
def patch_group(group_id: str):
    """Change a group by PATCH operations: members added, or removed by `members[value eq …]`."""
    return _run(
        lambda: ops.patch_group(group_id, _body(), _base_url()),
        sm.Context.RESOURCE_PATCH_RESPONSE,
    )


@bp.delete("/Groups/<group_id>")
def delete_group(group_id: str):
    """Delete a group: the team stays in ramp, with its members."""
    return _run(lambda: ops.delete_group(group_id), sm.Context.RESOURCE_QUERY_RESPONSE, 204)


ENDPOINTS = ("ServiceProviderConfig", "ResourceTypes", "Schemas", "Users", "Groups")


@bp.route("/<path:unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_endpoint(unknown: str):
    """Anything else under /scim/v2: a SCIM 405 on a known endpoint, a SCIM 404 elsewhere."""
    if unknown.split("/", 1)[0] in ENDPOINTS:
        error = sm.Error(status=405, detail=f"{request.method} is not allowed on /{unknown[:120]}.")
        return _json(error.model_dump(mode="json"), 405)
    return _error(sm.NotFoundException(detail=f"No SCIM endpoint /{unknown[:120]}."))
