"""The home page and pages every role shares."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from ramp.blueprints.main import views  # noqa: E402, F401
