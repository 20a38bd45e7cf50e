"""Read-only views of a Node for the HTTP API (spec §5 shapes), as plain dicts.

Handlers serialise them with Go's conventions (sorted keys, trailing newline); nothing here mutates
the node, and nothing here ever touches the soul.
"""

from __future__ import annotations

from nara.core.ledger import Entry
from nara.core.projections.neighbourhood import Neighbour
from nara.core.protocol import Node
from nara.core.status import NaraStatus, status_to_dict

NS = 1_000_000_000


def _obs_fields(
    online: str, last_seen: int, last_restart: int, start: int, restarts: int
) -> dict[str, object]:
    return {
        "Online": online,
        "LastSeen": last_seen,
        "LastRestart": last_restart,
        "StartTime": start,
        "Restarts": restarts,
    }


def _neighbour_status(n: Neighbour) -> NaraStatus:
    return n.status if n.status is not None else NaraStatus(public_key=n.public_key, id=n.nara_id)


def api_naras(node: Node, now: int) -> dict[str, object]:
    """``/api.json``: every nara's NaraStatus plus this node's observation of it; self included."""
    me = node.me.observation(now)
    own = status_to_dict(node.own_status(now, with_observations=False))
    own.update(
        Name=node.name,
        **_obs_fields("ONLINE", me.last_seen, me.last_restart, me.start_time, me.restarts),
    )
    items = [own]
    for n in sorted(node.neighbourhood, key=lambda n: n.name):
        item = status_to_dict(_neighbour_status(n))
        item.update(
            Name=n.name,
            **_obs_fields(n.online, n.last_seen, n.last_restart, n.start_time, n.restarts),
        )
        items.append(item)
    return {"naras": items, "server": node.name}


def _narae_item(
    name: str, status: NaraStatus, obs: dict[str, object], uptime: int, is_self: bool
) -> dict[str, object]:
    host = status_to_dict(status)["HostStats"]
    return {
        "Name": name,
        "ID": status.id,
        "Flair": status.flair,
        "LicensePlate": status.license_plate,
        "Aura": status.aura.primary,
        "AuraSecondary": status.aura.secondary,
        "Agreeableness": status.personality.agreeableness,
        "Sociability": status.personality.sociability,
        "Chill": status.personality.chill,
        "Buzz": status.buzz,
        "Chattiness": status.chattiness,
        "HostStats": host,
        "PublicUrl": status.public_url,
        "Trend": status.trend,
        "TrendEmoji": status.trend_emoji,
        "Uptime": uptime,
        "IsSelf": is_self,
        **obs,
    }


def narae(node: Node, now: int) -> dict[str, object]:
    """``/narae.json``: the flattened list the dashboard draws."""
    me = node.me.observation(now)
    own = node.own_status(now, with_observations=False)
    items = [
        _narae_item(
            node.name,
            own,
            _obs_fields("ONLINE", me.last_seen, me.last_restart, me.start_time, me.restarts),
            node.me.uptime_s(now),
            True,
        )
    ]
    for n in sorted(node.neighbourhood, key=lambda n: n.name):
        since = n.last_restart or n.start_time
        uptime = max(0, now // NS - since) if since and n.online == "ONLINE" else 0
        items.append(
            _narae_item(
                n.name,
                _neighbour_status(n),
                _obs_fields(n.online, n.last_seen, n.last_restart, n.start_time, n.restarts),
                uptime,
                False,
            )
        )
    return {"naras": items, "server": node.name}


def profile(node: Node, name: str, now: int) -> dict[str, object] | None:
    """``/profile/{name}.json``; None for a nara we do not know."""
    if name == node.name:
        status = node.own_status(now, with_observations=True)
        me = node.me.observation(now)
        online, obs = "ONLINE", me
        observations = {
            k: _short_obs(v.online, v.last_seen, v.restarts, v.start_time, v.last_restart)
            for k, v in (status.observations or {}).items()
        }
        is_self = True
    else:
        n = node.neighbourhood.get(name)
        if n is None:
            return None
        status = _neighbour_status(n)
        obs = n.observation()
        online = n.online
        observations = {
            k: _short_obs(v.online, v.last_seen, v.restarts, v.start_time, v.last_restart)
            for k, v in (status.observations or {}).items()
        }
        is_self = False
    return {
        "id": status.id,
        "name": name,
        "flair": status.flair,
        "license_plate": status.license_plate,
        "aura": {"primary": status.aura.primary, "secondary": status.aura.secondary},
        "personality": {
            "Agreeableness": status.personality.agreeableness,
            "Sociability": status.personality.sociability,
            "Chill": status.personality.chill,
        },
        "chattiness": status.chattiness,
        "buzz": status.buzz,
        "memory_mode": status.memory_mode,
        "mesh_enabled": status.mesh_enabled,
        "mesh_ip": status.mesh_ip,
        "transport_mode": status.transport_mode,
        "trend": status.trend,
        "trend_emoji": status.trend_emoji,
        "host_stats": status_to_dict(status)["HostStats"],
        "online": online,
        "last_seen": obs.last_seen,
        "last_restart": obs.last_restart,
        "start_time": obs.start_time,
        "restarts": obs.restarts,
        "public_key": status.public_key,
        "public_url": status.public_url,
        "version": status.version,
        "is_self": is_self,
        "observations": observations,
        "event_store_total": len(node.ledger),
        "event_store_by_service": node.ledger.by_service(),
    }


def _short_obs(
    online: str, last_seen: int, restarts: int, start: int, last_restart: int
) -> dict[str, object]:
    return {
        "online": online,
        "last_seen": last_seen,
        "restarts": restarts,
        "start_time": start,
        "last_restart": last_restart,
    }


def inspector_item(entry: Entry) -> dict[str, object]:
    event = entry.event
    return {
        "id": event.id,
        "seq": entry.seq,
        "timestamp": event.ts,
        "service": event.svc,
        "emitter": event.emitter,
        "emitter_id": event.emitter_id,
        "signed": event.is_signed(),
        "subjects": list(entry.subjects),
        "ui_format": event.ui_format(),
    }


def counts_by_status(node: Node) -> dict[str, int]:
    counts = {"ONLINE": 1, "OFFLINE": 0, "MISSING": 0}  # this nara itself is online
    for n in node.neighbourhood:
        if n.online in counts:
            counts[n.online] += 1
    return counts
