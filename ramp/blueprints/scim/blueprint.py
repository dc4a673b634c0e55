"""The scim blueprint, which its view module adds its routes to."""

from flask import Blueprint

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
