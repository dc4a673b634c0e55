"""Ramp templates, plans, placements, milestone criteria and evaluation."""
