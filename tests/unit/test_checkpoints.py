"""Checkpoints, observations and tiered pruning in the pure core, step by step (no network).

A plaza of seven nodes runs in memory here (every Publish delivered to every node, the sender's own
echo included) and reaches a final that all of them verify and store; then the attacks on
``nara/checkpoint/final`` that docs/protocol.md ("Checkpoints") says we drop, each with its reason.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace

from nara.core import checkpoints as cps
from nara.core.checkpoints import Attestation, Trinity, final_attestation
from nara.core.events import SVC_CHECKPOINT, SyncEvent, make_hey_there, make_observation, new_event
from nara.core.identity import Identity, determine_identity
from nara.core.observations import ObservationBook, derive, trimmed_mean
from nara.core.payloads import Checkpoint
from nara.core.protocol import Command, Dropped, Node, NodeSettings, Publish
from nara.core.selfstatus import Sensors

NS = 1_000_000_000
T0 = 1_700_000_000 * NS


def ident(name: str) -> Identity:
    fingerprint = hashlib.sha256(f"test-hardware-{name}".encode()).digest()
    return determine_identity(name, "", "host", fingerprint)


FAST = {
    "checkpoint_interval_s": 120.0,
    "checkpoint_check_s": 30.0,
    "checkpoint_vote_after_s": 10.0,
}


class Plaza:
    """Every Publish goes to every node, in order, like a broker with one subscription each."""

    def __init__(self, names: list[str], **settings: object) -> None:
        self.nodes = {
            n: Node(ident(n), NodeSettings(**settings), random.Random(i), T0)  # type: ignore[arg-type]
            for i, n in enumerate(names)
        }
        self.dropped: list[Dropped] = []
        self.sent: list[Publish] = []
        self.now = T0
        for node in self.nodes.values():
            node.on_connected(T0)

    def deliver(self, out: list[Command]) -> None:
        queue = [c for c in out if isinstance(c, Publish)]
        self.dropped += [c for c in out if isinstance(c, Dropped)]
        while queue:
            msg = queue.pop(0)
            self.sent.append(msg)
            for node in self.nodes.values():
                res = node.on_message(msg.topic, msg.payload, self.now)
                queue += [c for c in res if isinstance(c, Publish)]
                self.dropped += [c for c in res if isinstance(c, Dropped)]

    def run(self, seconds: int, step: int = 1) -> list[Publish]:
        """Tick every node for ``seconds``; everything published meanwhile."""
        start = len(self.sent)
        for _ in range(0, seconds, step):
            self.now += step * NS
            for node in self.nodes.values():
                self.deliver(node.tick(self.now, Sensors()))
        return self.sent[start:]


def test_seven_naras_reach_a_final_that_every_one_verifies_and_stores() -> None:
    """The whole round on one plaza: proposals at the cadence, votes within tolerance, the
    proposer's final with ≥5 signatures, verified and stored by every voter."""
    plaza = Plaza([f"n{i}" for i in range(7)], **FAST)
    sent = plaza.run(200, step=2)
    finals = [p for p in sent if p.topic == cps.TOPIC_FINAL]
    assert finals, "no final was published"
    assert all(p.qos == 1 for p in sent if p.topic.startswith("nara/checkpoint/"))
    event = cps.decode_final(finals[0].payload)
    assert isinstance(event, SyncEvent)
    cp = event.payload
    assert isinstance(cp, Checkpoint)
    assert len(cp.signatures) >= cps.MIN_VOTERS
    for node in plaza.nodes.values():
        stored = node.checkpoints.latest(cp.subject)
        assert stored is not None, f"{node.name} did not store the final for {cp.subject}"
        assert stored.verified_count >= cps.MIN_VOTERS
    checkpoint_drops = [d for d in plaza.dropped if d.topic.startswith("nara/checkpoint/")]
    assert checkpoint_drops == []


def test_a_fresh_node_abstains_and_counts_it() -> None:
    """A voter that has just started has no view worth signing: it abstains, counted."""
    plaza = Plaza(["a", "b"], **FAST)
    plaza.run(6)
    a, b = plaza.nodes["a"], plaza.nodes["b"]
    proposal = a.checkpoints.propose(
        a.key, "a", a.identity.nara_id, Trinity(0, 0, 0), 1, plaza.now, 60 * NS
    )
    out = b.on_message(cps.TOPIC_PROPOSE, proposal.to_json(), plaza.now)
    assert not [c for c in out if isinstance(c, Dropped)]
    assert b.counters["checkpoint_abstains_booting"] == 1


class Voters:
    """A subject node ``me`` plus voters it knows (their hey-theres delivered), who sign finals."""

    def __init__(self, count: int = 6) -> None:
        self.me = Node(ident("me"), NodeSettings(), random.Random(1), T0)
        self.me.on_connected(T0)
        self.voters = [ident(f"v{i}") for i in range(count)]
        self.subject = ident("subject")
        for i, v in enumerate([self.subject, *self.voters]):
            ht = make_hey_there(v.signing_key(), v.name, v.nara_id, T0 + i * NS)
            self.me.on_message("nara/plaza/hey_there", ht.to_json(), T0 + i * NS)
        self.now = T0 + 60 * NS

    def final(self, signers: list[Identity] | None = None, **fields: object) -> Checkpoint:
        cp = Checkpoint(
            version=2,
            subject=self.subject.name,
            subject_id=self.subject.nara_id,
            previous_checkpoint_id="",
            restarts=3,
            total_uptime=86400,
            start_time=1_690_000_000,
            as_of_time=self.now // NS,
            round=1,
        )
        cp = replace(cp, **fields)  # type: ignore[arg-type]
        signers = self.voters[:5] if signers is None else signers
        ids = tuple(s.nara_id for s in signers)
        sigs = tuple(
            s.signing_key().sign_b64(final_attestation(cp, s.nara_id).signable()) for s in signers
        )
        return replace(cp, voter_ids=ids, signatures=sigs)

    def send(self, cp: Checkpoint, ts: int | None = None) -> list[Command]:
        event = new_event(SVC_CHECKPOINT, cp, self.now if ts is None else ts)
        return self.me.on_message(cps.TOPIC_FINAL, event.to_json(), self.now)


def reasons(out: list[Command]) -> list[str]:
    return [c.reason for c in out if isinstance(c, Dropped)]


def test_a_verified_final_becomes_the_baseline() -> None:
    """Restarts, uptime and first seen start from the stored checkpoint (checkpoint_types.go)."""
    v = Voters()
    assert reasons(v.send(v.final())) == []
    t = v.me.trinity("subject", v.now)
    assert t == Trinity(3, 86400, 1_690_000_000)
    assert v.me.neighbourhood.get("subject").start_time == 1_690_000_000  # type: ignore[union-attr]


def test_forged_short_malformed_and_stale_finals_are_dropped_by_reason() -> None:
    """Every final is hostile until its attestations verify against keys we know."""
    v = Voters()
    good = v.final()
    forged = replace(good, restarts=0)  # values changed after signing
    assert reasons(v.send(forged)) == ["checkpoint_unverified"]
    assert reasons(v.send(v.final(signers=v.voters[:4]))) == ["checkpoint_short"]
    strangers = [ident(f"x{i}") for i in range(5)]
    assert reasons(v.send(v.final(signers=strangers))) == ["checkpoint_unverified"]
    one = v.voters[0]  # five copies of one voter are one voter
    assert reasons(v.send(v.final(signers=[one] * 5))) == ["checkpoint_unverified"]
    assert reasons(v.send(v.final(signers=v.voters[:5] * 3))) == ["oversized_field"]
    assert reasons(v.send(good, ts=v.now - 3600 * NS)) == ["clock_skew"]
    assert reasons(v.send(replace(good, subject_id="someone-else"))) == ["key_mismatch"]
    assert reasons(v.send(replace(good, subject="nobody"))) == ["unknown_subject"]
    bad_json = v.me.on_message(cps.TOPIC_FINAL, b'{"id":1}', v.now)
    assert reasons(bad_json) == ["invalid_schema"]
    event = new_event(SVC_CHECKPOINT, good, v.now)
    tampered = event.to_json().replace(b'"round":1', b'"round":2')
    assert reasons(v.me.on_message(cps.TOPIC_FINAL, tampered, v.now)) == []  # round is not signed
    assert reasons(v.send(good)) == ["duplicate"]  # same id as the one with round 2
    older = v.final(as_of_time=v.now // NS - 10)
    assert reasons(v.send(older)) == ["replay"]
    assert v.me.checkpoints.latest("subject") is not None


def test_chain_links_by_previous_checkpoint_id() -> None:
    """A later final naming the one we hold is ``linked``; one naming nothing we hold is a gap."""
    v = Voters()
    v.send(v.final())
    first = v.me.checkpoints.latest("subject")
    assert first is not None and first.chain == "first"
    v.now += 100 * NS
    v.send(v.final(previous_checkpoint_id=first.event.id))
    second = v.me.checkpoints.latest("subject")
    assert second is not None and second.chain == "linked"
    v.now += 100 * NS
    v.send(v.final(previous_checkpoint_id="f" * 32))
    third = v.me.checkpoints.latest("subject")
    assert third is not None and third.chain == "gap"
    assert len(v.me.checkpoints.history("subject")) == 3


def test_derivations_follow_the_reference_rules() -> None:
    """DeriveRestartCount counts distinct start times after the checkpoint; DeriveTotalUptime sums
    ONLINE→OFFLINE/MISSING intervals after it; first seen is the least positive start time."""
    book = ObservationBook()

    def obs(kind: str, ts_s: int, **kw: object) -> None:
        book.record(make_observation("me", "s", kind, ts_s * NS, **kw))  # type: ignore[arg-type]

    obs("first-seen", 1000, start_time=900)
    obs("restart", 1100, start_time=900, restart_num=1)
    obs("restart", 1200, start_time=900, restart_num=2)  # same start time: one restart
    obs("restart", 1300, start_time=1250, restart_num=3)
    obs("status-change", 2000, online_state="ONLINE")
    obs("status-change", 2100, online_state="MISSING")
    obs("status-change", 3000, online_state="ONLINE")
    assert derive(book, "s", None, 3050) == (2, 150, 900)
    cp = Checkpoint(2, "s", "", "", 10, 5000, 500, 1200, 1)
    assert derive(book, "s", cp, 3050) == (11, 5150, 500)


def test_trimmed_mean_matches_the_reference() -> None:
    assert trimmed_mean([]) == 0
    assert trimmed_mean([0, -3]) == 0
    assert trimmed_mean([10, 11, 12]) == 11
    assert trimmed_mean([10, 11, 12, 1000]) == 11  # 1000 > median*5
    assert trimmed_mean([1, 100, 101]) == 100  # 1 < median/5


def test_tiered_pruning_keeps_online_and_veterans() -> None:
    """Newcomers go after 24 h of silence, established naras after 7 days, veterans never, and
    an ONLINE nara never."""
    n = Node(ident("me"), NodeSettings(), random.Random(1), T0)
    now_s = T0 // NS
    for name, start_age, silent, online in [
        ("newcomer", 3600, 25 * 3600, "MISSING"),
        ("fresh", 3600, 3600, "MISSING"),
        ("established", 5 * 86400, 8 * 86400, "OFFLINE"),
        ("veteran", 40 * 86400, 20 * 86400, "OFFLINE"),
        ("online", 3600, 25 * 3600, "ONLINE"),
        ("zombie", 7200, None, "MISSING"),
    ]:
        e, _ = n.neighbourhood.ensure(name)
        e.start_time = now_s - start_age
        e.last_seen = 0 if silent is None else now_s - silent
        e.online = online
    n._prune(T0)
    assert sorted(x.name for x in n.neighbourhood) == ["fresh", "online", "veteran"]
    assert n.counters["pruned_newcomers"] == 1
    assert n.counters["pruned_established"] == 1
    assert n.counters["pruned_zombies"] == 1


def test_attestation_strings_are_the_reference_ones() -> None:
    """identity_attestation.go:49-77: v1 has no reference point, v2 appends it (maybe empty)."""
    att = Attestation(
        2, "alice", "SID", Trinity(3, 86400, 1690000000), "bob", "AID", "", 1700000000
    )
    assert att.signable() == b"attestation:v2:AID:SID:1700000000:3:86400:1690000000:"
    assert (
        replace(att, version=1).signable()
        == b"attestation:v1:AID:SID:1700000000:3:86400:1690000000"
    )


def test_one_dissenter_among_the_first_five_votes_does_not_sink_the_round() -> None:
    """Six voters ONLINE, the first vote signs other values: the round waits for the sixth
    vote (or the window's end) and makes the final of the five approvals. The reference would
    finalize at the fifth vote and find no consensus."""
    plaza = Plaza([f"n{i}" for i in range(7)], **FAST)
    plaza.run(20)
    me = plaza.nodes["n0"]
    others = [n for name, n in plaza.nodes.items() if name != "n0"]
    values = me.own_trinity(plaza.now)
    proposal = me.checkpoints.propose(
        me.key, me.name, me.identity.nara_id, values, 1, plaza.now, 60 * NS
    )
    att = proposal.attestation

    def vote(voter: Node, approved: bool) -> bytes:
        signed = Attestation(
            version=2,
            subject=me.name,
            subject_id=me.identity.nara_id,
            values=values if approved else replace(values, restarts=values.restarts + 40),
            attester=voter.name,
            attester_id=voter.identity.nara_id,
            last_seen_checkpoint_id="",
            as_of_time=att.as_of_time,
        ).signed(voter.key)
        return cps.Vote(signed, att.as_of_time, 1, approved).to_json()

    outs = [me.on_message(cps.TOPIC_VOTE, vote(others[0], False), plaza.now)]
    outs += [me.on_message(cps.TOPIC_VOTE, vote(v, True), plaza.now) for v in others[1:5]]
    assert not [c for out in outs for c in out if isinstance(c, Publish)]  # five of six: waiting
    assert me.checkpoints.pending is not None and me.checkpoints.pending.outcome == "collecting"
    last = me.on_message(cps.TOPIC_VOTE, vote(others[5], True), plaza.now)
    finals = [c for c in last if isinstance(c, Publish) and c.topic == cps.TOPIC_FINAL]
    assert len(finals) == 1
    event = cps.decode_final(finals[0].payload)
    assert isinstance(event, SyncEvent) and isinstance(event.payload, Checkpoint)
    assert others[0].identity.nara_id not in event.payload.voter_ids
    assert len(event.payload.voter_ids) == 6  # the proposer and the five approvals
    assert me.checkpoints.pending.outcome == "final"
