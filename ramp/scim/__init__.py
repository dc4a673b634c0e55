"""SCIM 2.0 provisioning: users and groups (teams) kept in step with an identity provider."""
