"""Single sign-on: OpenID Connect and SAML identity providers, and the local-password policy."""
