"""The HTTP side against a hostile client and hostile peers (security notes, "HTTP"): security
headers on every response, a Server header that names no versions, an asset cache that does not
grow with the paths clients invent, /metrics labels free of peer-chosen text, and JSON views whose
size per nara stays bounded whatever a peer puts in its status.

Real naras as processes, real HTTP over loopback, a real broker for the peers.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.conftest import Broker, NaraProcess
from tests.integration.helpers import Plaza, Stranger, metric, parse_metrics, until

Spawn = Callable[..., NaraProcess]
STEADY = {"NARA_MISSING_AFTER": "300"}
HOSTILE = '<img src=x onerror=alert(1)>"\\\n</script>'
NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


def request(url: str, method: str = "GET") -> tuple[int, dict[str, str]]:
    """Status and headers (names lower-cased) of one request; only the head is read, so an
    endless /events stream works too."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""))
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def assert_locked_down(where: str, headers: dict[str, str]) -> None:
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, (where, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (where, csp)
    assert re.search(r"default-src '(none|self)'", csp), (where, csp)
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "no-referrer", where
    assert headers.get("cross-origin-opener-policy") == "same-origin", where
    permissions = headers.get("permissions-policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions, (where, permissions)
    assert headers.get("server", "nara") == "nara", (where, headers.get("server"))
    for name, value in headers.items():
        assert not re.search(r"python|aiohttp", value, re.I), (where, name, value)


def test_every_response_carries_the_security_headers(spawn_nara: Spawn) -> None:
    """Pages, JSON, the SSE stream, /metrics, health, docs, 404s (routed and not), a 400 from a
    handler and a 405 all send CSP, nosniff, Referrer-Policy, Permissions-Policy and COOP, and a
    Server header without Python or aiohttp versions; the dashboard keeps its own CSP, everything
    else gets ``default-src 'none'``."""
    alice = spawn_nara("alice", "-base-path", "/nara")
    root = alice.url.removesuffix("/nara")
    cases = [
        ("GET", "/nara/", None),
        ("GET", "/nara/nara/bob", None),
        ("GET", "/nara/api.json", 200),
        ("GET", "/nara/narae.json", 200),
        ("GET", "/nara/profile/alice.json", 200),
        ("GET", "/nara/events", 200),
        ("GET", "/nara/metrics", 200),
        ("GET", "/nara/livez", 200),
        ("GET", "/livez", 200),
        ("GET", "/readyz", None),
        ("GET", "/nara/docs/", None),
        ("GET", "/nara/docs", 308),
        ("GET", "/nara/api/nope", 404),
        ("GET", "/nara/profile/nobody.json", 404),
        ("GET", "/nara/assets/nope-0123456789.js", 404),
        ("GET", "/nara/assets/a%00b.js", 404),
        ("GET", "/nowhere/at.all", 404),
        ("GET", "/nara/api/inspector/events?limit=x", 400),
        ("POST", "/nara/api.json", 405),
        ("DELETE", "/nara/", 405),
    ]
    for method, path, want in cases:
        status, headers = request(root + path, method)
        where = f"{method} {path} → {status}"
        if want is not None:
            assert status == want, where
        assert_locked_down(where, headers)
        if method == "GET" and path in ("/nara/", "/nara/nara/bob"):
            assert "script-src 'self'" in headers["content-security-policy"], where
        if path in ("/nara/api.json", "/nara/events", "/nara/metrics", "/livez", "/nara/api/nope"):
            assert headers["content-security-policy"].startswith("default-src 'none'"), where
    assert "Traceback" not in alice.output()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def hammer(base: str, paths: list[str], connections: int = 8) -> dict[int, int]:
    """GET every path over a few keep-alive connections; the count of each status."""
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for path in paths:
        queue.put_nowait(path)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections), timeout=timeout
    ) as session:

        async def worker() -> None:
            while not queue.empty():
                path = queue.get_nowait()
                async with session.get(base + path) as resp:
                    await resp.read()
                    statuses[resp.status] = statuses.get(resp.status, 0) + 1

        await asyncio.gather(*(worker() for _ in range(connections)))
    return statuses


def test_missing_asset_paths_do_not_grow_the_cache(spawn_nara: Spawn) -> None:
    """20,000 distinct missing paths under /assets/, /docs/ and the root files all get 404 and
    leave the asset cache (``nara_asset_cache_entries``) exactly as it was; the process grows by
    less than 8 MiB. Before the fix every miss was remembered: +43 MiB for the same requests."""
    alice = spawn_nara("alice")
    pid = alice.proc.pid
    filler = "m" * 2000  # long paths (aiohttp takes up to 8 KiB), so remembering them would show

    def misses(start: int, count: int) -> list[str]:
        kinds = ("/assets/{}-{}.js", "/docs/{}-{}.css", "/docs/{}/{}/")
        return [kinds[i % 3].format(filler, i) for i in range(start, start + count)]

    # Warm up: the first requests allocate aiohttp's and the allocator's working set.
    warm = asyncio.run(hammer(alice.url, ["/", "/docs/", *misses(0, 2000)]))
    assert warm.get(404, 0) >= 2000, warm
    before_entries = metric(alice.metrics(), "nara_asset_cache_entries")
    assert before_entries is not None
    before_rss = rss_kib(pid)

    hit = asyncio.run(hammer(alice.url, misses(10**6, 20_000)))
    assert hit == {404: 20_000}, hit
    assert metric(alice.metrics(), "nara_asset_cache_entries") == before_entries
    grown_kib = rss_kib(pid) - before_rss
    print(f"RSS after 20,000 distinct misses: {grown_kib / 1024:+.1f} MiB")
    assert grown_kib < 8 * 1024, f"RSS grew by {grown_kib} KiB"
    assert alice.get("/livez")[0] == 200


def fat_stranger(plaza: Plaza, alice: NaraProcess, **fields: str) -> Stranger:
    stranger = Stranger.new("fat")
    plaza.publish("nara/plaza/hey_there", stranger.hey_there().to_json())
    plaza.publish(f"nara/newspaper/{stranger.name}", stranger.newspaper(**fields))
    until(lambda: stranger.name in alice.statuses(), 15, f"{stranger.name} known to alice")
    return stranger


def test_peer_text_never_becomes_a_metric_label_and_views_stay_small(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """A peer whose Flair, LicensePlate, Trend, Version and PublicUrl are as long as a newspaper
    allows (and full of markup, quotes and newlines) shows up in /metrics only by its name:
    nara_info has the one label ``name``, and no label value anywhere carries the peer's text.
    Its item in /api.json and /narae.json stays under 16 KiB; the publish-failure and incoming
    overflow counters are exported."""
    alice = spawn_nara("alice", broker=mosquitto, env=STEADY)
    until(lambda: metric(alice.metrics(), "nara_plaza_connected") == 1, 15, "alice connected")
    huge = (HOSTILE * 100)[:2000]  # five of these still fit in one newspaper
    fat = fat_stranger(
        plaza, alice, flair=huge, license_plate=huge, trend=huge, version=huge, public_url=huge
    )
    # Short enough for any sane field limit, so the core keeps this one's status.
    kept = fat_stranger(plaza, alice, flair=HOSTILE, license_plate=HOSTILE[:30], trend=HOSTILE)
    until(
        lambda: alice.json(f"/profile/{kept.name}.json")["trend"] == HOSTILE,
        10,
        "the hostile-but-short status kept",
    )

    text = alice.metrics()
    samples = parse_metrics(text)
    infos = [labels for name, labels, _ in samples if name == "nara_info"]
    assert {frozenset(labels) for labels in infos} == {frozenset({"name"})}
    assert {labels["name"] for labels in infos} >= {"alice", fat.name, kept.name}
    for name, labels, _ in samples:
        for key, value in labels.items():
            assert "<" not in value and "script" not in value, (name, key, value[:80])
            if key == "name":
                assert NAME.fullmatch(value), (name, value[:80])
            elif name != "nara_build_info":
                assert len(value) <= 40, (name, key, value[:80])
    assert "onerror" not in text
    assert metric(text, "nara_mqtt_incoming_overflow_total") is not None
    assert any(name == "nara_publish_failures_total" for name, _, _ in samples)
    assert all(
        set(labels) == {"reason"}
        for name, labels, _ in samples
        if name == "nara_publish_failures_total"
    )

    for path in ("/api.json", "/narae.json"):
        status, body, _ = alice.get(path)
        assert status == 200
        for item in json.loads(body)["naras"]:
            size = len(json.dumps(item).encode())
            assert size < 16 * 1024, (path, item["Name"], size)
    for who in (fat, kept):
        status, body, _ = alice.get(f"/profile/{who.name}.json")
        assert status == 200 and len(body) < 16 * 1024, (who.name, len(body))
