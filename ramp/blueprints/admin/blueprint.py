"""The admin blueprint, which its view modules add their routes to."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
