"""``/network/map``: where each nara sits in Vivaldi space, from the coordinates in its verified
newspaper, and its barrio (its ``LicensePlate``).

The reference's shape (http_ui.go:316-368): ``{"nodes": [{"name", "coordinates", "online",
"is_self"}], "server"}``, ``coordinates`` null when a nara sent none. We add ``barrio`` and
``placed``. Coordinates are the peer's own claim, so they are hostile: the decoder already
refuses NaN and infinities (gojson.field_float); here any axis beyond ``MAX_COORD`` (ms of
round trip; real values are a few hundred) leaves the nara unplaced instead of stretching the
map. This nara runs no mesh pings, so it has no Vivaldi position of its own: its dot is always
unplaced, with the reason.
"""

from __future__ import annotations

import math

from nara.core.protocol import Node
from nara.core.status import Coordinates

MAX_COORD = 100_000.0
SELF_UNPLACED = "no mesh pings: this nara runs no Vivaldi, so it has no position of its own"


def plausible(c: Coordinates | None) -> bool:
    if c is None:
        return False
    values = (c.x, c.y, c.height, c.error)
    return all(math.isfinite(v) and abs(v) <= MAX_COORD for v in values) and c.height >= 0


def _node(
    name: str, coords: Coordinates | None, online: bool, is_self: bool, barrio: str
) -> dict[str, object]:
    placed = not is_self and plausible(coords)
    out: dict[str, object] = {
        "name": name,
        "coordinates": coords.to_json() if placed and coords is not None else None,
        "online": online,
        "is_self": is_self,
        "barrio": barrio,
        "placed": placed,
    }
    if is_self:
        out["unplaced_reason"] = SELF_UNPLACED
    elif not placed:
        out["unplaced_reason"] = (
            "no coordinates in its newspaper" if coords is None else "implausible coordinates"
        )
    return out


def network_map(node: Node, now: int) -> dict[str, object]:
    own = node.own_status(now, with_observations=False)
    nodes = [_node(node.name, own.coordinates, True, True, own.license_plate)]
    for n in sorted(node.neighbourhood, key=lambda n: n.name):
        status = n.status
        nodes.append(
            _node(
                n.name,
                status.coordinates if status is not None else None,
                n.online == "ONLINE",
                False,
                status.license_plate if status is not None else "",
            )
        )
    return {
        "nodes": nodes,
        "server": node.name,
        "placed": sum(1 for x in nodes if x["placed"]),
    }
