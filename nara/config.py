"""The one settings table: every option's flags, env vars, default, type and help, and the frozen
Config read from it (flag > env > default).

Nothing else in nara reads ``os.environ``; ``load_config`` takes the environment as a parameter.
``--help`` and ``docs/configuration.md`` are both generated from ``SETTINGS``.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG_LEVELS = ("debug", "info", "warning", "error")
LOG_FORMATS = ("text", "json")
MEMORY_MODES = ("short", "medium", "hog")
# Ledger capacity per memory mode (events kept in memory).
MEMORY_MODE_CAPACITY = {"short": 2_000, "medium": 20_000, "hog": 200_000}


class ConfigError(ValueError):
    """A setting has a value nara cannot use; the message is one readable line."""


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("must be true or false")


def _choice(options: Sequence[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return parse


def _base_path(text: str) -> str:
    value = text.strip()
    if value in ("", "/"):
        return ""
    if not value.startswith("/") or "//" in value or any(c in value for c in "?#\"'<> "):
        raise ValueError("must be a URL path such as /nara")
    return value.rstrip("/")


@dataclass(frozen=True)
class Setting:
    """One row of the settings table."""

    name: str  # attribute on Config
    flags: tuple[str, ...]  # without dashes: accepted as -flag and --flag
    env: tuple[str, ...]  # environment variables, first wins
    default: Any
    parse: Callable[[str], Any]
    help: str
    metavar: str = "VALUE"
    is_flag: bool = False  # boolean switch: "-x" alone means true
    secret: bool = False  # never echoed back in errors, logs or docs examples
    file_env: str | None = None  # env var naming a file whose content is the value
    group: str = "node"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "name",
        ("nara-id", "name"),
        ("NARA_ID", "NARA_NAME"),
        "",
        str,
        "Name of this nara. Empty: the short hostname; a generic hostname (localhost, "
        "debian, a container ID, anything containing 'nara' ...) gets a generated name.",
        metavar="NAME",
        group="identity",
    ),
    Setting(
        "soul",
        ("soul",),
        ("NARA_SOUL",),
        "",
        str,
        "The soul (Base58, 40 bytes) to use. Empty: derive a native soul from this "
        "machine's hardware fingerprint. Prefer NARA_SOUL_FILE: flags are visible in ps.",
        metavar="SOUL",
        secret=True,
        file_env="NARA_SOUL_FILE",
        group="identity",
    ),
    Setting(
        "mqtt_host",
        ("mqtt-host",),
        ("MQTT_HOST",),
        "",
        str,
        "MQTT broker URL (tcp://, mqtt://, tls://, ssl://, mqtts://, ws://, wss://). "
        "Empty: run alone, without a plaza.",
        metavar="URL",
        group="plaza",
    ),
    Setting(
        "mqtt_user",
        ("mqtt-user",),
        ("MQTT_USER",),
        "",
        str,
        "MQTT username.",
        metavar="USER",
        group="plaza",
    ),
    Setting(
        "mqtt_pass",
        ("mqtt-pass",),
        ("MQTT_PASS",),
        "",
        str,
        "MQTT password. Prefer MQTT_PASS_FILE.",
        metavar="PASS",
        secret=True,
        file_env="MQTT_PASS_FILE",
        group="plaza",
    ),
    Setting(
        "mqtt_insecure",
        ("mqtt-insecure",),
        ("MQTT_INSECURE",),
        False,
        _bool,
        "Do not verify the broker's TLS certificate (the reference never does; nara does "
        "by default).",
        is_flag=True,
        group="plaza",
    ),
    Setting(
        "http_addr",
        ("http-addr",),
        ("HTTP_ADDR",),
        ":8080",
        str,
        "Address the HTTP server listens on, HOST:PORT. ':8080' is every interface; "
        "'127.0.0.1:0' picks a free port. When PORT is set (Fly.io) and HTTP_ADDR is not, "
        "nara listens on ':$PORT'.",
        metavar="ADDR",
        group="http",
    ),
    Setting(
        "public_url",
        ("public-url",),
        ("PUBLIC_URL",),
        "",
        str,
        "Public URL of this nara's dashboard, announced in newspapers.",
        metavar="URL",
        group="http",
    ),
    Setting(
        "base_path",
        ("base-path",),
        ("NARA_BASE_PATH",),
        "",
        _base_path,
        "URL path prefix when served behind a reverse proxy, e.g. /nara.",
        metavar="PATH",
        group="http",
    ),
    Setting(
        "memory_mode",
        ("memory-mode",),
        ("MEMORY_MODE",),
        "medium",
        _choice(MEMORY_MODES),
        "Memory profile: short (2,000 ledger events), medium (20,000) or hog (200,000).",
        metavar="MODE",
        group="node",
    ),
    Setting(
        "ledger_capacity",
        ("ledger-capacity",),
        ("LEDGER_CAPACITY",),
        0,
        _positive_int,
        "Ledger capacity in events; overrides the memory mode's.",
        metavar="N",
        group="node",
    ),
    Setting(
        "missing_after",
        ("missing-after",),
        ("NARA_MISSING_AFTER",),
        300.0,
        _non_negative_float,
        "Seconds without news before an ONLINE nara is MISSING (the reference's 300), plus a "
        "grace of 10 % (at most 30 s) so a quiet nara posting every 300 s does not flap.",
        metavar="SECONDS",
        group="node",
    ),
    Setting(
        "gossip_missing_after",
        ("gossip-missing-after",),
        ("NARA_GOSSIP_MISSING_AFTER",),
        3600.0,
        _non_negative_float,
        "The same threshold for naras that announce transport_mode gossip.",
        metavar="SECONDS",
        group="node",
    ),
    Setting(
        "log_level",
        ("log-level",),
        ("LOG_LEVEL",),
        "info",
        _choice(LOG_LEVELS),
        "Log level: debug, info, warning or error.",
        metavar="LEVEL",
        group="logging",
    ),
    Setting(
        "log_format",
        ("log-format",),
        ("LOG_FORMAT",),
        "text",
        _choice(LOG_FORMATS),
        "Log format: text (for people) or json (one object per line).",
        metavar="FORMAT",
        group="logging",
    ),
)


@dataclass(frozen=True)
class Config:
    """The resolved settings. Built only by ``load_config``."""

    name: str = ""
    soul: str = dataclasses.field(default="", repr=False)
    mqtt_host: str = ""
    mqtt_user: str = ""
    mqtt_pass: str = dataclasses.field(default="", repr=False)
    mqtt_insecure: bool = False
    http_addr: str = ":8080"
    public_url: str = ""
    base_path: str = ""
    memory_mode: str = "medium"
    ledger_capacity: int = 0
    missing_after: float = 300.0
    gossip_missing_after: float = 3600.0
    log_level: str = "info"
    log_format: str = "text"
    # Facts from the environment that are not settings of their own.
    hostname: str = ""
    kubernetes: bool = False  # KUBERNETES_SERVICE_HOST is set (the 🐳 flair)

    @property
    def effective_ledger_capacity(self) -> int:
        return self.ledger_capacity or MEMORY_MODE_CAPACITY[self.memory_mode]

    @property
    def http_host_port(self) -> tuple[str, int]:
        return parse_http_addr(self.http_addr)


def parse_http_addr(addr: str) -> tuple[str, int]:
    """Split HOST:PORT (HOST may be empty or a bracketed IPv6 address)."""
    host, sep, port_text = addr.rpartition(":")
    if not sep:
        raise ConfigError(f"-http-addr {addr!r}: expected HOST:PORT, e.g. :8080 or 127.0.0.1:0")
    host = host.strip("[]")
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"-http-addr {addr!r}: port {port_text!r} is not a number") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"-http-addr {addr!r}: port must be 0-65535")
    return host, port


def flag_spelling(flag: str) -> str:
    return f"-{flag} / --{flag}"


def _env_text(setting: Setting) -> str:
    names = list(setting.env)
    if setting.file_env:
        names.append(setting.file_env)
    return ", ".join(names)


def _default_text(setting: Setting) -> str:
    if setting.is_flag:
        return "false"
    if setting.default in ("", 0):
        return "(none)"
    if isinstance(setting.default, float) and setting.default.is_integer():
        return str(int(setting.default))
    return str(setting.default)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register every setting as both -flag (Go style) and --flag (GNU style)."""
    groups: dict[str, Any] = {}
    for setting in SETTINGS:
        group = groups.get(setting.group)
        if group is None:
            group = groups[setting.group] = parser.add_argument_group(setting.group)
        spellings = [s for flag in setting.flags for s in (f"-{flag}", f"--{flag}")]
        help_text = f"{setting.help} [env: {_env_text(setting)}; default: {_default_text(setting)}]"
        help_text = help_text.replace("%", "%%")  # argparse formats help with %
        if setting.is_flag:
            group.add_argument(
                *spellings,
                dest=setting.name,
                nargs="?",
                const="true",
                default=None,
                metavar="BOOL",
                help=help_text,
            )
        else:
            group.add_argument(
                *spellings, dest=setting.name, default=None, metavar=setting.metavar, help=help_text
            )


def _read_secret_file(env_name: str, path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{env_name}: cannot read {path}: {exc.strerror}") from None


def load_config(args: argparse.Namespace, environ: Mapping[str, str], hostname: str) -> Config:
    """Resolve every setting: flag > env var (> *_FILE) > default. Raises ConfigError."""
    values: dict[str, Any] = {
        "hostname": hostname,
        "kubernetes": bool(environ.get("KUBERNETES_SERVICE_HOST")),
    }
    for setting in SETTINGS:
        raw: str | None = getattr(args, setting.name, None)
        source = f"-{setting.flags[0]}"
        if raw is None:
            for env_name in setting.env:
                if environ.get(env_name, "") != "":
                    raw, source = environ[env_name], env_name
                    break
        if raw is None and setting.file_env and environ.get(setting.file_env):
            raw = _read_secret_file(setting.file_env, environ[setting.file_env])
            source = setting.file_env
        if raw is None and setting.name == "http_addr" and environ.get("PORT"):
            raw, source = f":{environ['PORT']}", "PORT"
        if raw is None:
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            shown = "(hidden)" if setting.secret else repr(raw)
            raise ConfigError(f"{source} {shown}: {exc}") from None
    config = Config(**values)
    config.http_host_port  # noqa: B018 - validates the address early
    return config


def markdown_table() -> str:
    """The configuration reference table of docs/configuration.md (a test keeps them equal)."""
    lines = [
        "| Flag | Environment | Default | Description |",
        "| --- | --- | --- | --- |",
    ]
    for setting in SETTINGS:
        flags = "<br>".join(f"`-{f}`" for f in setting.flags)
        env = "<br>".join(f"`{e}`" for e in (*setting.env, *filter(None, [setting.file_env])))
        default = _default_text(setting)
        default = f"`{default}`" if default != "(none)" else "—"
        help_text = setting.help.replace("|", "\\|")
        lines.append(f"| {flags} | {env} | {default} | {help_text} |")
    return "\n".join(lines) + "\n"
