"""The lti blueprint, which its view modules add their routes to."""

from flask import Blueprint

bp = Blueprint("lti", __name__, url_prefix="/lti")
