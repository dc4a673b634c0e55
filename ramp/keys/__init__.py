"""Signing keys of the tool: LTI messages and Open Badges credentials, rotated with overlap."""
