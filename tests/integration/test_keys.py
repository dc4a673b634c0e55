"""Signing keys: one active key per purpose, rotation with overlap, tokens verify by kid."""

from datetime import timedelta

import jwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet

from ramp.errors import ValidationError
from ramp.keys.operations import active_key, jwks, rotate_key, sign, thumbprint


def test_first_use_makes_one_key_and_reuses_it(db):
    first = active_key("credentials")
    assert active_key("credentials").kid == first.kid
    assert active_key("lti").kid != first.kid
    assert first.kid == thumbprint(first.public_jwk)
    assert "d" not in first.public_jwk and first.public_jwk["alg"] == "RS256"


def test_signed_token_verifies_with_the_published_set(db):
    token = sign("credentials", {"sub": "x", "iss": "https://ramp.example"}, {"typ": "JWT"})
    key_set = KeySet.import_key_set(jwks("credentials"))
    decoded = jose_jwt.decode(token, key_set, algorithms=["RS256"])
    assert decoded.claims["sub"] == "x"
    assert decoded.header["kid"] == active_key("credentials").kid


def test_rotation_keeps_the_old_key_published_for_the_overlap(db):
    old = active_key("lti")
    old_token = sign("lti", {"n": 1})
    new = rotate_key("lti", timedelta(days=2))
    assert active_key("lti").kid == new.kid != old.kid
    assert {k["kid"] for k in jwks("lti")["keys"]} == {old.kid, new.kid}
    # The token signed before the rotation still verifies against the published set.
    key = jwt.PyJWKSet.from_dict(jwks("lti"))[old.kid]
    assert jwt.decode(old_token, key.key, algorithms=["RS256"]) == {"n": 1}
    assert jwt.get_unverified_header(sign("lti", {"n": 2}))["kid"] == new.kid


def test_a_key_past_its_overlap_is_no_longer_published(db):
    old = active_key("lti")
    new = rotate_key("lti", timedelta(0))
    assert [k["kid"] for k in jwks("lti")["keys"]] == [new.kid]
    assert old.retired_at is not None


def test_unknown_purpose_is_refused(db):
    with pytest.raises(ValidationError, match="unknown key purpose"):
        active_key("email")


def test_cli_rotate_and_list(runner, db):
    first = active_key("credentials").kid
    db.session.commit()
    result = runner.invoke(args=["keys", "rotate", "credentials", "--overlap-days", "3"])
    assert result.exit_code == 0, result.output
    assert "published for 3 more day(s)" in result.output
    listing = runner.invoke(args=["keys", "list"]).output
    assert f"credentials  {first}  retired" in listing
    assert listing.count("signs") == 1
