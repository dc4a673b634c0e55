"""SCIM documents without the database: parsing, what ramp reads from them, listing.

Errors are scim2-models' SCIMException subclasses, which carry the status and scimType of
RFC 7644 §3.12; the web layer turns them into SCIM error JSON.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pydantic
import scim2_models as sm

from ramp.accounts.operations import EMAIL_RE, MAX_NAME_LENGTH

UserModel = sm.User[sm.EnterpriseUser]
GroupModel = sm.Group
RESOURCE_MODELS = (UserModel, GroupModel)

PLACEHOLDER_DOMAIN = "no-email.invalid"
DEFAULT_COUNT = 100
MAX_COUNT = 500
MAX_FILTER_LENGTH = 1000
# Attributes the server sets; what the client sends in them is ignored, never stored.
SERVER_ATTRIBUTES = ("id", "meta", "groups", "password")
# PATCH as Microsoft Entra ID sends it: a `remove` of members carrying the members in its
# value, and an `add` to `emails[type eq "work"].value` on a user with no work e-mail yet.
PATCH_POLICY = sm.ScimPolicy(
    remove_value_as_filter=sm.ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=sm.ScimPolicy.UnmatchedPathFilter.create,
)


def refused(exc: pydantic.ValidationError) -> sm.SCIMException:
    """The first problem of a payload scim2-models refused, as a SCIM error."""
    errors = sm.Error.from_validation_errors(exc)
    return sm.SCIMException.from_error(errors[0])


def parse(model: type[sm.Resource], payload: Any, ctx: sm.Context) -> sm.Resource:
    """A request's resource, validated as RFC 7643 says; unknown attributes are refused."""
    if not isinstance(payload, dict):
        raise sm.InvalidSyntaxException(detail="The body must be a SCIM resource (a JSON object).")
    try:
        return model.model_validate(payload, scim_ctx=ctx)
    except pydantic.ValidationError as exc:
        raise refused(exc) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise sm.InvalidSyntaxException(detail=f"The resource cannot be read: {exc}") from None


def parse_patch(model: type[sm.Resource], payload: Any) -> sm.PatchOp:
    """A PATCH request's operations, their paths resolved against the resource's model."""
    if not isinstance(payload, dict):
        raise sm.InvalidSyntaxException(detail="The body must be a PatchOp (a JSON object).")
    try:
        return sm.PatchOp[model].model_validate(
            payload, scim_ctx=sm.Context.RESOURCE_PATCH_REQUEST, scim_policy=PATCH_POLICY
        )
    except pydantic.ValidationError as exc:
        raise refused(exc) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise sm.InvalidSyntaxException(detail=f"The patch cannot be read: {exc}") from None


def apply_patch(patch: sm.PatchOp, resource: sm.Resource) -> None:
    """Apply every operation to the resource, or none (scim2-models restores it on error)."""
    try:
        patch.patch(resource, scim_policy=PATCH_POLICY)
    except pydantic.ValidationError as exc:
        raise refused(exc) from None


def stored(resource: sm.Resource) -> dict:
    """The document ramp keeps of a resource: what the client wrote, without what the server
    sets (id, meta, groups) and without a password (ramp's users sign in otherwise)."""
    document = resource.model_dump(mode="json", scim_ctx=sm.Context.DEFAULT, by_alias=True)
    for key in SERVER_ATTRIBUTES:
        document.pop(key, None)
    return document


def email_of(user: sm.User) -> str:
    """The e-mail ramp knows the user by: the primary e-mail, else the work one, else the
    first, else userName when it is an e-mail address."""
    emails = [e for e in user.emails or [] if e.value]
    chosen = (
        next((e for e in emails if e.primary), None)
        or next((e for e in emails if (e.type or "").lower() == "work"), None)
        or (emails[0] if emails else None)
    )
    if chosen is not None:
        return chosen.value.strip().lower()
    user_name = (user.user_name or "").strip()
    if EMAIL_RE.match(user_name):
        return user_name.lower()
    # A user sent with neither gets an address that can never be delivered (RFC 2606's
    # .invalid), unique to the userName, until the identity provider sends an e-mail.
    digest = hashlib.sha256(user_name.lower().encode()).hexdigest()[:20]
    return f"scim-{digest}@{PLACEHOLDER_DOMAIN}"


def name_of(user: sm.User) -> str:
    """The user's name as ramp shows it: formatted, else given and family, else displayName."""
    name = user.name
    candidates = [
        name.formatted if name else None,
        " ".join(p for p in (name.given_name, name.family_name) if p) if name else None,
        user.display_name,
        user.user_name,
    ]
    chosen = next((c.strip() for c in candidates if c and c.strip()), "")
    return chosen[:MAX_NAME_LENGTH]


def parse_filter(model: type[sm.Resource], text: str | None) -> sm.ScimFilter | None:
    """The `filter` query parameter, checked against the model; invalidFilter when it is not
    one (RFC 7644 §3.4.2.2)."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_FILTER_LENGTH:
        raise sm.InvalidFilterException(detail="The filter is too long.")
    try:
        query = sm.ScimFilter[model](text)
        # scim2-models reads unknown attributes leniently (they match nothing); refuse them,
        # so a typo in an identity provider's mapping shows instead of matching no one.
        query._validate_semantics(strict=True)
        return query
    except sm.SCIMException:
        raise
    except (pydantic.ValidationError, ValueError, TypeError, RecursionError) as exc:
        raise sm.InvalidFilterException(detail=f"The filter cannot be read: {exc}") from None


def matches(query: sm.ScimFilter | None, resource: sm.Resource) -> bool:
    """Whether the resource passes the filter (no filter: every resource does)."""
    if query is None:
        return True
    try:
        return query.match(resource)
    except sm.SCIMException:
        raise
    except (ValueError, TypeError) as exc:
        raise sm.InvalidFilterException(detail=f"The filter cannot be applied: {exc}") from None


def page_bounds(start_index: str | None, count: str | None) -> tuple[int, int]:
    """startIndex (1-based; less than 1 reads as 1) and count (negative reads as 0), as
    RFC 7644 §3.4.2.4 says; capped at MAX_COUNT."""
    try:
        start = int(start_index) if start_index not in (None, "") else 1
        size = int(count) if count not in (None, "") else DEFAULT_COUNT
    except ValueError:
        raise sm.InvalidValueException(detail="startIndex and count must be integers.") from None
    return max(start, 1), min(max(size, 0), MAX_COUNT)


def list_response(
    resources: Sequence[sm.Resource], start: int, count: int, total: int, model
) -> sm.ListResponse:
    """One page of resources as a ListResponse."""
    return sm.ListResponse[model](
        total_results=total,
        start_index=start,
        items_per_page=len(resources),
        resources=list(resources) or None,
    )
