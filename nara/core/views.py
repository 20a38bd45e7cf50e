"""Read-only views of a Node for the HTTP API (spec §5 shapes), as plain dicts.

Handlers serialise them with Go's conventions (sorted keys, trailing newline); nothing here mutates
the node, and nothing here ever touches the soul.
"""

from __future__ import annotations

from collections import Counter

from nara.core.events import Social
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


def self_api_item(node: Node, now: int) -> dict[str, object]:
    """This node's ``/api.json`` item: its own NaraStatus plus its observation of itself."""
    item = status_to_dict(node.own_status(now, with_observations=False))
    item.update(Name=node.name, **_obs_fields(node.me.observation(now)))
    return item


def neighbour_api_item(n: Neighbour) -> dict[str, object]:
    """A neighbour's ``/api.json`` item: its last NaraStatus plus this node's observation."""
    item = status_to_dict(_neighbour_status(n))
    item.update(Name=n.name, **_obs_fields(n.observation()))
    return item


def api_naras(node: Node, now: int) -> dict[str, object]:
    """``/api.json``: every nara's NaraStatus plus this node's observation of it; self included."""
    items = [self_api_item(node, now)]
    items += [neighbour_api_item(n) for n in sorted(node.neighbourhood, key=lambda n: n.name)]
    return {"naras": items, "server": node.name}


def _narae_item(
    name: str,
    status: NaraStatus,
    obs: dict[str, object],
    uptime: int,
    is_self: bool,
    clout: float = 0.0,
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
        "Clout": clout,
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


def self_card(node: Node, now: int) -> dict[str, object]:
    """This node's ``/narae.json`` item."""
    me = node.me.observation(now)
    own = node.own_status(now, with_observations=False)
    uptime = node.me.uptime_s(now)
    return _narae_item(
        node.name, own, _obs_fields(me), uptime, True, node.clout.get(node.name, 0.0)
    )


def up_since(n: Neighbour) -> int:
    """Unix s since when a neighbour has been up (its last restart, else its start); 0 if it is
    not ONLINE or we do not know."""
    since = n.last_restart or n.start_time
    return since if since and n.online == "ONLINE" else 0


def neighbour_card(n: Neighbour, now: int, clout: float = 0.0) -> dict[str, object]:
    """A neighbour's ``/narae.json`` item. ``Uptime`` is as of ``now``; ``clout`` is our
    opinion of it (nara/core/cloutbook.py)."""
    since = up_since(n)
    uptime = max(0, now // NS - since) if since else 0
    obs = _obs_fields(n.observation())
    return _narae_item(n.name, _neighbour_status(n), obs, uptime, False, clout)


def narae(node: Node, now: int) -> dict[str, object]:
    """``/narae.json``: the flattened list the dashboard draws."""
    items = [self_card(node, now)]
    items += [
        neighbour_card(n, now, node.clout.get(n.name, 0.0))
        for n in sorted(node.neighbourhood, key=lambda n: n.name)
    ]
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
        **_teases_of(node, name),
    }


MAX_PROFILE_TEASES = 50


def _teases_of(node: Node, name: str) -> dict[str, object]:
    """``recent_teases`` (newest first, at most 50, ``null`` when none) and ``best_friends``:
    who teased this nara most, and whom it teased most, from the verified teases in our ledger
    (http_api.go:101-146; a tie goes to the name first in order, where Go's map order is
    random)."""
    recent: list[dict[str, object]] = []
    from_counts: Counter[str] = Counter()
    to_counts: Counter[str] = Counter()
    for entry in reversed(list(node.ledger)):
        p = entry.event.payload
        if not isinstance(p, Social) or p.type != "tease":
            continue
        if p.target == name:
            from_counts[p.actor] += 1
        if p.actor == name:
            to_counts[p.target] += 1
        if name in (p.actor, p.target) and len(recent) < MAX_PROFILE_TEASES:
            recent.append(
                {
                    "actor": p.actor,
                    "target": p.target,
                    "reason": p.reason,
                    "timestamp": entry.event.ts // NS,
                }
            )

    def best(counts: Counter[str]) -> dict[str, object]:
        ranked = sorted(
            ((c, n) for n, c in counts.items() if n and n != name), key=lambda t: (-t[0], t[1])
        )
        return {"name": ranked[0][1], "count": ranked[0][0]} if ranked else {"name": "", "count": 0}

    return {
        "recent_teases": recent or None,
        "best_friends": {"from": best(from_counts), "to": best(to_counts)},
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


# ---- checkpoints and uptime (/api/inspector/checkpoint*, /api/inspector/uptime/{name}) --------


def _voter_name(node: Node, voter_id: str, subject: str, subject_id: str) -> str:
    if voter_id == subject_id:
        return subject
    if voter_id == node.identity.nara_id:
        return node.name
    for n in node.neighbourhood.values():
        if n.nara_id == voter_id:
            return n.name
    return ""


def inspector_checkpoints(node: Node) -> dict[str, object]:
    """``/api/inspector/checkpoints``: the latest verified final per subject, in the reference's
    summary shape (http_inspector.go:205-219), plus how it links to the one before (``chain``)."""
    items: list[dict[str, object]] = []
    for stored in sorted(node.checkpoints.all_latest(), key=lambda s: s.checkpoint.subject):
        cp = stored.checkpoint
        item: dict[str, object] = {
            "subject": cp.subject,
            "subject_id": cp.subject_id,
            "as_of_time": cp.as_of_time,
            "round": cp.round,
            "restarts": cp.restarts,
            "total_uptime": cp.total_uptime,
            "start_time": cp.start_time,
            "voter_count": len(cp.voter_ids),
            "verified_count": stored.verified_count,
            "known_count": stored.known_count,
            "verified": True,
            "version": cp.version,
            "chain": stored.chain,
        }
        if cp.previous_checkpoint_id:
            item["previous_checkpoint_id"] = cp.previous_checkpoint_id
        items.append(item)
    return {"checkpoints": items, "own_round": _own_round(node)}


def _own_round(node: Node) -> dict[str, object] | None:
    """Our latest proposal and every verified vote it got (each voter's signed values), or
    ``None`` before we first proposed: how a round was decided, Go voters included."""
    pending = node.checkpoints.pending
    if pending is None:
        return None
    att = pending.proposal.attestation
    votes = [
        {
            "voter_name": v.attestation.attester,
            "voter_id": v.attestation.attester_id,
            "approved": v.approved,
            "restarts": v.attestation.values.restarts,
            "total_uptime": v.attestation.values.total_uptime,
            "start_time": v.attestation.values.start_time,
        }
        for v in sorted(pending.votes.values(), key=lambda v: v.attestation.attester)
    ]
    return {
        "round": pending.round,
        "as_of_time": att.as_of_time,
        "restarts": att.values.restarts,
        "total_uptime": att.values.total_uptime,
        "start_time": att.values.start_time,
        "outcome": pending.outcome,
        "votes": votes,
    }


def inspector_checkpoint(node: Node, name: str) -> dict[str, object] | None:
    """``/api/inspector/checkpoint/{name}``: the latest final about ``name`` with each voter's
    check (http_inspector.go:274-398); None when we hold none."""
    stored = node.checkpoints.latest(name)
    if stored is None:
        return None
    cp = stored.checkpoint
    voters: list[dict[str, object]] = []
    for v in stored.voters:
        voters.append(
            {
                "voter_id": v.voter_id,
                "voter_name": _voter_name(node, v.voter_id, cp.subject, cp.subject_id),
                "signature": v.signature,
                "verified": v.verified,
                "verification_error": v.error or None,
            }
        )
    return {
        "event": stored.event.to_dict(),
        "voters": voters,
        "summary": {
            "total_voters": len(cp.voter_ids),
            "verified_voters": stored.verified_count,
            "is_self_attestation": cp.subject_id in cp.voter_ids,
            "chain": stored.chain,
            "received_at": stored.received_ns // NS,
        },
    }


def inspector_uptime(node: Node, name: str, now: int) -> dict[str, object] | None:
    """``/api/inspector/uptime/{name}``: periods (newest first), the derived total, and where
    the figures come from: ``checkpoint`` (a verified final is the baseline) or ``observations``
    (only what this nara saw); http_inspector.go:785-987. None for a nara we do not know."""
    from nara.core.observations import uptime_periods

    if name != node.name and node.neighbourhood.get(name) is None:
        return None
    cp = node.checkpoints.latest_checkpoint(name)
    trinity = node.trinity(name, now)
    periods = uptime_periods(node.observations, name, cp, now // NS)
    return {
        "subject": name,
        "periods": [p.to_json() for p in periods],
        "total_uptime": trinity.total_uptime,
        "restarts": trinity.restarts,
        "start_time": trinity.start_time,
        "baseline_source": "checkpoint" if cp is not None else "observations",
    }
