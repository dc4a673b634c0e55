"""The ramp board and hire pages for managers and admins."""

# Importing the view modules adds their routes to the blueprint.
from ramp.blueprints.board import views  # noqa: F401
from ramp.blueprints.board.blueprint import bp

__all__ = ["bp"]
