"""API tokens and the audit log, for admins: the same operations as `ramp tokens`."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ramp.audit.operations import recent_events
from ramp.blueprints.admin.blueprint import bp
from ramp.blueprints.admin.common import attempt, status_of
from ramp.blueprints.admin.forms import ReasonForm, TokenForm
from ramp.extensions import db
from ramp.metrics.api import SCOPES, create_token, revoke_token, token_state
from ramp.metrics.models import ApiToken
from ramp.metrics.queries import list_tokens
from ramp.webkit import render


@bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    """Every API token (scopes, expiry, last use, owner, state); create one, its secret shown once."""
    form = TokenForm()
    errors: list[str] = []
    created = None
    if form.validate_on_submit():
        created, errors = attempt(
            lambda: create_token(
                form.name.data,
                current_user,
                scopes=form.scopes.data or [],
                expires_on=form.expires_on.data,
            )
        )
        if created is not None:
            form = TokenForm(formdata=None)
    return render(
        "admin/tokens.html",
        form=form,
        errors=errors,
        created=created,
        tokens=list_tokens(),
        revoke_form=ReasonForm(formdata=None),
        scopes=SCOPES,
        state=token_state,
        status=status_of(form, errors),
    )


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token_page(token_id: int):
    """Revoke a token: the API refuses it from now on."""
    token = db.get_or_404(ApiToken, token_id)
    form = ReasonForm()
    errors = [_("The form expired; reload the page and try again.")]
    if form.validate_on_submit():
        _result, errors = attempt(lambda: revoke_token(token, current_user, form.reason.data))
    if not errors:
        flash(
            _("Revoked token %(name)s: the API refuses it from now on.", name=token.name),
            "success",
        )
        return redirect(url_for("admin.tokens"), 303)
    return render(
        "admin/tokens.html",
        form=TokenForm(formdata=None),
        errors=errors,
        created=None,
        tokens=list_tokens(),
        revoke_form=form,
        scopes=SCOPES,
        state=token_state,
        status=422,
    )


@bp.get("/audit")
def audit():
    """The newest administrative changes: who, when, what, about what, why."""
    subject = request.args.get("subject", "").strip() or None
    return render("admin/audit.html", events=recent_events(200, subject), subject=subject)
