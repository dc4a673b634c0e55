"""The learner blueprint, which its view modules add their routes to."""

from flask import Blueprint

bp = Blueprint("learner", __name__, url_prefix="/learn")
