"""Public verification of certificates, the Open Badges issuer documents, and downloads."""

from flask import Blueprint

bp = Blueprint("verify", __name__)

from ramp.blueprints.verify import views  # noqa: E402, F401
