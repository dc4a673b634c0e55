"""The ramp board and hire pages for managers and admins."""

from flask import Blueprint

bp = Blueprint("board", __name__, url_prefix="/board")

from ramp.blueprints.board import views  # noqa: E402, F401
