"""Ramp templates (YAML, checked and published as versions) and cohorts, for admins."""

from pathlib import Path

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ramp.accounts.models import Team, User
from ramp.accounts.queries import list_teams
from ramp.blueprints.admin.blueprint import bp
from ramp.blueprints.admin.forms import (
    AgentIdForm,
    CohortForm,
    ImportForm,
    TemplateForm,
    UndoImportForm,
)
from ramp.blueprints.forms import EmptyForm
from ramp.errors import NotFound, ValidationError
from ramp.extensions import db
from ramp.jobs import jobs
from ramp.metrics.agents import (
    NewAgent,
    create_agents,
    link_agents,
    unknown_agents,
    unlink_agent,
    user_for_link,
)
from ramp.metrics.imports import preset_names, preview
from ramp.metrics.queries import agent_links, import_history, users_to_link
from ramp.metrics.undo import undo_import, undo_plan
from ramp.metrics.uploads import find_upload, run_upload, save_upload
from ramp.milestones import STARTER_TEMPLATE, operations, queries
from ramp.milestones.models import RampTemplateVersion
from ramp.webkit import render
from ramp.yamlspec import SpecFileError


@bp.before_request
@login_required
def require_admin():
    """Admin pages are for admins only."""
    if not current_user.is_admin:
        abort(403, _("Only admins can use the admin pages."))


@bp.route("/templates", methods=["GET", "POST"])
def templates():
    """Every template version; write or paste YAML to publish a new one."""
    form = TemplateForm()
    if request.method == "GET" and (slug := request.args.get("edit")):
        form.document.data = queries.template_yaml(slug)
    elif request.method == "GET" and request.args.get("starter"):
        form.document.data = STARTER_TEMPLATE.read_text(encoding="utf-8")
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
                _("Published %(slug)s version %(number)s.", slug=v.template.slug, number=v.number)
                if result.created
                else _(
                    "%(slug)s unchanged: version %(number)s already has this content.",
                    slug=v.template.slug,
                    number=v.number,
                ),
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
    form.team.choices = [SelectChoice(0, _("— no team —"))] + [
        SelectChoice(t.id, t.name) for t in list_teams()
    ]
    errors: list[str] = []
    if form.validate_on_submit():
        template = db.session.get(RampTemplateVersion, form.template.data)
        team = db.session.get(Team, form.team.data) if form.team.data else None
        try:
            cohort = operations.create_cohort(
                form.name.data, form.start_date.data, template, None, team, current_user
            )
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.problems
        else:
            db.session.commit()
            flash(_("Created cohort %(name)s.", name=cohort.name), "success")
            return redirect(url_for("admin.cohorts"), 303)
    status = 422 if errors or form.errors else 200
    return render(
        "admin/cohorts.html", form=form, errors=errors, cohorts=queries.cohort_list(), status=status
    )


def _uploads_root():
    root = Path(current_app.instance_path) / "uploads"
    root.mkdir(parents=True, exist_ok=True)
    return root


@bp.route("/imports", methods=["GET", "POST"])
def imports():
    """Upload an export with a preset or your own mapping; a preview comes next."""
    form = ImportForm()
    form.preset.choices = [SelectChoice("", _("— my own mapping —"))] + [
        SelectChoice(p, p) for p in preset_names()
    ]
    errors: list[str] = []
    if form.validate_on_submit():
        mapping_text = None
        if form.mapping.data:
            try:
                mapping_text = form.mapping.data.read(200_000).decode("utf-8-sig")
            except UnicodeDecodeError:
                errors.append(_("The mapping file is not UTF-8 text."))
        if not errors:
            try:
                upload = save_upload(
                    _uploads_root(),
                    form.export.data.stream,
                    form.export.data.filename,
                    form.preset.data or None,
                    mapping_text,
                )
            except ValidationError as exc:
                errors = exc.problems
            else:
                return redirect(url_for("admin.import_preview", token=upload.token), 303)
    runs = import_history(request.args.get("page", 1, type=int))
    status = 422 if errors or form.errors else 200
    return render("admin/imports.html", form=form, errors=errors, runs=runs, status=status)


PREVIEW_AGENTS_BYTES = 20 * 1024 * 1024  # files up to this size have their agents checked


def _preview_page(
    token: str,
    status: int = 200,
    agent_errors: list[str] | None = None,
    agent_message: str | None = None,
    block: str | None = None,
):
    """The preview of an upload: its first rows, and the agents it names that ramp does not know.

    block: the part an htmx request gets instead of the whole page.
    """
    upload = find_upload(_uploads_root(), token)
    page = {
        "upload": upload,
        "mapping": None,
        "rows": [],
        "columns": [],
        "mapping_errors": [],
        "file_errors": [],
        "unknown": [],
        "agent_errors": agent_errors or [],
        "form": EmptyForm(),
        "agent_message": agent_message,
        "agents_checked": True,
    }
    try:
        page["mapping"] = mapping = upload.mapping()
    except SpecFileError as exc:
        page["mapping_errors"] = exc.report().splitlines()
        return render("admin/import_preview.html", **page, status=422)
    try:
        page["rows"] = rows = preview(upload.data, mapping)
        # Finding the unknown agents reads the whole file: done here up to a size that reads
        # in a few seconds; a larger file's report lists them instead.
        page["agents_checked"] = upload.size() <= current_app.config.get(
            "IMPORT_PREVIEW_AGENTS_BYTES", PREVIEW_AGENTS_BYTES
        )
        if page["agents_checked"]:
            page["unknown"] = unknown_agents(upload.data, mapping)
    except ValidationError as exc:
        page["file_errors"] = exc.problems
        return render("admin/import_preview.html", **page, status=422)
    page["columns"] = [f for f in mapping.fields if any(f in r.values for r in rows)]
    if page["unknown"]:
        page.update(users=users_to_link(), teams=list_teams())
    return render("admin/import_preview.html", block=block, **page, status=status)


@bp.get("/imports/<token>")
def import_preview(token: str):
    """The first rows as the mapping reads them, and the unknown agents, before anything is written."""
    return _preview_page(token)


def _agent_action(token: str, action):
    """Run one action on a preview's unknown agents, then show the preview again (htmx: the
    list of unknown agents alone)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    upload = find_upload(_uploads_root(), token)
    try:
        source = upload.mapping().source
    except SpecFileError:
        return _preview_page(token, status=422)  # the preview says what is wrong with it
    try:
        message = action(source)
    except ValidationError as exc:
        db.session.rollback()
        return _preview_page(token, status=422, agent_errors=exc.problems, block="unknown_agents")
    db.session.commit()
    if request.headers.get("HX-Request") == "true":
        return _preview_page(token, agent_message=message, block="unknown_agents")
    flash(message, "success")
    return redirect(url_for("admin.import_preview", token=token) + "#unknown-agents", 303)


def _numbered(prefix: str) -> list[int]:
    """The row numbers of the form's fields named prefix-N."""
    return sorted(
        int(k[len(prefix) :])
        for k in request.form
        if k.startswith(prefix) and k[len(prefix) :].isdecimal()
    )


@bp.post("/imports/<token>/link")
def import_link_agents(token: str):
    """Link unknown agents' ids in the file to existing users; the preview shows what is left."""
    chosen = [
        (request.form.get(f"agent-{i}", ""), request.form[f"link-{i}"])
        for i in _numbered("link-")
        if request.form[f"link-{i}"]
    ]

    def link(source: str) -> str:
        if not chosen:
            raise ValidationError(_("Choose the user for at least one agent."))
        links = link_agents(source, [(e, user_for_link(u)) for e, u in chosen], current_user)
        return ngettext(
            "Linked %(num)d %(source)s id.",
            "Linked %(num)d %(source)s ids.",
            len(links),
            source=source,
        )

    return _agent_action(token, link)


@bp.post("/imports/<token>/agents")
def import_create_agents(token: str):
    """Create the ticked unknown agents (linking their ids in the file); the preview comes back."""
    form = request.form
    agents = [
        NewAgent(
            name=form.get(f"name-{i}", "").strip(),
            email=form.get(f"email-{i}", "").strip(),
            team=form.get(f"team-{i}") or None,
            external_id=form.get(f"agent-{i}") if form.get(f"kind-{i}") == "id" else None,
        )
        for i in _numbered("create-")
    ]

    def create(source: str) -> str:
        users = create_agents(source, agents, current_user)
        return ngettext("Created %(num)d agent.", "Created %(num)d agents.", len(users))

    return _agent_action(token, create)


@bp.route("/agent-ids", methods=["GET", "POST"])
def agent_ids():
    """Every link of an agent to their id in another tool; add one."""
    form = AgentIdForm()
    form.user.choices = [SelectChoice(0, _("— choose —"))] + [
        SelectChoice(u.id, f"{u.name} ({u.email})") for u in users_to_link()
    ]
    errors: list[str] = []
    if form.validate_on_submit():
        user = db.session.get(User, form.user.data) if form.user.data else None
        try:
            link_agents(form.source.data.strip(), [(form.external_id.data, user)], current_user)
        except ValidationError as exc:
            db.session.rollback()
            errors = exc.problems
        else:
            db.session.commit()
            flash(
                _(
                    "Linked %(source)s id %(id)s.",
                    source=form.source.data.strip(),
                    id=form.external_id.data.strip(),
                ),
                "success",
            )
            return redirect(url_for("admin.agent_ids"), 303)
    status = 422 if errors or form.errors else 200
    return render(
        "admin/agent_ids.html",
        form=form,
        errors=errors,
        links=agent_links(),
        remove_form=EmptyForm(),
        status=status,
    )


@bp.post("/agent-ids/<int:link_id>/remove")
def agent_id_remove(link_id: int):
    """Remove one link of an agent to their id in another tool."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    link = unlink_agent(link_id, current_user)
    message = _(
        "Removed the link of %(source)s id %(id)s.", source=link.source, id=link.external_id
    )
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.agent_ids"), 303)


@bp.post("/imports/<token>/run")
def import_run(token: str):
    """Check the whole file and import it: now, or in the background queue when it is large."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    root = _uploads_root()
    upload = find_upload(root, token)
    accept_good = request.form.get("accept_good") == "1"
    if upload.size() > current_app.config["IMPORT_BACKGROUND_BYTES"]:
        job_id = jobs.submit(
            f"import {upload.filename}",
            "ramp.metrics.uploads:run_upload",
            str(root),
            token,
            accept_good,
            current_user.id,
            owner_id=current_user.id,
        )
        return redirect(url_for("admin.import_job", job_id=job_id), 303)
    result = run_upload(str(root), token, accept_good, current_user.id)
    status = 200 if result["report"].written else 422
    return render("admin/import_report.html", upload=upload, **result, status=status)


@bp.get("/imports/jobs/<job_id>")
def import_job(job_id: str):
    """Progress of a background import, then its report."""
    job = jobs.get(job_id)
    if job is None or job.owner_id != current_user.id:
        raise NotFound(
            _("There is no such import running (it may have finished before a restart).")
        )
    if job.status == "done" and request.headers.get("HX-Request") == "true":
        return "", 200, {"HX-Refresh": "true"}  # reload as a whole page: the report
    if job.status == "done":
        return render(
            "admin/import_report.html",
            upload=None,
            **job.result,
            status=200 if job.result["report"].written else 422,
        )
    return render("admin/import_job.html", block="job", job=job)


@bp.get("/imports/<token>/rejects.csv")
def import_rejects(token: str):
    """The rows that were not imported, with the reason on each."""
    upload = find_upload(_uploads_root(), token)
    if not upload.rejects.is_file():
        raise NotFound(_("No rows were rejected in this import."))
    return send_file(
        upload.rejects, mimetype="text/csv", as_attachment=True, download_name="rejects.csv"
    )


@bp.get("/imports/runs/<int:run_id>/undo")
def import_undo(run_id: int):
    """What undoing an import would remove and restore, with the button that does it."""
    plan = undo_plan(run_id)
    return render(
        "admin/import_undo.html",
        plan=plan,
        form=UndoImportForm(),
        status=200 if plan.possible else 409,
    )


@bp.post("/imports/runs/<int:run_id>/undo")
def import_undo_confirmed(run_id: int):
    """Undo an import: its new records removed, the records it updated given their values back."""
    form = UndoImportForm()
    if not form.validate_on_submit():
        return render("admin/import_undo.html", plan=undo_plan(run_id), form=form, status=422)
    try:
        result = undo_import(run_id, current_user, form.reason.data or None)
    except ValidationError as exc:
        db.session.rollback()
        return render(
            "admin/import_undo.html",
            plan=undo_plan(run_id),
            form=form,
            errors=exc.problems,
            status=409,
        )
    db.session.commit()
    flash(
        _(
            "Import run %(run)s undone: %(removed)s records removed, %(restored)s given back "
            "their earlier values; %(changed)s milestones changed.",
            run=run_id,
            removed=result.removed,
            restored=result.restored,
            changed=result.milestones_changed,
        ),
        "success",
    )
    return redirect(url_for("admin.imports") + "#history", 303)
