"""Checkpoints: the network's agreed snapshots of each nara's Trinity (spec §2.3, §3.6).

Entry point: ``CheckpointBook`` (what we keep and propose); the plaza messages and their codecs
are in ``messages``. The node (nara.core.protocol) routes the three topics here.
"""

from nara.core.checkpoints.book import (
    MIN_VALID_SIGNATURES,
    TOLERANCE,
    CheckpointBook,
    Pending,
    Stored,
    VoterCheck,
    check_voters,
    final_event,
    within,
)
from nara.core.checkpoints.messages import (
    TOPIC_FINAL,
    TOPIC_PROPOSE,
    TOPIC_VOTE,
    TOPICS,
    Attestation,
    Proposal,
    Trinity,
    Vote,
    decode_final,
    decode_proposal,
    decode_vote,
    final_attestation,
)
from nara.core.settings import MIN_VOTERS

__all__ = [
    "MIN_VALID_SIGNATURES",
    "MIN_VOTERS",
    "TOLERANCE",
    "TOPICS",
    "TOPIC_FINAL",
    "TOPIC_PROPOSE",
    "TOPIC_VOTE",
    "Attestation",
    "CheckpointBook",
    "Pending",
    "Proposal",
    "Stored",
    "Trinity",
    "Vote",
    "VoterCheck",
    "check_voters",
    "decode_final",
    "decode_proposal",
    "decode_vote",
    "final_attestation",
    "final_event",
    "within",
]
