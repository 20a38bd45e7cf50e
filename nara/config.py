"""The one settings table: every option's flags, env vars, default, type and help, and the frozen
Config read from it (flag > env > default).

Nothing else in nara reads ``os.environ``; ``load_config`` takes the environment as a parameter.
``--help`` and ``docs/configuration.md`` are both generated from ``SETTINGS``.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import os
import re
import stat
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from nara.core.names import name_problem, printable
from nara.core.settings import DEFAULTS, MEMORY_MODE_CAPACITY, NodeSettings

LOG_LEVELS = ("debug", "info", "warning", "error")
TAKEOVER_IF_GONE = ("exit", "start")
LOG_FORMATS = ("text", "json")
MEMORY_MODES = ("short", "medium", "hog")
# Ledger capacity per memory mode (events kept in memory).
# Documented bounds (docs/configuration.md): beyond them a value is a mistake, not a wish.
MAX_LEDGER_CAPACITY = 1_000_000
MIN_MISSING_AFTER_S = 1.0  # the node ticks once a second; tests use a few seconds
MAX_MISSING_AFTER_S = 86_400.0  # one day
# A soul or password file is a few dozen bytes; a bigger one (or /dev/zero) is a mistake.
MAX_SECRET_FILE_BYTES = 64 * 1024
MQTT_SCHEMES = ("tcp", "mqtt", "tls", "ssl", "mqtts", "ws", "wss")
_DIGITS = re.compile(r"[0-9]{1,12}")
_DECIMAL = re.compile(r"[0-9]{1,12}(\.[0-9]{1,9})?")
_HOST_NAME = re.compile(r"[A-Za-z0-9._-]{1,253}")
_USERINFO = re.compile(r"//[^/@]*@")


class ConfigError(ValueError):
    """A setting has a value nara cannot use; the message is one readable line."""


def _int_range(low: int, high: int) -> Callable[[str], int]:
    """Plain ASCII decimal digits within [low, high]: no sign, underscores, exponent or 10**12."""

    def parse(text: str) -> int:
        stripped = text.strip()
        if not _DIGITS.fullmatch(stripped) or not low <= int(stripped) <= high:
            raise ValueError(f"must be a whole number from {low:,} to {high:,}")
        return int(stripped)

    return parse


def _seconds_range(low: float, high: float) -> Callable[[str], float]:
    """A finite number of seconds within [low, high]: never nan, inf or 1e400."""

    def parse(text: str) -> float:
        stripped = text.strip()
        if not _DECIMAL.fullmatch(stripped) or not low <= float(stripped) <= high:
            raise ValueError(f"must be a number of seconds from {low:,g} to {high:,g}")
        return float(stripped)

    return parse


def _rate_range(low: float, high: float) -> Callable[[str], float]:
    """A finite rate per second within [low, high]: never nan, inf or 1e400."""

    def parse(text: str) -> float:
        stripped = text.strip()
        if not _DECIMAL.fullmatch(stripped) or not low <= float(stripped) <= high:
            raise ValueError(f"must be a number per second from {low:,g} to {high:,g}")
        return float(stripped)

    return parse


def _nara_name(text: str) -> str:
    """Empty means "choose one" (hostname or generated); else the rule of nara/core/names.py."""
    if text == "":
        return ""
    problem = name_problem(text)
    if problem:
        raise ValueError(f"the name {problem}")
    return text


def _broker_url(text: str) -> str:
    """Validate an MQTT broker URL the way nara/plaza.py's parse_broker_url reads it, so that a
    bad one is a one-line configuration error before anything starts (never a traceback)."""
    value = text.strip()
    if not value:
        return ""
    if any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError("must not contain spaces or control characters")
    full = value if "://" in value else "tcp://" + value
    try:
        parts = urlsplit(full)
        port = parts.port
    except ValueError:
        raise ValueError(
            "is not a broker URL (e.g. tls://broker.example:8883 or a bare host name)"
        ) from None
    if parts.scheme.lower() not in MQTT_SCHEMES:
        raise ValueError(f"unsupported scheme (use {', '.join(MQTT_SCHEMES)})")
    if parts.username is not None or parts.password is not None:
        raise ValueError("put the user and password in -mqtt-user and MQTT_PASS_FILE, not the URL")
    host = parts.hostname or ""
    if not host:
        raise ValueError("the URL has no host")
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError("the bracketed host is not an IPv6 address") from None
    elif not _HOST_NAME.fullmatch(host):
        raise ValueError("the host may only contain ASCII letters, digits, '-', '_' and '.'")
    if port == 0:
        raise ValueError("the port must be from 1 to 65535")
    return value


def _redact_url(text: str) -> str:
    """A URL as it may be echoed: any user:password@ part is hidden."""
    return _USERINFO.sub("//(hidden)@", text)


def _state_dir(text: str) -> str:
    value = text.strip()
    if any(not c.isprintable() for c in value):
        raise ValueError("must be a directory path without control characters")
    return value


def _takeover_url(text: str) -> str:
    value = text.strip()
    if not value:
        return ""
    if not value.startswith(("http://", "https://")) or len(value) > 2048:
        raise ValueError("expected the old instance's http:// or https:// address")
    return value.rstrip("/")


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
    default_text: str = ""  # how --help and the docs show a default computed at load time
    redact: Callable[[str], str] | None = None  # how a rejected value may be echoed
    node: str = ""  # the NodeSettings field this setting resolves into (Config.node)


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "name",
        ("nara-id", "name"),
        ("NARA_ID", "NARA_NAME"),
        "",
        _nara_name,
        "Name of this nara: 1 to 64 ASCII letters, digits, '-', '_' or '.'. Empty: the short "
        "hostname; a generic hostname (localhost, debian, a container ID, anything containing "
        "'nara' ...) or one outside that rule gets a generated name.",
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
        _broker_url,
        "MQTT broker URL (tcp://, mqtt://, tls://, ssl://, mqtts://, ws://, wss://), or a bare "
        "host for tcp://HOST:1883. Credentials go in -mqtt-user and MQTT_PASS_FILE, never in "
        "the URL. Empty: run alone, without a plaza.",
        metavar="URL",
        group="plaza",
        redact=_redact_url,
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
        DEFAULTS.public_url,
        str,
        "Public URL of this nara's dashboard, announced in newspapers.",
        metavar="URL",
        group="http",
        node="public_url",
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
        "http_max_connections",
        ("http-max-connections",),
        ("NARA_HTTP_MAX_CONNECTIONS",),
        0,
        _int_range(16, 1_000_000),
        "Most HTTP connections open at once, 16 to 1,000,000, never more than the open-file "
        "limit minus 192. When full, a new connection closes the oldest idle or half-sent one. "
        "Idle connections close after 15 s, unfinished request heads after 10 s, and heads "
        "over 16 KiB are refused.",
        metavar="N",
        group="http",
        default_text="2048",
    ),
    Setting(
        "memory_mode",
        ("memory-mode",),
        ("MEMORY_MODE",),
        DEFAULTS.memory_mode,
        _choice(MEMORY_MODES),
        "Memory profile: short (2,000 ledger events), medium (20,000) or hog (200,000).",
        metavar="MODE",
        group="node",
        node="memory_mode",
    ),
    Setting(
        "ledger_capacity",
        ("ledger-capacity",),
        ("LEDGER_CAPACITY",),
        0,
        _int_range(1, MAX_LEDGER_CAPACITY),
        "Ledger capacity in events, 1 to 1,000,000; overrides the memory mode's.",
        metavar="N",
        group="node",
    ),
    Setting(
        "max_naras",
        ("max-naras",),
        ("NARA_MAX_NARAS",),
        DEFAULTS.max_naras,
        _int_range(2, 100_000),
        "Most other naras kept in the neighbourhood, 2 to 100,000. When it is full, a newcomer "
        "takes the place of a nara that is not ONLINE, or of a recent stranger nobody vouched "
        "for; established naras are never pushed out (docs/security.md).",
        metavar="N",
        group="node",
        node="max_naras",
    ),
    Setting(
        "new_naras_per_s",
        ("new-naras-per-s",),
        ("NARA_NEW_NARAS_PER_S",),
        DEFAULTS.new_naras_per_s,
        _rate_range(0.1, 100_000),
        "Naras never seen before that are admitted per second, 0.1 to 100,000 (a token bucket "
        "with -new-naras-burst); newcomers beyond it are dropped (rate_limited) until a slot "
        "frees. Raise it only for a large network starting at once, or a load test.",
        metavar="N",
        group="node",
        node="new_naras_per_s",
    ),
    Setting(
        "new_naras_burst",
        ("new-naras-burst",),
        ("NARA_NEW_NARAS_BURST",),
        DEFAULTS.new_naras_burst,
        _int_range(1, 100_000),
        "Newcomers admitted at once before -new-naras-per-s applies, 1 to 100,000.",
        metavar="N",
        group="node",
        node="new_naras_burst",
    ),
    Setting(
        "checkpoint_interval",
        ("checkpoint-interval",),
        ("NARA_CHECKPOINT_INTERVAL",),
        DEFAULTS.checkpoint_interval_s,
        _seconds_range(60, 30 * 86_400),
        "Seconds between this nara's own checkpoint proposals, 60 to 2,592,000 (the reference "
        "proposes at most once a day). A proposal also needs at least 6 other naras ONLINE.",
        metavar="SECONDS",
        group="node",
        node="checkpoint_interval_s",
    ),
    Setting(
        "checkpoint_check",
        ("checkpoint-check",),
        ("NARA_CHECKPOINT_CHECK",),
        DEFAULTS.checkpoint_check_s,
        _seconds_range(1, 86_400),
        "How often, in seconds, this nara checks whether a proposal is due, 1 to 86,400.",
        metavar="SECONDS",
        group="node",
        node="checkpoint_check_s",
    ),
    Setting(
        "checkpoint_vote_window",
        ("checkpoint-vote-window",),
        ("NARA_CHECKPOINT_VOTE_WINDOW",),
        DEFAULTS.checkpoint_vote_window_s,
        _seconds_range(1, 3600),
        "Seconds a proposal collects votes before it is finalised, 1 to 3,600.",
        metavar="SECONDS",
        group="node",
        node="checkpoint_vote_window_s",
    ),
    Setting(
        "checkpoint_vote_after",
        ("checkpoint-vote-after",),
        ("NARA_CHECKPOINT_VOTE_AFTER",),
        DEFAULTS.checkpoint_vote_after_s,
        _seconds_range(1, 86_400),
        "Seconds this nara must have run before it votes on checkpoints (it abstains before).",
        metavar="SECONDS",
        group="node",
        node="checkpoint_vote_after_s",
    ),
    Setting(
        "max_clock_skew",
        ("max-clock-skew",),
        ("NARA_MAX_CLOCK_SKEW",),
        DEFAULTS.clock_skew_s,
        _seconds_range(5, 86_400),
        "Seconds a hey-there's or chau's own time may differ from this machine's clock, 5 to "
        "86,400; messages further off are dropped (clock_skew).",
        metavar="SECONDS",
        group="node",
        node="clock_skew_s",
    ),
    Setting(
        "missing_after",
        ("missing-after",),
        ("NARA_MISSING_AFTER",),
        DEFAULTS.missing_after_s,
        _seconds_range(MIN_MISSING_AFTER_S, MAX_MISSING_AFTER_S),
        "Seconds without news before an ONLINE nara is MISSING (the reference's 300), plus a "
        "grace of 10 % (at most 30 s) so a quiet nara posting every 300 s does not flap. "
        "1 to 86400 (one day).",
        metavar="SECONDS",
        group="node",
        node="missing_after_s",
    ),
    Setting(
        "gossip_missing_after",
        ("gossip-missing-after",),
        ("NARA_GOSSIP_MISSING_AFTER",),
        DEFAULTS.gossip_missing_after_s,
        _seconds_range(MIN_MISSING_AFTER_S, MAX_MISSING_AFTER_S),
        "The same threshold for naras that announce transport_mode gossip, 1 to 86400.",
        metavar="SECONDS",
        group="node",
        node="gossip_missing_after_s",
    ),
    Setting(
        "state_dir",
        ("state-dir",),
        ("NARA_STATE_DIR",),
        "",
        _state_dir,
        "Directory where this nara keeps what it must not forget between runs: its first start "
        "time and its restart count (state-<nara ID>.json; never the soul). When it cannot be "
        "created or written, nara warns and keeps them in memory only.",
        metavar="DIR",
        group="node",
        default_text="$XDG_STATE_HOME/nara, else ~/.local/state/nara",
    ),
    Setting(
        "takeover",
        ("takeover",),
        ("NARA_TAKEOVER",),
        "",
        _takeover_url,
        "Take over from a running instance of this nara (same soul and name) at this HTTP "
        "address, e.g. http://old-host:8080: prove the soul by a signed challenge, check this "
        "instance's state directory and plaza, then receive the old one's start time, restart "
        "count and ledger; it stops without a chau. The network sees no restart. On failure "
        "nara exits 2 and the old instance keeps serving.",
        metavar="URL",
        group="handover",
    ),
    Setting(
        "accept_takeover",
        ("accept-takeover",),
        ("NARA_ACCEPT_TAKEOVER",),
        False,
        _bool,
        "Let a new instance of this nara take over (its -takeover pointing here): answer "
        "/api/takeover, which hands this nara's state over only for a signature by its soul's "
        "key. Off: those endpoints do not exist.",
        is_flag=True,
        group="handover",
    ),
    Setting(
        "takeover_if_gone",
        ("takeover-if-gone",),
        ("NARA_TAKEOVER_IF_GONE",),
        "exit",
        _choice(TAKEOVER_IF_GONE),
        "What a -takeover instance does when nothing answers at the old instance's address and "
        "its own state directory does not know this nara: exit (status 2; the address may be "
        "wrong while the old one still runs) or start (afresh, a new start: for disks that do "
        "not outlive a restart, such as a Fly.io machine without a volume, so that a crash "
        "after a deploy does not stop the nara for good). A refused takeover always exits 2.",
        metavar="exit|start",
        group="handover",
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
    base_path: str = ""
    http_max_connections: int = 0  # 0: MAX_CONNECTIONS_DEFAULT (nara/http/server.py)
    state_dir: str = ""  # "": no state directory, memory only (load_config picks the default)
    log_level: str = "info"
    log_format: str = "text"
    takeover: str = ""
    accept_takeover: bool = False
    takeover_if_gone: str = "exit"
    # Facts from the environment that are not settings of their own.
    kubernetes: bool = False  # KUBERNETES_SERVICE_HOST is set (the 🐳 flair)
    # The protocol core's settings (and the hostname), resolved from the rows with ``node=``.
    node: NodeSettings = DEFAULTS

    @property
    def hostname(self) -> str:
        return self.node.hostname

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
    if setting.default_text:
        return setting.default_text
    if setting.is_flag:
        return "false"
    if setting.default in ("", 0):
        return "(none)"
    if isinstance(setting.default, float) and setting.default.is_integer():
        return str(int(setting.default))
    return str(setting.default)


def add_arguments(parser: argparse.ArgumentParser, only: Collection[str] | None = None) -> None:
    """Register every setting (or just those whose ``Setting.name`` is in ``only``) as both
    -flag (Go style) and --flag (GNU style), in argument groups named after ``Setting.group``."""
    groups: dict[str, Any] = {}
    for setting in SETTINGS:
        if only is not None and setting.name not in only:
            continue
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
    """The value in a *_FILE: UTF-8 text (a BOM and surrounding whitespace ignored), not empty,
    at most MAX_SECRET_FILE_BYTES. Errors name the file, never its content."""
    shown = printable(path)
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not hang; only regular files are read
        # (a symlink to one, as Kubernetes and Docker secrets are, is fine).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ConfigError(f"{env_name}: cannot read {shown}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"{env_name}: {shown} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{env_name}: cannot read {shown}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise ConfigError(
            f"{env_name}: {shown} is larger than {MAX_SECRET_FILE_BYTES // 1024} KiB; "
            "it should hold just the value"
        )
    try:
        text = data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"{env_name}: {shown} is not UTF-8 text") from None
    if not text:
        raise ConfigError(f"{env_name}: {shown} is empty")
    return text


def default_state_dir(environ: Mapping[str, str]) -> str:
    """$XDG_STATE_HOME/nara, else $HOME/.local/state/nara (XDG base directories: a relative
    value is ignored); "" (memory only) when neither is an absolute path."""
    xdg = environ.get("XDG_STATE_HOME", "")
    if xdg.startswith("/"):
        return xdg.rstrip("/") + "/nara"
    home = environ.get("HOME", "")
    if home.startswith("/"):
        return home.rstrip("/") + "/.local/state/nara"
    return ""


def _shown(setting: Setting, raw: str) -> str:
    """A rejected value as the error may echo it: one line, at most 80 characters."""
    if setting.secret:
        return "(hidden)"
    text = setting.redact(raw) if setting.redact else raw
    return repr(text if len(text) <= 80 else text[:80] + "…")


def _check_ambiguous(environ: Mapping[str, str]) -> None:
    """A secret given both as a variable and as a file: which one is meant is anyone's guess."""
    for setting in SETTINGS:
        if not setting.file_env or not environ.get(setting.file_env):
            continue
        for env_name in setting.env:
            if environ.get(env_name):
                raise ConfigError(
                    f"both {env_name} and {setting.file_env} are set; set only one of them"
                )


def load_config(args: argparse.Namespace, environ: Mapping[str, str], hostname: str) -> Config:
    """Resolve every setting: flag > env var (> *_FILE) > default. Raises ConfigError."""
    _check_ambiguous(environ)
    values: dict[str, Any] = {"kubernetes": bool(environ.get("KUBERNETES_SERVICE_HOST"))}
    node: dict[str, Any] = {"hostname": hostname}
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
        if raw is None and setting.name == "state_dir":
            values[setting.name] = default_state_dir(environ)
            continue
        if raw is None:
            values[setting.name] = setting.default
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{source} {_shown(setting, raw)}: {exc}") from None
    for setting in SETTINGS:
        if setting.node:
            node[setting.node] = values.pop(setting.name)
    # -ledger-capacity 0 (its default) means "as -memory-mode says".
    node["ledger_capacity"] = (
        values.pop("ledger_capacity") or MEMORY_MODE_CAPACITY[node["memory_mode"]]
    )
    config = Config(**values, node=NodeSettings(**node))
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
