"""Admin pages: ramp templates and cohorts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from ramp.blueprints.admin import views  # noqa: E402, F401
