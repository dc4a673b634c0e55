"""The revocation status of credentials as a W3C Bitstring Status List.

Every certificate holds a randomly chosen position in one list of 131,072 bits (the
minimum the specification sets, so the list says nothing about how many certificates
exist); the bit is 1 once the certificate is revoked. The list is published as a
``BitstringStatusListCredential``: GZIP-compressed, base64url-encoded with the multibase
prefix ``u``. Nothing in it names a person or a certificate code.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable

LIST_BITS = 131_072


def encode_list(revoked: Iterable[int], size: int = LIST_BITS) -> str:
    """The encodedList of a bitstring with the given positions set (bit 0 is the first byte's top bit)."""
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


def decode_list(encoded: str) -> bytes:
    """The raw bitstring of an encodedList."""
    if not encoded.startswith("u"):
        raise ValueError("an encodedList is multibase base64url, starting with 'u'")
    data = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def is_set(bitstring: bytes, index: int) -> bool:
    """Whether position `index` is set."""
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))
