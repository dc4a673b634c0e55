"""LTI 1.3: login initiation, launch, key set, deep linking, registrations, courses, grades."""

from flask import Blueprint

bp = Blueprint("lti", __name__, url_prefix="/lti")

from ramp.blueprints.lti import views  # noqa: E402, F401
