"""The ramp board, a hire's page and the actions on it (sign off, waive, extend, re-place, note)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ramp.blueprints.board import bp
from ramp.blueprints.board.forms import (
    ExtendForm,
    HireForm,
    NoteForm,
    ReplaceForm,
    RosterForm,
    SignOffForm,
    WaiveForm,
)
from ramp.errors import NotFound, ValidationError
from ramp.extensions import db
from ramp.metrics.display import board_trends, hire_metrics
from ramp.milestones import operations, queries
from ramp.milestones.roster import RosterError, parse_roster
from ramp.web import render


@bp.before_request
@login_required
def require_manager():
    """The board is for managers and admins."""
    if not (current_user.is_manager or current_user.is_admin):
        abort(403, "The ramp board is for managers and admins. Your own ramp is under My ramp.")


def _int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.get("/")
def index():
    """Every active hire the viewer manages, at-risk and missed first, with filters."""
    status = request.args.get("status") or None
    filters = queries.BoardFilters(
        cohort=_int("cohort"),
        queue=request.args.get("queue") or None,
        status=status if status in queries.STATUS_FILTERS else None,
        manager=_int("manager"),
        q=(request.args.get("q") or "").strip() or None,
        group="cohort" if request.args.get("group") == "cohort" else "phase",
        page=_int("page") or 1,
    )
    board = queries.board(current_user, filters)
    trends = board_trends([card.hire for _, cards in board.groups for card in cards])
    return render("board/index.html", block="results", board=board, trends=trends)


def _hire(hire_id: int):
    hire = queries.viewable_hire(current_user, hire_id)
    if hire is None:
        raise NotFound("There is no such hire among the ones you manage.")
    return hire


def _hire_page(hire, status: int = 200, **forms):
    defaults = {
        "sign_off_form": SignOffForm(formdata=None),
        "waive_form": WaiveForm(formdata=None),
        "extend_form": ExtendForm(formdata=None),
        "replace_form": ReplaceForm(formdata=None),
        "note_form": NoteForm(formdata=None),
    }
    defaults.update(forms)
    return render(
        "board/hire.html",
        status=status,
        view=queries.hire_view(hire),
        metrics=hire_metrics(hire),
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
        return f"Signed off “{m.title}”."

    return _act(hire_id, "sign_off_form", form, run)


@bp.post("/hires/<int:hire_id>/waive")
def waive(hire_id: int):
    """Waive a milestone with a reason."""
    form = WaiveForm()

    def run(hire, f):
        m = operations.waive(hire, f.milestone.data, current_user, f.reason.data)
        return f"Waived “{m.title}”."

    return _act(hire_id, "waive_form", form, run)


@bp.post("/hires/<int:hire_id>/extend")
def extend(hire_id: int):
    """Extend a milestone's due date with a reason."""
    form = ExtendForm()

    def run(hire, f):
        m = operations.extend(hire, f.milestone.data, f.due.data, current_user, f.reason.data)
        return f"“{m.title}” is now due {m.due_date:%d %b %Y}."

    return _act(hire_id, "extend_form", form, run)


@bp.post("/hires/<int:hire_id>/re-place")
def re_place(hire_id: int):
    """Move the hire to another placement from a date."""
    form = ReplaceForm()

    def run(hire, f):
        p = operations.re_place(
            hire, f.effective_from.data, f.placement(), current_user, f.reason.data
        )
        return f"Placed in {p.label} from {p.effective_from:%d %b %Y}."

    return _act(hire_id, "replace_form", form, run)


@bp.post("/hires/<int:hire_id>/notes")
def note(hire_id: int):
    """Add a note to the hire's record."""
    form = NoteForm()

    def run(hire, f):
        operations.add_note(hire, f.body.data, current_user)
        return "Note added."

    return _act(hire_id, "note_form", form, run)


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
        form.start_date.data = date.today()
    return form


@bp.route("/hires/new", methods=["GET", "POST"])
def new_hire():
    """Add one hire to a cohort."""
    form = _hire_form()
    if form.validate_on_submit():
        from ramp.accounts.models import User
        from ramp.milestones.models import Cohort

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
            flash(f"{created.user.name} joined {cohort.name}.", "success")
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
            problems = ["The file is not UTF-8 text. Export it from your spreadsheet as CSV UTF-8."]
        except RosterError as exc:
            problems = [str(p) for p in exc.problems]
        except ValidationError as exc:
            problems = exc.problems
        if problems:
            db.session.rollback()
        else:
            db.session.commit()
            flash(f"Imported {len(created)} hires.", "success")
            return redirect(url_for("board.index"), 303)
    status = 422 if problems or form.errors else 200
    return render("board/roster.html", form=form, problems=problems, status=status)


@bp.get("/compare")
def compare():
    """Compare cohorts week by week against the targets; as a page, CSV or a PDF report."""
    from flask import Response, current_app, render_template

    from ramp.metrics.comparison import DEFAULT_METRICS, compare, comparison_csv
    from ramp.metrics.definitions import METRICS
    from ramp.pdf import render_pdf

    options = queries.visible_cohort_options(current_user)
    allowed = {cid for cid, _ in options}
    chosen = [int(c) for c in request.args.getlist("cohort") if c.isdigit() and int(c) in allowed]
    if not chosen:
        chosen = [cid for cid, _ in options[:3]]
    metrics = [m for m in request.args.getlist("metric") if m in METRICS] or list(DEFAULT_METRICS)
    queue = request.args.get("queue") or None
    result = compare(chosen, metrics, queue)
    context = dict(result=result, options=options, chosen=chosen, metrics=metrics, queue=queue,
                   all_metrics=METRICS, queues=queries.visible_queues(current_user))  # fmt: skip
    fmt = request.args.get("format")
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
