"""The ramp board, a hire's page and the actions on it (sign off, waive, extend, re-place, note)."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ramp import clock
from ramp.accounts.models import User
from ramp.accounts.queries import visible_teams
from ramp.blueprints.board.blueprint import bp
from ramp.blueprints.board.forms import (
    PLACEMENT_KEYS,
    DismissRefresherForm,
    ExtendForm,
    HireForm,
    IssueForm,
    LeftForm,
    NoteForm,
    OneToOneForm,
    PlannedClassForm,
    ReadyForm,
    ReplaceForm,
    RevokeForm,
    RosterForm,
    SignOffForm,
    UndoLeftForm,
    WaiveForm,
)
from ramp.blueprints.forms import EmptyForm
from ramp.certificates import operations as certificates
from ramp.certificates import queries as certificate_queries
from ramp.certificates.codes import format_code
from ramp.coaching import effect as coaching_effect
from ramp.coaching import progress as coaching
from ramp.coaching import queries as coaching_queries
from ramp.coaching import wording as coaching_wording
from ramp.errors import NotFound, ValidationError
from ramp.extensions import db
from ramp.forecast import operations as planning
from ramp.forecast import workforce
from ramp.forecast.capacity import capacity_csv
from ramp.forecast.display import capacity_chart, card_projections, hire_forecast
from ramp.formatting import format_date
from ramp.jobs import jobs
from ramp.metrics import periods as team_periods
from ramp.metrics.categories import category_weeks
from ramp.metrics.comparison import DEFAULT_METRICS, comparison_csv
from ramp.metrics.comparison import compare as compare_cohorts
from ramp.metrics.definitions import METRICS
from ramp.metrics.display import board_trends, hire_metrics
from ramp.milestones import leaving, operations, queries
from ramp.milestones.models import Cohort
from ramp.milestones.roster import RosterError, parse_roster
from ramp.pdf import render_pdf
from ramp.skills import exports as skill_exports
from ramp.skills import queries as skill_queries
from ramp.webkit import public_base_url, query_number, query_text, render


@bp.before_request
@login_required
def require_manager():
    """The board is for managers and admins."""
    if not (current_user.is_manager or current_user.is_admin):
        abort(403, _("The ramp board is for managers and admins. Your own ramp is under My ramp."))


@bp.get("/")
def index():
    """Every active hire the viewer manages, at-risk and missed first, with filters."""
    status = request.args.get("status") or None
    filters = queries.BoardFilters(
        cohort=query_number("cohort"),
        queue=query_text("queue", longest=200) or None,
        status=status if status in queries.STATUS_FILTERS else None,
        manager=query_number("manager"),
        q=query_text("q") or None,
        group="cohort" if request.args.get("group") == "cohort" else "phase",
        page=query_number("page") or 1,
    )
    board = queries.board(current_user, filters)
    hires = [card.hire for _, cards in board.groups for card in cards]
    return render(
        "board/index.html",
        block="results",
        board=board,
        coaching=coaching_queries.board_lines([h.id for h in hires], clock.today()),
        trends=board_trends(hires),
        readiness=certificates.readiness_of(hires),
        certified=certificates.certified_hires([h.id for h in hires]),
        projections=card_projections(hires),
    )


def _hire(hire_id: int):
    hire = queries.viewable_hire(current_user, hire_id)
    if hire is None:
        raise NotFound(_("There is no such hire among the ones you manage."))
    return hire


def _replace_form(hire) -> ReplaceForm:
    """The re-place form started from the current placement, from today (or the start)."""
    form = ReplaceForm(formdata=None)
    current = operations.current_placement(hire)
    if current is not None:
        form.fill_from(current)
    form.effective_from.data = max(clock.today(), hire.start_date)
    return form


def _left_form(form: LeftForm) -> LeftForm:
    """The leave form with its fixed list of reasons (from today unless given)."""
    form.reason.choices = [SelectChoice("", "—")] + [
        SelectChoice(code, label) for code, label in leaving.LEAVE_REASONS.items()
    ]
    if form.left_on.data is None and not form.left_on.raw_data:
        form.left_on.data = clock.today()
    return form


def _hire_page(hire, status: int = 200, **forms):
    defaults = {
        "sign_off_form": SignOffForm(formdata=None),
        "waive_form": WaiveForm(formdata=None),
        "extend_form": ExtendForm(formdata=None),
        "replace_form": _replace_form(hire),
        "note_form": NoteForm(formdata=None),
        "ready_form": ReadyForm(formdata=None),
        "issue_form": IssueForm(formdata=None),
        "revoke_form": RevokeForm(formdata=None),
        "dismiss_form": DismissRefresherForm(formdata=None),
        "one_to_one_form": OneToOneForm(formdata=None),
        "left_form": _left_form(LeftForm(formdata=None)),
        "undo_left_form": UndoLeftForm(formdata=None),
    }
    defaults.update(forms)
    history = certificate_queries.certificates_of_hires([hire.id])[hire.id]
    refreshers = coaching_queries.refreshers_of_hire(hire.id)
    effects = coaching_effect.effects_of(refreshers)
    valid_cert = certificates.latest_valid(history)
    return render(
        "board/hire.html",
        valid_cert=valid_cert,
        renewable=valid_cert is not None and certificates.renewable(valid_cert),
        status=status,
        view=queries.hire_view(hire),
        metrics=hire_metrics(hire),
        qa_categories=category_weeks(hire),
        forecast=hire_forecast(hire),
        readiness=certificates.readiness_of([hire])[hire.id],
        certificates=history,
        refreshers=coaching_wording.shown(refreshers, clock.today(), effects),
        skills=skill_queries.current_skills([hire.user_id])[hire.user_id],
        leave_reason=leaving.leave_reason_label,
        **defaults,
    )


@bp.get("/hires/<int:hire_id>")
def hire(hire_id: int):
    """A hire's plan: milestones with evidence, progress, placements, notes and actions."""
    return _hire_page(_hire(hire_id))


def _act(hire_id: int, form_name: str, form, action):
    """Validate, run one operation, commit once; re-show the page with the messages on error."""
    hire = _hire(hire_id)
    if not form.validate_on_submit():
        return _hire_page(hire, status=422, **{form_name: form})
    try:
        message = action(hire, form)
    except ValidationError as exc:
        db.session.rollback()
        hire = _hire(hire_id)
        form.form_errors.extend(exc.problems)
        return _hire_page(hire, status=422, **{form_name: form})
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("board.hire", hire_id=hire_id), 303)


@bp.post("/hires/<int:hire_id>/sign-off")
def sign_off(hire_id: int):
    """Sign off a milestone."""
    form = SignOffForm()

    def run(hire, f):
        m = operations.sign_off(hire, f.milestone.data, current_user, f.note.data)
        return _("Signed off “%(milestone)s”.", milestone=m.title)

    return _act(hire_id, "sign_off_form", form, run)


@bp.post("/hires/<int:hire_id>/waive")
def waive(hire_id: int):
    """Waive a milestone with a reason."""
    form = WaiveForm()

    def run(hire, f):
        m = operations.waive(hire, f.milestone.data, current_user, f.reason.data)
        return _("Waived “%(milestone)s”.", milestone=m.title)

    return _act(hire_id, "waive_form", form, run)


@bp.post("/hires/<int:hire_id>/extend")
def extend(hire_id: int):
    """Extend a milestone's due date with a reason."""
    form = ExtendForm()

    def run(hire, f):
        m = operations.extend(hire, f.milestone.data, f.due.data, current_user, f.reason.data)
        return _(
            "“%(milestone)s” is now due %(date)s.", milestone=m.title, date=format_date(m.due_date)
        )

    return _act(hire_id, "extend_form", form, run)


@bp.post("/hires/<int:hire_id>/re-place")
def re_place(hire_id: int):
    """Move the hire to another placement from a date."""
    form = ReplaceForm()

    def run(hire, f):
        fields = f.placement(keep=operations.current_placement(hire))
        p = operations.re_place(hire, f.effective_from.data, fields, current_user, f.reason.data)
        return _(
            "Placed in %(placement)s from %(date)s.",
            placement=p.label,
            date=format_date(p.effective_from),
        )

    return _act(hire_id, "replace_form", form, run)


@bp.post("/hires/<int:hire_id>/notes")
def note(hire_id: int):
    """Add a note to the hire's record."""
    form = NoteForm()

    def run(hire, f):
        operations.add_note(hire, f.body.data, current_user)
        return _("Note added.")

    return _act(hire_id, "note_form", form, run)


@bp.post("/hires/<int:hire_id>/left")
def mark_left(hire_id: int):
    """Mark the hire as left, with the day and a reason: it leaves the board, keeps its history."""
    form = _left_form(LeftForm())

    def run(hire, f):
        leaving.mark_left(hire, f.left_on.data, f.reason.data, f.note.data, current_user)
        return _(
            "%(name)s is marked as left on %(date)s.",
            name=hire.user.name,
            date=format_date(f.left_on.data),
        )

    return _act(hire_id, "left_form", form, run)


@bp.post("/hires/<int:hire_id>/left/undo")
def undo_left(hire_id: int):
    """Take back a hire's leaving, with a reason: the hire is back on the board."""
    form = UndoLeftForm()

    def run(hire, f):
        leaving.undo_left(hire, current_user, f.reason.data)
        return _("%(name)s is no longer marked as left.", name=hire.user.name)

    return _act(hire_id, "undo_left_form", form, run)


@bp.post("/hires/<int:hire_id>/ready")
def ready(hire_id: int):
    """Sign off that the hire is ready for a certificate."""
    form = ReadyForm()

    def run(hire, f):
        certificates.sign_off_ready(hire, current_user, f.note.data)
        return _("Signed off %(name)s as ready.", name=hire.user.name)

    return _act(hire_id, "ready_form", form, run)


@bp.post("/hires/<int:hire_id>/certificates")
def issue(hire_id: int):
    """Issue a readiness certificate (an admin may override readiness with a reason)."""
    form = IssueForm()

    def run(hire, f):
        cert = certificates.issue_certificate(
            hire,
            current_user,
            public_base_url(),
            organization=current_app.config["ORGANIZATION_NAME"],
            override_reason=f.override_reason.data,
        )
        return _(
            "Issued certificate %(code)s to %(name)s.",
            code=format_code(cert.code),
            name=hire.user.name,
        )

    return _act(hire_id, "issue_form", form, run)


@bp.post("/hires/<int:hire_id>/certificates/<int:cert_id>/revoke")
def revoke(hire_id: int, cert_id: int):
    """Revoke one of the hire's certificates, with a reason."""
    form = RevokeForm()

    def run(hire, f):
        cert = certificate_queries.downloadable(current_user, cert_id)
        if cert is None or cert.hire_id != hire.id:
            raise NotFound(_("There is no such certificate for this hire."))
        certificates.revoke_certificate(cert, current_user, f.reason.data)
        return _("Revoked certificate %(code)s.", code=format_code(cert.code))

    return _act(hire_id, "revoke_form", form, run)


def _refresher(hire, assignment_id: int):
    assignment = coaching_queries.hire_assignment(hire.id, assignment_id)
    if assignment is None:
        raise NotFound(_("There is no such refresher for this hire."))
    return assignment


@bp.post("/hires/<int:hire_id>/refreshers/<int:assignment_id>/dismiss")
def dismiss_refresher(hire_id: int, assignment_id: int):
    """Dismiss an open refresher, with a reason."""
    form = DismissRefresherForm()

    def run(hire, f):
        assignment = _refresher(hire, assignment_id)
        coaching.dismiss(assignment, f.reason.data, current_user, clock.today())
        return _("Dismissed “%(title)s”.", title=assignment.title)

    return _act(hire_id, "dismiss_form", form, run)


@bp.post("/hires/<int:hire_id>/refreshers/<int:assignment_id>/one-to-one")
def one_to_one(hire_id: int, assignment_id: int):
    """Record the 1:1 a refresher asks for, with a note."""
    form = OneToOneForm()

    def run(hire, f):
        assignment = _refresher(hire, assignment_id)
        coaching.finish_one_to_one(assignment, f.note.data, current_user, clock.today())
        return _("Recorded the 1:1 on “%(title)s”.", title=assignment.title)

    return _act(hire_id, "one_to_one_form", form, run)


# Confirmation pages: what an action that cannot be undone will do, with a Confirm button
# that posts to the action itself. With script, the hire page asks in a dialog instead.


def _back(hire_id: int, message: str):
    """Back to the hire's page with a message; nothing was changed."""
    flash(message, "error")
    return redirect(url_for("board.hire", hire_id=hire_id), 303)


def _asked(form_class):
    """The action's form, read from the query or the posted form (it changes nothing yet)."""
    return form_class(formdata=request.values, meta={"csrf": False})


@bp.route("/hires/<int:hire_id>/waive/confirm", methods=["GET", "POST"])
def confirm_waive(hire_id: int):
    """Ask before waiving a milestone."""
    hire = _hire(hire_id)
    form = _asked(WaiveForm)
    milestone = next((m for m in hire.milestones if m.key == form.milestone.data), None)
    if not form.validate() or milestone is None or milestone.waived:
        return _back(
            hire_id,
            _(
                "Nothing was waived: choose an open milestone on this page, give a reason, "
                "then confirm."
            ),
        )
    return render(
        "board/confirm.html",
        hire=hire,
        title=_(
            "Waive “%(milestone)s” for %(name)s?", milestone=milestone.title, name=hire.user.name
        ),
        consequence=_(
            "A waived milestone counts as closed for readiness and stays waived: "
            "this cannot be undone."
        ),
        facts=[(_("Milestone"), milestone.title), (_("Reason"), form.reason.data.strip())],
        changes=[],
        action=url_for("board.waive", hire_id=hire.id),
        fields=[("milestone", milestone.key), ("reason", form.reason.data)],
        confirm=_("Confirm: waive milestone"),
    )


@bp.route("/hires/<int:hire_id>/re-place/confirm", methods=["GET", "POST"])
def confirm_re_place(hire_id: int):
    """Ask before re-placing a hire, showing what changes and what stays."""
    hire = _hire(hire_id)
    form = _asked(ReplaceForm)
    current = operations.current_placement(hire)
    fields = form.placement(keep=current)
    problems = [e for errs in form.errors.values() for e in errs] if not form.validate() else []
    if not problems:
        cleaned, problems = operations.check_placement(hire, form.effective_from.data, fields)
    if problems:
        return _back(
            hire_id, _("Nothing was changed: %(problems)s.", problems="; ".join(map(str, problems)))
        )
    labels = {k: getattr(form, k).label.text for k in PLACEMENT_KEYS}

    def shown(key, placement):
        value = getattr(placement, key) if not isinstance(placement, dict) else placement[key]
        return (", ".join(value) if key == "skills" else value) or "—"

    changes = [
        (labels[k], shown(k, current) if current else "—", shown(k, cleaned))
        for k in PLACEMENT_KEYS
    ]
    return render(
        "board/confirm.html",
        hire=hire,
        title=_(
            "Re-place %(name)s from %(date)s?",
            name=hire.user.name,
            date=format_date(form.effective_from.data),
        ),
        consequence=_(
            "The new placement starts on that date and its targets apply from then; "
            "the history keeps the old one, but a placement cannot be taken back."
        ),
        facts=[
            (_("From"), format_date(form.effective_from.data)),
            (_("Reason"), form.reason.data),
        ],
        changes=changes,
        action=url_for("board.re_place", hire_id=hire.id),
        fields=[
            ("effective_from", form.effective_from.data.isoformat()),
            *((k, fields[k] or "") for k in PLACEMENT_KEYS),
            ("reason", form.reason.data),
        ],
        confirm=_("Confirm: re-place"),
    )


@bp.route("/hires/<int:hire_id>/certificates/<int:cert_id>/revoke/confirm", methods=["GET", "POST"])
def confirm_revoke(hire_id: int, cert_id: int):
    """Ask before revoking a certificate."""
    hire = _hire(hire_id)
    cert = certificate_queries.downloadable(current_user, cert_id)
    if cert is None or cert.hire_id != hire.id:
        raise NotFound(_("There is no such certificate for this hire."))
    form = _asked(RevokeForm)
    if cert.revoked_at is not None or not form.validate():
        return _back(
            hire_id,
            _(
                "Nothing was revoked: open Revoke under the certificate, give a reason, then confirm."
            ),
        )
    return render(
        "board/confirm.html",
        hire=hire,
        title=_(
            "Revoke certificate %(code)s of %(name)s?",
            code=format_code(cert.code),
            name=hire.user.name,
        ),
        consequence=_(
            "Its verify page will say “Revoked” with your reason, to anyone who "
            "checks it: this cannot be undone."
        ),
        facts=[(_("Certificate"), format_code(cert.code)), (_("Reason"), form.reason.data)],
        changes=[],
        action=url_for("board.revoke", hire_id=hire.id, cert_id=cert.id),
        fields=[("reason", form.reason.data)],
        confirm=_("Confirm: revoke certificate"),
    )


@bp.get("/certificates")
def certificate_list():
    """Readiness per cohort, certificates to renew within 30 days, and recent certificates."""
    overview = certificate_queries.overview(current_user)
    return render("board/certificates.html", overview=overview, form=EmptyForm())


def _cohort(cohort_id: int):
    cohort = certificate_queries.visible_cohort(current_user, cohort_id)
    if cohort is None:
        raise NotFound(_("There is no such cohort among the ones you manage."))
    return cohort


@bp.post("/cohorts/<int:cohort_id>/certificates")
def issue_batch(cohort_id: int):
    """Issue certificates to every ready hire of a cohort, in the background."""
    cohort = _cohort(cohort_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        batch = certificates.start_batch(cohort, current_user)
    except ValidationError as exc:
        db.session.rollback()
        flash(" ".join(map(str, exc.problems)), "error")
        return redirect(url_for("board.certificate_list"), 303)
    db.session.commit()
    jobs.submit(
        f"certificates for {cohort.name}",
        "ramp.certificates.operations:run_batch",
        batch.id,
        public_base_url(),
        current_app.config["ORGANIZATION_NAME"],
        str(get_locale() or "en"),
        owner_id=current_user.id,
    )
    return redirect(url_for("board.batch", batch_id=batch.id), 303)


@bp.get("/certificate-batches/<int:batch_id>")
def batch(batch_id: int):
    """Progress of a batch, then what it issued and whom it skipped."""
    found = certificate_queries.visible_batch(current_user, batch_id)
    if found is None:
        raise NotFound(_("There is no such batch."))
    return render("board/batch.html", block="progress", batch=found)


def _hire_form() -> HireForm:
    form = HireForm()
    form.cohort.choices = [
        SelectChoice(c.id, c.name) for c in queries.assignable_cohorts(current_user)
    ]
    form.manager.choices = [
        SelectChoice(u.id, u.name) for u in queries.assignable_managers(current_user)
    ]
    if request.method == "GET":
        form.manager.data = current_user.id
        form.start_date.data = clock.today()
    return form


@bp.route("/hires/new", methods=["GET", "POST"])
def new_hire():
    """Add one hire to a cohort."""
    form = _hire_form()
    if form.validate_on_submit():
        cohort = db.session.get(Cohort, form.cohort.data)
        manager = db.session.get(User, form.manager.data)
        item = operations.NewHire(
            form.name.data, form.email.data, form.start_date.data, manager, cohort, form.placement()
        )
        try:
            [created] = operations.add_hires([item], current_user)
        except ValidationError as exc:
            db.session.rollback()
            form.form_errors.extend(exc.problems)
        else:
            db.session.commit()
            flash(
                _("%(name)s joined %(cohort)s.", name=created.user.name, cohort=cohort.name),
                "success",
            )
            return redirect(url_for("board.hire", hire_id=created.id), 303)
    return render(
        "board/new_hire.html", form=form, status=422 if form.errors or form.form_errors else 200
    )


@bp.route("/roster", methods=["GET", "POST"])
def roster():
    """Upload a roster CSV: every row is checked before any hire is created."""
    form = RosterForm()
    problems = []
    if form.validate_on_submit():
        raw = form.roster.data.read(5_000_000)
        try:
            text = raw.decode("utf-8-sig")
            hires = parse_roster(text)
            operations.require_cohorts_of(current_user, {h.cohort for h in hires})
            created = operations.add_hires(hires, current_user)
        except UnicodeDecodeError:
            problems = [
                _("The file is not UTF-8 text. Export it from your spreadsheet as CSV UTF-8.")
            ]
        except RosterError as exc:
            problems = [str(p) for p in exc.problems]
        except ValidationError as exc:
            problems = exc.problems
        if problems:
            db.session.rollback()
        else:
            db.session.commit()
            flash(
                ngettext("Imported %(num)d hire.", "Imported %(num)d hires.", len(created)),
                "success",
            )
            return redirect(url_for("board.index"), 303)
    status = 422 if problems or form.errors else 200
    return render("board/roster.html", form=form, problems=problems, status=status)


def _planned_form(form: PlannedClassForm | None = None) -> PlannedClassForm:
    """The planned-class form, its teams those the viewer leads (all for an admin)."""
    form = form or PlannedClassForm(formdata=None)
    form.team.choices = [SelectChoice(t.id, t.name) for t in visible_teams(current_user)]
    return form


def _unknown_queue(queue: str) -> str:
    return _(
        "There is no queue '%(queue)s' among your hires; choose one from the list.", queue=queue
    )


def _compare_context(planned_form: PlannedClassForm | None = None) -> tuple[dict, list[str]]:
    """What the comparison page shows for the query, and the problems with the query."""
    options = queries.visible_cohort_options(current_user)
    allowed = {cid for cid, _ in options}
    chosen = [int(c) for c in request.args.getlist("cohort") if c.isdecimal() and int(c) in allowed]
    if not chosen:
        chosen = [cid for cid, _ in options[:3]]
    metrics = [m for m in request.args.getlist("metric") if m in METRICS] or list(DEFAULT_METRICS)
    queues = queries.visible_queues(current_user)
    queue = request.args.get("queue") or None
    problems = []
    if queue is not None and queue not in queues:
        # Only a queue the viewer's own hires are in: anything else could single someone out.
        problems.append(_unknown_queue(queue))
        queue = None
    start, weeks, window_problems = workforce.window(
        request.args.get("start"), request.args.get("weeks")
    )
    problems += window_problems
    result = (
        compare_cohorts([], metrics)
        if problems
        else compare_cohorts(
            chosen, metrics, queue, current_user, current_app.config["COMPARE_MIN_HIRES"]
        )
    )
    capacity = workforce.capacity_report(
        current_user, [] if problems else chosen, start, weeks, queue=queue
    )
    context = dict(
        result=result,
        options=options,
        chosen=chosen,
        metrics=metrics,
        queue=queue,
        all_metrics=METRICS,
        queues=queues,
        problems=problems,
        capacity=capacity,
        capacity_svg=capacity_chart(capacity),
        capacity_start=start,
        capacity_weeks=weeks,
        attrition=workforce.attrition_report(current_user, [] if problems else chosen),
        planned=workforce.visible_planned(current_user),
        planned_form=_planned_form(planned_form),
        remove_form=EmptyForm(formdata=None),
        leave_reason=leaving.leave_reason_label,
    )
    return context, problems


@bp.get("/compare")
def compare():
    """Compare cohorts week by week against the targets; as a page, CSV or a PDF report;
    with the cohorts' capacity, planned classes and early attrition."""
    context, problems = _compare_context()
    if problems:
        return render("board/compare.html", status=422, **context)
    fmt = request.args.get("format")
    result = context["result"]
    if fmt == "csv":
        return Response(
            comparison_csv(result),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=cohort-comparison.csv"},
        )
    if fmt == "pdf":
        html = render_template("board/compare_report.html", **context)
        return Response(
            render_pdf(html, current_app.static_folder),
            mimetype="application/pdf",
            headers={"Content-Disposition": "attachment; filename=cohort-comparison.pdf"},
        )
    return render("board/compare.html", **context)


@bp.get("/compare/capacity.csv")
def capacity_download():
    """The chosen cohorts' and planned classes' capacity in the long format WFM tools import."""
    options = queries.visible_cohort_options(current_user)
    allowed = {cid for cid, _ in options}
    raw = request.args.getlist("cohort")
    problems = []
    if not all(c.isdecimal() for c in raw):
        problems.append(_("A cohort is given by its number; choose one from the list."))
    elif any(int(c) not in allowed for c in raw):
        raise NotFound(_("There is no such cohort among the ones you manage."))
    chosen = [int(c) for c in raw if c.isdecimal()]
    start, weeks, window_problems = workforce.window(
        request.args.get("start"), request.args.get("weeks")
    )
    problems += window_problems
    queue = request.args.get("queue") or None
    if queue is not None and queue not in queries.visible_queues(current_user):
        problems.append(_unknown_queue(queue))
    if problems:
        abort(422, " ".join(problems))
    if not raw:
        chosen = [cid for cid, _ in options[:3]]
    report = workforce.capacity_report(current_user, chosen, start, weeks, queue=queue)
    name = f"capacity-{start:%Y%m%d}-{weeks}w.csv"
    return Response(
        capacity_csv(report.rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


@bp.post("/planned-classes")
def add_planned_class():
    """Plan a future class (placement, start, heads) for one of the viewer's teams."""
    form = _planned_form(PlannedClassForm())
    problems = []
    if form.validate_on_submit():
        team = next((t for t in visible_teams(current_user) if t.id == form.team.data), None)
        try:
            planned = planning.add_planned_class(
                current_user,
                form.name.data,
                team,
                form.queue.data,
                form.channel.data,
                form.start_date.data,
                form.heads.data,
            )
        except ValidationError as exc:
            db.session.rollback()
            problems = exc.problems
        else:
            db.session.commit()
            flash(_("Planned %(name)s.", name=planned.name), "success")
            return redirect(url_for("board.compare") + "#capacity", 303)
    form.form_errors.extend(problems)
    context, _problems = _compare_context(form)
    return render("board/compare.html", status=422, **context)


@bp.post("/planned-classes/<int:planned_id>/remove")
def remove_planned_class(planned_id: int):
    """Remove a planned class (hired, or dropped)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    planned = planning.planned_class_of(current_user, planned_id)
    name = planned.name
    planning.remove_planned_class(current_user, planned)
    db.session.commit()
    flash(_("Removed the planned class %(name)s.", name=name), "success")
    return redirect(url_for("board.compare") + "#capacity", 303)


@bp.get("/team-performance")
def team_performance():
    """Each agent's and the team's metrics by calendar week or month; as a page or CSV."""
    teams = visible_teams(current_user)
    args = request.args
    choice, problems = team_periods.choose(
        teams, args.get("team"), args.get("grain"), args.get("periods"), args.getlist("metric")
    )
    periods = team_periods.last_periods(clock.today(), choice.grain, choice.count)
    context = dict(
        teams=teams,
        choice=choice,
        metric=METRICS[choice.metrics[0]],
        metrics=METRICS,
        problems=problems,
        periods=periods,
        label=team_periods.label,
    )
    if problems or choice.team is None:
        status = 422 if problems else 200
        return render("board/team_performance.html", status=status, report=None, **context)
    if args.get("format") == "csv":
        report = team_periods.team_performance(choice.team, choice.grain, periods, choice.metrics)
        name = f"team-performance-{choice.grain}-{periods[0]:%Y%m%d}-{report.end:%Y%m%d}.csv"
        return Response(
            team_periods.performance_csv(report),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}"},
        )
    report = team_periods.team_performance(choice.team, choice.grain, periods, choice.metrics[:1])
    return render("board/team_performance.html", report=report, **context)


def _coaching_filters() -> tuple[coaching_queries.CoachingFilters, list[str]]:
    """The Coaching page's filters from the query; a value that is not one offered is refused."""
    cohorts, teams = coaching_queries.filter_options(current_user)
    problems: list[str] = []

    def chosen(name: str, options, message: str) -> int | None:
        value = request.args.get(name, "").strip()
        if not value:
            return None
        if value.isdecimal() and int(value) in {oid for oid, _name in options}:
            return int(value)
        problems.append(message)
        return None

    cohort = chosen(
        "cohort", cohorts, _("There is no such cohort among your hires; choose one from the list.")
    )
    team = chosen(
        "team", teams, _("There is no such team among your hires; choose one from the list.")
    )
    page = request.args.get("page", "1").strip() or "1"
    if not page.isdecimal() or not 0 < int(page) < 100_000:
        problems.append(_("The page number must be a whole number from 1."))
        page = "1"
    return coaching_queries.CoachingFilters(cohort, team, int(page)), problems


@bp.get("/coaching")
def coaching_page():
    """Coaching rules with their firings, open and overdue refreshers, and their effect."""
    filters, problems = _coaching_filters()
    if problems:
        filters = coaching_queries.CoachingFilters()
    today = clock.today()
    overview = coaching_queries.overview(current_user, filters, today)
    every = coaching_queries.all_assignments(current_user, filters, completed_only=True)
    effects = coaching_effect.effects_of(every)
    return render(
        "board/coaching.html",
        status=422 if problems else 200,
        problems=problems,
        overview=overview,
        rows=coaching_wording.shown(overview.assignments, today, effects),
        by_rule=coaching_effect.group_effects(every, effects, coaching_effect.by_rule),
        by_refresher=coaching_effect.group_effects(every, effects, coaching_effect.by_refresher),
        rule_titles={r.key: r.title for r in overview.rules},
        group_line=coaching_wording.group_line,
    )


@bp.get("/coaching.csv")
def coaching_csv():
    """Every refresher under the filters, with its evidence and effect, as CSV."""
    filters, problems = _coaching_filters()
    if problems:
        abort(422, " ".join(problems))
    every = coaching_queries.all_assignments(current_user, filters)
    effects = coaching_effect.effects_of(every)
    return Response(
        coaching_wording.assignments_csv(every, effects),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=coaching.csv"},
    )


@bp.get("/skills.csv")
def skills_csv():
    """The current skills of the agents on the board, as a routing system's import file."""
    fmt = request.args.get("format", "")
    if fmt not in skill_exports.FORMATS:
        abort(400, _("Choose the export's format: NICE CXone, Calabrio or Genesys."))
    return Response(
        skill_exports.skills_csv(fmt, skill_queries.export_rows(current_user)),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=skills-{fmt}.csv"},
    )
