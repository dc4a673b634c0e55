"""SCIM users and groups over ramp's users and teams. They flush; the caller commits.

A SCIM user is a ramp user; its id is the user's id. A SCIM group is a team; its id is the
team's id. What the identity provider wrote is kept as a document and given back as it
was; ramp reads from it the e-mail, the name, `active`, and the members, and changes its
users and teams through ramp.accounts.operations, so each change is audited (with the
integration's name, see ramp.audit.operations.integration).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import scim2_models as sm
from flask_babel import gettext
from sqlalchemy import Select, and_, func, or_, select, union

from ramp.accounts import operations as accounts
from ramp.accounts.models import Role, Team, User, utcnow
from ramp.audit.operations import record
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.milestones.models import Hire
from ramp.scim import resources as res
from ramp.scim.models import ScimGroup, ScimUser
from ramp.scim.resources import GroupModel, UserModel


def _invalid(exc: ValidationError) -> sm.InvalidValueException:
    return sm.InvalidValueException(detail="; ".join(exc.problems))


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives datetimes back without their zone; they were stored in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _meta(kind: str, created, modified, base_url: str, ident: int) -> sm.Meta:
    return sm.Meta(
        resource_type=kind,
        created=_aware(created),
        last_modified=_aware(modified),
        location=f"{base_url}/{kind}s/{ident}",
    )


# Users --------------------------------------------------------------------------------------


def _user_row(user: User) -> ScimUser | None:
    return db.session.get(ScimUser, user.id)


def _visible_group(team: Team | None) -> bool:
    if team is None:
        return False
    row = db.session.get(ScimGroup, team.id)
    return row is None or not row.deleted


def user_resource(user: User, row: ScimUser | None, base_url: str) -> sm.Resource:
    """The user as a SCIM resource: the stored document (or, for a user the identity provider
    never wrote, one made from ramp's record), with ramp's id, `active`, group and meta."""
    if row is not None:
        document = dict(row.document)
    else:
        document = {
            "schemas": [sm.User.__schema__],
            "userName": user.email,
            "name": {"formatted": user.name},
            "displayName": user.name,
            "emails": [{"value": user.email, "type": "work", "primary": True}],
        }
    resource = UserModel.model_validate(document)
    resource.id = str(user.id)
    # A removed `active` stays absent while the user is active in ramp.
    unset = row is not None and resource.active is None and user.is_active_account
    resource.active = None if unset else user.is_active_account
    if _visible_group(user.team):
        resource.groups = [
            sm.GroupMembership(
                value=str(user.team.id),
                display=user.team.name,
                ref=f"{base_url}/Groups/{user.team.id}",
                type="direct",
            )
        ]
    modified = row.updated_at if row is not None else user.created_at
    resource.meta = _meta("User", user.created_at, modified, base_url, user.id)
    return resource


def _row_id(value) -> int | None:
    """A SCIM id as a row id: ASCII digits within a database integer, else None (so "²",
    "١" or a 30-digit id is no such resource rather than an error)."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number < 2**31 else None


def find_user(user_id: str) -> tuple[User, ScimUser | None]:
    """The user with this SCIM id; NotFoundException for no such user, or one deleted."""
    user = db.session.get(User, row_id) if (row_id := _row_id(user_id)) else None
    row = _user_row(user) if user is not None else None
    if user is None or (row is not None and row.deleted):
        raise sm.NotFoundException(detail=f"No user with id {str(user_id)[:80]}.")
    return user, row


# The lookups identity providers make before every create and update: `userName eq "..."`
# (Okta, Entra ID) and `externalId eq "..."` (Entra ID). The value is a JSON string.
_LOOKUP = re.compile(r'\s*(userName|externalId)\s+eq\s+("(?:[^"\\]|\\.)*")\s*', re.IGNORECASE)


def _listed_users(filter_text: str | None) -> Select:
    """The users a listing looks at, in id order, each with its SCIM row: not deleted. With
    no filter, all of them; with one of the lookups above, only those it can select, found
    by the indexed columns (a user the identity provider never wrote is listed under their
    e-mail); with any other filter, all of them."""
    statement = (
        select(User, ScimUser)
        .outerjoin(ScimUser, ScimUser.user_id == User.id)
        .where(or_(ScimUser.deleted.is_(None), ScimUser.deleted.is_(False)))
        .order_by(User.id)
    )
    lookup = _LOOKUP.fullmatch(filter_text or "")
    if lookup is not None:
        try:
            value = json.loads(lookup.group(2))
        except ValueError:
            value = None
        if isinstance(value, str):
            if lookup.group(1).lower() == "username":
                key = value.strip().lower()
                # Each side of the OR reads its own index; together, across the outer join,
                # neither database would use either, so the candidates come first.
                candidates = union(
                    select(ScimUser.user_id).where(ScimUser.user_name == key),
                    select(User.id).where(func.lower(User.email) == key),
                )
                statement = statement.where(
                    User.id.in_(candidates),
                    or_(
                        ScimUser.user_name == key,
                        and_(ScimUser.user_id.is_(None), func.lower(User.email) == key),
                    ),
                )
            else:
                statement = statement.where(ScimUser.external_id == value)
    return statement


def list_users(filter_text: str | None, start: int, count: int, base_url: str):
    """The users a filter selects, one page of them, and how many it selects in all. The
    filter decides (RFC 7644's matching, by scim2-models); the database only narrows down
    whom it is asked about. Without a filter, only the page is built."""
    query = res.parse_filter(UserModel, filter_text)
    listed = _listed_users(filter_text)
    if query is None:
        total = db.session.execute(select(func.count()).select_from(listed.subquery()))
        page = db.session.execute(listed.offset(start - 1).limit(count)).all()
        return [user_resource(user, row, base_url) for user, row in page], total.scalar_one()
    selected = [
        resource
        for user, row in db.session.execute(listed).all()
        if res.matches(query, resource := user_resource(user, row, base_url))
    ]
    return selected[start - 1 : start - 1 + count], len(selected)


def _check_user_name(user_name: str, user: User | None) -> str:
    key = user_name.strip().lower()
    if not key:
        raise sm.InvalidValueException(detail="userName is empty.")
    if len(key) > 255:
        raise sm.InvalidValueException(detail="userName is longer than 255 characters.")
    taken = db.session.execute(
        select(ScimUser.user_id).where(ScimUser.user_name == key)
    ).scalar_one_or_none()
    if taken is not None and (user is None or taken != user.id):
        raise sm.UniquenessException(detail=f"userName {user_name[:80]} is taken.")
    return key


def _suspend_hires(user: User, row: ScimUser) -> None:
    """Take the user's active hires off the board, remembering them for a reactivation."""
    hires = db.session.execute(
        select(Hire).where(Hire.user_id == user.id, Hire.active.is_(True))
    ).scalars()
    for hire in hires:
        hire.active = False
        row.suspended_hire_ids = [*row.suspended_hire_ids, hire.id]


def _restore_hires(user: User, row: ScimUser) -> None:
    for hire_id in row.suspended_hire_ids:
        hire = db.session.get(Hire, hire_id)
        if hire is not None and hire.user_id == user.id:
            hire.active = True
    row.suspended_hire_ids = []


def _set_active(user: User, row: ScimUser, active: bool) -> None:
    try:
        if not active and user.is_active_account:
            accounts.deactivate_user(user, None, "deactivated by the identity provider (SCIM)")
            _suspend_hires(user, row)
        elif active and not user.is_active_account:
            accounts.reactivate_user(user, None, "reactivated by the identity provider (SCIM)")
            _restore_hires(user, row)
    except ValidationError as exc:
        raise _invalid(exc) from None


def _write_user(
    user: User, row: ScimUser, resource: sm.Resource, removed_active: bool = False
) -> None:
    """Carry a user resource into ramp's user and the stored document."""
    email = res.email_of(resource)
    if email != user.email:
        other = accounts.find_user_by_email(email)
        if other is not None and other.id != user.id:
            raise sm.UniquenessException(detail=f"The e-mail {email} belongs to another user.")
        if not accounts.EMAIL_RE.match(email) or len(email) > accounts.MAX_EMAIL_LENGTH:
            raise sm.InvalidValueException(detail=f"{email[:80]} is not an e-mail address.")
        record(None, "user.update", f"user:{user.id}", email={"from": user.email, "to": email})
        user.email = email
    try:
        accounts.update_user(user, name=res.name_of(resource))
    except ValidationError as exc:
        raise _invalid(exc) from None
    row.user_name = _check_user_name(resource.user_name or "", user)
    row.external_id = resource.external_id
    row.document = res.stored(resource)
    row.updated_at = utcnow()
    db.session.flush()
    if resource.active is not None:
        _set_active(user, row, resource.active)
    elif removed_active:
        _set_active(user, row, True)  # `active` removed: the default, an active user


def create_user(payload: Any, base_url: str) -> sm.Resource:
    """Create (or adopt) a user from a SCIM POST. A ramp user with the same e-mail that no
    identity provider wrote yet is adopted, not duplicated."""
    resource = res.parse(UserModel, payload, sm.Context.RESOURCE_CREATION_REQUEST)
    _check_user_name(resource.user_name or "", None)
    email = res.email_of(resource)
    user = accounts.find_user_by_email(email)
    row = _user_row(user) if user is not None else None
    if user is not None and row is not None and not row.deleted:
        raise sm.UniquenessException(detail=f"A user with e-mail {email} is already provisioned.")
    if user is None:
        try:
            user = accounts.create_user(email, res.name_of(resource), None, Role.AGENT)
        except ValidationError as exc:
            raise _invalid(exc) from None
    else:
        record(None, "scim.adopt", f"user:{user.id}", email=user.email)
    if row is None:
        row = ScimUser(user_id=user.id, document={}, suspended_hire_ids=[])
        db.session.add(row)
    row.deleted = False
    if resource.active is None:
        resource.active = True
    _write_user(user, row, resource)
    return user_resource(user, row, base_url)


def replace_user(user_id: str, payload: Any, base_url: str) -> sm.Resource:
    """Replace a user with a SCIM PUT (what it leaves out is cleared)."""
    user, row = find_user(user_id)
    resource = res.parse(UserModel, payload, sm.Context.RESOURCE_REPLACEMENT_REQUEST)
    row = _ensure_user_row(user, row)
    _write_user(user, row, resource)
    return user_resource(user, row, base_url)


def _ensure_user_row(user: User, row: ScimUser | None) -> ScimUser:
    if row is None:
        row = ScimUser(user_id=user.id, document={}, suspended_hire_ids=[], deleted=False)
        db.session.add(row)
        record(None, "scim.adopt", f"user:{user.id}", email=user.email)
    return row


def patch_user(user_id: str, payload: Any, base_url: str) -> sm.Resource:
    """Apply a SCIM PATCH to a user (add, replace, remove; Entra ID's string booleans and
    path-less value objects included)."""
    user, row = find_user(user_id)
    patch = res.parse_patch(UserModel, payload)
    resource = user_resource(user, row, base_url)
    was_set = resource.active is not None
    res.apply_patch(patch, resource)
    row = _ensure_user_row(user, row)
    _write_user(user, row, resource, removed_active=was_set and resource.active is None)
    return user_resource(user, row, base_url)


def delete_user(user_id: str) -> None:
    """Delete a user for the identity provider: ramp deactivates them and keeps their history
    and certificates; the id then answers 404."""
    user, row = find_user(user_id)
    row = _ensure_user_row(user, row)
    _set_active(user, row, False)
    row.deleted = True
    row.user_name = None
    row.updated_at = utcnow()
    db.session.flush()
    record(None, "scim.delete", f"user:{user.id}", email=user.email)


# Groups -------------------------------------------------------------------------------------


def _group_row(team: Team) -> ScimGroup | None:
    return db.session.get(ScimGroup, team.id)


def group_resource(team: Team, row: ScimGroup | None, base_url: str) -> sm.Resource:
    """The team as a SCIM group: its name, and its members (users who are in the team now,
    with what the identity provider wrote of them; nested groups as written)."""
    document = dict(row.document) if row is not None else {"schemas": [sm.Group.__schema__]}
    resource = GroupModel.model_validate(document)
    resource.id = str(team.id)
    resource.display_name = team.name
    in_team = {u.id: u for u in team.members}
    members, listed = [], set()
    for member in resource.members or []:
        if _is_group_member(member):
            members.append(member)
        elif _row_id(member.value) in in_team:
            members.append(member)
            listed.add(int(member.value))
    for user_id, user in in_team.items():
        visible = _user_row(user)
        if user_id not in listed and (visible is None or not visible.deleted):
            members.append(
                sm.GroupMember(
                    value=str(user_id),
                    display=user.name,
                    ref=f"{base_url}/Users/{user_id}",
                    type="User",
                )
            )
    resource.members = members or None
    created = row.created_at if row is not None else None
    modified = row.updated_at if row is not None else None
    resource.meta = _meta("Group", created, modified, base_url, team.id)
    return resource


def _is_group_member(member: sm.GroupMember) -> bool:
    return (member.type or "") == "Group" or "/Groups/" in str(member.ref or "")


def find_group(group_id: str) -> tuple[Team, ScimGroup | None]:
    """The team with this SCIM id; NotFoundException for no such team, or one deleted."""
    team = db.session.get(Team, row_id) if (row_id := _row_id(group_id)) else None
    row = _group_row(team) if team is not None else None
    if team is None or (row is not None and row.deleted):
        raise sm.NotFoundException(detail=f"No group with id {str(group_id)[:80]}.")
    return team, row


def list_groups(filter_text: str | None, start: int, count: int, base_url: str):
    """The groups a filter selects, one page of them, and how many it selects in all."""
    query = res.parse_filter(GroupModel, filter_text)
    rows = {r.team_id: r for r in db.session.execute(select(ScimGroup)).scalars()}
    selected = []
    for team in db.session.execute(select(Team).order_by(Team.id)).scalars():
        row = rows.get(team.id)
        if row is not None and row.deleted:
            continue
        resource = group_resource(team, row, base_url)
        if res.matches(query, resource):
            selected.append(resource)
    return selected[start - 1 : start - 1 + count], len(selected)


def _member_users(resource: sm.Resource) -> dict[int, User]:
    """The ramp users a group's members name; invalidValue for one that names none."""
    users = {}
    for member in resource.members or []:
        if _is_group_member(member):
            continue
        value = member.value or ""
        user = db.session.get(User, row_id) if (row_id := _row_id(value)) else None
        row = _user_row(user) if user is not None else None
        if user is None or (row is not None and row.deleted):
            raise sm.InvalidValueException(detail=f"No user with id {value[:80]} to add.")
        users[user.id] = user
    return users


def _write_group(team: Team, row: ScimGroup, resource: sm.Resource, before: set[int]) -> None:
    """Carry a group resource into the team: its name, members moved in and out, and the
    role the admin mapped the group to."""
    name = (resource.display_name or "").strip()
    try:
        if name != team.name:
            accounts.update_team(team, name, team.manager.email if team.manager else None)
        wanted = _member_users(resource)
        for user_id in sorted(before - set(wanted)):
            user = db.session.get(User, user_id)
            if user.team_id == team.id:
                accounts.remove_from_team(user.email, team.name)
        for user in wanted.values():
            if user.team_id != team.id:
                accounts.add_to_team(user.email, team.name)
            if row.role and user.role.value != row.role:
                accounts.update_user(user, role=row.role)
    except ValidationError as exc:
        raise _invalid(exc) from None
    row.external_id = resource.external_id
    document = res.stored(resource)
    document.pop("displayName", None)  # the team's name is the one kept
    row.document = document
    row.updated_at = utcnow()
    db.session.flush()


def _members_now(team: Team) -> set[int]:
    return {u.id for u in team.members}


def create_group(payload: Any, base_url: str) -> sm.Resource:
    """Create a team from a SCIM POST, or adopt the team of that name if no identity
    provider wrote it yet."""
    resource = res.parse(GroupModel, payload, sm.Context.RESOURCE_CREATION_REQUEST)
    name = (resource.display_name or "").strip()
    team = accounts.find_team(name) if name else None
    row = _group_row(team) if team is not None else None
    if row is not None and not row.deleted:
        raise sm.UniquenessException(detail=f"A group named {name[:80]} already exists.")
    if team is None:
        try:
            team = accounts.create_team(name)
        except ValidationError as exc:
            raise _invalid(exc) from None
    else:
        record(None, "scim.adopt", f"team:{team.id}", name=team.name)
    if row is None:
        row = ScimGroup(team_id=team.id, document={})
        db.session.add(row)
    row.deleted = False
    _write_group(team, row, resource, set())
    return group_resource(team, row, base_url)


def _ensure_group_row(team: Team, row: ScimGroup | None) -> ScimGroup:
    if row is None:
        row = ScimGroup(team_id=team.id, document={}, deleted=False)
        db.session.add(row)
        record(None, "scim.adopt", f"team:{team.id}", name=team.name)
    return row


def replace_group(group_id: str, payload: Any, base_url: str) -> sm.Resource:
    """Replace a group with a SCIM PUT: its name and its whole member list."""
    team, row = find_group(group_id)
    resource = res.parse(GroupModel, payload, sm.Context.RESOURCE_REPLACEMENT_REQUEST)
    before = _members_now(team)
    row = _ensure_group_row(team, row)
    _write_group(team, row, resource, before)
    return group_resource(team, row, base_url)


def patch_group(group_id: str, payload: Any, base_url: str) -> sm.Resource:
    """Apply a SCIM PATCH to a group, e.g. members added, or removed by
    `members[value eq "…"]`."""
    team, row = find_group(group_id)
    patch = res.parse_patch(GroupModel, payload)
    resource = group_resource(team, row, base_url)
    before = _members_now(team)
    res.apply_patch(patch, resource)
    row = _ensure_group_row(team, row)
    _write_group(team, row, resource, before)
    return group_resource(team, row, base_url)


def delete_group(group_id: str) -> None:
    """Delete a group for the identity provider: the team and its members stay in ramp (their
    history with them); it is no longer a SCIM group."""
    team, row = find_group(group_id)
    row = _ensure_group_row(team, row)
    row.deleted = True
    row.updated_at = utcnow()
    db.session.flush()
    record(None, "scim.delete", f"team:{team.id}", name=team.name)


def map_group_role(team_name: str, role: str | None, actor: User | None) -> ScimGroup:
    """Set the role a group's members get (None: leave roles alone). Admin-set; audited."""
    team = accounts.find_team(team_name)
    if team is None:
        raise ValidationError(gettext("unknown team '%(team)s'", team=team_name))
    if role is not None and role not in {r.value for r in Role}:
        raise ValidationError(
            gettext("unknown role '%(role)s' (agent, manager or admin)", role=role)
        )
    row = _group_row(team)
    if row is None:
        row = ScimGroup(team_id=team.id, document={}, deleted=False)
        db.session.add(row)
    before = row.role
    row.role = role
    db.session.flush()
    record(actor, "scim.group_role", f"team:{team.id}", role={"from": before, "to": role})
    return row
