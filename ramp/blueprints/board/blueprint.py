"""The board blueprint, which its view modules add their routes to."""

from flask import Blueprint

bp = Blueprint("board", __name__, url_prefix="/board")
