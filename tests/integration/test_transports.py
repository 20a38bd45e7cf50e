"""The plaza over every transport -mqtt-host offers: TLS with and without a trusted CA, plain and
TLS websockets, and a broker that wants a username and password (nara/plaza.py, deployment
guide). Each test starts its own Debian mosquitto on free loopback ports from a temp config, with a
throwaway CA and server certificate for 127.0.0.1/localhost (``tls_broker``).

A broker the node cannot use (untrusted certificate, wrong password) must never take the node
down: it keeps serving HTTP, /readyz says 503 with ``"plaza": false``, and the log says why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import URL_LINE, NaraProcess
from tests.integration.helpers import metric, until
from tests.integration.tls_broker import (
    Certs,
    Listener,
    MultiBroker,
    make_certs,
    password_file,
    start_broker,
)

Spawn = Callable[..., NaraProcess]
StartBroker = Callable[..., MultiBroker]
STEADY = {"NARA_MISSING_AFTER": "300"}  # naras that must stay ONLINE (see test_plaza.py)


@pytest.fixture
def certs(tmp_path: Path) -> Certs:
    return make_certs(tmp_path / "pki")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[StartBroker]:
    """Start one mosquitto per call (``start_broker`` arguments); all stopped after the test. The
    broker's log sits in tmp_path as ``mosquitto-N.log`` so a failure report shows it too."""
    started: list[MultiBroker] = []

    def start(listeners: list[Listener], **kwargs: Any) -> MultiBroker:
        n = len(started)
        log_path = tmp_path / f"mosquitto-{n}.log"
        b = start_broker(tmp_path / f"broker{n}", listeners, log_path=log_path, **kwargs)
        started.append(b)
        return b

    yield start
    for b in started:
        b.stop()


# ---- probes ----------------------------------------------------------------------------------


def readiness(nara: NaraProcess) -> tuple[int, Any]:
    """(/readyz status, its ``checks.plaza``)."""
    status, body, _ = nara.get("/readyz")
    return status, json.loads(body)["checks"]["plaza"]


def on_plaza(nara: NaraProcess) -> bool:
    """Connected as every surface reports it: /readyz 200 with plaza true, the gauge at 1."""
    if nara.proc.poll() is not None:
        raise AssertionError(f"{nara.name} exited with {nara.proc.returncode}:\n{nara.output()}")
    return readiness(nara) == (200, True) and metric(nara.metrics(), "nara_plaza_connected") == 1.0


def failures(nara: NaraProcess, url: str) -> list[str]:
    """The node's "plaza URL unreachable (why)" log lines for ``url``."""
    line = re.compile(rf"plaza {re.escape(url)} unreachable \((.*)\); retrying in")
    return [m.group(1) for m in line.finditer(nara.output())]


def refusals(nara: NaraProcess, url: str, count: int = 2) -> list[str]:
    """Wait until the node has failed ``count`` connection attempts (so it has retried after its
    backoff, still running) and return the reasons it logged."""

    def enough() -> list[str] | None:
        found = failures(nara, url)
        return found if len(found) >= count else None

    seen: list[str] = until(enough, 20, f"{nara.name} refused {count} times")
    return seen


def assert_serving_but_not_ready(nara: NaraProcess) -> None:
    """Alive, answering HTTP, and honest that the plaza is down."""
    assert nara.proc.poll() is None, f"{nara.name} exited:\n{nara.output()}"
    assert nara.get("/livez")[0] == 200
    assert readiness(nara) == (503, False)
    text = nara.metrics()
    assert metric(text, "nara_plaza_connected") == 0.0
    assert metric(text, "nara_plaza_connects_total") == 0.0


def spawn_all(
    spawn: Spawn, specs: dict[str, tuple[list[str], dict[str, str]]]
) -> list[NaraProcess]:
    """Start naras with different flags and env at once, then wait until each one listens."""
    naras = [spawn(name, *args, env=env, wait=False) for name, (args, env) in specs.items()]
    for nara in naras:
        url: str = until(partial(_dashboard_url, nara), 30, f"{nara.name} to listen", interval=0.1)
        nara.url = url
    return naras


def _dashboard_url(nara: NaraProcess) -> str | None:
    if nara.proc.poll() is not None:
        raise AssertionError(f"{nara.name} exited with {nara.proc.returncode}:\n{nara.output()}")
    match = URL_LINE.search(nara.output())
    return match.group(1) if match else None


# ---- TLS verification ------------------------------------------------------------------------


def test_untrusted_ca_is_refused_and_the_node_keeps_serving(
    broker: StartBroker, certs: Certs, spawn_nara: Spawn
) -> None:
    """TLS is verified by default: a broker whose certificate chains to a CA the node does not
    trust is refused on every attempt, with OpenSSL's reason in the log ("certificate verify
    failed"). The refusal is a plaza outage like any other, not a crash: the node retries, keeps
    serving HTTP, and /readyz stays 503 with plaza false (waited over two attempts)."""
    b = broker([Listener("plain"), Listener("tls", tls=True)], certs=certs)
    url = b.url("tls")
    nara = spawn_nara("doubter", "-mqtt-host", url)

    seen = refusals(nara, url)
    assert all("certificate verify failed" in why.lower() for why in seen), seen
    assert_serving_but_not_ready(nara)
    assert "New client connected" not in b.log()


def test_insecure_flag_connects_to_an_untrusted_broker(
    broker: StartBroker, certs: Certs, spawn_nara: Spawn
) -> None:
    """-mqtt-insecure turns verification off (the reference's behaviour): the same untrusted
    broker is accepted and the node gets on the plaza."""
    b = broker([Listener("plain"), Listener("tls", tls=True)], certs=certs)
    nara = spawn_nara("trusting", "-mqtt-host", b.url("tls"), "-mqtt-insecure")
    until(lambda: on_plaza(nara), 20, "the insecure nara on the TLS plaza")
    assert not failures(nara, b.url("tls"))


def test_ssl_cert_file_adds_a_trusted_ca(
    broker: StartBroker, certs: Certs, spawn_nara: Spawn
) -> None:
    """Verification uses the system trust store as OpenSSL finds it, so SSL_CERT_FILE pointing at
    the throwaway CA makes the broker trusted without -mqtt-insecure. The name is checked too:
    the certificate is for 127.0.0.1, which is what the URL says."""
    b = broker([Listener("plain"), Listener("tls", tls=True)], certs=certs)
    nara = spawn_nara("verifier", "-mqtt-host", b.url("tls"), env={"SSL_CERT_FILE": str(certs.ca)})
    until(lambda: on_plaza(nara), 20, "the nara trusting SSL_CERT_FILE on the TLS plaza")
    assert not failures(nara, b.url("tls"))


def test_certificate_for_another_name_is_refused(
    broker: StartBroker, tmp_path: Path, spawn_nara: Spawn
) -> None:
    """Verification checks the name, not only the chain: a certificate from a trusted CA
    (SSL_CERT_FILE) that names only ``localhost`` is refused when the URL says 127.0.0.1,
    since any holder of a certificate from that CA could otherwise pose as the broker."""
    other = make_certs(tmp_path / "pki-localhost-only", names=("localhost",))
    b = broker([Listener("plain"), Listener("tls", tls=True)], certs=other)
    url = b.url("tls")
    nara = spawn_nara("stickler", "-mqtt-host", url, env={"SSL_CERT_FILE": str(other.ca)})
    seen = refusals(nara, url)
    assert all("mismatch" in why.lower() for why in seen), seen
    assert_serving_but_not_ready(nara)


# ---- websockets ------------------------------------------------------------------------------


def test_websocket_and_tcp_naras_meet_on_one_broker(broker: StartBroker, spawn_nara: Spawn) -> None:
    """ws:// reaches the same broker as tcp:// (two listeners, one mosquitto): a nara on each
    transport finds the other through hey-there and howdy, and each lists the other ONLINE."""
    b = broker([Listener("plain"), Listener("ws", websockets=True)])
    assert b.url("ws").startswith("ws://127.0.0.1:") and b.url("ws").endswith("/mqtt")
    webby, classic = spawn_all(
        spawn_nara,
        {
            "webby": (["-mqtt-host", b.url("ws")], STEADY),
            "classic": (["-mqtt-host", b.url("plain")], STEADY),
        },
    )
    until(lambda: on_plaza(webby) and on_plaza(classic), 20, "both naras on the plaza")
    until(
        lambda: (
            webby.statuses().get("classic") == "ONLINE"
            and classic.statuses().get("webby") == "ONLINE"
        ),
        30,
        "webby and classic ONLINE at each other",
    )


def test_secure_websocket_with_ssl_cert_file(
    broker: StartBroker, certs: Certs, spawn_nara: Spawn
) -> None:
    """wss:// is websockets over TLS, verified like tls://: with the CA in SSL_CERT_FILE the node
    connects to mosquitto's TLS websocket listener."""
    b = broker([Listener("plain"), Listener("wss", websockets=True, tls=True)], certs=certs)
    assert b.url("wss").startswith("wss://127.0.0.1:")
    nara = spawn_nara("secureweb", "-mqtt-host", b.url("wss"), env={"SSL_CERT_FILE": str(certs.ca)})
    until(lambda: on_plaza(nara), 20, "the nara on the wss plaza")


# ---- authentication --------------------------------------------------------------------------


def test_password_protected_broker(broker: StartBroker, spawn_nara: Spawn, tmp_path: Path) -> None:
    """With ``allow_anonymous false`` and a password file, a wrong password is refused: the node
    keeps serving, /readyz stays 503 and the log says the broker did not authorise it. The right
    password (-mqtt-user plus MQTT_PASS_FILE, whose trailing newline is not part of it) connects.
    Neither password ever appears in the node's log."""
    right, wrong = "correct horse battery", "tr0ub4dor"
    b = broker([Listener("plain")], passwords=password_file(tmp_path, "nara", right))
    url = b.url("plain")
    pass_file = tmp_path / "mqtt.pass"
    pass_file.write_text(right + "\n")
    pass_file.chmod(0o600)
    intruder, member = spawn_all(
        spawn_nara,
        {
            "intruder": (["-mqtt-host", url, "-mqtt-user", "nara", "-mqtt-pass", wrong], {}),
            "member": (
                ["-mqtt-host", url, "-mqtt-user", "nara"],
                {"MQTT_PASS_FILE": str(pass_file)},
            ),
        },
    )
    until(lambda: on_plaza(member), 20, "the nara with the right password on the plaza")
    seen = refusals(intruder, url)
    assert all("not authori" in why.lower() for why in seen), seen
    assert_serving_but_not_ready(intruder)
    assert not failures(member, url)
    for nara in (intruder, member):
        assert right not in nara.output() and wrong not in nara.output()
