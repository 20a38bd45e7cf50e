"""The machine's hardware fingerprint and short hostname, read from the OS (spec §1.2, §1.4).

The fingerprint is the input to native souls. Reproducing the Go reference exactly (gopsutil's
Linux HostID, then the MACs of en*/eth*/wlan* interfaces) gives a Python nara the same soul and
keys as a Go nara with the same name on the same machine. Every read failure is tolerated: a
missing file simply moves on to the next source, as gopsutil does.
"""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

_PHYSICAL_PREFIXES = ("en", "eth", "wlan")  # identity/names.go: "physical-ish" interfaces
_IFF_LOOPBACK = 0x8
_ROOT = Path("/")  # tests point the readers at a fake tree instead


def _first_line(path: Path) -> str:
    """gopsutil's ReadLines(...)[0]: the text up to the first newline, "" when unreadable."""
    try:
        text = path.read_text("utf-8", errors="replace")
    except (OSError, ValueError):
        return ""
    return text.split("\n", 1)[0]


def host_id(sys_root: Path = _ROOT) -> str:
    """gopsutil v3 ``host.Info().HostID`` on Linux: first usable of the three sources (§1.2)."""
    product_uuid = _first_line(sys_root / "sys/class/dmi/id/product_uuid")  # usually root-only
    if product_uuid:
        return product_uuid.lower()
    machine_id = _first_line(sys_root / "etc/machine-id")
    if len(machine_id) == 32:
        m = machine_id
        return f"{m[0:8]}-{m[8:12]}-{m[12:16]}-{m[16:20]}-{m[20:32]}"
    boot_id = _first_line(sys_root / "proc/sys/kernel/random/boot_id")  # changes every boot
    return boot_id.lower()


def _is_loopback(iface: Path) -> bool:
    try:
        return int(_first_line(iface / "flags").strip(), 16) & _IFF_LOOPBACK != 0
    except ValueError:
        return False


def interface_macs(sys_root: Path = _ROOT) -> list[str]:
    """Sorted lowercase MACs of non-loopback en*/eth*/wlan* interfaces, down ones included."""
    try:
        ifaces = list((sys_root / "sys/class/net").iterdir())
    except OSError:
        return []
    macs = []
    for iface in ifaces:
        if not iface.name.startswith(_PHYSICAL_PREFIXES) or _is_loopback(iface):
            continue
        mac = _first_line(iface / "address").strip().lower()
        # Go leaves HardwareAddr empty for an all-zero address, and skips empty ones.
        if not mac or all(part in ("0", "00") for part in mac.split(":")):
            continue
        macs.append(mac)
    return sorted(macs)


def hardware_fingerprint(sys_root: Path = _ROOT) -> bytes:
    """sha256(f"{hostID}-{macs joined by ','}"): 32 stable bytes identifying this machine."""
    fragments = f"{host_id(sys_root)}-{','.join(interface_macs(sys_root))}"
    return hashlib.sha256(fragments.encode("utf-8")).digest()


def short_hostname() -> str:
    """The host name up to its first dot, as the reference uses it for the nara's name."""
    return socket.gethostname().split(".", 1)[0]
