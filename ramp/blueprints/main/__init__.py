"""The home page and pages every role shares."""

# Importing the view modules adds their routes to the blueprint.
from ramp.blueprints.main import views  # noqa: F401
from ramp.blueprints.main.blueprint import bp

__all__ = ["bp"]
