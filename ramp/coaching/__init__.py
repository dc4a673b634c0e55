"""Closed-loop coaching: rules over QA and contact results assign refreshers to hires, the
refreshers are worked through on their own page, and their effect on the figure they were
assigned for is measured. See docs/coaching.md.
"""

from pathlib import Path

STARTER_RULES = Path(__file__).parent / "starter" / "coaching-rules.yaml"
