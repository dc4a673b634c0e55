"""A learner's path through their curriculum."""

from flask import Blueprint

bp = Blueprint("learner", __name__, url_prefix="/learn")

from ramp.blueprints.learner import views  # noqa: E402, F401
