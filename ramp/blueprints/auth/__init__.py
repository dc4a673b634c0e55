"""Signing in and out."""

# Importing the view modules adds their routes to the blueprint.
from ramp.blueprints.auth import sso, views  # noqa: F401
from ramp.blueprints.auth.blueprint import bp

__all__ = ["bp"]
