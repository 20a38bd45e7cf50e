"""The node's HTTP side as a client sees it (api-contract, spec §5): health, JSON endpoints, the
/events stream with Last-Event-ID replay, /metrics, and that the soul is never served or logged.

Most tests run one node without a broker; the ones that need ledger events use the broker fixture
and a ``helpers.Stranger`` announcing itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nara import buildinfo
from nara.core.crypto import SigningKey
from nara.core.identity import native_soul_custom
from tests.conftest import ROOT, Broker, NaraProcess
from tests.integration.helpers import (
    Plaza,
    SSEStream,
    Stranger,
    metric,
    parse_metrics,
    self_entry,
    sync_event_from,
    until,
)

JSON_TYPE = "application/json; charset=utf-8"
STEADY = {"NARA_MISSING_AFTER": "300"}  # strangers announce once; keep them ONLINE
Spawn = Callable[..., NaraProcess]

API_ITEM_KEYS = {
    "Aura", "Buzz", "Chattiness", "Flair", "HostStats", "ID", "LastRestart", "LastSeen",
    "LicensePlate", "MeshEnabled", "MeshIP", "Name", "Observations", "Online", "Personality",
    "PublicKey", "PublicUrl", "Restarts", "StartTime", "Trend", "TrendEmoji", "Version",
    "transport_mode",
}  # fmt: skip
HOST_STATS_KEYS = {
    "LoadAvg", "MemAllocMB", "MemHeapMB", "MemStackMB", "MemSysMB", "NumGC", "NumGoroutines",
    "ProcCPUPercent", "Uptime",
}  # fmt: skip
NARAE_ITEM_KEYS = {
    "Agreeableness", "Aura", "AuraSecondary", "Buzz", "Chattiness", "Chill", "Clout", "Flair",
    "HostStats",
    "ID", "LastRestart", "LastSeen", "LicensePlate", "Name", "Online", "PublicUrl", "Restarts",
    "Sociability", "StartTime", "Trend", "TrendEmoji", "Uptime", "IsSelf",
    "StatusSince", "UpSince", "History",
}  # fmt: skip
PROFILE_KEYS = {
    "id", "name", "flair", "license_plate", "aura", "personality", "chattiness", "buzz",
    "memory_mode", "mesh_enabled", "mesh_ip", "transport_mode", "trend", "trend_emoji",
    "host_stats", "online", "last_seen", "last_restart", "start_time", "restarts", "public_key",
    "public_url", "is_self", "observations", "event_store_total", "event_store_by_service",
    "recent_teases", "best_friends",
}  # fmt: skip
INSPECTOR_KEYS = {
    "id", "timestamp", "service", "emitter", "emitter_id", "signed", "seq", "subjects", "ui_format",
}  # fmt: skip


@pytest.fixture
def alone(spawn_nara: Spawn) -> NaraProcess:
    """One nara without a broker."""
    return spawn_nara("alice")


@pytest.fixture
def plaza(mosquitto: Broker) -> Iterator[Plaza]:
    client = Plaza(mosquitto.host, mosquitto.port)
    yield client
    client.close()


def assert_go_json(body: bytes, headers: dict[str, str]) -> Any:
    """Go encoder conventions: the JSON content type, sorted keys everywhere, one trailing \\n."""
    assert headers["Content-Type"] == JSON_TYPE
    assert body.endswith(b"\n") and not body.endswith(b"\n\n")

    def check(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in pairs]
        assert keys == sorted(keys), keys
        return dict(pairs)

    return json.loads(body, object_pairs_hook=check)


def get_json(nara: NaraProcess, path: str, status: int = 200) -> Any:
    code, body, headers = nara.get(path)
    assert code == status, f"GET {path} → {code}: {body[:300]!r}"
    return assert_go_json(body, headers)


def announce_strangers(plaza: Plaza, alice: NaraProcess, count: int) -> list[Stranger]:
    strangers = [Stranger.new(f"s{i}") for i in range(count)]
    for stranger in strangers:
        plaza.publish("nara/plaza/hey_there", stranger.hey_there().to_json())
    names = {s.name for s in strangers}
    until(lambda: names <= set(alice.statuses()), 15, "the strangers known to alice")
    return strangers


# ---- 10: alone ----------------------------------------------------------------------------------


def test_runs_alone_without_a_broker(alone: NaraProcess) -> None:
    """Without -mqtt-host the node runs alone and says so in exactly one log line; /readyz is
    200 when the dashboard is built in (nara-web/public/index.html), else 503 with
    checks.assets false; the plaza check is null (not configured), /livez and /healthz 200."""
    lines = [line for line in alone.output().splitlines() if "running alone" in line]
    assert len(lines) == 1, alone.output()
    assert "-mqtt-host" in lines[0]

    built = (ROOT / "nara-web" / "public" / "index.html").is_file()
    code, body, headers = alone.get("/readyz")
    ready = assert_go_json(body, headers)
    assert ready["checks"]["plaza"] is None
    assert ready["checks"]["assets"] is built
    if built:
        assert (code, ready["status"]) == (200, "ready")
    else:
        assert (code, ready["status"]) == (503, "not ready")
    for path in ("/livez", "/healthz"):
        assert get_json(alone, path) == {"status": "ok"}
    assert alone.statuses() == {"alice": "ONLINE"}


# ---- 11: JSON endpoints --------------------------------------------------------------------------


def test_api_json_narae_profile_and_status(alone: NaraProcess) -> None:
    """/api.json is {"naras":[…],"server":name} with self and the contract's fields; /narae.json
    the flattened list with IsSelf; /profile/{self}.json works and unknown names get a JSON 404;
    /status/{self}.json is 404 (only neighbours have a raw status). All Go-style JSON."""
    api = get_json(alone, "/api.json")
    assert set(api) == {"naras", "server"} and api["server"] == "alice"
    me = next(item for item in api["naras"] if item["Name"] == "alice")
    assert set(me) >= API_ITEM_KEYS, API_ITEM_KEYS - set(me)
    assert set(me["Aura"]) == {"primary", "secondary"}
    assert set(me["Personality"]) == {"Agreeableness", "Chill", "Sociability"}
    assert set(me["HostStats"]) >= HOST_STATS_KEYS
    assert me["Online"] == "ONLINE" and me["PublicKey"] and me["ID"]

    narae = get_json(alone, "/narae.json")
    assert narae["server"] == "alice"
    (item,) = narae["naras"]
    assert set(item) == NARAE_ITEM_KEYS
    assert item["IsSelf"] is True and item["Name"] == "alice" and item["Online"] == "ONLINE"
    assert (item["Aura"], item["AuraSecondary"]) == (me["Aura"]["primary"], me["Aura"]["secondary"])
    assert item["ID"] == me["ID"]

    profile = get_json(alone, "/profile/alice.json")
    assert set(profile) >= PROFILE_KEYS, PROFILE_KEYS - set(profile)
    assert profile["name"] == "alice" and profile["is_self"] is True
    assert profile["public_key"] == me["PublicKey"] and profile["id"] == me["ID"]
    assert profile["online"] == "ONLINE"

    missing = get_json(alone, "/profile/nobody.json", status=404)
    assert set(missing) == {"error"} and missing["error"]
    assert set(get_json(alone, "/status/alice.json", status=404)) == {"error"}
    assert set(get_json(alone, "/status/nobody.json", status=404)) == {"error"}


def test_inspector_events_pagination(mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza) -> None:
    """/api/inspector/events lists ledger events newest first with the contract's fields;
    ``limit``/``offset`` pages concatenate to the full list with ``has_more`` true on every page
    but the last; ``service``/``subject`` filter; a non-integer limit or offset is a 400.
    A neighbour's /status/{name}.json is the raw Status it signed."""
    alice = spawn_nara("alice", broker=mosquitto, env=STEADY)
    plaza.wait("nara/plaza/hey_there", lambda m: sync_event_from(m, "hey-there", "alice"))
    strangers = announce_strangers(plaza, alice, 3)
    reader = Stranger.new("reader")
    paper = reader.newspaper()
    plaza.publish(f"nara/newspaper/{reader.name}", paper)
    until(lambda: reader.name in alice.statuses(), 10, "the newspaper's sender known")
    until(
        lambda: get_json(alice, "/api/inspector/events?service=hey-there")["total"] >= 4,
        15,
        "hey-theres of alice and the three strangers in the ledger",
    )

    full = get_json(alice, "/api/inspector/events?limit=500")
    total = full["total"]
    assert total == len(full["events"]) >= 8 and full["has_more"] is False
    seqs = [e["seq"] for e in full["events"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs)
    for event in full["events"]:
        assert set(event) == INSPECTOR_KEYS
        assert isinstance(event["timestamp"], int) and event["timestamp"] > 10**18
        assert set(event["ui_format"]) == {"icon", "text", "detail"}

    pages, offset = [], 0
    while True:
        page = get_json(alice, f"/api/inspector/events?limit=2&offset={offset}")
        assert page["total"] == total and len(page["events"]) <= 2
        pages += page["events"]
        offset += 2
        assert page["has_more"] is (offset < total)
        if not page["has_more"]:
            break
    assert pages == full["events"]
    assert get_json(alice, f"/api/inspector/events?offset={total}")["events"] == []

    hey = get_json(alice, "/api/inspector/events?service=hey-there&limit=500")
    assert {e["service"] for e in hey["events"]} == {"hey-there"}
    assert {s.name for s in strangers} | {"alice"} <= {e["emitter"] for e in hey["events"]}
    assert all(e["signed"] for e in hey["events"])
    about = get_json(alice, f"/api/inspector/events?subject={strangers[0].name}")
    assert about["total"] >= 2
    assert all(strangers[0].name in e["subjects"] for e in about["events"])

    for bad in ("limit=abc", "offset=x", "limit=1.5"):
        code, body, headers = alice.get(f"/api/inspector/events?{bad}")
        assert code == 400, bad
        assert headers["Content-Type"].startswith("application/json")
        assert "error" in json.loads(body)

    code, body, headers = alice.get(f"/status/{reader.name}.json")
    assert code == 200 and headers["Content-Type"] == JSON_TYPE
    start = paper.index(b'"Status":') + len(b'"Status":')
    assert body == paper[start : paper.rindex(b',"Signature":')] + b"\n"


# ---- 12: /events ---------------------------------------------------------------------------------


def ledger_frames(stream: SSEStream) -> list[Any]:
    return [f for f in stream.snapshot() if f.id is not None]


def test_events_stream_ids_and_last_event_id_replay(
    mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza
) -> None:
    """/events opens with ``event: connected`` (server name, current seq); every ledger event
    follows with ``id:`` = its ledger seq and ``event:`` = its service. Reconnecting with
    ``Last-Event-ID: N`` replays exactly the events after N, in order, then continues live
    without repeating any."""
    alice = spawn_nara("alice", broker=mosquitto, env=STEADY)
    # alice's own announcement comes 0-5 s after connecting; let it pass so that the ledger
    # only grows when the test makes it.
    plaza.wait("nara/plaza/hey_there", lambda m: sync_event_from(m, "hey-there", "alice"))
    until(lambda: get_json(alice, "/api/inspector/events")["total"] >= 1, 10, "own hey-there")
    with SSEStream(alice.url + "/events") as first:
        assert first.status == 200
        assert first.headers["Content-Type"].startswith("text/event-stream")
        hello = first.wait(lambda f: True, 10, "the first frame")
        assert hello.event == "connected" and hello.id is None
        assert hello.data["server"] == "alice" and isinstance(hello.data["seq"], int)

        strangers = announce_strangers(plaza, alice, 3)
        names = {s.name for s in strangers}
        first.wait(
            lambda f: f.event == "hey-there" and f.data["emitter"] == strangers[-1].name,
            10,
            "the last stranger's hey-there on the stream",
        )
        inspector = get_json(alice, "/api/inspector/events?limit=500")["events"]
        seq_of = {e["id"]: e["seq"] for e in inspector}
        frames = ledger_frames(first)
        assert names <= {f.data["emitter"] for f in frames if f.event == "hey-there"}
        for frame in frames:
            assert int(frame.id) == frame.data["seq"] == seq_of[frame.data["id"]]
            assert frame.event == frame.data["service"]
        ids = [int(f.id) for f in frames]
        assert ids == sorted(set(ids))

    last = max(e["seq"] for e in inspector)
    mark = next(int(f.id) for f in frames if f.data["emitter"] == strangers[0].name)
    with SSEStream(alice.url + "/events", last_event_id=mark) as resumed:
        assert resumed.wait(lambda f: True, 10, "the first frame").event == "connected"
        resumed.wait(lambda f: f.id == str(last), 10, f"the replay up to seq {last}")
        replayed = [f for f in ledger_frames(resumed) if int(f.id) <= last]
        assert [int(f.id) for f in replayed] == list(range(mark + 1, last + 1))
        by_id = {e["seq"]: e for e in inspector}
        for frame in replayed:
            assert frame.data["id"] == by_id[int(frame.id)]["id"]

        late = Stranger.new("late")
        plaza.publish("nara/plaza/hey_there", late.hey_there().to_json())
        resumed.wait(lambda f: f.data.get("emitter") == late.name, 10, "a live event after replay")
        ids = [int(f.id) for f in ledger_frames(resumed)]
        assert ids == list(range(mark + 1, ids[-1] + 1)), "replay and live overlap or skip"


# ---- 13: /metrics --------------------------------------------------------------------------------


def test_metrics_exposition(alone: NaraProcess) -> None:
    """/metrics is Prometheus text with the message counters (dropped pre-seeded for every
    reason), nara_naras by status, nara_sse_clients counting open /events streams, and
    nara_build_info carrying the version label."""
    code, body, headers = alone.get("/metrics")
    assert code == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    for family in ("nara_messages_received_total", "nara_messages_dropped_total"):
        assert f"# TYPE {family} counter" in text, family
    for reason in ("bad_signature", "unsigned", "invalid_json", "invalid_schema", "too_large"):
        assert metric(text, "nara_messages_dropped_total", reason=reason) == 0, reason
    assert metric(text, "nara_naras", status="ONLINE") == 1
    assert metric(text, "nara_naras", status="MISSING") == 0
    assert metric(text, "nara_sse_clients") == 0
    # prometheus_client's process metrics; per-nara values that can go down are gauges.
    assert (metric(text, "process_resident_memory_bytes") or 0) > 0
    assert (metric(text, "process_start_time_seconds") or 0) > 0
    assert "# TYPE nara_restarts gauge" in text and "# TYPE nara_sse_clients gauge" in text
    seen = [s for s in parse_metrics(text) if s[0] == "nara_last_seen_timestamp_seconds"]
    assert [(labels, value > 1.6e9) for _, labels, value in seen] == [({"name": "alice"}, True)]
    version = buildinfo.build_info()["version"]
    builds = [s for s in parse_metrics(text) if s[0] == "nara_build_info"]
    assert len(builds) == 1 and builds[0][1]["version"] == version and builds[0][2] == 1

    with SSEStream(alone.url + "/events") as stream:
        stream.wait(lambda f: f.event == "connected", 10, "connected")
        until(lambda: metric(alone.metrics(), "nara_sse_clients") == 1, 10, "one SSE client")


# ---- 14: the soul stays secret ---------------------------------------------------------------


def test_soul_never_served_or_logged(mosquitto: Broker, spawn_nara: Spawn, plaza: Plaza) -> None:
    """With a known soul given by -soul, no HTTP response (every endpoint, JSON, HTML, SSE,
    metrics, errors) and no log line (at debug level, through start, plaza traffic and
    shutdown) contains the soul, its seed in hex or Base64, or the raw soul in Base64."""
    soul = native_soul_custom(hashlib.sha256(b"x").digest(), "alice")
    secrets = {
        soul.text,
        soul.seed.hex(),
        soul.raw.hex(),
        base64.b64encode(soul.seed).decode(),
        base64.b64encode(soul.raw).decode(),
        base64.urlsafe_b64encode(soul.seed).decode().rstrip("="),
    }
    alice = spawn_nara("alice", "-soul", soul.text, "-log-level", "debug", broker=mosquitto)
    plaza.wait("nara/plaza/hey_there", lambda m: sync_event_from(m, "hey-there", "alice"))
    stranger = Stranger.new("peer")
    plaza.publish("nara/plaza/hey_there", stranger.hey_there().to_json())
    plaza.publish(f"nara/newspaper/{stranger.name}", stranger.newspaper())
    until(lambda: stranger.name in alice.statuses(), 10, "the peer known")
    assert self_entry(alice)["PublicKey"] == SigningKey(soul.seed).public_b64  # it is in use

    paths = [
        "/", "/api.json", "/narae.json", "/profile/alice.json", f"/profile/{stranger.name}.json",
        "/status/alice.json", f"/status/{stranger.name}.json", "/api/inspector/events?limit=500",
        "/metrics", "/livez", "/healthz", "/readyz", "/docs/", "/nara/alice", "/timeline",
        "/api/nothing", "/profile/nobody.json", "/api/inspector/events?limit=x", "/assets/nope.js",
    ]  # fmt: skip
    bodies = []
    for path in paths:
        _, body, headers = alice.get(path)
        bodies.append((path, body + json.dumps(headers).encode()))
    with SSEStream(alice.url + "/events", last_event_id=1) as stream:
        stream.wait(lambda f: f.data.get("emitter") == stranger.name, 10, "replayed events")
        bodies.append(("/events", json.dumps([f.data for f in stream.snapshot()]).encode()))

    for path, body in bodies:
        text = body.decode("utf-8", "replace")
        for secret in secrets:
            assert secret not in text, f"the soul leaks in {path}"

    alice.signal(signal.SIGTERM)
    assert alice.wait_exit(5) == 0
    output = alice.output()
    assert "dashboard at" in output and "chau" in output
    for secret in secrets:
        assert secret not in output, "the soul leaks in the log"
