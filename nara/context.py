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
class NaraContext:
    config: Config
    identity: Identity
    runtime: NodeRuntime
    feed: Feed
    assets: AssetStore
    plaza: Plaza | None = None
    build: dict[str, str] = field(default_factory=dict)


CTX = web.AppKey("nara", NaraContext)
