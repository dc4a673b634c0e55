"""A learner's path through their curriculum."""

# Importing the view modules adds their routes to the blueprint.
from ramp.blueprints.learner import views  # noqa: F401
from ramp.blueprints.learner.blueprint import bp

__all__ = ["bp"]
