"""Test-side brokers with more than one transport: a throwaway certificate authority and server
certificate for 127.0.0.1/localhost (made with ``cryptography``), and a mosquitto started from a
temp config with any mix of plain, TLS, websocket and TLS-websocket listeners, optionally behind a
password file.

Every port is a free loopback port; startup waits on each listener's port with a deadline.
"""

from __future__ import annotations

import datetime
import functools
import getpass
import ipaddress
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.conftest import free_port, mosquitto_binary, stop_process
from tests.integration.helpers import until

# ---- certificates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Certs:
    ca: Path  # PEM of the throwaway CA: what a client must trust
    cert: Path  # server certificate (for 127.0.0.1 and localhost by default), signed by ``ca``
    key: Path  # the server certificate's private key


def _pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def make_certs(
    directory: Path,
    names: tuple[str, ...] = ("localhost", "127.0.0.1"),
    label: str = "nara-test",
) -> Certs:
    """A fresh CA and a server certificate it signed, valid for ``names`` (DNS names or IP
    addresses; by default localhost and 127.0.0.1).

    Both carry the extensions a strict verifier (OpenSSL's X509_STRICT) asks for, so a refusal
    in a test means "not trusted", never "malformed".
    """
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    not_before, not_after = now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{label} throwaway CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([_san(name) for name in names]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    return Certs(
        ca=_pem(directory / "ca.pem", ca_cert.public_bytes(serialization.Encoding.PEM)),
        cert=_pem(directory / "server.pem", cert.public_bytes(serialization.Encoding.PEM)),
        key=_pem(
            directory / "server.key",
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        ),
    )


# ---- brokers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listener:
    """One mosquitto listener. ``name`` is how the test refers to it; its port is chosen free."""

    name: str
    websockets: bool = False
    tls: bool = False

    @property
    def scheme(self) -> str:
        if self.websockets:
            return "wss" if self.tls else "ws"
        return "tls" if self.tls else "tcp"


@dataclass
class MultiBroker:
    proc: subprocess.Popen[bytes]
    conf: Path
    log_path: Path
    listeners: dict[str, Listener]
    ports: dict[str, int]
    certs: Certs | None

    def url(self, name: str, host: str = "127.0.0.1") -> str:
        """The -mqtt-host URL of listener ``name`` (websocket ones at the /mqtt path)."""
        listener = self.listeners[name]
        path = "/mqtt" if listener.websockets else ""
        return f"{listener.scheme}://{host}:{self.ports[name]}{path}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.proc)


def password_file(directory: Path, user: str, password: str) -> Path:
    """A mosquitto password file made by Debian's own ``mosquitto_passwd -b -c``."""
    path = directory / "mosquitto.passwd"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(path), user, password],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path


def start_broker(
    directory: Path,
    listeners: list[Listener],
    *,
    certs: Certs | None = None,
    passwords: Path | None = None,
    log_path: Path | None = None,
) -> MultiBroker:
    """Start mosquitto with ``listeners`` on free loopback ports and wait until each accepts.

    ``user`` is the current user so a root test run does not drop to the ``mosquitto`` account,
    which could not read the key and password files in pytest's private temp directory. Websocket
    listeners need ``socket_domain ipv4``: without it Debian's libwebsockets ignores the bind
    address and listens on every interface (and fails outright where IPv6 is unavailable).
    """
    # mosquitto 2.0.11 exits with "Unable to start any listening sockets" when every listener
    # is a websocket one (the libwebsockets socket is not counted), so one plain listener is needed.
    assert any(not lst.websockets for lst in listeners), "add a non-websocket listener too"
    directory.mkdir(parents=True, exist_ok=True)
    lines = [
        f"user {getpass.getuser()}",
        "persistence false",
        "per_listener_settings false",
        "log_dest stderr",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "connection_messages true",
    ]
    if passwords is not None:
        lines += ["allow_anonymous false", f"password_file {passwords}"]
    else:
        lines += ["allow_anonymous true"]
    ports: dict[str, int] = {}
    for listener in listeners:
        port = ports[listener.name] = free_port()
        lines.append(f"listener {port} 127.0.0.1")
        if listener.websockets:
            lines += ["protocol websockets", "socket_domain ipv4"]
        if listener.tls:
            assert certs is not None, f"listener {listener.name} wants TLS: pass certs"
            lines += [f"cafile {certs.ca}", f"certfile {certs.cert}", f"keyfile {certs.key}"]
    conf = directory / "mosquitto.conf"
    conf.write_text("\n".join(lines) + "\n")
    log_path = log_path or directory / "mosquitto.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [mosquitto_binary(), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
        )
    broker = MultiBroker(proc, conf, log_path, {lst.name: lst for lst in listeners}, ports, certs)

    def accepting(port: int) -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"mosquitto exited {proc.returncode}:\n{broker.log()}")
        with socket.socket() as s:
            s.settimeout(0.2)
            return s.connect_ex(("127.0.0.1", port)) == 0

    try:
        for name, port in ports.items():
            until(functools.partial(accepting, port), 10, f"mosquitto listener {name} on {port}")
    except BaseException:
        broker.stop()
        raise
    return broker
