"""How people sign in, for admins: single sign-on providers and the local-password policy."""

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ramp.accounts.models import User
from ramp.blueprints.admin.blueprint import bp
from ramp.blueprints.admin.common import attempt, status_of
from ramp.blueprints.admin.forms import PasswordPolicyForm, ProviderForm
from ramp.extensions import db
from ramp.sso.models import IdentityProvider
from ramp.sso.policy import password_policy, set_password_policy
from ramp.sso.providers import all_providers, format_group_mapping, save_provider
from ramp.webkit import external_url, render

FIELDS = (
    "name",
    "enabled",
    "issuer",
    "client_id",
    "client_secret",
    "scopes",
    "saml_metadata",
    "email_claim",
    "name_claim",
    "groups_claim",
    "group_mapping",
    "allow_jit",
    "allow_email_match",
    "require_verified_email",
    "sign_out_at_provider",
)


def _policy_form(formdata=None) -> PasswordPolicyForm:
    policy = password_policy()
    admin = db.session.get(User, policy.break_glass_user_id) if policy.break_glass_user_id else None
    return PasswordPolicyForm(
        formdata=formdata, mode=policy.mode, break_glass=admin.email if admin else None
    )


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """The single sign-on providers, and whether passwords still sign in."""
    form = _policy_form(formdata=request.form if request.method == "POST" else None)
    errors: list[str] = []
    if form.validate_on_submit():
        _result, errors = attempt(
            lambda: set_password_policy(form.mode.data, form.break_glass.data, current_user)
        )
        if not errors:
            flash(_("The sign-in policy is saved."), "success")
            return redirect(url_for("admin.sign_in"), 303)
    return render(
        "admin/sign_in.html",
        form=form,
        errors=errors,
        providers=all_providers(),
        status=status_of(form, errors),
    )


def _urls(provider: IdentityProvider | None, protocol: str) -> dict:
    """What the admin pastes into the identity provider: ramp's addresses for this provider."""
    if provider is None:
        return {}
    if protocol == "oidc":
        return {
            "redirect_uri": external_url("auth.oidc_callback", provider_id=provider.id),
            "post_logout_redirect_uri": external_url("auth.login"),
        }
    return {
        "entity_id": external_url("auth.saml_metadata", provider_id=provider.id),
        "acs": external_url("auth.saml_acs", provider_id=provider.id),
    }


def _provider_page(provider: IdentityProvider | None, protocol: str):
    if provider is not None:
        form = ProviderForm(obj=provider)
        if request.method == "GET":
            form.group_mapping.data = format_group_mapping(provider.group_mapping)
            form.groups_claim.data = provider.groups_claim or ""
    else:
        form = ProviderForm()
        if request.method == "GET" and protocol == "saml":
            form.email_claim.data, form.name_claim.data = "mail", "displayName"
    errors: list[str] = []
    if form.validate_on_submit():
        fields = {name: getattr(form, name).data for name in FIELDS}
        saved, errors = attempt(
            lambda: save_provider(
                provider,
                actor=current_user,
                secret_key=current_app.config["SECRET_KEY"],
                allow_http=current_app.debug or current_app.testing,
                protocol=protocol,
                **fields,
            )
        )
        if saved is not None:
            flash(_("Provider %(name)s is saved.", name=saved.name), "success")
            return redirect(url_for("admin.provider", provider_id=saved.id), 303)
    return render(
        "admin/provider.html",
        form=form,
        errors=errors,
        provider=provider,
        protocol=protocol,
        urls=_urls(provider, protocol),
        status=status_of(form, errors),
    )


@bp.route("/sign-in/providers/new/<any(oidc, saml):protocol>", methods=["GET", "POST"])
def new_provider(protocol: str):
    """Add an OpenID Connect or SAML provider."""
    return _provider_page(None, protocol)


@bp.route("/sign-in/providers/<int:provider_id>", methods=["GET", "POST"])
def provider(provider_id: int):
    """Change a provider; shows the values to paste into it."""
    found = db.get_or_404(IdentityProvider, provider_id)
    return _provider_page(found, found.protocol)
