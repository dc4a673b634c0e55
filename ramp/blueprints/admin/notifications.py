"""The outbox (every message with its status and reason; retry a failed one), each team's
Slack and Teams webhooks, and the skills webhook, for admins."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ramp.accounts.models import Team
from ramp.blueprints.admin.blueprint import bp
from ramp.blueprints.admin.common import attempt
from ramp.blueprints.forms import EmptyForm
from ramp.extensions import db
from ramp.notifications.channels import mask
from ramp.notifications.models import STATUSES, Notification
from ramp.notifications.operations import (
    CHANNEL_KINDS,
    channels_of,
    remove_channel,
    remove_skills_webhook,
    save_channels,
    save_skills_webhook,
)
from ramp.notifications.queries import (
    channel_failures,
    last_failure,
    last_skills_failure,
    outbox,
    status_counts,
)
from ramp.notifications.sending import retry
from ramp.notifications.skill_hook import current_webhook
from ramp.webkit import query_number, render


@bp.get("/outbox")
def outbox_page():
    """Every notification, newest first, with its status and reason; filter by status; a
    hundred to a page."""
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        abort(400, _("There is no message status called “%(name)s”.", name=status[:40]))
    return render(
        "admin/outbox.html",
        outbox=outbox(status, query_number("page") or 1),
        shown_status=status,  # not `status`: render() takes that as the HTTP status
        statuses=STATUSES,
        counts=status_counts(),
        channels=channel_failures(),
        form=EmptyForm(formdata=None),
        mask=mask,
    )


@bp.post("/outbox/<int:message_id>/retry")
def outbox_retry(message_id: int):
    """Queue a failed message again, for the next send."""
    message = db.get_or_404(Notification, message_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400, _("The form expired; reload the page and try again."))
    _result, errors = attempt(lambda: retry(message))
    for error in errors:
        flash(error, "error")
    if not errors:
        flash(_("Message %(id)s is queued again.", id=message.id), "success")
    back = url_for(
        "admin.outbox_page", status=request.args.get("status"), page=request.args.get("page")
    )
    return redirect(back, 303)


def _channels_page(team: Team, errors: list[str], status: int = 200):
    saved = channels_of(team)
    return render(
        "admin/team_channels.html",
        team=team,
        kinds=CHANNEL_KINDS,
        saved={kind: mask(channel.url) for kind, channel in saved.items()},
        failures={kind: last_failure(channel.id) for kind, channel in saved.items()},
        form=EmptyForm(formdata=None),
        errors=errors,
        status=status,
    )


@bp.route("/teams/<int:team_id>/channels", methods=["GET", "POST"])
def team_channels(team_id: int):
    """A team's Slack and Teams incoming webhooks: set or replace them (shown masked)."""
    team = db.get_or_404(Team, team_id)
    if request.method == "GET":
        return _channels_page(team, [])
    form = EmptyForm()
    if not form.validate_on_submit():
        return _channels_page(team, [_("The form expired; reload the page and try again.")], 400)
    urls = {kind: request.form.get(f"{kind}_url", "") for kind in CHANNEL_KINDS}
    _result, errors = attempt(lambda: save_channels(team, urls, current_user))
    if errors:
        return _channels_page(team, errors, 422)
    flash(_("Saved the webhooks of %(team)s.", team=team.name), "success")
    return redirect(url_for("admin.team_channels", team_id=team.id), 303)


@bp.post("/teams/<int:team_id>/channels/<kind>/remove")
def remove_team_channel(team_id: int, kind: str):
    """Remove one of a team's webhooks."""
    team = db.get_or_404(Team, team_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400, _("The form expired; reload the page and try again."))
    if kind not in CHANNEL_KINDS:
        abort(404)
    _result, errors = attempt(lambda: remove_channel(team, kind, current_user))
    if errors:
        return _channels_page(team, errors, 422)
    flash(_("Removed the webhook."), "success")
    return redirect(url_for("admin.team_channels", team_id=team.id), 303)


def _skills_webhook_page(errors: list[str], status: int = 200, made: str | None = None):
    hook = current_webhook(db.session)
    return render(
        "admin/skills_webhook.html",
        saved=mask(hook.url) if hook else None,
        secret_end=hook.secret[-4:] if hook else None,
        failure=last_skills_failure(),
        made=made,
        form=EmptyForm(formdata=None),
        errors=errors,
        status=status,
    )


@bp.route("/skills-webhook", methods=["GET", "POST"])
def skills_webhook():
    """Where ramp pushes each agent's skill changes, and the secret that signs them."""
    if request.method == "GET":
        return _skills_webhook_page([])
    form = EmptyForm()
    if not form.validate_on_submit():
        return _skills_webhook_page([_("The form expired; reload the page and try again.")], 400)
    result, errors = attempt(
        lambda: save_skills_webhook(
            request.form.get("url", ""), request.form.get("secret", ""), current_user
        )
    )
    if errors:
        return _skills_webhook_page(errors, 422)
    _hook, made = result
    if made:
        # Shown once, on this answer only: the page never shows a saved secret back.
        return _skills_webhook_page([], 200, made=made)
    flash(_("Saved the skills webhook."), "success")
    return redirect(url_for("admin.skills_webhook"), 303)


@bp.post("/skills-webhook/remove")
def remove_skills_webhook_page():
    """Remove the skills webhook."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400, _("The form expired; reload the page and try again."))
    _result, errors = attempt(lambda: remove_skills_webhook(current_user))
    if errors:
        return _skills_webhook_page(errors, 422)
    flash(_("Removed the skills webhook."), "success")
    return redirect(url_for("admin.skills_webhook"), 303)
