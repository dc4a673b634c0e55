"""The main blueprint, which its view modules add their routes to."""

from flask import Blueprint

bp = Blueprint("main", __name__)
