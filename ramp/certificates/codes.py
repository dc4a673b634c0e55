"""Certificate codes: 80 random bits in Crockford base32, typed back forgivingly."""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
SELECTOR = 8
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_code() -> str:
    """A fresh unguessable code (never derived from an id)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def format_code(code: str) -> str:
    """The code as printed: four groups of four."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_code(text: str | None) -> str | None:
    """The code someone typed, in canonical form; None when it cannot be a code."""
    if not text:
        return None
    code = _SEPARATORS.sub("", text.strip().upper()).translate(_CONFUSABLE)
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code
