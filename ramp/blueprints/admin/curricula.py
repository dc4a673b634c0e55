"""Curricula, for admins: publish from YAML, list versions, download one, enroll people.

The same operations and the same error report as `ramp curricula import|export|enroll`.
"""

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.utils import secure_filename
from wtforms.fields.choices import SelectChoice

from ramp.accounts.queries import list_users
from ramp.blueprints.admin.blueprint import bp
from ramp.blueprints.admin.common import attempt, status_of
from ramp.blueprints.admin.forms import CurriculumForm, EnrollForm
from ramp.curricula import STARTER_CURRICULUM, operations, queries
from ramp.curricula.models import CurriculumVersion
from ramp.curricula.spec import CurriculumFileError, dump_curriculum, parse_curriculum, summary
from ramp.errors import NotFound
from ramp.extensions import db
from ramp.webkit import render
from ramp.yamlspec import SpecError

MAX_CURRICULUM_BYTES = 2_000_000


def _submitted(form: CurriculumForm) -> tuple[str, str]:
    """The document's text and the name its errors are reported under."""
    if form.upload.data:
        raw = form.upload.data.read(MAX_CURRICULUM_BYTES + 1)
        name = secure_filename(form.upload.data.filename or "") or "upload.yaml"
        if len(raw) > MAX_CURRICULUM_BYTES:
            raise CurriculumFileError(name, [_problem("the file is larger than 2 MB")])
        try:
            return raw.decode("utf-8-sig"), name
        except UnicodeDecodeError:
            raise CurriculumFileError(name, [_problem("the file is not UTF-8 text")]) from None
    return form.document.data, "pasted"


def _problem(message: str) -> SpecError:
    return SpecError((), message)


@bp.route("/curricula", methods=["GET", "POST"])
def curricula():
    """Every published curriculum version; upload or paste YAML to publish the next one."""
    form = CurriculumForm()
    if request.method == "GET" and request.args.get("starter"):
        form.document.data = STARTER_CURRICULUM.read_text(encoding="utf-8")
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            text, name = _submitted(form)
            if request.form.get("check_only"):
                spec = parse_curriculum(text, name)
                flash(
                    _(
                        "%(name)s: valid (%(summary)s); nothing was published.",
                        name=name,
                        summary=summary(spec),
                    ),
                    "success",
                )
                return render(
                    "admin/curricula.html", form=form, errors=[], versions=queries.list_versions()
                )
            result = operations.publish_curriculum_text(text, name, current_user)
        except CurriculumFileError as exc:
            db.session.rollback()
            errors = exc.report().splitlines()
            errors.append(
                ngettext(
                    "%(num)d problem in %(file)s; nothing was published.",
                    "%(num)d problems in %(file)s; nothing was published.",
                    len(exc.errors),
                    file=exc.filename,
                )
            )
        else:
            db.session.commit()
            v = result.version
            flash(
                _("Published %(slug)s version %(number)s.", slug=v.curriculum.slug, number=v.number)
                if result.created
                else _(
                    "%(slug)s unchanged: version %(number)s already has this content.",
                    slug=v.curriculum.slug,
                    number=v.number,
                ),
                "success",
            )
            return redirect(url_for("admin.curricula"), 303)
    return render(
        "admin/curricula.html",
        form=form,
        errors=errors,
        versions=queries.list_versions(),
        status=status_of(form, errors),
    )


@bp.get("/curricula/<slug>/v<int:number>.yaml")
def curriculum_yaml(slug: str, number: int):
    """A published version back as YAML, as `ramp curricula export` writes it."""
    version = queries.find_version(slug, number)
    if version is None:
        raise NotFound(
            _("There is no curriculum '%(slug)s' version %(number)s.", slug=slug, number=number)
        )
    text = dump_curriculum(queries.version_to_spec(version))
    disposition = f'attachment; filename="{slug}-v{number}.yaml"'
    return Response(text, mimetype="application/yaml", headers={"Content-Disposition": disposition})


def _enroll_form(**kw) -> EnrollForm:
    form = EnrollForm(**kw)
    form.version.choices = [
        SelectChoice(
            v.id,
            _(
                "%(slug)s version %(number)s: %(title)s",
                slug=v.curriculum.slug,
                number=v.number,
                title=v.title,
            ),
        )
        for v in reversed(queries.list_versions())
    ]
    form.people.choices = [
        SelectChoice(u.email, f"{u.name} ({u.email}{', ' + u.team.name if u.team else ''})")
        for u in list_users()
        if u.is_active_account
    ]
    return form


@bp.route("/curricula/enroll", methods=["GET", "POST"])
def enroll():
    """Put one or many people on a curriculum version."""
    form = _enroll_form()
    errors: list[str] = []
    if form.validate_on_submit():
        version = db.session.get(CurriculumVersion, form.version.data)
        if version is None:
            errors = [_("That curriculum version does not exist; reload the page.")]
        else:
            done, errors = attempt(
                lambda: operations.enroll_users(form.people.data, version, current_user)
            )
            if done is not None:
                flash(
                    ngettext(
                        "Enrolled %(num)d person in %(slug)s version %(number)s.",
                        "Enrolled %(num)d people in %(slug)s version %(number)s.",
                        len(done),
                        slug=version.curriculum.slug,
                        number=version.number,
                    ),
                    "success",
                )
                return redirect(url_for("admin.enroll"), 303)
    return render("admin/enroll.html", form=form, errors=errors, status=status_of(form, errors))
