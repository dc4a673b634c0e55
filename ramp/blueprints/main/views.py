"""The home page sends each role where it works; managers see their team's progress; every
signed-in user chooses what they hear about."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ramp.accounts.queries import agents_page
from ramp.blueprints.forms import EmptyForm
from ramp.blueprints.main.blueprint import bp
from ramp.curricula.queries import progress_of_learners
from ramp.errors import ValidationError
from ramp.extensions import db
from ramp.notifications.kinds import CHOICE_LABELS, kinds_for
from ramp.notifications.operations import preferences_of, save_preferences
from ramp.webkit import query_number, query_text, render


def attempt(action):
    """Run one operation: commit and return its result, or roll back with its problems."""
    try:
        result = action()
    except ValidationError as exc:
        db.session.rollback()
        return None, exc.problems
    db.session.commit()
    return result, []


@bp.get("/")
def home():
    """Learners go to their curriculum, managers and admins to their team."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_manager or current_user.is_admin:
        return redirect(url_for("board.index"))
    return redirect(url_for("learner.home"))


@bp.get("/team")
@login_required
def team():
    """Curriculum progress of the agents the manager leads (admins: everyone), a page at a
    time, searchable by name or e-mail."""
    if not (current_user.is_manager or current_user.is_admin):
        abort(403, _("Only managers and admins can see team progress."))
    listing = agents_page(current_user, query_text("q"), query_number("page") or 1)
    progress = progress_of_learners([a.id for a in listing.people])
    return render("main/team.html", listing=listing, progress=progress)


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    """What the signed-in user hears about, and how: at once, in the daily digest, or off."""
    form = EmptyForm()
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            errors, status = [_("The form expired; reload the page and try again.")], 400
        else:
            chosen = {
                key.removeprefix("pref-"): value
                for key, value in request.form.items()
                if key.startswith("pref-")
            }
            _saved, errors = attempt(lambda: save_preferences(current_user, chosen))
            if not errors:
                flash(_("Saved your notification settings."), "success")
                return redirect(url_for("main.notifications"), 303)
            status = 422
    return render(
        "main/notifications.html",
        form=form,
        errors=errors,
        kinds=kinds_for(current_user.role.value),
        chosen=preferences_of(current_user),
        choices=CHOICE_LABELS,
        status=status,
    )
