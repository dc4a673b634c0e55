"""LTI 1.3: login initiation, launch, key set, deep linking, registrations, courses, grades."""

# Importing the view modules adds their routes to the blueprint.
from ramp.blueprints.lti import views  # noqa: F401
from ramp.blueprints.lti.blueprint import bp

__all__ = ["bp"]
