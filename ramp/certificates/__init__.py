"""Readiness certificates: readiness, issuing, PDF, verification and Open Badges credentials."""
