"""Host and process facts for the newspaper's HostStats and the flair (Linux /proc; 0 elsewhere)."""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import time
from pathlib import Path

from nara.core.selfstatus import Sensors


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


class SensorReader:
    """Reads cheap facts once per call; the static ones (Pi, NixOS, Kubernetes) only once."""

    def __init__(self, *, kubernetes: bool = False) -> None:
        model = _read("/proc/device-tree/model") + _read("/sys/firmware/devicetree/base/model")
        self.raspberry_pi = "raspberry pi" in model.lower()
        self.nixos = Path("/etc/NIXOS").exists()
        self.kubernetes = kubernetes
        self.cpus = os.cpu_count() or 1
        self._last_cpu = (time.monotonic(), time.process_time())

    def read(self) -> Sensors:
        uptime_text = _read("/proc/uptime").split()
        host_uptime = int(float(uptime_text[0])) if uptime_text else 0
        try:
            load = os.getloadavg()[0] / self.cpus
        except OSError:
            load = 0.0
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        now_wall, now_cpu = time.monotonic(), time.process_time()
        last_wall, last_cpu = self._last_cpu
        self._last_cpu = (now_wall, now_cpu)
        elapsed = now_wall - last_wall
        cpu_percent = 100.0 * (now_cpu - last_cpu) / elapsed if elapsed > 0 else 0.0
        try:
            tasks = len(asyncio.all_tasks())
        except RuntimeError:
            tasks = 0
        return Sensors(
            host_uptime_s=host_uptime,
            load=load,
            rss_mb=int(rss_mb),
            tasks=tasks,
            gc_count=sum(s["collections"] for s in gc.get_stats()),
            cpu_percent=cpu_percent,
            raspberry_pi=self.raspberry_pi,
            nixos=self.nixos,
            kubernetes=self.kubernetes,
        )
