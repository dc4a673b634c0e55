"""Sign in and sign out; the account's language."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ramp.accounts.operations import (
    create_first_admin,
    find_user_by_email,
    needs_first_admin,
    set_language,
)
from ramp.blueprints.auth.blueprint import bp
from ramp.blueprints.auth.forms import AUTOMATIC, FirstAdminForm, LanguageForm, LoginForm
from ramp.blueprints.forms import EmptyForm
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.sso.operations import provider_sign_out
from ramp.sso.policy import password_policy
from ramp.sso.providers import enabled_providers
from ramp.webkit import external_url, limiter

# The session key naming the OpenID identity a user signed in as: signing out of ramp may
# then sign out at its provider too.
SIGNED_IN_WITH = "sso_identity"


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so the login form cannot redirect elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_key() -> str:
    # Per account as well as per address: guessing one account's password from many
    # addresses meets the same limit.
    email = (request.form.get("email") or "").strip().lower()[:254]
    return "sign-in account:" + email


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_account_key)
def login():
    """Show the sign-in form and sign the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    policy = password_policy()
    status = 200 if request.method == "GET" else 422
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if not policy.passwords_shown or (user is not None and not policy.allows(user)):
            # Said before the password is checked: the answer tells nothing about it.
            form.password.errors.append(
                _("Your organisation signs in with single sign-on: use a button below.")
            )
            status = 403
        elif user is not None and user.is_active and user.check_password(form.password.data):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("main.home"))
        else:
            form.password.errors.append(_("That e-mail and password do not match an account."))
    elif request.method == "POST" and not policy.passwords_shown:
        status = 403
    page = render_template(
        "auth/login.html",
        form=form,
        first_run=needs_first_admin(),
        policy=policy,
        providers=enabled_providers(),
        next_url=_safe_next(request.args.get("next")),
    )
    return page, status


@bp.post("/logout")
@login_required
def logout():
    """Sign out; and at the OpenID provider the user signed in with, when it is set to."""
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.login"))
    user = current_user._get_current_object()
    identity_id = session.pop(SIGNED_IN_WITH, None)
    # Server-side: a copy of this session's cookie stops working too. Done first, so nothing
    # after it can leave anyone signed in.
    user.end_sessions()
    db.session.commit()
    get_locale()  # fixed while they are signed in: what follows in their language
    logout_user()
    elsewhere = provider_sign_out(
        identity_id, user, external_url("auth.login"), current_app.config["SECRET_KEY"]
    )
    if elsewhere is None:
        flash(_("You are signed out."), "info")
    elif elsewhere.url is None:
        flash(
            _(
                "You are signed out of ramp, but ramp could not sign you out at %(provider)s. "
                "On a shared computer, close the browser.",
                provider=elsewhere.provider,
            ),
            "warning",
        )
    else:
        # The page itself takes the browser on: the sign-out form may only send it to ramp
        # (form-action), and the ID token in the address is kept out of the session cookie.
        page = render_template("auth/signed_out.html", elsewhere=elsewhere)
        return page, 200, {"Cache-Control": "no-store"}
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def setup():
    """On a ramp with no account yet, create the first admin; afterwards, the sign-in page."""
    if not needs_first_admin():
        return redirect(url_for("auth.login"))
    form = FirstAdminForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            user = create_first_admin(form.email.data, form.name.data, form.password.data)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.problems
        else:
            db.session.commit()
            login_user(user)
            flash(
                _("Welcome to ramp. Your admin account is ready: add your people next."), "success"
            )
            return redirect(url_for("admin.people"))
    status = 422 if errors or form.errors else 200
    return render_template("auth/setup.html", form=form, errors=errors), status


@bp.route("/language", methods=["GET", "POST"])
@login_required
def language():
    """Choose the language of ramp's pages, or leave it to the LMS or the browser."""
    form = LanguageForm(language=current_user.locale or AUTOMATIC)
    if form.validate_on_submit():
        chosen = form.language.data
        set_language(current_user, None if chosen == AUTOMATIC else chosen)
        db.session.commit()
        refresh()  # the message below, and the next page, in the new language
        flash(_("Your language is saved."), "success")
        return redirect(url_for("auth.language"))
    status = 422 if form.errors else 200
    return render_template("auth/language.html", form=form), status
