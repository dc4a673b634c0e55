"""Ramp templates, plans, placements, milestone criteria and evaluation."""

from pathlib import Path

# The shipped 12-week contact-center ramp template (see docs/ramp-templates.md).
STARTER_TEMPLATE = Path(__file__).parent / "starter" / "contact-center-12-weeks.yaml"
