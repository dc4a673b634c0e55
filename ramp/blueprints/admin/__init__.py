"""Admin pages: people, teams, curricula, ramp templates, cohorts, imports, targets, tokens, audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from ramp.blueprints.admin import curricula, people, targets, tokens, views  # noqa: E402, F401
