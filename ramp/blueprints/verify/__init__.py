"""Public verification of certificates, the Open Badges issuer documents, and downloads."""

# Importing the view modules adds their routes to the blueprint.
from ramp.blueprints.verify import views  # noqa: F401
from ramp.blueprints.verify.blueprint import bp

__all__ = ["bp"]
