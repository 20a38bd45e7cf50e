"""Ed25519 keys, signatures and the Base64 forms the plaza carries (spec §1.7).

The 32-byte soul seed *is* the RFC 8032 seed: no derivation step in between.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class SigningKey:
    """An Ed25519 private key made from a soul seed."""

    __slots__ = ("_key", "public_raw")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_raw: bytes = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def public_b64(self) -> str:
        """The public key as the wire carries it: standard Base64 with padding, 44 chars."""
        return base64.b64encode(self.public_raw).decode("ascii")

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def sign_b64(self, message: bytes) -> str:
        return base64.b64encode(self._key.sign(message)).decode("ascii")

    def __repr__(self) -> str:  # never show key material
        return f"SigningKey(public={self.public_b64})"


def decode_b64(text: str) -> bytes | None:
    """Strict standard Base64 (with padding); None when it is not."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def verify_b64(public_b64: str, message: bytes, signature_b64: str) -> bool:
    """Verify an Ed25519 signature given the b64 public key and b64 signature.

    Wrong sizes (key != 32 bytes, signature != 64 bytes) and bad Base64 are simply False.
    """
    key = decode_b64(public_b64)
    sig = decode_b64(signature_b64)
    if key is None or sig is None or len(key) != 32 or len(sig) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(sig, message)
    except (InvalidSignature, ValueError):
        return False
    return True
