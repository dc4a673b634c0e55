"""The api blueprint, which its view modules add their routes to."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
