"""Linking many agents' helpdesk ids in one step, from the helpdesk's users export: a preview
(matched, unknown e-mails, conflicts), then one confirm that links all or none."""

from __future__ import annotations

import json

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ramp.blueprints.admin.blueprint import bp
from ramp.blueprints.admin.common import attempt
from ramp.blueprints.admin.forms import HelpdeskLinksForm, HelpdeskUsersForm
from ramp.errors import ValidationError
from ramp.metrics.agent_sync import EXPORTS, confirm_links, plan_links, read_users_export
from ramp.webkit import render

MAX_EXPORT_BYTES = 20 * 1024 * 1024


def _upload_form(formdata=None) -> HelpdeskUsersForm:
    form = HelpdeskUsersForm() if formdata is None else HelpdeskUsersForm(formdata=formdata)
    form.helpdesk.choices = [SelectChoice(key, fmt.label) for key, fmt in EXPORTS.items()]
    return form


@bp.route("/agent-ids/sync", methods=["GET", "POST"])
def agent_sync():
    """Upload a helpdesk's users export and see what linking it would do; nothing is saved."""
    form = _upload_form()
    errors: list[str] = []
    plan = None
    if form.validate_on_submit():
        data = form.export.data.read(MAX_EXPORT_BYTES + 1)
        try:
            if len(data) > MAX_EXPORT_BYTES:
                raise ValidationError(_("The file is larger than 20 MB."))
            plan = plan_links(form.helpdesk.data, read_users_export(data, form.helpdesk.data))
        except ValidationError as exc:
            errors = exc.problems
    confirm = HelpdeskLinksForm(formdata=None)
    if plan is not None:
        confirm.helpdesk.data = plan.source
        confirm.links.data = json.dumps([[r.external_id, u.email] for r, u in plan.matched])
    status = 422 if errors or form.errors else 200
    return render(
        "admin/agent_sync.html",
        form=form,
        errors=errors,
        plan=plan,
        confirm=confirm,
        exports=EXPORTS,
        status=status,
    )


def _previewed(text: str) -> list[tuple[str, str]]:
    """The links the preview sent back: a JSON list of [id, e-mail]."""
    try:
        links = json.loads(text)
    except (ValueError, RecursionError):
        links = None
    if not isinstance(links, list) or not all(
        isinstance(x, list) and len(x) == 2 and all(isinstance(v, str) for v in x) for x in links
    ):
        raise ValidationError(_("The preview could not be read back; upload the file again."))
    return [(ext, email) for ext, email in links]


@bp.post("/agent-ids/sync/confirm")
def agent_sync_confirm():
    """Link every agent the preview matched, or none of them."""
    form = HelpdeskLinksForm()
    errors = [_("The form expired; upload the file again.")]
    made = None
    if form.validate_on_submit():
        made, errors = attempt(
            lambda: confirm_links(form.helpdesk.data, _previewed(form.links.data), current_user)
        )
    if made is not None:
        flash(
            _("Linked %(num)d agents' %(source)s ids.", num=len(made), source=form.helpdesk.data),
            "success",
        )
        return redirect(url_for("admin.agent_ids"), 303)
    return render(
        "admin/agent_sync.html",
        form=_upload_form(formdata=None),
        errors=errors,
        plan=None,
        confirm=HelpdeskLinksForm(formdata=None),
        exports=EXPORTS,
        status=422,
    )
