"""People and teams, for admins: the same operations as `ramp users` and `ramp teams`."""

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ramp.accounts import operations
from ramp.accounts.models import Team, User
from ramp.accounts.queries import leaders, list_teams, list_users, people_page
from ramp.audit.operations import recent_events
from ramp.blueprints.admin.blueprint import bp
from ramp.blueprints.admin.common import attempt, status_of
from ramp.blueprints.admin.forms import (
    ROLE_NAMES,
    EditUserForm,
    MemberForm,
    NewUserForm,
    ReasonForm,
    TeamForm,
    TransferForm,
)
from ramp.blueprints.forms import EmptyForm
from ramp.extensions import db
from ramp.milestones import queries as hire_queries
from ramp.milestones.models import Cohort
from ramp.milestones.operations import transfer_hire
from ramp.webkit import query_number, query_text, render


def _team_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("— no team —"))] + [
        SelectChoice(t.name, t.name) for t in list_teams()
    ]


@bp.route("/people", methods=["GET", "POST"])
def people():
    """Everyone who signs in; add a person with a password, or a generated one shown once."""
    form = NewUserForm()
    form.team.choices = _team_choices()
    errors: list[str] = []
    created = None
    if form.validate_on_submit():
        password = form.password.data or operations.generate_password()
        user, errors = attempt(
            lambda: operations.create_user(
                form.email.data,
                form.name.data,
                password,
                form.role.data,
                form.team.data or None,
                current_user,
            )
        )
        if user is not None and form.password.data:
            flash(
                _(
                    "Added %(name)s (%(email)s) as %(role)s.",
                    name=user.name,
                    email=user.email,
                    role=ROLE_NAMES[user.role.value],
                ),
                "success",
            )
            return redirect(url_for("admin.people"), 303)
        if user is not None:  # the generated password is shown on this answer only
            created = (user, password)
            form = NewUserForm(formdata=None)
            form.team.choices = _team_choices()
    listing = people_page(query_text("q"), query_number("page") or 1)
    return render(
        "admin/people.html",
        form=form,
        errors=errors,
        created=created,
        listing=listing,
        left=hire_queries.leavers([u.id for u in listing.people]),
        status=status_of(form, errors),
    )


def _edit_form(user: User, **kw) -> EditUserForm:
    team = user.team.name if user.team else ""
    form = EditUserForm(name=user.name, role=user.role.value, team=team, **kw)
    form.team.choices = _team_choices()
    return form


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
def person(user_id: int):
    """One person: change their name, role and team; deactivate or reactivate them."""
    user = db.get_or_404(User, user_id)
    form = _edit_form(user)
    errors: list[str] = []
    if form.validate_on_submit():
        done, errors = attempt(
            lambda: operations.update_user(
                user,
                role=form.role.data,
                team=form.team.data,
                name=form.name.data,
                actor=current_user,
            )
        )
        if done is not None:
            flash(_("Saved %(name)s.", name=user.name), "success")
            return redirect(url_for("admin.person", user_id=user.id), 303)
    return _person_page(user, form=form, errors=errors, status=status_of(form, errors))


def _transfer_form(blank: bool = False) -> TransferForm:
    form = TransferForm(formdata=None) if blank else TransferForm()
    form.cohort.choices = [SelectChoice(c.id, c.name) for c, _hires in hire_queries.cohort_list()]
    form.manager.choices = [
        SelectChoice(u.id, u.name) for u in hire_queries.assignable_managers(current_user)
    ]
    return form


def _person_page(user: User, status: int = 200, **parts):
    parts.setdefault("form", _edit_form(user, formdata=None))
    parts.setdefault("errors", [])
    parts.setdefault("reason_form", ReasonForm(formdata=None))
    parts.setdefault("transfer_form", _transfer_form(blank=True))
    return render(
        "admin/person.html",
        person=user,
        left_on=hire_queries.leavers([user.id]).get(user.id),
        events=recent_events(20, f"user:{user.id}"),
        status=status,
        **parts,
    )


@bp.post("/people/<int:user_id>/transfer")
def transfer_person(user_id: int):
    """Move an agent to another team's cohort and manager, with a reason (audited)."""
    user = db.get_or_404(User, user_id)
    form = _transfer_form()
    errors = [_("Choose a cohort and a manager.")]
    if form.validate_on_submit():
        hire, errors = attempt(
            lambda: transfer_hire(
                user.email,
                db.session.get(Cohort, form.cohort.data),
                db.session.get(User, form.manager.data),
                current_user,
                form.reason.data,
                form.start_date.data,
            )
        )
        if hire is not None:
            flash(
                _(
                    "%(name)s is now a hire in %(cohort)s.",
                    name=user.name,
                    cohort=hire.cohort.name,
                ),
                "success",
            )
            return redirect(url_for("admin.person", user_id=user.id), 303)
    return _person_page(user, status=422, errors=errors, transfer_form=form)


def _set_active(user_id: int, operation, done: str):
    user = db.get_or_404(User, user_id)
    form = ReasonForm()
    errors = [_("The form expired; reload the page and try again.")]
    if form.validate_on_submit():
        _result, errors = attempt(lambda: operation(user, current_user, form.reason.data))
    if not errors:
        flash(done % {"name": user.name}, "success")
        return redirect(url_for("admin.person", user_id=user.id), 303)
    return _person_page(user, status=422, errors=errors, reason_form=form)


@bp.post("/people/<int:user_id>/deactivate")
def deactivate_person(user_id: int):
    """Stop someone signing in; their history stays."""
    return _set_active(user_id, operations.deactivate_user, _("%(name)s can no longer sign in."))


@bp.post("/people/<int:user_id>/reactivate")
def reactivate_person(user_id: int):
    """Let a deactivated person sign in again."""
    return _set_active(user_id, operations.reactivate_user, _("%(name)s can sign in again."))


def _leader_choices(team: Team | None = None) -> list[SelectChoice]:
    """Active managers and admins, and the team's current manager even when deactivated."""
    people = leaders()
    if team is not None and team.manager is not None and team.manager not in people:
        people.append(team.manager)
    return [SelectChoice("", _("— no manager —"))] + [
        SelectChoice(u.email, f"{u.name} ({u.email})") for u in people
    ]


@bp.route("/teams", methods=["GET", "POST"])
def teams():
    """Every team with its manager and size; create a team."""
    form = TeamForm()
    form.manager.choices = _leader_choices()
    errors: list[str] = []
    if form.validate_on_submit():
        team, errors = attempt(
            lambda: operations.create_team(form.name.data, form.manager.data or None, current_user)
        )
        if team is not None:
            flash(_("Created team %(name)s.", name=team.name), "success")
            return redirect(url_for("admin.team", team_id=team.id), 303)
    return render(
        "admin/teams.html",
        form=form,
        errors=errors,
        teams=list_teams(),
        status=status_of(form, errors),
    )


def _team_page(team: Team, form: TeamForm, errors: list[str], member_form=None, status=200):
    member_form = member_form or MemberForm(formdata=None)
    no_team = _("no team")
    member_form.email.choices = [SelectChoice("", _("— choose —"))] + [
        SelectChoice(u.email, f"{u.name} ({u.email}, {u.team.name if u.team else no_team})")
        for u in list_users()
        if u.team_id != team.id and u.is_active_account
    ]
    return render(
        "admin/team.html",
        team=team,
        form=form,
        errors=errors,
        member_form=member_form,
        remove_form=EmptyForm(formdata=None),
        status=status,
    )


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
def team(team_id: int):
    """One team: rename it, change its manager, add and remove members."""
    row = db.get_or_404(Team, team_id)
    form = TeamForm(name=row.name, manager=row.manager.email if row.manager else "")
    form.manager.choices = _leader_choices(row)
    errors: list[str] = []
    if form.validate_on_submit():
        done, errors = attempt(
            lambda: operations.update_team(
                row, form.name.data, form.manager.data or None, current_user
            )
        )
        if done is not None:
            flash(_("Saved team %(name)s.", name=row.name), "success")
            return redirect(url_for("admin.team", team_id=row.id), 303)
    return _team_page(row, form, errors, status=status_of(form, errors))


@bp.post("/teams/<int:team_id>/members")
def add_member(team_id: int):
    """Put a person in this team (out of the one they were in)."""
    row = db.get_or_404(Team, team_id)
    form = MemberForm()
    errors: list[str] = []
    if form.validate_on_submit():
        user, errors = attempt(
            lambda: operations.add_to_team(form.email.data, row.name, current_user)
        )
        if user is not None:
            flash(_("%(name)s is in %(team)s.", name=user.name, team=row.name), "success")
            return redirect(url_for("admin.team", team_id=row.id), 303)
    team_form = TeamForm(
        formdata=None, name=row.name, manager=row.manager.email if row.manager else ""
    )
    team_form.manager.choices = _leader_choices(row)
    return _team_page(row, team_form, errors, member_form=form, status=422)


@bp.post("/teams/<int:team_id>/members/<int:user_id>/remove")
def remove_member(team_id: int, user_id: int):
    """Take a person out of this team; they keep their history."""
    row, user = db.get_or_404(Team, team_id), db.get_or_404(User, user_id)
    errors = [_("The form expired; reload the page and try again.")]
    if EmptyForm().validate_on_submit():
        _result, errors = attempt(
            lambda: operations.remove_from_team(user.email, row.name, current_user)
        )
    if not errors:
        flash(_("%(name)s is no longer in %(team)s.", name=user.name, team=row.name), "success")
        return redirect(url_for("admin.team", team_id=row.id), 303)
    team_form = TeamForm(
        formdata=None, name=row.name, manager=row.manager.email if row.manager else ""
    )
    team_form.manager.choices = _leader_choices(row)
    return _team_page(row, team_form, errors, status=422)
