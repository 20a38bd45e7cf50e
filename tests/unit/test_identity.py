"""Identity: soul format, bond, nara ID, names, modes and the hardware fingerprint (spec §1, §7)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import string
from pathlib import Path

import base58
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nara.core.crypto import verify_b64
from nara.core.identity import (
    Soul,
    SoulError,
    compute_tag,
    determine_identity,
    gemstone,
    generate_name,
    is_generic_hostname,
    name_from_soul,
    nara_id,
    native_soul_custom,
    native_soul_generated,
    parse_soul,
    validate_bond,
    wordlists,
)
from nara.fingerprint import hardware_fingerprint, host_id, interface_macs

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "identity_vectors.json").read_text())
HW1 = hashlib.sha256(b"hardware-1").digest()
HW2 = hashlib.sha256(b"hardware-2").digest()
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
FORTY = st.binary(min_size=40, max_size=40)
NAMES = st.text(min_size=1, max_size=30)


@pytest.mark.parametrize("row", VECTORS["identity"], ids=lambda r: r["name"])
def test_identity_vector(row: dict[str, object]) -> None:
    """The Go reference's identity for a custom name on a known fingerprint, field by field:
    the same soul, tag, ID and key make a Python nara the same node as a Go one."""
    fp = hashlib.sha256(str(row["fingerprint_of"]).encode()).digest()
    assert fp.hex() == row["fingerprint"]
    soul = native_soul_custom(fp, str(row["name"]))
    assert soul.seed.hex() == row["seed"]
    assert soul.tag.hex() == row["tag"]
    assert soul.text == row["soul"]
    assert nara_id(soul, str(row["name"])) == row["nara_id"]

    ident = determine_identity(str(row["name"]), "", "some-host", fp)
    assert (ident.name, ident.nara_id, ident.public_key) == (
        row["name"],
        row["nara_id"],
        row["public_key"],
    )
    assert ident.custom_mode and ident.bond_valid and ident.native
    assert ident.signing_key().public_b64 == row["public_key"]
    summary = ident.public_summary()
    assert summary["personality"] == {
        "Agreeableness": row["personality"]["agreeableness"],  # type: ignore[index]
        "Sociability": row["personality"]["sociability"],  # type: ignore[index]
        "Chill": row["personality"]["chill"],  # type: ignore[index]
    }


@pytest.mark.parametrize(("text", "name"), sorted(VECTORS["generate_name"].items()))
def test_generate_name_vectors(text: str, name: str) -> None:
    """Generated names equal Go's (Go math/rand seeded from sha256 of the text)."""
    assert generate_name(text) == name


@pytest.mark.parametrize(("host", "generic"), sorted(VECTORS["is_generic_hostname"].items()))
def test_is_generic_hostname_vectors(host: str, generic: bool) -> None:
    """Generic host names (including Go's never-matching "Mac" entry) classify like Go's."""
    assert is_generic_hostname(host) is generic


def test_generic_hostname_details() -> None:
    """Substring match after lower-casing, container IDs need 12+ hex digits and the whole name,
    and Go's rune-wise lower-casing maps "İ" to a plain "i"."""
    assert is_generic_hostname("my-UBUNTU-box")
    assert is_generic_hostname("ABCDEF012345")
    assert not is_generic_hostname("abcdef01234")
    assert not is_generic_hostname("abcdef012345-x")
    assert not is_generic_hostname("abcdef012345\n")
    assert is_generic_hostname("N\u0130XOS")
    assert not is_generic_hostname("")


def test_generated_mode_identity() -> None:
    """A generic host name selects generated mode: the name comes from the native soul's seed,
    and the soul is bonded to that name."""
    ident = determine_identity("", "", "raspberrypi.local", HW1)
    soul = native_soul_generated(HW1)
    assert not ident.custom_mode
    assert ident.name == name_from_soul(soul) == generate_name(soul.seed.hex())
    assert ident.soul == soul and ident.native and ident.bond_valid
    assert ident.public_summary()["mode"] == "generated"


def test_hostname_is_cut_at_first_dot() -> None:
    """Only the short host name counts, even when the caller passes an FQDN."""
    assert determine_identity("", "", "myserver.example.org", HW1).name == "myserver"


def test_given_soul_keeps_its_identity_on_other_hardware() -> None:
    """A soul carried to another machine still works; it is simply not native there."""
    soul = native_soul_custom(HW1, "jojo")
    ident = determine_identity("jojo", f"  {soul.text}\n", "elsewhere", HW2)
    assert ident.soul == soul and ident.bond_valid and not ident.native
    assert determine_identity("jojo", soul.text, "x", HW1).native


def test_soul_bonded_to_another_name_refuses_to_start() -> None:
    """Unlike Go (which only logs "Inauthentic"), nara refuses a soul bonded to another name;
    the message names the name and never the soul."""
    soul = native_soul_custom(HW1, "jojo")
    with pytest.raises(SoulError) as err:
        determine_identity("alice", soul.text, "host", HW1)
    assert "'alice'" in str(err.value)
    assert soul.text not in str(err.value)
    assert "\n" not in str(err.value)


def test_unparsable_soul_refuses_to_start() -> None:
    """Go would carry on with an all-zero soul; nara raises SoulError instead."""
    with pytest.raises(SoulError):
        determine_identity("jojo", "not a soul", "host", HW1)


def test_no_name_at_all_is_an_error() -> None:
    """Neither a name nor a host name: there is nothing to bond a soul to."""
    with pytest.raises(SoulError):
        determine_identity("", "", "", HW1)


def test_secrets_stay_out_of_reprs_and_summary() -> None:
    """The soul is the node's only secret: repr/str of Soul and Identity and the public summary
    never contain it."""
    ident = determine_identity("jojo", "", "host", HW1)
    text = ident.soul.text
    for shown in (
        repr(ident.soul),
        str(ident.soul),
        repr(ident),
        json.dumps(ident.public_summary()),
    ):
        assert text not in shown
        assert ident.soul.seed.hex() not in shown
    assert repr(ident.soul) == "Soul(<hidden>)"
    assert set(ident.public_summary()) == {
        "name",
        "nara_id",
        "public_key",
        "mode",
        "bond_valid",
        "native",
        "personality",
        "aura",
        "gemstone",
    }


def test_signing_key_signs_for_the_public_key() -> None:
    """The Ed25519 key is the soul seed itself; its signatures verify under the public key."""
    ident = determine_identity("jojo", "", "host", HW1)
    sig = ident.signing_key().sign_b64(b"howdy")
    assert verify_b64(ident.public_key, b"howdy", sig)
    assert ident.signing_key() is ident.signing_key()


def test_gemstone_is_from_the_list() -> None:
    """The gemstone is one of the 11 and changes with name or soul (sha256(name + soulText))."""
    soul = native_soul_custom(HW1, "jojo")
    stones = wordlists()["gemstones"]
    assert len(stones) == 11
    digest = hashlib.sha256(("jojo" + soul.text).encode()).digest()
    assert gemstone("jojo", soul) == stones[int.from_bytes(digest[:8], "big") % 11]


# --- properties -----------------------------------------------------------------------------


@given(FORTY)
def test_soul_text_round_trip(raw: bytes) -> None:
    """Any 40 bytes format to Base58 and parse back to the same soul (leading zeros included)."""
    soul = Soul(seed=raw[:32], tag=raw[32:])
    assert set(soul.text) <= set(B58)
    assert parse_soul(soul.text) == soul
    assert base58.b58decode(soul.text) == raw


@given(st.binary(max_size=80).filter(lambda b: len(b) != 40))
def test_parse_rejects_other_lengths(raw: bytes) -> None:
    """Valid Base58 of anything but 40 bytes is not a soul."""
    with pytest.raises(SoulError):
        parse_soul(base58.b58encode(raw).decode())


@given(st.text())
@example("soul").via("an input the message itself contains (found by a CI run)")
def test_parse_only_raises_soul_error(text: str) -> None:
    """Arbitrary text either parses or raises SoulError, whose message never echoes the input."""
    try:
        soul = parse_soul(text)
    except SoulError as err:
        assert "\n" not in str(err)
        if len(text.strip()) > 3 and text.strip() in str(err):
            # Only words the message has anyway (e.g. the input "soul"): the same message must
            # come out for an input that shares nothing with this one.
            with pytest.raises(SoulError) as other:
                parse_soul("!" * len(text.strip()))
            assert text.strip() in str(other.value)
    else:
        assert soul.text == text.strip()


@given(st.text(alphabet=B58, max_size=60))
def test_base58_alphabet_text_only_raises_soul_error(text: str) -> None:
    """Even well-formed Base58 of the wrong size fails cleanly with SoulError."""
    with contextlib.suppress(SoulError):
        parse_soul(text)


@given(st.binary(min_size=32, max_size=32), NAMES, NAMES)
def test_bond_validity(seed: bytes, name: str, other: str) -> None:
    """A tag computed for a name validates for that name and (barring 64-bit collisions) for
    no other; an empty name never bonds."""
    soul = Soul(seed=seed, tag=compute_tag(seed, name))
    assert validate_bond(soul, name)
    assert validate_bond(soul, other) == (other == name)
    assert not validate_bond(Soul(seed=seed, tag=compute_tag(seed, "")), "")


@settings(max_examples=30, deadline=None)
@given(
    st.text(alphabet=string.ascii_letters + string.digits + "-", max_size=20),
    st.text(alphabet=string.ascii_letters + string.digits + "-.", max_size=20),
    st.binary(min_size=32, max_size=32),
)
def test_determine_identity_is_deterministic(name: str, host: str, fp: bytes) -> None:
    """Same inputs, same identity; a native identity reloaded from its own soul text is equal."""
    try:
        first = determine_identity(name, "", host, fp)
    except SoulError:
        assert not (name or host.split(".")[0])
        return
    assert determine_identity(name, "", host, fp) == first
    assert first.bond_valid and first.native
    again = determine_identity(name, first.soul.text, host, fp)
    assert again == first


# --- hardware fingerprint (shell module) ------------------------------------------------------


def _fake_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_fingerprint_prefers_product_uuid_and_filters_interfaces(tmp_path: Path) -> None:
    """product_uuid (lower-cased) wins; only non-loopback en*/eth*/wlan* MACs that are not
    all-zero count, sorted; the fingerprint is sha256 of "hostID-mac,mac"."""
    root = _fake_tree(
        tmp_path,
        {
            "sys/class/dmi/id/product_uuid": "ABCD-EF\n",
            "etc/machine-id": "0123456789abcdef0123456789abcdef\n",
            "sys/class/net/wlan0/address": "bb:bb:bb:bb:bb:bb\n",
            "sys/class/net/wlan0/flags": "0x1003\n",
            "sys/class/net/eth0/address": "AA:aa:aa:aa:aa:aa\n",
            "sys/class/net/eth0/flags": "0x1003\n",
            "sys/class/net/enlo/address": "cc:cc:cc:cc:cc:cc\n",
            "sys/class/net/enlo/flags": "0x9\n",
            "sys/class/net/eth9/address": "00:00:00:00:00:00\n",
            "sys/class/net/docker0/address": "dd:dd:dd:dd:dd:dd\n",
            "sys/class/net/lo/address": "00:00:00:00:00:00\n",
        },
    )
    assert host_id(root) == "abcd-ef"
    assert interface_macs(root) == ["aa:aa:aa:aa:aa:aa", "bb:bb:bb:bb:bb:bb"]
    expected = hashlib.sha256(b"abcd-ef-aa:aa:aa:aa:aa:aa,bb:bb:bb:bb:bb:bb").digest()
    assert hardware_fingerprint(root) == expected


def test_fingerprint_falls_back_to_machine_id_then_boot_id(tmp_path: Path) -> None:
    """Without product_uuid a 32-char machine-id is reformatted 8-4-4-4-12; a machine-id of
    another length is skipped for the boot id; with nothing readable the host ID is ""."""
    root = _fake_tree(tmp_path / "a", {"etc/machine-id": "0123456789abcdef0123456789ABCDEF\n"})
    assert host_id(root) == "01234567-89ab-cdef-0123-456789ABCDEF"
    root = _fake_tree(
        tmp_path / "b",
        {"etc/machine-id": "short\n", "proc/sys/kernel/random/boot_id": "B00T-ID\n"},
    )
    assert host_id(root) == "b00t-id"
    empty = tmp_path / "c"
    empty.mkdir()
    assert host_id(empty) == ""
    assert interface_macs(empty) == []
    assert hardware_fingerprint(empty) == hashlib.sha256(b"-").digest()


def test_unreadable_product_uuid_is_tolerated(tmp_path: Path) -> None:
    """product_uuid is usually root-only: a read error moves on to the machine-id."""
    root = _fake_tree(tmp_path, {"etc/machine-id": "0" * 32 + "\n"})
    (root / "sys/class/dmi/id").mkdir(parents=True)
    (root / "sys/class/dmi/id/product_uuid").mkdir()  # reading a directory fails
    assert host_id(root) == "00000000-0000-0000-0000-000000000000"
