"""The verify blueprint, which its view modules add their routes to."""

from flask import Blueprint

bp = Blueprint("verify", __name__)
