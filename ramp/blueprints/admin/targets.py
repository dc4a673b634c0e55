"""Targets, for admins: edited as tables per placement and tenure week, or as YAML (advanced).

Both publish a new targets version through the same checks (ramp.metrics.targets).
"""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ramp.blueprints.admin.blueprint import bp
from ramp.blueprints.admin.common import attempt
from ramp.blueprints.admin.forms import TemplateForm
from ramp.blueprints.forms import EmptyForm
from ramp.metrics.definitions import METRICS
from ramp.metrics.display import active_targets
from ramp.metrics.operations import publish_targets, publish_targets_table
from ramp.metrics.queries import targets_versions
from ramp.metrics.targets import PLACEMENT_FIELDS, dump_targets
from ramp.metrics.targets_table import (
    blank_table,
    field_name,
    format_value,
    tables_of,
    with_spare_rows,
)
from ramp.webkit import render


def _page(form, errors=(), table_errors=(), submitted=None, status=200):
    """The targets page: the tables (as submitted, after a refusal) and the YAML editor."""
    spec = active_targets()
    if form.document.data is None:
        form.document.data = dump_targets(spec)
    tables = [with_spare_rows(t) for t in tables_of(spec)] + [blank_table()]
    return render(
        "admin/targets.html",
        form=form,
        errors=list(errors),
        table_errors=list(table_errors),
        table_form=EmptyForm(formdata=None),
        tables=tables,
        metrics=METRICS,
        placement_fields=PLACEMENT_FIELDS,
        field_name=field_name,
        format_value=format_value,
        submitted=submitted or {},
        versions=targets_versions(),
        status=status,
    )


@bp.route("/targets", methods=["GET", "POST"])
def targets():
    """The targets in force as tables to edit, and as YAML for the advanced editor."""
    form = TemplateForm()
    if request.method == "GET":
        return _page(form)
    errors: list[str] = []
    if form.validate_on_submit():
        version, errors = attempt(lambda: publish_targets(form.document.data, current_user))
        if version is not None:
            flash(
                _(
                    "Published targets version %(number)s; it is in force now.",
                    number=version.number,
                ),
                "success",
            )
            return redirect(url_for("admin.targets"), 303)
    return _page(form, errors=errors, status=422)


@bp.post("/targets/table")
def targets_table():
    """Publish the edited tables as a new targets version; a refusal keeps what was typed."""
    errors = [_("The form expired; reload the page and try again.")]
    if EmptyForm().validate_on_submit():
        version, errors = attempt(
            lambda: publish_targets_table(request.form.to_dict(), current_user)
        )
        if version is not None:
            flash(
                _(
                    "Published targets version %(number)s; it is in force now.",
                    number=version.number,
                ),
                "success",
            )
            return redirect(url_for("admin.targets"), 303)
    form = TemplateForm(formdata=None)
    return _page(form, table_errors=errors, submitted=request.form.to_dict(), status=422)
