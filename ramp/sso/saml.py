"""SAML 2.0 service provider (pysaml2, with xmlsec1): metadata, the authentication request,
and the response's checks.

Signed assertions are required; pysaml2 checks the signature against the certificate in the
identity provider's metadata, the audience (ramp's entity id), the recipient and destination
(ramp's assertion consumer service), the time conditions, and that the response answers the
request this browser's sign-in sent (InResponseTo). ramp adds single use: an assertion ID
seen before is a replay.
"""

from __future__ import annotations

import base64
import binascii
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ramp.accounts.models import User, utcnow
from ramp.extensions import db
from ramp.sso.errors import SignInRefused
from ramp.sso.models import IdentityProvider, SamlAssertionSeen, SsoLoginState
from ramp.sso.operations import STATE_FORM, new_state, sign_in_as, use_state

LEEWAY = 60  # seconds of clock difference allowed
MAX_RESPONSE = 400 * 1024  # characters of a base64 SAMLResponse
SEEN_KEPT = timedelta(hours=24)  # how long an assertion's ID is remembered past its expiry


@dataclass(frozen=True)
class ServiceUrls:
    """ramp's own addresses for one identity provider: entity id (its metadata URL) and ACS."""

    entity_id: str
    acs: str


def _xmlsec() -> str:
    binary = shutil.which("xmlsec1")
    if binary is None:
        raise SignInRefused("xmlsec1", _("SAML needs the xmlsec1 program on the server."), 503)
    return binary


def _config(metadata: str, urls: ServiceUrls | None) -> SPConfig:
    config = SPConfig()
    entity_id = urls.entity_id if urls else "urn:ramp:metadata-check"
    acs = urls.acs if urls else "https://ramp.invalid/acs"
    config.load(
        {
            "entityid": entity_id,
            "xmlsec_binary": _xmlsec(),
            "metadata": {"inline": [metadata]},
            "accepted_time_diff": LEEWAY,
            "allow_unknown_attributes": True,
            "service": {
                "sp": {
                    "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                    "want_assertions_signed": True,
                    "want_response_signed": False,
                    "authn_requests_signed": False,
                    "allow_unsolicited": False,
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "name_id_format_allow_create": True,
                }
            },
        }
    )
    return config


def _idps(config: SPConfig) -> list[str]:
    return list(config.metadata.identity_providers())


def idp_entity_id(metadata: str) -> str:
    """The identity provider's entity id, from its metadata; ValueError when it has none."""
    try:
        entities = _idps(_config(metadata, None))
    except SignInRefused as exc:
        raise ValueError(exc.message) from None
    except Exception as exc:  # pysaml2 raises many kinds for unreadable XML
        raise ValueError(
            _("the SAML metadata cannot be read (%(reason)s)", reason=str(exc)[:200])
        ) from None
    if len(entities) != 1:
        raise ValueError(_("the SAML metadata must describe exactly one identity provider"))
    return entities[0]


def _client(provider: IdentityProvider, urls: ServiceUrls) -> Saml2Client:
    try:
        return Saml2Client(config=_config(provider.saml_metadata or "", urls))
    except SignInRefused:
        raise
    except Exception:
        raise SignInRefused(
            "metadata", _("The identity provider's metadata cannot be read; ask an admin."), 503
        ) from None


def sp_metadata(provider: IdentityProvider, urls: ServiceUrls) -> str:
    """ramp's service provider metadata for this identity provider, as XML."""
    return str(entity_descriptor(_client(provider, urls).config))


def begin(provider: IdentityProvider, urls: ServiceUrls, next_url: str | None) -> tuple[str, str]:
    """The identity provider's URL with an AuthnRequest (redirect binding), and the state."""
    client = _client(provider, urls)
    row = new_state(provider, next_url)
    request_id, info = client.prepare_for_authenticate(
        entityid=provider.issuer,
        relay_state=row.state,
        binding=BINDING_HTTP_REDIRECT,
    )
    row.nonce = request_id
    db.session.flush()
    location = dict(info["headers"])["Location"]
    return location, row.state


# pysaml2's exception names, and what each means to the person signing in.
_REFUSALS = {
    "SignatureError": ("signature", _l("SAML: the assertion's signature does not verify.")),
    "IncorrectlySigned": ("signature", _l("SAML: the response's signature does not verify.")),
    "UnsolicitedResponse": ("InResponseTo", _l("SAML: the response does not answer this sign-in.")),
    "ResponseLifetimeExceed": ("time", _l("SAML: the assertion has expired.")),
    "ToEarly": ("time", _l("SAML: the assertion is not valid yet.")),
    "StatusError": ("status", _l("SAML: the identity provider refused the sign-in.")),
    "VerificationError": ("audience", _l("SAML: the assertion is not meant for ramp.")),
    "OtherError": ("response", _l("SAML: the response cannot be read.")),
}


def _refusal(exc: Exception) -> SignInRefused:
    if "signature missing" in str(exc).lower():
        return SignInRefused("signature", _("SAML: the assertion is not signed."), 401)
    for kind in type(exc).__mro__:
        if kind.__name__ in _REFUSALS:
            check, message = _REFUSALS[kind.__name__]
            return SignInRefused(check, str(message), 401)
    text = str(exc)
    if "audience" in text.lower():
        return SignInRefused("audience", _("SAML: the assertion is not meant for ramp."), 401)
    if "destination" in text.lower() or "recipient" in text.lower():
        return SignInRefused(
            "recipient", _("SAML: the response is addressed to another service."), 401
        )
    if "signed" in text.lower() or "signature" in text.lower():
        return SignInRefused("signature", _("SAML: the assertion is not signed."), 401)
    return SignInRefused(
        "response", _("SAML: the response was refused (%(reason)s).", reason=text[:200]), 400
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def complete(
    provider: IdentityProvider,
    urls: ServiceUrls,
    saml_response: str | None,
    relay_state: str | None,
    bound: str | None,
) -> tuple[User, str | None]:
    """Check the response and sign in as the user it names; the page to go to next."""
    if not saml_response:
        raise SignInRefused("SAMLResponse", _("The request carries no SAMLResponse."), 400)
    if len(saml_response) > MAX_RESPONSE:
        raise SignInRefused("SAMLResponse", _("The SAMLResponse is too large."), 413)
    try:
        base64.b64decode(saml_response, validate=True)
    except (binascii.Error, ValueError):
        raise SignInRefused("SAMLResponse", _("The SAMLResponse is not base64."), 400) from None
    if not relay_state:
        raise SignInRefused("state", _("The answer carries no state ramp issued."), 400)
    if not STATE_FORM.fullmatch(relay_state):
        raise SignInRefused("state", _("The answer's state was not issued by ramp."), 403)
    pending = db.session.execute(
        select(SsoLoginState.nonce).where(
            SsoLoginState.state == relay_state, SsoLoginState.provider_id == provider.id
        )
    ).scalar()
    outstanding = {pending: urls.acs} if pending else {}
    client = _client(provider, urls)
    try:
        response = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding=outstanding
        )
    except SignInRefused:
        raise
    except Exception as exc:  # pysaml2 reports each failed check as its own exception
        raise _refusal(exc) from None
    destination = getattr(getattr(response, "response", None), "destination", None)
    if destination and destination != urls.acs:
        raise SignInRefused(
            "recipient", _("SAML: the response is addressed to another service."), 401
        )
    if response is None or response.assertion is None:
        # pysaml2 drops an assertion whose subject confirmation names another recipient.
        raise SignInRefused(
            "recipient",
            _("SAML: the response holds no assertion addressed to ramp's sign-in address."),
            401,
        )
    if not response.assertion.signature and not _assertion_signed(response):
        raise SignInRefused("signature", _("SAML: the assertion is not signed."), 401)
    _remember_assertion(provider, response)
    used = use_state(relay_state, bound, provider.id)
    name_id = response.name_id
    subject = (name_id.text or "").strip() if name_id is not None else ""
    if not subject or len(subject) > 255:
        raise SignInRefused("NameID", _("SAML: the assertion names no subject."), 401)
    issuer = response.issuer() or provider.issuer
    if issuer != provider.issuer:
        raise SignInRefused("issuer", _("SAML: the assertion is from another issuer."), 401)
    claims = {key: value for key, value in (response.get_identity() or {}).items()}
    # An identity provider's assertion is its organisation's word on the address.
    claims["email_verified"] = True
    return sign_in_as(provider, issuer, subject, claims), used.next_url


def _assertion_signed(response) -> bool:
    # pysaml2 keeps the signature check's outcome on the response it verified.
    return bool(getattr(response, "require_signature", False))


def _remember_assertion(provider: IdentityProvider, response) -> None:
    assertion_id = response.assertion.id or ""
    if not assertion_id or len(assertion_id) > 255:
        raise SignInRefused("assertion", _("SAML: the assertion has no usable ID."), 401)
    now = utcnow()
    db.session.execute(delete(SamlAssertionSeen).where(SamlAssertionSeen.expires_at < now))
    try:
        with db.session.begin_nested():
            db.session.add(
                SamlAssertionSeen(
                    assertion_id=assertion_id,
                    provider_id=provider.id,
                    seen_at=now,
                    expires_at=now + SEEN_KEPT,
                )
            )
    except IntegrityError:
        raise SignInRefused(
            "assertion", _("SAML: this assertion was already used (a replay)."), 403
        ) from None
