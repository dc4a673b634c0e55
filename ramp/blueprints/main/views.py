"""The home page sends each role where it works; managers see their team's progress."""

from flask import abort, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ramp.accounts.queries import visible_agents
from ramp.blueprints.main.blueprint import bp
from ramp.curricula.queries import progress_of_learners
from ramp.webkit import render


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
    """Curriculum progress of every agent the manager leads (admins: everyone)."""
    if not (current_user.is_manager or current_user.is_admin):
        abort(403, _("Only managers and admins can see team progress."))
    agents = visible_agents(current_user)
    progress = progress_of_learners([a.id for a in agents])
    return render("main/team.html", agents=agents, progress=progress)
