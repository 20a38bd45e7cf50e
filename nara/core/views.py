"""Read-only views of a Node for the HTTP API (spec §5 shapes), as plain dicts.

Handlers serialise them with Go's conventions (sorted keys, trailing newline); nothing here mutates
the node, and nothing here ever touches the soul.
"""

from __future__ import annotations

from nara.core.ledger import Entry
from nara.core.projections.neighbourhood import Neighbour
from nara.core.protocol import Node
from nara.core.status import NaraObservation, NaraStatus, status_to_dict

NS = 1_000_000_000


def _obs_fields(obs: NaraObservation) -> dict[str, object]:
    return {
        "Online": obs.online,
        "LastSeen": obs.last_seen,
        "LastRestart": obs.last_restart,
        "StartTime": obs.start_time,
        "Restarts": obs.restarts,
    }


def _neighbour_status(n: Neighbour) -> NaraStatus:
    return n.status if n.status is not None else NaraStatus(public_key=n.public_key, id=n.nara_id)


def api_naras(node: Node, now: int) -> dict[str, object]:
    """``/api.json``: every nara's NaraStatus plus this node's observation of it; self included."""
    me = node.me.observation(now)
    own = status_to_dict(node.own_status(now, with_observations=False))
    own.update(
        Name=node.name,
        **_obs_fields(me),
    )
    items = [own]
    for n in sorted(node.neighbourhood, key=lambda n: n.name):
        item = status_to_dict(_neighbour_status(n))
        item.update(
            Name=n.name,
            **_obs_fields(n.observation()),
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
            _obs_fields(me),
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
                _obs_fields(n.observation()),
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
        is_self = True
    else:
        n = node.neighbourhood.get(name)
        if n is None:
            return None
        status = _neighbour_status(n)
        obs = n.observation()
        online = n.online
        is_self = False
    observations = {k: _short_obs(v) for k, v in (status.observations or {}).items()}
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


def _short_obs(obs: NaraObservation) -> dict[str, object]:
    return {
        "online": obs.online,
        "last_seen": obs.last_seen,
        "restarts": obs.restarts,
        "start_time": obs.start_time,
        "last_restart": obs.last_restart,
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
