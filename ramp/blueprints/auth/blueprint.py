"""The auth blueprint, which its view modules add their routes to."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")
