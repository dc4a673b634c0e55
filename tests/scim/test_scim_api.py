"""SCIM provisioning as Okta and Entra ID use it, through the app: users, groups, filters,
deactivation, the audit trail, and every refusal as SCIM error JSON."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ramp.accounts.models import Team, User
from ramp.audit.models import AuditEvent
from ramp.certificates.models import Certificate
from ramp.certificates.operations import issue_certificate
from ramp.milestones.models import Hire
from ramp.scim.operations import map_group_role
from tests.conftest import login, make_app

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def scim(client, scim_token):
    """scim(method, path, body=None) -> response, with the SCIM token."""
    secret, _ = scim_token

    def call(method: str, path: str, body=None, **kw):
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"}
        data = body if isinstance(body, (str, bytes)) or body is None else None
        return client.open(
            f"/scim/v2{path}",
            method=method,
            headers=headers,
            json=body if data is None and body is not None else None,
            data=data,
            **kw,
        )

    return call


def okta_user(email: str, given="Dana", family="Reyes", external_id="00u1abc", **extra) -> dict:
    """A user as Okta's SCIM 2.0 app creates one."""
    return {
        "schemas": [USER],
        "userName": email,
        "externalId": external_id,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": f"{given} {family}",
        "active": True,
        **extra,
    }


def error_of(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    if scim_type is not None:
        assert body.get("scimType") == scim_type, body
    return body


def _user(db, email: str) -> User:
    db.session.remove()
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


# Authentication ---------------------------------------------------------------------------


def test_no_token_is_401(client, scim_token):
    response = client.get("/scim/v2/Users")
    error_of(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_token_is_401(client, scim_token):
    response = client.get("/scim/v2/Users", headers={"Authorization": "Bearer ramp_wrong"})
    error_of(response, 401)


def test_token_without_the_scim_scope_is_403(client, make_user, db):
    from ramp.metrics.api import create_token

    _token, secret = create_token("Pusher", make_user("admin"), scopes=["records:write"])
    db.session.commit()
    response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"})
    error_of(response, 403)


def test_revoked_token_is_401(client, scim_token, db):
    from ramp.metrics.api import revoke_token

    secret, token = scim_token
    revoke_token(db.session.merge(token))
    db.session.commit()
    error_of(client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {secret}"}), 401)


def test_a_signed_in_admin_without_a_token_is_refused(client, scim_token, make_user):
    admin = make_user("admin")
    login(client, admin.email)
    for path in ("/scim/v2/Users", "/scim/v2/Groups", "/scim/v2/ServiceProviderConfig"):
        error_of(client.get(path), 401)
    error_of(client.post("/scim/v2/Users", json=okta_user("x@example.com")), 401)


# Users ------------------------------------------------------------------------------------


def test_okta_creates_a_user_and_the_audit_names_the_integration(scim, db):
    response = scim("POST", "/Users", okta_user("dana.reyes@example.com"))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["userName"] == "dana.reyes@example.com"
    assert body["active"] is True
    assert response.headers["Location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert response.headers["Content-Type"].startswith("application/scim+json")
    user = _user(db, "dana.reyes@example.com")
    assert (user.name, user.role.value, user.is_active_account) == ("Dana Reyes", "agent", True)
    assert user.password_hash is None
    event = db.session.execute(
        select(AuditEvent).where(
            AuditEvent.action == "user.create", AuditEvent.subject == f"user:{body['id']}"
        )
    ).scalar_one()
    assert event.actor_id is None and event.details["via"] == "SCIM: Okta"
    got = scim("GET", f"/Users/{body['id']}").get_json()
    assert got["externalId"] == "00u1abc" and got["name"]["givenName"] == "Dana"


def test_duplicate_user_name_is_409_uniqueness(scim):
    assert scim("POST", "/Users", okta_user("dana@example.com")).status_code == 201
    again = okta_user("dana@example.com", external_id="00u2")
    error_of(scim("POST", "/Users", again), 409, "uniqueness")
    other_mail = okta_user("DANA@example.com", external_id="00u3")
    other_mail["emails"] = [{"value": "someone.else@example.com", "type": "work"}]
    error_of(scim("POST", "/Users", other_mail), 409, "uniqueness")


def test_an_existing_ramp_user_is_adopted_not_duplicated(scim, make_user, db):
    existing = make_user("manager", email="lee@example.com", name="Lee Park")
    listed = scim("GET", '/Users?filter=userName eq "lee@example.com"').get_json()
    assert listed["totalResults"] == 1 and listed["Resources"][0]["id"] == str(existing.id)
    response = scim("POST", "/Users", okta_user("lee@example.com", "Lee", "Park"))
    assert response.status_code == 201
    assert response.get_json()["id"] == str(existing.id)
    assert _user(db, "lee@example.com").role.value == "manager"  # roles stay ramp's


def test_unknown_attribute_is_400(scim):
    body = okta_user("x@example.com", favouriteColour="teal")
    error = error_of(scim("POST", "/Users", body), 400)
    assert error["scimType"] in {"invalidSyntax", "invalidValue"}
    assert "favouriteColour" in error["detail"]


def test_wrong_type_is_400_invalid_value(scim):
    body = okta_user("x@example.com")
    body["emails"] = "x@example.com"
    error_of(scim("POST", "/Users", body), 400)


def test_missing_user_name_is_400(scim):
    body = okta_user("x@example.com")
    del body["userName"]
    error_of(scim("POST", "/Users", body), 400)


def test_patch_put_get_delete_on_a_missing_user_are_404(scim):
    patch = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    error_of(scim("PATCH", "/Users/999999", patch), 404)
    error_of(scim("PUT", "/Users/999999", okta_user("x@example.com")), 404)
    error_of(scim("GET", "/Users/999999"), 404)
    error_of(scim("GET", "/Users/not-a-number"), 404)
    error_of(scim("DELETE", "/Users/999999"), 404)


@pytest.mark.parametrize(
    "bad",
    [
        'userName eq "unterminated',
        "userName eq",
        "nosuchattribute eq 1",
        'userName zz "a"',
        "((((",
        'emails[type eq "work".value eq "x"',
    ],
)
def test_malformed_filter_is_400_invalid_filter(scim, bad):
    error_of(scim("GET", "/Users", query_string={"filter": bad}), 400, "invalidFilter")


@pytest.fixture
def three_users(scim):
    ids = []
    for n, email in enumerate(["ana@example.com", "ben@example.com", "cy@example.com"]):
        body = okta_user(email, given=email.split("@")[0].title(), external_id=f"ext-{n}")
        ids.append(scim("POST", "/Users", body).get_json()["id"])
    return ids


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ('userName eq "BEN@example.com"', [1]),  # userName is compared case-insensitively
        ('externalId eq "ext-2"', [2]),
        ('emails[type eq "work"].value eq "ana@example.com"', [0]),
        ('displayName eq "Cy Reyes"', [2]),
        ('userName sw "a"', [0]),
        ('userName eq "nobody@example.com"', []),
    ],
)
def test_filters_as_identity_providers_send_them(scim, three_users, filter_, expected):
    body = scim("GET", "/Users", query_string={"filter": filter_}).get_json()
    assert [r["id"] for r in body.get("Resources", [])] == [three_users[i] for i in expected]
    assert body["totalResults"] == len(expected)


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ('userName eq "BEN@example.com"', ["ben"]),
        ('USERNAME  EQ  "cy@example.com" ', ["cy"]),
        ('userName eq "  ana@example.com"', []),  # the filter decides: no spaces in a userName
        ('userName eq "IT-Admin@Example.com"', ["admin"]),  # ramp's own user, never written
        ('userName eq "gone@example.com"', []),  # deleted: not listed
        ('userName eq "Dana.Reyes"', ["dana"]),  # her userName is not her e-mail
        ('userName eq "dana@example.com"', []),
        ('externalId eq "ext-1"', ["ben"]),
        ('externalId eq "EXT-1"', []),  # externalId is compared exactly
        ('userName eq "a\\"b@example.com"', []),
        ('userName eq "nobody@example.com"', []),
    ],
)
def test_lookups_by_user_name_or_external_id_read_only_their_users(
    scim, three_users, db, filter_, expected
):
    """Identity providers look a user up before each write: ramp finds the candidates by
    their indexed columns, and gives what the same filter read over every user gives (the
    filter in parentheses is not a plain lookup, so it reads everyone)."""
    gone = scim("POST", "/Users", okta_user("gone@example.com", external_id="ext-9"))
    scim("DELETE", f"/Users/{gone.get_json()['id']}")
    dana = scim("POST", "/Users", okta_user("dana@example.com", userName="dana.reyes"))
    admin = db.session.execute(select(User).where(User.role == "admin")).scalar_one()
    names = {three_users[i]: n for i, n in enumerate(["ana", "ben", "cy"])} | {
        str(admin.id): "admin",
        dana.get_json()["id"]: "dana",
    }

    def found(text: str) -> list[str]:
        body = scim("GET", "/Users", query_string={"filter": text}).get_json()
        assert body["totalResults"] == len(body.get("Resources", []))
        return [names[r["id"]] for r in body.get("Resources", [])]

    assert found(filter_) == expected
    assert found(f"({filter_})") == expected


def test_start_index_and_count_page_the_list(scim, three_users):
    page = scim("GET", "/Users?startIndex=2&count=1").get_json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (4, 2, 1)
    # The token's admin is a user too: ids in order, the admin first.
    assert [r["id"] for r in page["Resources"]] == [three_users[0]]
    assert scim("GET", "/Users?startIndex=0&count=-3").get_json()["itemsPerPage"] == 0
    error_of(scim("GET", "/Users?count=many"), 400)


def test_put_replaces_the_user(scim, db):
    user_id = scim("POST", "/Users", okta_user("ana@example.com")).get_json()["id"]
    replacement = okta_user("ana.new@example.com", "Ana", "Lima")
    response = scim("PUT", f"/Users/{user_id}", replacement)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _user(db, "ana.new@example.com").name == "Ana Lima"


def test_entra_patch_deactivates_with_a_string_and_the_user_cannot_sign_in(
    migrated, scim, ramp_world, db
):
    hire = ramp_world.hire(name="Sam Ortiz")
    cert = issue_certificate(hire, ramp_world.admin, "http://localhost", override_reason="Ready")
    db.session.commit()
    email, hire_id, cert_id = hire.user.email, hire.id, cert.id
    listed = scim("GET", "/Users", query_string={"filter": f'userName eq "{email}"'}).get_json()
    user_id = listed["Resources"][0]["id"]
    client = make_app(migrated).test_client()  # the agent's browser, its own app context
    login(client, email)
    assert "/auth/login" not in client.get("/learn/").headers.get("Location", "")
    before = _user(db, email).session_version
    entra = {
        "schemas": [PATCH],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    }
    response = scim("PATCH", f"/Users/{user_id}", entra)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["active"] is False
    user = _user(db, email)
    assert not user.is_active_account and user.session_version > before
    # Off the board, history and certificate kept.
    assert db.session.get(Hire, hire_id).active is False
    assert db.session.get(Certificate, cert_id) is not None
    # The session signed in before is over, and signing in again is refused.
    assert "/auth/login" in client.get("/learn/").headers["Location"]
    assert login(client, email).status_code != 302
    events = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "user.deactivate")
    ).scalars()
    assert [e.details["via"] for e in events] == ["SCIM: Okta"]
    # Reactivated: back on the board.
    back = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": True}}]}
    assert scim("PATCH", f"/Users/{user_id}", back).status_code == 200
    assert db.session.get(Hire, hire_id).active is True
    assert _user(db, email).is_active_account


def test_pathless_value_object_patch(scim, db):
    user_id = scim("POST", "/Users", okta_user("ana@example.com")).get_json()["id"]
    patch = {
        "schemas": [PATCH],
        "Operations": [
            {"op": "replace", "value": {"displayName": "Ana L.", "name.formatted": "Ana Lima"}},
            {"op": "add", "path": 'emails[type eq "work"].value', "value": "ana.lima@example.com"},
        ],
    }
    response = scim("PATCH", f"/Users/{user_id}", patch)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _user(db, "ana.lima@example.com").name == "Ana Lima"


def test_bad_patch_is_400_and_changes_nothing(scim, db):
    user_id = scim("POST", "/Users", okta_user("ana@example.com")).get_json()["id"]
    bad = {"schemas": [PATCH], "Operations": [{"op": "explode", "path": "active"}]}
    error_of(scim("PATCH", f"/Users/{user_id}", bad), 400)
    unknown = {"schemas": [PATCH], "Operations": [{"op": "add", "path": "shoeSize", "value": 9}]}
    error_of(scim("PATCH", f"/Users/{user_id}", unknown), 400)
    assert _user(db, "ana@example.com").is_active_account


def test_delete_deactivates_and_keeps_the_user(scim, db):
    user_id = scim("POST", "/Users", okta_user("ana@example.com")).get_json()["id"]
    assert scim("DELETE", f"/Users/{user_id}").status_code == 204
    error_of(scim("GET", f"/Users/{user_id}"), 404)
    user = _user(db, "ana@example.com")
    assert not user.is_active_account
    # The userName is free again: the person comes back, as the same ramp user.
    again = scim("POST", "/Users", okta_user("ana@example.com"))
    assert again.status_code == 201 and again.get_json()["id"] == user_id
    assert _user(db, "ana@example.com").is_active_account


# Groups -----------------------------------------------------------------------------------


def test_groups_are_teams_with_members_and_a_mapped_role(scim, db):
    ana = scim("POST", "/Users", okta_user("ana@example.com")).get_json()["id"]
    ben = scim("POST", "/Users", okta_user("ben@example.com", external_id="b")).get_json()["id"]
    created = scim(
        "POST",
        "/Groups",
        {"schemas": [GROUP], "displayName": "Tier 2 Chat", "members": [{"value": ana}]},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    group_id = created.get_json()["id"]
    assert _user(db, "ana@example.com").team.name == "Tier 2 Chat"
    found = scim("GET", '/Groups?filter=displayName eq "Tier 2 Chat"').get_json()
    assert [g["id"] for g in found["Resources"]] == [group_id]
    map_group_role("Tier 2 Chat", "manager", None)
    db.session.commit()
    add = {
        "schemas": [PATCH],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": ben}]}],
    }
    assert scim("PATCH", f"/Groups/{group_id}", add).status_code == 200
    ben_user = _user(db, "ben@example.com")
    assert (ben_user.team.name, ben_user.role.value) == ("Tier 2 Chat", "manager")
    remove = {
        "schemas": [PATCH],
        "Operations": [{"op": "remove", "path": f'members[value eq "{ana}"]'}],
    }
    response = scim("PATCH", f"/Groups/{group_id}", remove)
    assert [m["value"] for m in response.get_json()["members"]] == [ben]
    assert _user(db, "ana@example.com").team is None
    user_groups = scim("GET", f"/Users/{ben}").get_json()["groups"]
    assert [g["value"] for g in user_groups] == [group_id]
    # Entra ID removes a member with the member in the value.
    entra = {
        "schemas": [PATCH],
        "Operations": [{"op": "Remove", "path": "members", "value": [{"value": ben}]}],
    }
    assert scim("PATCH", f"/Groups/{group_id}", entra).status_code == 200
    assert _user(db, "ben@example.com").team is None
    rename = {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "displayName", "value": "T2"}],
    }
    assert scim("PATCH", f"/Groups/{group_id}", rename).get_json()["displayName"] == "T2"
    assert scim("DELETE", f"/Groups/{group_id}").status_code == 204
    error_of(scim("GET", f"/Groups/{group_id}"), 404)
    db.session.remove()
    assert db.session.execute(select(Team).where(Team.name == "T2")).scalar_one()  # team stays
    actions = {e.action for e in db.session.execute(select(AuditEvent)).scalars()}
    assert {"team.create", "team.add_member", "team.remove_member", "scim.delete"} <= actions


def test_group_member_that_is_no_user_is_400(scim):
    body = {"schemas": [GROUP], "displayName": "Ghosts", "members": [{"value": "424242"}]}
    error_of(scim("POST", "/Groups", body), 400, "invalidValue")


def test_duplicate_group_is_409(scim):
    body = {"schemas": [GROUP], "displayName": "Email"}
    assert scim("POST", "/Groups", body).status_code == 201
    error_of(scim("POST", "/Groups", body), 409, "uniqueness")


def test_patch_on_a_missing_group_is_404(scim):
    patch = {
        "schemas": [PATCH],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": "1"}]}],
    }
    error_of(scim("PATCH", "/Groups/999999", patch), 404)


# Discovery and stray requests -------------------------------------------------------------


def test_discovery(scim):
    config = scim("GET", "/ServiceProviderConfig").get_json()
    assert config["patch"]["supported"] and config["filter"]["supported"]
    assert not config["bulk"]["supported"]
    types = scim("GET", "/ResourceTypes").get_json()
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    schemas = scim("GET", "/Schemas").get_json()
    assert USER in {s["id"] for s in schemas["Resources"]}
    assert scim("GET", f"/Schemas/{USER}").get_json()["id"] == USER
    error_of(scim("GET", "/Schemas/urn:nope"), 404)
    error_of(scim("GET", "/Nope"), 404)
    error_of(scim("DELETE", "/ServiceProviderConfig"), 405)


def test_every_scim_route_refuses_a_session_without_a_token(app, client, scim_token, make_user):
    from tests.web.test_authorization import SCIM_TOKEN

    login(client, make_user("admin").email)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("scim.")]
    assert {r.endpoint for r in rules} == SCIM_TOKEN
    for rule in rules:
        path = rule.rule.replace("<user_id>", "1").replace("<group_id>", "1")
        path = path.replace("<type_id>", "User").replace("<path:schema_id>", USER)
        path = path.replace("<path:unknown>", "Else")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            error_of(client.open(path, method=method, json={}), 401)


def test_group_role_command(runner, make_team, db):
    make_team("Leads")
    done = runner.invoke(args=["scim", "group-role", "Leads", "manager"])
    assert done.exit_code == 0, done.output
    from ramp.scim.models import ScimGroup

    db.session.remove()
    assert db.session.execute(select(ScimGroup.role)).scalar_one() == "manager"
    refused = runner.invoke(args=["scim", "group-role", "Nobody", "admin"])
    assert refused.exit_code == 1 and "unknown team" in refused.output


@pytest.mark.parametrize(
    ("attribute", "indexes"),
    [
        # SQLite names a UNIQUE constraint's index itself.
        (
            "userName",
            [
                ("uq_scim_users_user_name", "sqlite_autoindex_scim_users_1"),
                ("ix_users_email_lower",),
            ],
        ),
        ("externalId", [("ix_scim_users_external_id",)]),
    ],
)
def test_a_lookup_reads_users_by_index_not_the_whole_table(db, attribute, indexes):
    """The lookups an identity provider makes before each write find their candidates through
    their indexes on both databases, not by reading every user (or every SCIM row)."""
    from ramp.scim.operations import _listed_users

    listed = _listed_users(f'{attribute} eq "Ana@Example.com"')
    sqlite = db.engine.dialect.name == "sqlite"
    with db.engine.connect() as conn:
        if not sqlite:
            conn.exec_driver_sql("SET enable_seqscan = off")  # small tables: ask for indexes
        compiled = listed.compile(conn, compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        plan = "\n".join(str(r) for r in conn.exec_driver_sql(explain + str(compiled)).all())
    assert all(any(name in plan for name in names) for names in indexes), plan
    assert "SCAN users" not in plan and "SCAN scim_users" not in plan, plan
