"""The lottery's inputs and seed, fixed by nobody.

Each campaign is created with a secret of 32 random bytes (the database draws it); its hash,
the *commitment*, is on the campaign's public calendar from that moment, long before the
applications close. At the allocation the secret is revealed and the seed is the hash of the
secret and of the digest of the submitted applications (each under a pseudonym, with its rank
and tier). So staff choose nothing: not the seed, which the applications fix, nor the
applications, which the learners made, and whoever holds the published inputs (those
applications, the seats, the cap) and the revealed secret recomputes the same outcome.

The pseudonym of a learner in a campaign is a hash of the secret and of their id: stable
within the campaign, unlinkable to them without their id, and it is what their draw is made
from.
"""

import hashlib
import json
import uuid
import zlib
from dataclasses import dataclass
from typing import Any

SECRET_BYTES = 32


def commitment(secret: bytes) -> str:
    """What the calendar publishes of the secret (SHA-256, in hexadecimal)."""
    return hashlib.sha256(secret).hexdigest()


def pseudonym(secret: bytes, learner_id: uuid.UUID) -> bytes:
    return hashlib.sha256(b"cma-pseudonym:" + secret + learner_id.bytes).digest()[:8]


@dataclass(frozen=True, slots=True)
class Entry:
    """One submitted application as the published inputs show it."""

    pseudonym: str  # hexadecimal
    course_code: str
    rank: int
    tier: int


def inputs(
    campaign_id: int, cap: int, seats: dict[str, int], entries: list[Entry]
) -> dict[str, Any]:
    """The allocation's inputs in their canonical form (what is digested and published)."""
    return {
        "campaign_id": campaign_id,
        "cap": cap,
        "seats": dict(sorted(seats.items())),
        "applications": [
            list(line)
            for line in sorted((e.pseudonym, e.course_code, e.rank, e.tier) for e in entries)
        ],
    }


def digest(document: Any) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8), hexadecimal."""
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def pack(document: dict[str, Any]) -> bytes:
    """A published document as stored: its compact JSON, compressed."""
    encoded = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return zlib.compress(encoded, 1)


def unpack(stored: bytes) -> dict[str, Any]:
    unpacked: dict[str, Any] = json.loads(zlib.decompress(stored))
    return unpacked


def seed(secret: bytes, applications_digest: str) -> int:
    """The seed: 52 bits of the hash of the secret and of the digest of the applications
    (52, so that it is exact in JSON's numbers, which are doubles). It is fixed once, by the
    first preview or commit after the close (see runs.inputs_of): a course cancelled, a
    fiche erased or a course's rules edited afterwards moves the outcome, visibly, but no
    learner's draw, so nobody can try changes until the draws suit."""
    mixed = hashlib.sha256(b"cma-seed:" + secret + bytes.fromhex(applications_digest)).digest()
    return int.from_bytes(mixed[:8], "big") >> 12
