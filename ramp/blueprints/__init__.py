"""Thin web layers, one per audience."""
