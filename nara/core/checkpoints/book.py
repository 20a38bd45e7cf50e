"""Checkpoint state of one nara, sans-io: the verified finals it keeps (the baseline of every
subject's Trinity), its votes on others' proposals, and its own proposal in flight.

Reference: checkpoint_service.go (cadence :27-33, :167-201; voting :316-431; collecting votes
:433-491; consensus :531-734; finals :738-827) and checkpoint_types.go:110-170 (verification).
Where we are stricter (docs/protocol.md, "Checkpoints"): a final must name its subject by the ID
we know, count each voter once, fall within the clock-skew window, and be newer than the one we
hold; at most ``MAX_KEPT`` finals are kept per subject and only for naras in the roster.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from nara.core.checkpoints.messages import (
    MAX_VOTERS,
    Attestation,
    Proposal,
    Trinity,
    Vote,
    final_attestation,
)
from nara.core.crypto import SigningKey, verify_b64
from nara.core.events import SVC_CHECKPOINT, SyncEvent, new_event
from nara.core.observations import trimmed_mean
from nara.core.payloads import Checkpoint
from nara.core.settings import MIN_VOTERS
from nara.core.wire import DropReason

NS = 1_000_000_000
MIN_VALID_SIGNATURES = 2  # MinCheckpointSignatures: of a final's signatures, that must verify
TOLERANCE = Trinity(restarts=5, total_uptime=60, start_time=60)  # checkpoint_service.go:358-360
MAX_KEPT = 4  # finals kept per subject
MAX_VOTES = 64  # votes kept for our own proposal (one per voter ID)

KeyForId = Callable[[str], str | None]  # nara ID → Base64 public key we hold for it


@dataclass(frozen=True, slots=True)
class VoterCheck:
    voter_id: str
    signature: str
    verified: bool
    error: str  # "" when verified


@dataclass(frozen=True, slots=True)
class Stored:
    """A final we verified and keep: the event, each voter's check, how it links to the one
    before it (``linked``, ``first`` or ``gap``) and when we took it (ns)."""

    event: SyncEvent
    voters: tuple[VoterCheck, ...]
    chain: str
    received_ns: int

    @property
    def checkpoint(self) -> Checkpoint:
        cp = self.event.payload
        assert isinstance(cp, Checkpoint)
        return cp

    @property
    def verified_count(self) -> int:
        return sum(1 for v in self.voters if v.verified)

    @property
    def known_count(self) -> int:
        return sum(1 for v in self.voters if v.error != "public key not found")


def check_voters(cp: Checkpoint, key_for_id: KeyForId) -> tuple[VoterCheck, ...]:
    """Each voter's signature checked against the key we know for its ID; a voter ID that
    appears twice counts once (its later copies fail as duplicates)."""
    seen: set[str] = set()
    out: list[VoterCheck] = []
    for voter_id, sig in zip(cp.voter_ids, cp.signatures, strict=True):
        if voter_id in seen:
            out.append(VoterCheck(voter_id, sig, False, "duplicate voter"))
            continue
        seen.add(voter_id)
        key = key_for_id(voter_id) if voter_id else None
        if not key:
            out.append(VoterCheck(voter_id, sig, False, "public key not found"))
        elif verify_b64(key, final_attestation(cp, voter_id).signable(), sig):
            out.append(VoterCheck(voter_id, sig, True, ""))
        else:
            out.append(VoterCheck(voter_id, sig, False, "signature verification failed"))
    return tuple(out)


def within(a: Trinity, b: Trinity, tol: Trinity = TOLERANCE) -> bool:
    return (
        abs(a.restarts - b.restarts) <= tol.restarts
        and abs(a.total_uptime - b.total_uptime) <= tol.total_uptime
        and abs(a.start_time - b.start_time) <= tol.start_time
    )


@dataclass(slots=True)
class Pending:
    """Our proposal awaiting votes (checkpoint_service.go:52-60)."""

    proposal: Proposal
    expires_ns: int
    votes: dict[str, Vote] = field(default_factory=dict)  # attester ID → its vote
    finalized: bool = False
    outcome: str = "collecting"  # then "final", "round 2" or "no consensus"

    @property
    def round(self) -> int:
        return self.proposal.round


class CheckpointBook:
    """Finals by subject (newest last), plus our own proposal in flight."""

    def __init__(self) -> None:
        self._finals: dict[str, deque[Stored]] = {}
        self.pending: Pending | None = None
        self.last_own_ns = 0  # when we last finished a checkpoint round (or started up)
        self.voted: dict[str, tuple[int, int]] = {}  # subject → (as_of, round) we answered last

    # ---- finals ---------------------------------------------------------------------------

    def latest(self, subject: str) -> Stored | None:
        kept = self._finals.get(subject)
        return kept[-1] if kept else None

    def latest_checkpoint(self, subject: str) -> Checkpoint | None:
        s = self.latest(subject)
        return s.checkpoint if s is not None else None

    def latest_id(self, subject: str) -> str:
        s = self.latest(subject)
        return s.event.id if s is not None else ""

    def all_latest(self) -> list[Stored]:
        return [kept[-1] for kept in self._finals.values() if kept]

    def history(self, subject: str) -> list[Stored]:
        return list(self._finals.get(subject, ()))

    def forget(self, subject: str) -> None:
        self._finals.pop(subject, None)
        self.voted.pop(subject, None)

    def __len__(self) -> int:
        return sum(len(k) for k in self._finals.values())

    def holds(self, event_id: str, subject: str) -> bool:
        return any(s.event.id == event_id for s in self._finals.get(subject, ()))

    def verify(
        self, event: SyncEvent, key_for_id: KeyForId, now: int
    ) -> tuple[DropReason, str] | Stored:
        """Verify a final (already decoded and bounded): enough signatures, at least two that
        verify against keys we know, newer than what we hold. Returns what to store, or why not."""
        cp = event.payload
        assert isinstance(cp, Checkpoint)
        if len(cp.signatures) < MIN_VOTERS:
            return DropReason.CHECKPOINT_SHORT, f"{len(cp.signatures)} signatures < {MIN_VOTERS}"
        voters = check_voters(cp, key_for_id)
        valid = sum(1 for v in voters if v.verified)
        if valid < MIN_VALID_SIGNATURES:
            return DropReason.CHECKPOINT_UNVERIFIED, f"{valid} of {len(voters)} signatures verify"
        latest = self.latest(cp.subject)
        chain = "first"
        if latest is not None:
            if latest.event.id == event.id or self.holds(event.id, cp.subject):
                return DropReason.DUPLICATE, f"checkpoint for {cp.subject}"
            if cp.as_of_time <= latest.checkpoint.as_of_time:
                return DropReason.REPLAY, f"checkpoint for {cp.subject} not newer"
            chain = "linked" if cp.previous_checkpoint_id == latest.event.id else "gap"
        elif cp.previous_checkpoint_id:
            chain = "gap"
        return Stored(event, voters, chain, now)

    def store(self, stored: Stored) -> None:
        kept = self._finals.setdefault(stored.checkpoint.subject, deque(maxlen=MAX_KEPT))
        kept.append(stored)

    # ---- our own proposal -----------------------------------------------------------------

    def propose(
        self,
        key: SigningKey,
        name: str,
        nara_id: str,
        values: Trinity,
        round_: int,
        now: int,
        window_ns: int,
    ) -> Proposal:
        att = Attestation(
            version=2,
            subject=name,
            subject_id=nara_id,
            values=values,
            attester=name,
            attester_id=nara_id,
            last_seen_checkpoint_id=self.latest_id(name),
            as_of_time=now // NS,
        ).signed(key)
        proposal = Proposal(att, round_)
        self.pending = Pending(proposal, now + window_ns)
        return proposal

    def add_vote(self, vote: Vote, min_voters: int, voters_online: int) -> bool:
        """Collect a verified vote for our pending proposal; True when it is time to finalize
        before the window closes: every one of the ``voters_online`` others has voted. (The
        reference finalizes at the fifth vote, checkpoint_service.go:480-489, so one dissenter
        among the first five sinks a round the rest agree on; we hear the whole window out.)"""
        p = self.pending
        if p is None or p.finalized:
            return False
        if vote.proposal_ts != p.proposal.attestation.as_of_time or vote.round != p.round:
            return False
        voter = vote.attestation.attester_id
        if voter not in p.votes and len(p.votes) >= MAX_VOTES:
            return False
        p.votes[voter] = vote
        return len(p.votes) >= max(min_voters, voters_online)

    def consensus(self, min_voters: int, uptime_of: Callable[[str], int]) -> Checkpoint | None:
        """The largest group of votes with identical signed values (checkpoint_service.go:584-701),
        or the approvals of our values; the proposer's signature first when it agrees; at most
        ``MAX_VOTERS`` signatures, the voters with the most uptime first."""
        p = self.pending
        if p is None:
            return None
        votes = list(p.votes.values())
        if len(votes) < min_voters:
            return None
        prop = p.proposal.attestation
        groups: dict[tuple[int, int, int, str], list[Vote]] = {}
        for v in votes:
            a = v.attestation
            key = (
                a.values.restarts,
                a.values.total_uptime,
                a.values.start_time,
                a.last_seen_checkpoint_id,
            )
            groups.setdefault(key, []).append(v)
        best_key: tuple[int, int, int, str] | None = None
        best: list[Vote] = []
        for key, group in sorted(groups.items()):
            if len(group) >= min_voters and len(group) > len(best):
                best_key, best = key, group
        proposal_key = (
            prop.values.restarts,
            prop.values.total_uptime,
            prop.values.start_time,
            prop.last_seen_checkpoint_id,
        )
        approvals = [v for v in votes if v.approved]
        if len(approvals) >= min_voters and len(approvals) > len(best):
            best_key, best = proposal_key, approvals
        if best_key is None:
            return None
        best.sort(key=lambda v: (-uptime_of(v.attestation.attester), v.attestation.attester_id))
        ids: list[str] = []
        sigs: list[str] = []
        if best_key == proposal_key:
            ids.append(prop.subject_id)
            sigs.append(prop.signature)
        for v in best:
            if len(ids) >= MAX_VOTERS:
                break
            ids.append(v.attestation.attester_id)
            sigs.append(v.attestation.signature)
        restarts, uptime, first, previous = best_key
        return Checkpoint(
            version=2,
            subject=prop.subject,
            subject_id=prop.subject_id,
            previous_checkpoint_id=previous,
            restarts=restarts,
            total_uptime=uptime,
            start_time=first,
            as_of_time=prop.as_of_time,
            round=p.round,
            voter_ids=tuple(ids),
            signatures=tuple(sigs),
        )

    def round2_values(self) -> Trinity | None:
        """Round 2 proposes the trimmed mean of the round-1 votes' values (:712-734)."""
        p = self.pending
        if p is None or not p.votes:
            return None
        votes = [v.attestation.values for v in p.votes.values()]
        return Trinity(
            restarts=trimmed_mean([v.restarts for v in votes]),
            total_uptime=trimmed_mean([v.total_uptime for v in votes]),
            start_time=trimmed_mean([v.start_time for v in votes]),
        )


def final_event(cp: Checkpoint, now: int) -> SyncEvent:
    """The unsigned SyncEvent of svc ``checkpoint`` that carries a final (:738-776)."""
    return new_event(SVC_CHECKPOINT, cp, now)
