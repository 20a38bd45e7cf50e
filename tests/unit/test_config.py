"""The settings table: flag > env > default, both flag spellings, secret files, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from nara.cli import UsageError, build_parser
from nara.config import SETTINGS, ConfigError, load_config, parse_http_addr


def load(argv: list[str], env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return load_config(build_parser().parse_args(argv), env or {}, "host")


def test_defaults() -> None:
    config = load([])
    assert config.http_addr == ":8080" and config.mqtt_host == "" and config.memory_mode == "medium"
    assert config.effective_ledger_capacity == 20_000


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
    with pytest.raises(ConfigError, match="must be a positive integer"):
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
