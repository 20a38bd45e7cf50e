"""The settings table: flag > env > default, both flag spellings, secret files, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nara.cli import UsageError, build_parser, resolve_identity
from nara.config import (
    SETTINGS,
    Config,
    ConfigError,
    default_state_dir,
    load_config,
    parse_http_addr,
)
from nara.core.names import valid_name
from nara.core.settings import DEFAULTS, NodeSettings


def load(argv: list[str], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return load_config(build_parser().parse_args(argv), env or {}, "host")


def test_defaults() -> None:
    config = load([])
    assert config.http_addr == ":8080" and config.mqtt_host == ""
    assert config.node == NodeSettings(hostname="host")


def test_node_settings_resolve_into_one_value() -> None:
    """The core's settings exist once: flags and env vars resolve straight into Config.node, the
    value build_app hands to the core; the table's defaults are NodeSettings' own."""
    config = load(["-max-naras", "7", "-memory-mode", "short"], {"NARA_MISSING_AFTER": "42"})
    assert config.node.max_naras == 7 and config.node.missing_after_s == 42.0
    assert config.node.memory_mode == "short" and config.node.ledger_capacity == 2_000
    assert load(["-ledger-capacity", "99"]).node.ledger_capacity == 99
    for setting in SETTINGS:
        if setting.node:
            assert setting.default == getattr(DEFAULTS, setting.node), setting.name
            assert not hasattr(Config, setting.name), setting.name


@pytest.mark.parametrize("flag", ["-mqtt-host", "--mqtt-host"])
def test_go_and_gnu_spellings(flag: str) -> None:
    assert load([flag, "tcp://b:1883"]).mqtt_host == "tcp://b:1883"


def test_flag_beats_env_beats_default() -> None:
    assert load([], {"NARA_ID": "env"}).name == "env"
    assert load([], {"NARA_NAME": "env2"}).name == "env2"
    assert load(["-name", "flag"], {"NARA_ID": "env"}).name == "flag"


def test_port_env_is_honoured_only_without_http_addr() -> None:
    assert load([], {"PORT": "9000"}).http_addr == ":9000"
    assert load([], {"PORT": "9000", "HTTP_ADDR": "127.0.0.1:1"}).http_addr == "127.0.0.1:1"


def test_secret_files(tmp_path: Path) -> None:
    (tmp_path / "pass").write_text("s3cret\n")
    assert load([], {"MQTT_PASS_FILE": str(tmp_path / "pass")}).mqtt_pass == "s3cret"
    with pytest.raises(ConfigError, match="MQTT_PASS_FILE"):
        load([], {"MQTT_PASS_FILE": str(tmp_path / "missing")})


def test_bad_values_are_one_line_errors_that_hide_secrets() -> None:
    with pytest.raises(ConfigError, match="must be one of"):
        load(["-memory-mode", "bogus"])
    with pytest.raises(ConfigError, match="must be a whole number from 1 to 1,000,000"):
        load([], {"LEDGER_CAPACITY": "-1"})
    with pytest.raises(UsageError):
        load(["-no-such-flag"])
    with pytest.raises(ConfigError):
        load(["-http-addr", "nonsense"])


def test_mqtt_insecure_switch() -> None:
    assert load(["-mqtt-insecure"]).mqtt_insecure is True
    assert load([], {"MQTT_INSECURE": "true"}).mqtt_insecure is True
    assert load([]).mqtt_insecure is False


def test_base_path_normalised() -> None:
    assert load(["-base-path", "/nara/"]).base_path == "/nara"
    assert load(["-base-path", "/"]).base_path == ""
    with pytest.raises(ConfigError):
        load(["-base-path", "nara"])


@pytest.mark.parametrize(
    ("addr", "expected"),
    [(":8080", ("", 8080)), ("127.0.0.1:0", ("127.0.0.1", 0)), ("[::1]:80", ("::1", 80))],
)
def test_parse_http_addr(addr: str, expected: tuple[str, int]) -> None:
    assert parse_http_addr(addr) == expected


def test_every_setting_has_help_and_env() -> None:
    for setting in SETTINGS:
        assert setting.help and setting.env and setting.flags


def test_kubernetes_is_a_fact_read_with_the_config() -> None:
    """The 🐳 flair needs to know about Kubernetes; only config reads the environment."""
    assert load([], {"KUBERNETES_SERVICE_HOST": "10.0.0.1"}).kubernetes is True
    assert load([]).kubernetes is False


# ---- finding 10: every unusable value is a ConfigError (one line), never a crash or a pass ----


@pytest.mark.parametrize("value", ["0", "-1", "1000001", "1000000000000", "1_000", "1e3", "١٢", ""])
def test_ledger_capacity_bounds(value: str) -> None:
    with pytest.raises(ConfigError, match="from 1 to 1,000,000"):
        load(["-ledger-capacity", value])


def test_ledger_capacity_accepts_its_documented_range() -> None:
    assert load(["-ledger-capacity", "1"]).node.ledger_capacity == 1
    assert load(["-ledger-capacity", " 1000000 "]).node.ledger_capacity == 1_000_000


@pytest.mark.parametrize("flag", ["-missing-after", "-gossip-missing-after"])
@pytest.mark.parametrize(
    "value", ["nan", "inf", "-inf", "1e400", "86401", "100000", "0", "0.5", "-5", "1_0", "5s"]
)
def test_missing_after_is_finite_and_bounded(flag: str, value: str) -> None:
    with pytest.raises(ConfigError, match="from 1 to 86,400"):
        load([f"{flag}={value}"])


def test_missing_after_accepts_its_documented_range() -> None:
    assert load(["-missing-after", "1"]).node.missing_after_s == 1.0
    assert load(["-missing-after", "4.5"]).node.missing_after_s == 4.5
    assert load([], {"NARA_GOSSIP_MISSING_AFTER": "86400"}).node.gossip_missing_after_s == 86400.0


@pytest.mark.parametrize(
    "name", ["a/b", "a+b", "a#b", "a\nb", "a b", "x" * 300, "ümlaut", "a\x00b", " alice"]
)
def test_nara_id_follows_the_name_rule(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(["-nara-id", name])
    message = str(caught.value)
    assert "\n" not in message and len(message) < 200


def test_nara_id_valid_and_empty() -> None:
    assert load(["-nara-id", "Alice_1.home-2"]).name == "Alice_1.home-2"
    assert load(["-nara-id", "x" * 64]).name == "x" * 64
    assert load(["-nara-id", ""]).name == ""


@pytest.mark.parametrize(
    "url",
    [
        "tcp://[::1",
        "tcp://[zz]:1883",
        "tcp://exa mple:1883",
        "tcp://host\x01:1883",
        "tcp://host:99999",
        "tcp://host:0",
        "tcp://host:-1",
        "tcp://:1883",
        "bogus://host",
        "tcp://ex%41mple",
        "tcp://user:pw@host",
    ],
)
def test_bad_broker_urls(url: str) -> None:
    with pytest.raises(ConfigError, match="-mqtt-host") as caught:
        load(["-mqtt-host", url])
    assert "pw" not in str(caught.value).replace("-mqtt-user", "")


@pytest.mark.parametrize(
    "url", ["broker", "tcp://b:1883", "tls://b.example:8883", "wss://[::1]:443/mqtt", "ws://b_1"]
)
def test_good_broker_urls(url: str) -> None:
    from nara.plaza import parse_broker_url

    assert load(["-mqtt-host", url]).mqtt_host == url
    parse_broker_url(url)  # what config accepts, the plaza can use


def test_secret_file_must_be_utf8_text_and_not_empty(tmp_path: Path) -> None:
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe\x00\x81soul")
    with pytest.raises(ConfigError, match=r"NARA_SOUL_FILE: .* is not UTF-8 text"):
        load([], {"NARA_SOUL_FILE": str(binary)})
    for content in ("", "  \n\n"):
        (tmp_path / "empty").write_text(content)
        with pytest.raises(ConfigError, match="is empty"):
            load([], {"NARA_SOUL_FILE": str(tmp_path / "empty")})
        with pytest.raises(ConfigError, match=r"MQTT_PASS_FILE: .* is empty"):
            load([], {"MQTT_PASS_FILE": str(tmp_path / "empty")})
    with pytest.raises(ConfigError, match="is not a regular file"):
        load([], {"NARA_SOUL_FILE": "/dev/zero"})  # never read at all
    big = tmp_path / "big"
    big.write_bytes(b"x" * (65 * 1024))
    with pytest.raises(ConfigError, match="larger than 64 KiB"):
        load([], {"NARA_SOUL_FILE": str(big)})
    (tmp_path / "bom").write_bytes(b"\xef\xbb\xbfs3cret\r\n")
    assert load([], {"MQTT_PASS_FILE": str(tmp_path / "bom")}).mqtt_pass == "s3cret"


def test_a_secret_as_variable_and_as_file_is_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    for var, file_var in (("NARA_SOUL", "NARA_SOUL_FILE"), ("MQTT_PASS", "MQTT_PASS_FILE")):
        with pytest.raises(ConfigError, match=f"both {var} and {file_var} are set") as caught:
            load([], {var: "topsecret", file_var: str(tmp_path / "f")})
        assert "topsecret" not in str(caught.value)


def test_rejected_values_are_echoed_short_and_on_one_line() -> None:
    with pytest.raises(ConfigError) as caught:
        load(["-mqtt-host", "tcp://" + "a b" * 500])
    assert len(str(caught.value)) < 250 and "\n" not in str(caught.value)


# ---- finding 11: the state directory setting -------------------------------------------------


def test_state_dir_default_follows_xdg() -> None:
    assert default_state_dir({"XDG_STATE_HOME": "/x/state", "HOME": "/h"}) == "/x/state/nara"
    assert default_state_dir({"XDG_STATE_HOME": "relative", "HOME": "/h"}) == (
        "/h/.local/state/nara"
    )
    assert default_state_dir({"HOME": "/h/"}) == "/h/.local/state/nara"
    assert default_state_dir({}) == ""
    assert load([], {"HOME": "/h"}).state_dir == "/h/.local/state/nara"
    assert load(["-state-dir", "/srv/n"], {"NARA_STATE_DIR": "/e"}).state_dir == "/srv/n"
    assert load([], {"NARA_STATE_DIR": "/e", "HOME": "/h"}).state_dir == "/e"
    with pytest.raises(ConfigError, match="-state-dir"):
        load(["-state-dir", "/a\nb"])


# ---- a host name outside the name rule must not make nara unstartable ------------------------


@pytest.mark.parametrize("hostname", ["bad host", "x" * 70, "", "host+1", "h\u00e9te", "a#b.lan"])
def test_an_unusable_hostname_gives_a_generated_name(hostname: str) -> None:
    identity = resolve_identity(Config(node=NodeSettings(hostname=hostname)))
    assert valid_name(identity.name) and not identity.custom_mode


def test_a_usable_hostname_is_the_name() -> None:
    identity = resolve_identity(Config(node=NodeSettings(hostname="kitchen.lan")))
    assert identity.name == "kitchen" and identity.custom_mode


def test_flags_without_a_command_are_serve() -> None:
    args = build_parser().parse_args(["-name", "x", "-mqtt-host", "tcp://h:1883"])
    assert args.command == "serve" and args.name == "x"
    assert build_parser().parse_args([]).command == "serve"


def test_each_command_reads_only_its_settings_and_the_environment_still_applies() -> None:
    args = build_parser().parse_args(["identity", "-soul", "s"])
    assert args.command == "identity" and not hasattr(args, "mqtt_host")
    config = load_config(args, {"NARA_ID": "envname", "MQTT_HOST": "tcp://h:1883"}, "host")
    assert (config.name, config.soul, config.mqtt_host) == ("envname", "s", "tcp://h:1883")
    health = build_parser().parse_args(["healthcheck", "-url", "u", "-base-path", "/n"])
    assert (health.url, health.base_path) == ("u", "/n") and not hasattr(health, "name")
    for argv in (
        ["identity", "-mqtt-host", "x"],
        ["version", "-name", "x"],
        ["serve", "-url", "u"],
    ):
        with pytest.raises(UsageError):
            build_parser().parse_args(argv)
