"""Identity: the soul, its bond to a name, the nara ID, generated names and the gemstone (spec §1).

Everything here must equal the Go reference for every input, because a soul made by one
implementation is used by the other: Base58 with the Bitcoin alphabet (btcutil), HKDF-SHA256
native souls, HMAC-SHA256 bond tags, and names drawn from Go's math/rand (``gorand``).

The soul (32-byte seed || 8-byte tag) is the node's only secret. Nothing in this module puts it
into an exception message or a ``repr``; ``Identity.public_summary`` leaves it out.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

import base58

from nara.core.crypto import SigningKey, hkdf_sha256
from nara.core.gorand import GoRand, seed_from_digest
from nara.core.names import valid_name

# wordlists lives in personality, which needs no import of this module; re-exported here.
from nara.core.personality import aura, personality
from nara.core.personality import wordlists as wordlists

SEED_LEN = 32
TAG_LEN = 8
SOUL_LEN = SEED_LEN + TAG_LEN

_SOUL_SALT = b"nara:soul:v2"  # §1.3
_BOND_PREFIX = b"nara:name:v2:"  # §1.5
_B58_ALPHABET = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")

# §1.4 step 2. The reference's list also holds "Mac", but it is compared against the
# lower-cased name and so never matches; leaving it out reproduces that behaviour exactly.
_GENERIC_PARTS = ("localhost", "raspberrypi", "raspberry", "debian", "ubuntu", "nixos", "nara")
_CONTAINER_ID = re.compile(r"[0-9a-f]{12,}")


class SoulError(ValueError):
    """The soul cannot be used; the message is one readable line and never holds the soul."""


@dataclass(frozen=True)
class Soul:
    """A SoulV1: 32-byte seed || 8-byte bond tag (§1.1). Its repr never shows the secret."""

    seed: bytes = field(repr=False)
    tag: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.seed) != SEED_LEN or len(self.tag) != TAG_LEN:
            raise SoulError("a soul is a 32-byte seed and an 8-byte tag")

    @property
    def raw(self) -> bytes:
        """The 40 soul bytes (seed || tag)."""
        return self.seed + self.tag

    @property
    def text(self) -> str:
        """The soul as users copy it: Base58 (Bitcoin alphabet) of seed || tag."""
        return _soul_text(self.raw)

    def __repr__(self) -> str:
        return "Soul(<hidden>)"

    __str__ = __repr__


@functools.lru_cache(maxsize=64)
def _soul_text(raw: bytes) -> str:
    # Cached: the aura (every second) and the gemstone hash the soul *text*.
    return base58.b58encode(raw).decode("ascii")


def parse_soul(text: str) -> Soul:
    """Parse a Base58 soul; surrounding whitespace is ignored (§1.1).

    Raises SoulError when the text is not Base58 or does not decode to exactly 40 bytes.
    """
    stripped = text.strip()
    # btcutil rejects any byte outside the alphabet; check first so that non-ASCII text
    # (which the base58 package would fail to encode) takes the same path.
    if not stripped or not set(stripped) <= _B58_ALPHABET:
        raise SoulError("the soul is not valid Base58 (it should be a 54-55 character string)")
    try:
        raw = base58.b58decode(stripped)
    except ValueError:
        raise SoulError("the soul is not valid Base58") from None
    if len(raw) != SOUL_LEN:
        raise SoulError(f"invalid soul length: it decodes to {len(raw)} bytes, a soul has 40")
    return Soul(seed=raw[:SEED_LEN], tag=raw[SEED_LEN:])


def compute_tag(seed: bytes, name: str) -> bytes:
    """Bond tag: HMAC-SHA256(key=seed, "nara:name:v2:" + name)[0:8] (§1.5)."""
    return hmac.new(seed, _BOND_PREFIX + name.encode("utf-8"), hashlib.sha256).digest()[:TAG_LEN]


def validate_bond(soul: Soul, name: str) -> bool:
    """True when the soul's tag binds it to ``name`` (non-empty, constant-time compare, §1.5)."""
    if not name:
        return False
    return hmac.compare_digest(soul.tag, compute_tag(soul.seed, name))


def nara_id(soul: Soul, name: str) -> str:
    """ID = B58(sha256(soul bytes || utf8(name))) (§1.6)."""
    digest = hashlib.sha256(soul.raw + name.encode("utf-8")).digest()
    return base58.b58encode(digest).decode("ascii")


def generate_name(id_text: str) -> str:
    """adjective-noun-NNN drawn with Go math/rand seeded from sha256(id_text) (§1.8)."""
    if id_text == "":
        return "unnamed-nara"
    words = wordlists()
    adjectives, nouns = words["adjectives"], words["nouns"]
    rng = GoRand(seed_from_digest(hashlib.sha256(id_text.encode("utf-8")).digest()))
    adjective = adjectives[rng.intn(len(adjectives))]
    noun = nouns[rng.intn(len(nouns))]
    return f"{adjective}-{noun}-{rng.intn(1000):03d}"


def name_from_soul(soul: Soul) -> str:
    """The generated-mode name of a soul: GenerateName(hex(seed)) (§1.3)."""
    return generate_name(soul.seed.hex())


def is_generic_hostname(hostname: str) -> bool:
    """True for names that say nothing about the machine, which select generated mode (§1.4)."""
    # Go's strings.ToLower maps rune by rune; Python's full case mapping turns "İ" into two
    # characters where Go gives a plain "i", so map that one rune the Go way first.
    lowered = hostname.replace("\u0130", "i").lower()
    if any(part in lowered for part in _GENERIC_PARTS):
        return True
    return _CONTAINER_ID.fullmatch(lowered) is not None


def _hkdf_seed(fingerprint: bytes, info: bytes) -> bytes:
    return hkdf_sha256(fingerprint, salt=_SOUL_SALT, info=info, length=SEED_LEN)


def native_soul_custom(fingerprint: bytes, name: str) -> Soul:
    """The soul this machine derives for a chosen name (§1.3, custom mode)."""
    seed = _hkdf_seed(fingerprint, b"seed:custom:" + name.encode("utf-8"))
    return Soul(seed=seed, tag=compute_tag(seed, name))


def native_soul_generated(fingerprint: bytes) -> Soul:
    """The soul this machine derives when it has no meaningful name (§1.3, generated mode)."""
    seed = _hkdf_seed(fingerprint, b"seed:generated")
    return Soul(seed=seed, tag=compute_tag(seed, generate_name(seed.hex())))


def gemstone(name: str, soul: Soul) -> str:
    """GEMSTONES[uint64_be(sha256(name + soulText)[0:8]) % 11] (§1.9)."""
    stones = wordlists()["gemstones"]
    digest = hashlib.sha256((name + soul.text).encode("utf-8")).digest()
    return stones[int.from_bytes(digest[:8], "big") % len(stones)]


@dataclass(frozen=True)
class Identity:
    """Who this node is: its name, soul, nara ID and public key, and how they were chosen.

    ``custom_mode`` is False in generated-name mode. ``native`` says the soul is the one this
    machine's fingerprint derives. The soul is never shown by ``repr`` or ``public_summary``.
    """

    name: str
    soul: Soul = field(repr=False)
    nara_id: str
    public_key: str
    custom_mode: bool
    bond_valid: bool
    native: bool

    @functools.cached_property
    def _signing_key(self) -> SigningKey:
        return SigningKey(self.soul.seed)

    def signing_key(self) -> SigningKey:
        """The Ed25519 key made directly from the soul seed (§1.7); built once."""
        return self._signing_key

    def public_summary(self) -> dict[str, Any]:
        """What ``nara identity`` prints: everything public about this node, no soul."""
        pers = personality(self.soul)
        primary, secondary = aura(self.soul, self.name, pers, 0)
        return {
            "name": self.name,
            "nara_id": self.nara_id,
            "public_key": self.public_key,
            "mode": "custom" if self.custom_mode else "generated",
            "bond_valid": self.bond_valid,
            "native": self.native,
            "personality": {
                "Agreeableness": pers.agreeableness,
                "Sociability": pers.sociability,
                "Chill": pers.chill,
            },
            "aura": {"primary": primary, "secondary": secondary},
            "gemstone": gemstone(self.name, self.soul),
        }


def determine_identity(name: str, soul_text: str, hostname: str, fingerprint: bytes) -> Identity:
    """Choose mode, name and soul like the reference's DetermineIdentity (§1.4), but stricter.

    Unlike the reference (which runs on with a zero soul or an "inauthentic" bond), nara refuses
    to start: an unparsable soul or one bonded to another name raises SoulError.
    """
    short_host = hostname.split(".", 1)[0]
    effective = name or short_host
    custom_mode = not is_generic_hostname(effective)
    if not name and short_host and not valid_name(short_host):
        custom_mode = False  # a host name outside the name rule: generated, as for "localhost"
    if custom_mode and not effective:
        raise SoulError("nara needs a name: set NARA_ID (-nara-id) or give the machine a hostname")

    if soul_text.strip():
        soul = parse_soul(soul_text)
        resolved = effective if custom_mode else name_from_soul(soul)
    elif custom_mode:
        soul = native_soul_custom(fingerprint, effective)
        resolved = effective
    else:
        soul = native_soul_generated(fingerprint)
        resolved = name_from_soul(soul)

    bond_valid = validate_bond(soul, resolved)
    if not bond_valid:
        raise SoulError(
            f"the soul is bonded to another name than {resolved!r}: "
            "use the name it was made for (NARA_ID) or drop the soul to derive a native one"
        )
    native_soul = (
        native_soul_custom(fingerprint, resolved)
        if custom_mode
        else native_soul_generated(fingerprint)
    )
    return Identity(
        name=resolved,
        soul=soul,
        nara_id=nara_id(soul, resolved),
        public_key=SigningKey(soul.seed).public_b64,
        custom_mode=custom_mode,
        bond_valid=bond_valid,
        native=hmac.compare_digest(native_soul.raw, soul.raw),
    )
