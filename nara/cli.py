"""Command line: argv → Config → a subcommand. ``serve`` (the default) runs the node; ``identity``,
``soul``, ``healthcheck`` and ``version`` are small local tools.

Exit codes: 0 fine (also: handed over to a new instance), 1 healthcheck failed, 2 unusable
configuration (bad flag, soul, busy port) or a failed takeover (a restart would not fix either).
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any

from nara import buildinfo
from nara.config import SETTINGS, Config, ConfigError, add_arguments, load_config
from nara.core.identity import Identity, SoulError, determine_identity
from nara.core.names import valid_name

log = logging.getLogger("nara")
COMMANDS = ("serve", "identity", "soul", "healthcheck", "version")
# Which settings each command reads (Setting.name); None: all of them. A flag outside its
# command's set is a usage error, so `nara identity -mqtt-host x` cannot silently do nothing.
IDENTITY_SETTINGS = (*(s.name for s in SETTINGS if s.group == "identity"), "takeover")
HEALTHCHECK_SETTINGS = ("http_addr", "base_path")

_DESCRIPTION = """\
A nara: a node of a small social network for computers. It meets other naras on
an MQTT broker (the plaza) and serves a live dashboard, a JSON/SSE API and its
docs on one HTTP port.

commands (the command comes first; without one, nara serves):
  nara [serve] [options]         run the node; takes every option below
  nara identity [-nara-id NAME] [-soul SOUL] [-takeover URL]
                                 print, as JSON, who these settings make this
                                 nara (never the soul); with -takeover, also
                                 whether that instance would hand over to it
  nara soul [-nara-id NAME] [-soul SOUL]
                                 print the soul, to move this nara to another
                                 machine (secret!)
  nara healthcheck [-url URL] [-http-addr ADDR] [-base-path PATH]
                                 exit 0 when the node answers /livez
  nara version                   print version and build information

A flag the command does not read is an error (exit 2): identity and soul read
only the identity group, healthcheck only -url, -http-addr and -base-path,
version nothing. See nara COMMAND --help.
"""
_EPILOG = (
    "Every option can also be set by its environment variable; flags win over the "
    "environment. Go-style -flag and GNU-style --flag are both accepted."
)


class UsageError(Exception):
    """One readable line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        if message.startswith("unrecognized arguments:") and any(
            word in COMMANDS for word in message.split()[2:]
        ):
            message += "; the command comes first, e.g. nara identity -nara-id NAME"
        raise UsageError(f"{message} (see {self.prog} --help)")

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        argv = list(sys.argv[1:] if args is None else args)
        self._refuse_unknown_flags(argv)
        return super().parse_known_args(argv, namespace)

    def _refuse_unknown_flags(self, argv: Sequence[str]) -> None:
        """A flag this command does not have is named as such. argparse would otherwise read
        ``-http-addr`` as ``-h`` with the argument ``ttp-addr`` in a command without that flag."""
        takes_value = False
        for token in argv:
            if token == "--":
                return
            known = self._option_string_actions.get(token.split("=", 1)[0])
            if takes_value:  # a value (argparse refuses dashed ones itself, without echoing)
                takes_value = False
                continue
            if known is not None:
                takes_value = "=" not in token and known.nargs is None
            elif token.startswith("-") and len(token) > 2 and not token[1].isdigit():
                self.error(f"unrecognized arguments: {token.split('=', 1)[0]}")


class _CommandLine(_Parser):
    """``nara [COMMAND] [options]``: the command is the first word. Without one (no arguments,
    or a flag first, as in ``nara -name x`` or ``nara --version``) the command is serve."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        argv = list(sys.argv[1:] if args is None else args)
        if not argv or argv[0].startswith("-"):
            argv.insert(0, "serve")
        command = self.commands.get(argv[0])
        if command is None:  # argparse's "invalid choice" error, with the list of commands
            return argparse.ArgumentParser.parse_known_args(self, argv, namespace)
        parsed = command.parse_args(argv[1:], namespace)
        parsed.command = argv[0]
        return parsed, []


def build_parser() -> argparse.ArgumentParser:
    """The command line: one sub-parser per command, each with only the settings it reads."""
    parser = _CommandLine(prog="nara", allow_abbrev=False, add_help=False)
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser, required=True
    )
    common: dict[str, Any] = {"allow_abbrev": False, "epilog": _EPILOG}

    serve = subparsers.add_parser(
        "serve",
        prog="nara",
        usage="nara [serve] [options]",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        help="run the node (the default)",
        **common,
    )
    serve.add_argument(
        "-version", "--version", "-V", action="store_true", help="print the version and exit"
    )
    add_arguments(serve)

    for name, help_text in (
        ("identity", "print, as JSON, who the identity settings make this nara (never the soul)"),
        ("soul", "print the soul, for migrating this nara to another machine (secret!)"),
    ):
        sub = subparsers.add_parser(
            name, prog=f"nara {name}", help=help_text, description=help_text, **common
        )
        add_arguments(sub, IDENTITY_SETTINGS)

    health = subparsers.add_parser(
        "healthcheck",
        prog="nara healthcheck",
        help="exit 0 when the node answers /livez (for container health checks)",
        description="Exit 0 when the node answers /livez, 1 when it does not (for container "
        "health checks). The URL is -url, or derived from -http-addr and -base-path.",
        **common,
    )
    health.add_argument(
        "-url",
        "--url",
        dest="url",
        default=None,
        metavar="URL",
        help="URL to probe [default: http://127.0.0.1:PORT{base}/livez]",
    )
    add_arguments(health, HEALTHCHECK_SETTINGS)

    subparsers.add_parser(
        "version",
        prog="nara version",
        help="print version and build information",
        description="Print version and build information.",
        allow_abbrev=False,
    )
    parser.commands.update(subparsers.choices)
    return parser


def _fingerprint() -> bytes:
    from nara.fingerprint import hardware_fingerprint

    return hardware_fingerprint()


# A host name that says nothing (is_generic_hostname): it selects a generated name.
_NO_USABLE_HOSTNAME = "localhost"


def resolve_identity(config: Config) -> Identity:
    """Who this nara is. A short host name that is not a valid nara name (empty, too long, with
    spaces or other characters outside nara/core/names.py's rule) cannot be the name: it is
    treated like a generic one, so the nara gets a generated name instead of being unstartable.
    An explicit -nara-id has been checked against the rule already (nara/config.py)."""
    short_host = config.hostname.split(".", 1)[0]
    hostname = config.hostname if valid_name(short_host) else _NO_USABLE_HOSTNAME
    return determine_identity(config.name, config.soul, hostname, _fingerprint())


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind the HTTP port before anything else starts, so a busy port fails fast and cleanly."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    if not host:  # ':8080' means every interface: prefer a dual-stack IPv6 socket
        infos.sort(key=lambda i: i[0] != socket.AF_INET6)
    family, kind, proto, _, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and not host:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(addr)
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def listen_url(sock: socket.socket, base: str) -> str:
    host, port = sock.getsockname()[:2]
    if host in ("::", "0.0.0.0"):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}{base}/"


async def serve(config: Config, identity: Identity, sock: socket.socket) -> int:
    import asyncio

    from aiohttp import web

    from nara.app import SHUTDOWN_BUDGET_S, build_app
    from nara.handover import OldInstanceGone, TakeoverFailed, remembers_itself, take_over
    from nara.http.server import http_runner

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    exit_code = 0

    def on_fatal(name: str, exc: BaseException) -> None:
        nonlocal exit_code
        exit_code = 1
        stop.set()

    def on_signal(sig: signal.Signals) -> None:
        if not stop.is_set():
            log.info("%s received: saying chau and stopping", sig.name)
        stop.set()  # a second signal just sets it again

    # SIGHUP (the terminal went away, or a `kill -HUP`) is a graceful stop like SIGTERM: nara has
    # no configuration file to reload and logs to stderr, so there is nothing to reopen.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, on_signal, sig)

    handed = None
    if config.takeover:
        log.info("taking over from %s", config.takeover)
        try:
            handed = await take_over(config, identity, config.node.ledger_capacity)
        except OldInstanceGone as exc:
            if remembers_itself(config, identity):
                # The state directory already knows this nara: this instance took over before
                # and is being restarted (a crash, a reboot). Start as the restart it is.
                log.warning("takeover: %s; this instance has state of its own: starting on it", exc)
            elif config.takeover_if_gone == "start":
                # A disk that does not outlive a restart (-takeover-if-gone start): the old
                # instance is gone, so this starts afresh rather than not at all.
                log.warning("takeover: %s; no state of its own: starting afresh", exc)
            else:
                log.error("takeover failed: %s; nothing changed", exc)
                return 2
        except TakeoverFailed as exc:
            log.error("takeover failed: %s; nothing changed, the old instance keeps serving", exc)
            return 2

    def on_handed_over() -> None:
        log.info("handed over to the new instance: stopping (exit 0, no chau)")
        stop.set()

    app = build_app(
        config,
        identity,
        build=buildinfo.build_info(),
        on_fatal=on_fatal,
        handed=handed,
        on_handed_over=on_handed_over,
    )
    runner = http_runner(
        app,
        config.http_max_connections,
        handle_signals=False,
        access_log=None,
        shutdown_timeout=2.0,
        handler_cancellation=True,
    )
    await runner.setup()
    site = web.SockSite(runner, sock, shutdown_timeout=2.0)
    await site.start()
    log.info(
        "nara %s is %s (%s); dashboard at %s",
        buildinfo.build_info()["version"],
        identity.name,
        "custom name" if identity.custom_mode else "generated name",
        listen_url(sock, config.base_path),
    )
    if not identity.native:
        log.info("using a portable soul (not derived from this machine)")
    await stop.wait()
    log.info("shutting down")
    try:
        await asyncio.wait_for(runner.cleanup(), SHUTDOWN_BUDGET_S - 0.5)
    except TimeoutError:
        log.warning("shutdown took too long; exiting anyway")
    return exit_code


def _healthcheck_url(config: Config, explicit: str | None) -> str:
    from nara.healthcheck import livez_url

    if explicit:
        return explicit
    host, port = config.http_host_port
    if port == 0:
        raise UsageError("healthcheck: -http-addr has port 0; give the real port or -url")
    return livez_url(host, port, config.base_path)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(args_list)
        if args.command == "version" or getattr(args, "version", False):
            print(buildinfo.version_text(), end="")
            return 0
        config = load_config(args, os.environ, socket.gethostname().split(".")[0])
        if args.command == "healthcheck":
            from nara.healthcheck import healthcheck

            return healthcheck(_healthcheck_url(config, getattr(args, "url", None)))
        if config.mqtt_host:
            from nara.plaza import parse_broker_url

            try:  # a bad URL is a config error, before anything runs (config.py checked it too)
                parse_broker_url(config.mqtt_host)
            except ValueError as exc:
                raise ConfigError(
                    str(exc)
                    if isinstance(exc, ConfigError)
                    else "-mqtt-host: not a usable broker URL"
                ) from None
        identity = resolve_identity(config)
    except (UsageError, ConfigError, SoulError) as exc:
        print(f"nara: {exc}", file=sys.stderr)
        return 2

    if args.command == "soul":
        print(identity.soul.text)
        return 0
    if args.command == "identity":
        summary = identity.public_summary()
        if config.takeover:
            import asyncio

            from nara.core.handover import forecast
            from nara.handover import old_instance_info

            old = asyncio.run(old_instance_info(config.takeover))
            summary["takeover"] = forecast(
                identity.name, identity.nara_id, identity.public_key, old
            ) | {"url": config.takeover}
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0

    from nara.launcher import bind_to_parent
    from nara.logs import setup_logging

    setup_logging(config.log_level, config.log_format)
    bind_to_parent(os.environ)
    host, port = config.http_host_port
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        reason = (
            "is already in use"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be used ({exc.strerror})"
        )
        print(
            f"nara: address {config.http_addr} {reason}; choose another with -http-addr "
            f"(e.g. -http-addr 127.0.0.1:0 picks a free port)",
            file=sys.stderr,
        )
        return 2
    # asyncio is imported only to serve: --version, --help and config errors start ~25 ms sooner.
    import asyncio

    try:
        code = asyncio.run(serve(config, identity, sock))
    except KeyboardInterrupt:
        code = 0
    # The one-file launchers forward SIGTERM, and systemd signals every process of the unit: a
    # late duplicate must not turn a clean exit into status 143 before the exit handlers run.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    return code
