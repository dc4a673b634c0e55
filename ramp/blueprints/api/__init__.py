"""The JSON API for other systems: push QA and contact records, read hires' progress."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from ramp.blueprints.api import views  # noqa: E402, F401
