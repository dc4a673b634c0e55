"""SCIM 2.0 (RFC 7643, RFC 7644) for identity providers: users and groups (teams)."""

# Importing the view module adds its routes to the blueprint.
from ramp.blueprints.scim import views  # noqa: F401
from ramp.blueprints.scim.blueprint import bp

__all__ = ["bp"]
