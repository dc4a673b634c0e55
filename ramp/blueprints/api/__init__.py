"""The JSON API for other systems: push QA and contact records, read hires' progress."""

# Importing the view modules adds their routes to the blueprint.
from ramp.blueprints.api import views  # noqa: F401
from ramp.blueprints.api.blueprint import bp

__all__ = ["bp"]
