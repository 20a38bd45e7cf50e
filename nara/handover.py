"""Soul handover, the shell: the old instance's desk (HTTP handlers) and the new instance's side
(``take_over``: its own checks, then the signed challenge). The pure parts, and the whole flow,
are in ``nara/core/handover.py``; the recipes in docs/deployment.md ("Canary deploys").

* The desk is **off** unless the process was started with ``-accept-takeover``: then every
  takeover endpoint answers 404, as if it did not exist.
* When on, it answers only the signed proof: a nonce is good for one try and 30 s, at most 8 are
  open at once, the endpoints share one token bucket (``RATE``/``BURST``), and a proof body is
  read up to ``MAX_PROOF_BYTES`` and no further. A hostile caller can thus cost us a few
  signature checks a second and nothing else: the bundle leaves only for the soul's key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from nara.config import Config
from nara.core import handover as core
from nara.core.handover import Bundle, Challenges, HandoverError
from nara.core.identity import Identity
from nara.core.ratelimit import TokenBucket

log = logging.getLogger("nara.handover")
RATE = 1.0  # requests a second to the takeover endpoints, all callers together
BURST = 5
CLIENT_TIMEOUT_S = 30.0
PLAZA_CHECK_S = 10.0
PROBE_S = 5.0  # whether the old instance's address answers at all


class TakeoverFailed(Exception):
    """The new instance could not take over; the message is one line. Nothing has changed."""


@dataclass
class Desk:
    """The old instance's side. ``snapshot`` gives the bundle to hand over; ``quiet`` stops all
    publishing at once (no chau); ``finish`` stops the process with exit status 0."""

    accepting: bool
    identity: Identity
    clock: Callable[[], int]
    snapshot: Callable[[], Bundle]
    quiet: Callable[[], None] = lambda: None
    finish: Callable[[], None] = lambda: None
    challenges: Challenges = field(default_factory=Challenges)
    bucket: TokenBucket = field(default_factory=lambda: TokenBucket(RATE, BURST))
    handed_over: bool = False
    refused: int = 0

    def _gate(self) -> None:
        if not self.accepting or self.handed_over:
            raise web.HTTPNotFound(text="no such API endpoint\n")
        if not self.bucket.take(self.clock()):
            raise web.HTTPTooManyRequests(text="too many takeover requests\n")

    async def info(self, request: web.Request) -> web.Response:
        """GET: who this instance is and whether it takes a takeover (for ``nara identity``)."""
        self._gate()
        remembered = self.snapshot().remembered
        return web.json_response(
            {
                "accepting": True,
                "name": self.identity.name,
                "nara_id": self.identity.nara_id,
                "public_key": self.identity.public_key,
                "start_time_s": remembered.start_time_s,
                "restarts": remembered.restarts,
            }
        )

    async def challenge(self, request: web.Request) -> web.Response:
        self._gate()
        nonce, expires = self.challenges.issue(secrets.token_bytes(core.NONCE_BYTES), self.clock())
        return web.json_response({"nonce": nonce, "expires_ns": expires})

    async def take(self, request: web.Request) -> web.Response:
        self._gate()
        body = await request.content.read(core.MAX_PROOF_BYTES + 1)
        if len(body) > core.MAX_PROOF_BYTES:
            raise web.HTTPRequestEntityTooLarge(core.MAX_PROOF_BYTES, len(body))
        try:
            proof: Any = json.loads(body)
        except ValueError:
            proof = None
        try:
            nonce = core.check_proof(
                self.challenges,
                self.identity.signing_key().public_raw,
                self.identity.name,
                self.identity.nara_id,
                proof,
                self.clock(),
            )
        except HandoverError as exc:
            self.refused += 1
            log.warning("takeover refused: %s", exc)
            raise web.HTTPForbidden(text=f"takeover refused: {exc}\n") from None
        self.handed_over = True
        self.quiet()  # from here on nothing more goes out: no announcement, no chau
        answer = core.seal(self.identity.signing_key(), nonce, self.snapshot())
        log.info("handing over to a new instance of %s; stopping without a chau", self.name)
        asyncio.get_running_loop().call_later(0.2, self.finish)
        return web.json_response(answer)

    @property
    def name(self) -> str:
        return self.identity.name


def add_routes(app: web.Application, base: str, desk: Desk) -> None:
    app.router.add_get(f"{base}/api/takeover", desk.info)
    app.router.add_post(f"{base}/api/takeover/challenge", desk.challenge)
    app.router.add_post(f"{base}/api/takeover", desk.take)


# ---- the new instance --------------------------------------------------------------------------


def _endpoint(url: str, path: str) -> str:
    return url.rstrip("/") + path


class OldInstanceGone(TakeoverFailed):
    """Nothing answered at the old instance's address (refused, unreachable, timed out)."""


class _Busy(Exception):
    """429 from the old instance: its rate limit; worth another try in a second."""


BUSY_TRIES = 10


async def _request(
    session: aiohttp.ClientSession, method: str, url: str, limit: int, **kwargs: Any
) -> Any:
    """One JSON request to the old instance; a 429 is retried (``BUSY_TRIES`` times, 1 s apart)."""
    for _ in range(BUSY_TRIES - 1):
        try:
            async with session.request(method, url, **kwargs) as resp:
                return await _read_json(resp, limit)
        except _Busy:
            await asyncio.sleep(1.0)
    async with session.request(method, url, **kwargs) as resp:
        return await _read_json(resp, limit)


async def _read_json(resp: aiohttp.ClientResponse, limit: int) -> Any:
    if resp.status == 429:
        raise _Busy
    body = await resp.content.read(limit + 1)
    if len(body) > limit:
        raise TakeoverFailed("the old instance answered with too much data")
    if resp.status != 200:
        text = body.decode("utf-8", "replace").strip()[:200]
        raise TakeoverFailed(f"the old instance answered {resp.status}: {text}")
    try:
        return json.loads(body)
    except ValueError:
        raise TakeoverFailed("the old instance did not answer JSON") from None


async def old_instance_info(url: str) -> Any:
    """``GET /api/takeover`` of the old instance, or None (it did not answer, or is off)."""
    timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            return await _request(session, "GET", _endpoint(url, "/api/takeover"), 64 * 1024)
    except (aiohttp.ClientError, TimeoutError, TakeoverFailed, ValueError, _Busy):
        return None


def remembers_itself(config: Config, identity: Identity) -> bool:
    """Whether this instance's state directory already holds this nara's state file."""
    if not config.state_dir:
        return False
    from nara.state import StateStore

    path = StateStore(config.state_dir, identity.nara_id, identity.name, log).path
    return path is not None and path.is_file()


def check_state_dir(directory: str) -> None:
    """The state directory (if any) must take a file: the bundle is written there first."""
    if not directory:
        return
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".takeover-check."):
            pass
    except OSError as exc:
        raise TakeoverFailed(
            f"the state directory cannot be written ({exc.strerror or exc})"
        ) from None


async def check_plaza(config: Config, identity: Identity) -> None:
    """Connect to the broker once, with a client of our own, subscribe to nothing, leave."""
    if not config.mqtt_host:
        return
    import random

    from nara.plaza import Plaza, parse_broker_url

    probe = Plaza(
        parse_broker_url(config.mqtt_host),
        name=identity.name,
        username=config.mqtt_user,
        password=config.mqtt_pass,
        insecure=config.mqtt_insecure,
        subscriptions=[],
        deliver=lambda topic, payload: None,
        on_state=lambda up: None,
        rand=random.Random(),
    )
    from nara.tasks import Supervisor

    tasks = Supervisor(lambda name, exc: None)
    tasks.spawn("plaza-check", probe.run, restart=False)
    try:
        await asyncio.wait_for(probe.connected.wait(), PLAZA_CHECK_S)
    except TimeoutError:
        raise TakeoverFailed(
            f"cannot reach the plaza at {probe.address.display} within {PLAZA_CHECK_S:.0f} s"
        ) from None
    finally:
        await tasks.close()


async def take_over(config: Config, identity: Identity, max_events: int) -> Bundle:
    """The new instance's side: its own checks, then the signed challenge. Raises
    ``TakeoverFailed`` with nothing changed anywhere, or returns the old instance's bundle (the
    old instance has then stopped announcing and is exiting)."""
    url = config.takeover
    check_state_dir(config.state_dir)
    timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        # First whether anything answers there at all: a restarted instance whose old one is
        # gone must learn so before the plaza check, which a broker outage would fail.
        await _reachable(session, url)
        await check_plaza(config, identity)
        try:
            challenge = await _request(
                session, "POST", _endpoint(url, "/api/takeover/challenge"), 4096
            )
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise OldInstanceGone(f"nothing answers at {url} ({type(exc).__name__})") from None
        except _Busy:
            raise TakeoverFailed("the old instance is busy (rate limit); try again") from None
        return await _finish(session, url, identity, challenge, max_events)


async def _reachable(session: aiohttp.ClientSession, url: str) -> None:
    """Raise ``OldInstanceGone`` when no HTTP server answers at ``url`` (any status will do:
    the proof exchange decides the rest)."""
    try:
        async with session.get(
            _endpoint(url, "/api/takeover"), timeout=aiohttp.ClientTimeout(total=PROBE_S)
        ) as resp:
            await resp.content.read(64 * 1024)
    except (aiohttp.ClientConnectionError, TimeoutError) as exc:
        raise OldInstanceGone(f"nothing answers at {url} ({type(exc).__name__})") from None


async def _finish(
    session: aiohttp.ClientSession, url: str, identity: Identity, challenge: Any, max_events: int
) -> Bundle:
    """Answer the challenge with the proof and open the bundle the old instance sends back."""
    key = identity.signing_key()
    nonce = challenge.get("nonce") if isinstance(challenge, dict) else None
    if not isinstance(nonce, str) or len(nonce) > 100:
        raise TakeoverFailed("the old instance gave no challenge")
    proof = {
        "name": identity.name,
        "nara_id": identity.nara_id,
        "nonce": nonce,
        "signature": core.sign_proof(key, identity.name, identity.nara_id, nonce),
    }
    try:
        answer = await _request(
            session,
            "POST",
            _endpoint(url, "/api/takeover"),
            core.MAX_BUNDLE_BYTES + 4096,
            json=proof,
        )
    except _Busy:
        raise TakeoverFailed("the old instance is busy (rate limit); try again") from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise TakeoverFailed(f"the old instance stopped answering ({type(exc).__name__})") from None
    try:
        return core.open_bundle(
            answer, key.public_raw, identity.name, identity.nara_id, nonce, max_events
        )
    except HandoverError as exc:
        raise TakeoverFailed(f"the old instance's bundle is unusable: {exc}") from None
