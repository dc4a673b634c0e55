"""Hostile SCIM requests: whatever the body, the filter or the id, a SCIM answer, never a 500."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["False", "True", "", "\x00", "ramp@example.com", "1", "-1", "💥" * 30]),
)
KEYS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "schemas",
            "userName",
            "emails",
            "active",
            "name",
            "displayName",
            "members",
            "externalId",
            "Operations",
            "op",
            "path",
            "value",
            "id",
            "meta",
            "groups",
        ]
    ),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)
# Bodies shaped like the real thing, with hostile values in them.
USER_LIKE = st.fixed_dictionaries(
    {"schemas": st.just([USER]), "userName": SCALARS},
    optional={"emails": JSON, "active": SCALARS, "name": JSON, "groups": JSON, "id": SCALARS},
)
GROUP_LIKE = st.fixed_dictionaries(
    {"schemas": st.just([GROUP]), "displayName": SCALARS},
    optional={"members": JSON, "externalId": SCALARS},
)
PATCH_LIKE = st.fixed_dictionaries(
    {
        "schemas": st.just([PATCH]),
        "Operations": st.lists(
            st.fixed_dictionaries(
                {"op": st.sampled_from(["add", "replace", "remove", "Replace", "x", 1])},
                optional={
                    "path": st.one_of(
                        st.text(max_size=30),
                        st.sampled_from(
                            [
                                "active",
                                "members",
                                'members[value eq "1"]',
                                'emails[type eq "work"].value',
                                "name.givenName",
                                "userName",
                                "id",
                                "members[",
                            ]
                        ),
                    ),
                    "value": JSON,
                },
            ),
            max_size=3,
        ),
    }
)
RAW = st.one_of(
    st.binary(max_size=60),
    st.sampled_from([b"", b"{", b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000, b"null", b"\xff\xfe"]),
)
FILTERS = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ['userName eq "', "userName eq", "(((", 'emails[type eq "work"].value eq 3', "a" * 2000]
    ),
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _scim_answer(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        body = response.get_json()
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
        assert body["status"] == str(response.status_code)


def _headers(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"}


def test_hostile_json_bodies_never_give_a_500(client, scim_token):
    secret, _ = scim_token
    created = client.post(
        "/scim/v2/Users",
        data=json.dumps({"schemas": [USER], "userName": "target@example.com"}),
        headers=_headers(secret),
    )
    user_id = created.get_json()["id"]
    group = client.post(
        "/scim/v2/Groups",
        data=json.dumps({"schemas": [GROUP], "displayName": "Target"}),
        headers=_headers(secret),
    )
    group_id = group.get_json()["id"]

    @FUZZ
    @given(
        target=st.sampled_from(
            [
                ("POST", "/Users"),
                ("PUT", f"/Users/{user_id}"),
                ("PATCH", f"/Users/{user_id}"),
                ("POST", "/Groups"),
                ("PUT", f"/Groups/{group_id}"),
                ("PATCH", f"/Groups/{group_id}"),
                ("POST", "/.search"),
                ("POST", "/Users/.search"),
            ]
        ),
        body=st.one_of(JSON, USER_LIKE, GROUP_LIKE, PATCH_LIKE),
    )
    def send(target, body):
        method, path = target
        response = client.open(
            f"/scim/v2{path}", method=method, data=json.dumps(body), headers=_headers(secret)
        )
        _scim_answer(response)

    send()


def test_raw_bytes_filters_and_ids_never_give_a_500(client, scim_token):
    secret, _ = scim_token

    @FUZZ
    @given(raw=RAW, filter_=FILTERS, ident=st.text(max_size=20), start=st.text(max_size=6))
    def send(raw, filter_, ident, start):
        headers = _headers(secret)
        _scim_answer(client.post("/scim/v2/Users", data=raw, headers=headers))
        _scim_answer(client.patch("/scim/v2/Groups/1", data=raw, headers=headers))
        query = {"filter": filter_, "startIndex": start, "attributes": ident}
        _scim_answer(client.get("/scim/v2/Users", query_string=query, headers=headers))
        _scim_answer(client.get("/scim/v2/Groups", query_string=query, headers=headers))
        _scim_answer(client.get(f"/scim/v2/Users/{ident}", headers=headers))
        _scim_answer(client.delete(f"/scim/v2/Groups/{ident}x", headers=headers))

    send()


def test_a_nul_character_anywhere_in_a_body_is_refused_before_any_write(client, scim_token):
    """PostgreSQL keeps no NUL in text: a body with one is a SCIM 400 on every database."""
    secret, _ = scim_token
    for body in (
        {"schemas": [USER], "userName": "\x00"},
        {"schemas": [USER], "userName": "ok@example.com", "name": {"givenName": "a\x00b"}},
        {"schemas": [GROUP], "displayName": "Team\x00"},
        {"schemas": [USER], "userName": "ok@example.com", "x\x00": 1},
    ):
        path = "/scim/v2/Groups" if body["schemas"] == [GROUP] else "/scim/v2/Users"
        response = client.post(path, data=json.dumps(body), headers=_headers(secret))
        assert response.status_code == 400, body
        _scim_answer(response)
        assert response.get_json()["scimType"] == "invalidValue"
    listed = client.get("/scim/v2/Users", headers=_headers(secret)).get_json()
    assert "ok@example.com" not in json.dumps(listed)


def test_ids_that_are_not_plain_row_numbers_are_no_such_resource(client, scim_token):
    """Digits of other scripts, superscripts and ids past a database integer: 404, never an
    error from int() or the database."""
    secret, _ = scim_token
    for ident in ("²", "١٢", "99999999999999999999", "2147483648", "0", "-1"):
        for kind in ("Users", "Groups"):
            response = client.get(f"/scim/v2/{kind}/{ident}", headers=_headers(secret))
            assert response.status_code == 404, (kind, ident)
            _scim_answer(response)
