"""Curricula: versions, modules, lessons, knowledge checks and learner progress."""
