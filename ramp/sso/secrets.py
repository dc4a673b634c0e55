"""Provider secrets at rest: encrypted with a key derived from the app's SECRET_KEY."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ramp.sso.errors import SignInRefused


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"ramp sso client secret"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(plain: str, secret_key: str) -> str:
    """The secret, encrypted for the database."""
    return _fernet(secret_key).encrypt(plain.encode()).decode()


def unseal(sealed: str, secret_key: str) -> str:
    """The secret back; refused when SECRET_KEY changed since it was saved."""
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise SignInRefused(
            "client secret",
            "the provider's client secret cannot be read (SECRET_KEY changed since it was "
            "saved): an admin must enter it again",
            503,
        ) from None
