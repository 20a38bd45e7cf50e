"""Ed25519 keys, signatures and the Base64 forms the plaza carries (spec §1.7).

The 32-byte soul seed *is* the RFC 8032 seed: no derivation step in between.

Ed25519 comes from libsodium through PyNaCl's low-level bindings: verifying measured about twice
as fast as ``cryptography`` (OpenSSL) on the same machine and run (bench/RESULTS.md, "crypto"),
and verification is the cost of every plaza message. HKDF-SHA256 (RFC 5869) is a few lines of
``hmac`` from the standard library, so nothing here needs ``cryptography``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError, CryptoError

_SIG_LEN = 64
_KEY_LEN = 32


class SigningKey:
    """An Ed25519 private key made from a soul seed."""

    __slots__ = ("_secret", "public_raw")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        public, secret = crypto_sign_seed_keypair(bytes(seed))
        self._secret: bytes = secret  # libsodium's 64-byte form: seed || public key
        self.public_raw: bytes = public

    @property
    def public_b64(self) -> str:
        """The public key as the wire carries it: standard Base64 with padding, 44 chars."""
        return base64.b64encode(self.public_raw).decode("ascii")

    def sign(self, message: bytes) -> bytes:
        signed: bytes = crypto_sign(message, self._secret)
        return signed[:_SIG_LEN]

    def sign_b64(self, message: bytes) -> str:
        return base64.b64encode(self.sign(message)).decode("ascii")

    def __repr__(self) -> str:  # never show key material
        return f"SigningKey(public={self.public_b64})"


def decode_b64(text: str) -> bytes | None:
    """Strict standard Base64 (with padding); None when it is not."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def verify(public_raw: bytes, message: bytes, signature: bytes) -> bool:
    """Verify a raw Ed25519 signature; wrong sizes are simply False."""
    if len(public_raw) != _KEY_LEN or len(signature) != _SIG_LEN:
        return False
    try:
        crypto_sign_open(signature + message, public_raw)
    except (BadSignatureError, CryptoError, ValueError, TypeError):
        return False
    return True


def verify_b64(public_b64: str, message: bytes, signature_b64: str) -> bool:
    """Verify an Ed25519 signature given the b64 public key and b64 signature.

    Wrong sizes (key != 32 bytes, signature != 64 bytes) and bad Base64 are simply False.
    """
    key = decode_b64(public_b64)
    sig = decode_b64(signature_b64)
    if key is None or sig is None:
        return False
    return verify(key, message, sig)


def hkdf_sha256(key_material: bytes, *, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869): extract then expand, byte for byte what ``cryptography`` gives."""
    if not 0 < length <= 255 * 32:
        raise ValueError("HKDF-SHA256 output is 1 to 8160 bytes")
    prk = hmac.new(salt or bytes(32), key_material, hashlib.sha256).digest()
    out = b""
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes((counter,)), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]
