"""Single sign-on: begin at a provider, come back with its answer, sign in; SAML metadata."""

from flask import Response, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user

from ramp.audit.operations import record
from ramp.blueprints.auth.blueprint import bp
from ramp.blueprints.auth.views import SIGNED_IN_WITH, _login_limit, _safe_next
from ramp.extensions import db
from ramp.sso import operations as sso
from ramp.sso import providers, saml
from ramp.sso.errors import SignInRefused
from ramp.webkit import csrf, external_url, limiter

# The session key that binds a sign-in's state to the browser that began it.
BOUND_STATE = "sso_state"
MAX_SAML_RESPONSE = 512 * 1024  # bytes of the ACS form body


def _refused(exc: SignInRefused, provider_id: int | None = None):
    """The clear page of a refused sign-in: which check failed and what to do. A refused
    sign-in at a provider is kept in the audit log (which check, the answer), nothing else
    of the attempt."""
    db.session.rollback()
    if provider_id is not None:
        record(
            None,
            "sso.refused",
            f"identity_provider:{provider_id}",
            exc.message[:500],
            check=exc.check,
            status=exc.status,
        )
        db.session.commit()
    page = render_template("auth/sso_error.html", check=exc.check, message=exc.message)
    return page, exc.status


def _signed_in(user, next_url: str | None, identity_id: int | None = None):
    session.pop(BOUND_STATE, None)
    login_user(user)  # forgets any earlier sign-in's identity (ramp.web)
    if identity_id is not None:  # the OpenID identity whose provider a sign-out may visit
        session[SIGNED_IN_WITH] = identity_id
    return redirect(_safe_next(next_url) or url_for("main.home"))


@bp.get("/sso/<int:provider_id>")
@limiter.limit(_login_limit)
def sso_start(provider_id: int):
    """Send the browser to the provider's sign-in page (OIDC) or with a SAML request."""
    try:
        provider = providers.usable_provider(provider_id)
        next_url = _safe_next(request.args.get("next"))
        if provider.protocol == "oidc":
            url, state = sso.begin_oidc(
                provider, external_url("auth.oidc_callback", provider_id=provider.id), next_url
            )
        else:
            url, state = saml.begin(provider, _saml_urls(provider.id), next_url)
    except SignInRefused as exc:
        return _refused(exc, provider_id)
    db.session.commit()
    session[BOUND_STATE] = state
    return redirect(url, 302)


@bp.get("/sso/<int:provider_id>/callback")
@limiter.limit(_login_limit)
def oidc_callback(provider_id: int):
    """The OpenID provider's answer: use the state up, check the ID token, sign in."""
    if error := request.args.get("error"):
        return _refused(
            SignInRefused(
                "provider",
                _("The provider refused the sign-in: %(error)s", error=error[:200]),
                400,
            ),
            provider_id,
        )
    try:
        provider = providers.usable_provider(provider_id, "oidc")
        used = sso.use_state(request.args.get("state"), session.get(BOUND_STATE), provider.id)
        db.session.commit()  # the state is used up whatever the answer turns out to be
        user, identity_id = sso.complete_oidc(
            provider,
            used,
            request.args.get("code"),
            external_url("auth.oidc_callback", provider_id=provider.id),
            current_app.config["SECRET_KEY"],
        )
    except SignInRefused as exc:
        return _refused(exc, provider_id)
    db.session.commit()
    return _signed_in(user, used.next_url, identity_id)


def _saml_urls(provider_id: int) -> saml.ServiceUrls:
    return saml.ServiceUrls(
        entity_id=external_url("auth.saml_metadata", provider_id=provider_id),
        acs=external_url("auth.saml_acs", provider_id=provider_id),
    )


@bp.get("/saml/<int:provider_id>/metadata")
def saml_metadata(provider_id: int):
    """ramp's SAML service provider metadata for this identity provider (public)."""
    try:
        # Published while the provider is still switched off: the IdP is set up from it first.
        provider = providers.usable_provider(provider_id, "saml", enabled_only=False)
        document = saml.sp_metadata(provider, _saml_urls(provider.id))
    except SignInRefused as exc:
        return _refused(exc)
    return Response(document, mimetype="application/samlmetadata+xml")


@bp.post("/saml/<int:provider_id>/acs")
@csrf.exempt  # the identity provider posts here; the signed assertion and the state protect it
@limiter.limit(_login_limit)
def saml_acs(provider_id: int):
    """The assertion consumer service: check the signed assertion, sign in."""
    request.max_content_length = MAX_SAML_RESPONSE
    try:
        provider = providers.usable_provider(provider_id, "saml")
        user, next_url = saml.complete(
            provider,
            _saml_urls(provider.id),
            request.form.get("SAMLResponse"),
            request.form.get("RelayState"),
            session.get(BOUND_STATE),
        )
    except SignInRefused as exc:
        return _refused(exc, provider_id)
    db.session.commit()
    return _signed_in(user, next_url)
