"""What HTTP handlers may read: the running node's parts, stored on the aiohttp app under CTX."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from nara.config import Config
from nara.core.identity import Identity
from nara.feed import Feed
from nara.http.assets import AssetStore
from nara.plaza import Plaza
from nara.runtime import NodeRuntime


@dataclass
class ViewCache:
    """The serialised bodies of the big views, reused while nothing changed and for at most
    ``ttl_ns``: with a full roster /api.json is megabytes, and any HTTP client may ask for it
    as often as it likes (security.md, "Fat peers")."""

    ttl_ns: int = 1_000_000_000
    _bodies: dict[str, tuple[tuple[int, int], int, bytes]] = field(default_factory=dict)

    def get(self, view: str, version: tuple[int, int], now_ns: int) -> bytes | None:
        held = self._bodies.get(view)
        if held is None or held[0] != version or now_ns - held[1] >= self.ttl_ns:
            return None
        return held[2]

    def put(self, view: str, version: tuple[int, int], now_ns: int, body: bytes) -> None:
        self._bodies[view] = (version, now_ns, body)


@dataclass
class NaraContext:
    config: Config
    identity: Identity
    runtime: NodeRuntime
    feed: Feed
    assets: AssetStore
    plaza: Plaza | None = None
    build: dict[str, str] = field(default_factory=dict)
    views: ViewCache = field(default_factory=ViewCache)


CTX = web.AppKey("nara", NaraContext)
