"""Ramp templates (YAML, checked and published as versions) and cohorts, for admins."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ramp.accounts.queries import list_teams
from ramp.blueprints.admin import bp
from ramp.blueprints.admin.forms import CohortForm, TemplateForm
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.milestones import operations, queries
from ramp.milestones.models import RampTemplateVersion
from ramp.web import render


@bp.before_request
@login_required
def require_admin():
    """Admin pages are for admins only."""
    if not current_user.is_admin:
        abort(403, "Only admins can manage ramp templates and cohorts.")


@bp.route("/templates", methods=["GET", "POST"])
def templates():
    """Every template version; write or paste YAML to publish a new one."""
    form = TemplateForm()
    if request.method == "GET" and (slug := request.args.get("edit")):
        form.document.data = queries.template_yaml(slug)
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            result = operations.publish_template_text(form.document.data, current_user)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.problems
        else:
            db.session.commit()
            v = result.version
            flash(
                f"Published {v.template.slug} version {v.number}."
                if result.created
                else f"{v.template.slug} unchanged: version {v.number} already has this content.",
                "success",
            )
            return redirect(url_for("admin.templates"), 303)
    status = 422 if errors or form.errors else 200
    return render(
        "admin/templates.html",
        form=form,
        errors=errors,
        versions=queries.template_versions(),
        status=status,
    )


@bp.route("/cohorts", methods=["GET", "POST"])
def cohorts():
    """Every cohort; create a new one from a template version."""
    form = CohortForm()
    form.template.choices = [SelectChoice(v.id, v.label) for v in queries.template_versions()]
    form.team.choices = [SelectChoice(0, "— no team —")] + [
        SelectChoice(t.id, t.name) for t in list_teams()
    ]
    errors: list[str] = []
    if form.validate_on_submit():
        from ramp.accounts.models import Team

        template = db.session.get(RampTemplateVersion, form.template.data)
        team = db.session.get(Team, form.team.data) if form.team.data else None
        try:
            cohort = operations.create_cohort(
                form.name.data, form.start_date.data, template, None, team
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.problems
        else:
            db.session.commit()
            flash(f"Created cohort {cohort.name}.", "success")
            return redirect(url_for("admin.cohorts"), 303)
    status = 422 if errors or form.errors else 200
    return render(
        "admin/cohorts.html", form=form, errors=errors, cohorts=queries.cohort_list(), status=status
    )
