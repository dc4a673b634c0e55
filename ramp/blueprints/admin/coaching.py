"""Coaching rules, for admins: the rules in force as YAML (paste or upload, check, publish),
the scorecard categories imported so far, and running the rules now.

The same checks and the same error report as `ramp coaching publish`.
"""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.utils import secure_filename

from ramp import clock
from ramp.blueprints.admin.blueprint import bp
from ramp.blueprints.admin.forms import CoachingRulesForm
from ramp.blueprints.forms import EmptyForm
from ramp.coaching import STARTER_RULES
from ramp.coaching.operations import check_rules, publish_rules, run_rules
from ramp.coaching.queries import (
    assignments_opened,
    current_version,
    imported_categories,
    rules_versions,
)
from ramp.coaching.spec import RulesFileError
from ramp.extensions import db
from ramp.webkit import render
from ramp.yamlspec import SpecError

MAX_RULES_BYTES = 200_000


def _submitted(form: CoachingRulesForm) -> tuple[str, str]:
    """The document's text and the name its errors are reported under."""
    if form.upload.data:
        raw = form.upload.data.read(MAX_RULES_BYTES + 1)
        name = secure_filename(form.upload.data.filename or "") or "upload.yaml"
        if len(raw) > MAX_RULES_BYTES:
            raise RulesFileError(name, [SpecError((), _("the file is larger than 200 kB"))])
        try:
            return raw.decode("utf-8-sig"), name
        except UnicodeDecodeError:
            raise RulesFileError(name, [SpecError((), _("the file is not UTF-8 text"))]) from None
    return form.document.data or "", "pasted"


def _page(form, errors=(), fired=None, status=200):
    """The coaching page: the editor, the categories, the versions, and what a run opened."""
    version = current_version()
    if form.document.data is None:
        form.document.data = (
            version.source if version else STARTER_RULES.read_text(encoding="utf-8")
        )
    return render(
        "admin/coaching.html",
        form=form,
        run_form=EmptyForm(formdata=None),
        errors=list(errors),
        version=version,
        versions=rules_versions(),
        categories=imported_categories(),
        fired=fired,
        status=status,
    )


@bp.route("/coaching", methods=["GET", "POST"])
def coaching():
    """The coaching rules in force as YAML; check or publish a new version."""
    form = CoachingRulesForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _page(form, status=200 if request.method == "GET" else 422)
    try:
        text, name = _submitted(form)
        spec = check_rules(text, name)
    except RulesFileError as exc:
        errors = exc.report().splitlines()
        errors.append(
            ngettext(
                "%(num)d problem in %(file)s; nothing was published.",
                "%(num)d problems in %(file)s; nothing was published.",
                len(exc.errors),
                file=exc.filename,
            )
        )
        form.document.data = form.document.data if not form.upload.data else None
        return _page(form, errors=errors, status=422)
    if request.form.get("check_only"):
        flash(
            ngettext(
                "%(file)s: valid (%(num)d rule); nothing was published.",
                "%(file)s: valid (%(num)d rules); nothing was published.",
                len(spec.rules),
                file=name,
            ),
            "success",
        )
        return _page(form)
    version = publish_rules(spec, current_user, source=text)
    db.session.commit()
    flash(
        _(
            "Published coaching rules version %(number)s; it is in force now.",
            number=version.number,
        ),
        "success",
    )
    return redirect(url_for("admin.coaching"), 303)


@bp.post("/coaching/run")
def coaching_run():
    """Run every rule in force for every active hire now, and show what it assigned."""
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("The form expired; reload the page and try again."), "error")
        return redirect(url_for("admin.coaching"), 303)
    result = run_rules(clock.today(), actor=current_user)
    db.session.commit()
    ids = [assignment for pairs in result.opened.values() for assignment, _hire in pairs]
    fired = {"result": result, "assignments": assignments_opened(ids)}
    return _page(CoachingRulesForm(formdata=None), fired=fired)
