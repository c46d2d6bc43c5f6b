"""Checking a committed allocation from what was published, as anyone can.

The published document holds the campaign's lottery commitment and revealed secret, the
inputs (every application under its learner's pseudonym, with its rank and tier; the seats;
the cap), their digest, the seed, and the outcome. Checking it is: the secret hashes to the
commitment the calendar showed, the inputs to their digest, the two to the seed, and
deciding the inputs again with that seed gives the outcome. Nothing here reads the database:
`cma verify-allocation` runs it on a document fetched from the API as well.
"""

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from cma.enrolment import lottery
from cma.enrolment.allocation import Candidate, allocate

NOBODY = uuid.UUID(int=0)  # the published inputs name nobody: pseudonyms only


@dataclass(frozen=True, slots=True)
class Verification:
    identical: bool
    detail: str  # in French: "identique", or the first difference

    @classmethod
    def differs(cls, detail: str) -> "Verification":
        return cls(False, detail)


def recompute(inputs: dict[str, Any], seed: int) -> list[list[Any]]:
    """The outcome the inputs give with this seed, in the published form."""
    candidates = [
        Candidate(
            application_id=index,
            learner_id=NOBODY,
            key=bytes.fromhex(key),
            course_code=code,
            rank=rank,
            tier=tier,
        )
        for index, (key, code, rank, tier) in enumerate(inputs["applications"])
    ]
    decisions = allocate(candidates, inputs["seats"], seed=seed, cap=inputs["cap"])
    ordered = sorted(
        (d.key.hex(), d.course_code, d.status.value, d.waitlist_rank) for d in decisions
    )
    return [list(line) for line in ordered]


def verify(document: dict[str, Any]) -> Verification:
    """Whether the published allocation is what its published inputs and secret give."""
    try:
        secret = bytes.fromhex(document["lottery_secret"])
        if hashlib.sha256(secret).hexdigest() != document["lottery_commitment"]:
            return Verification.differs(
                "Le secret révélé ne correspond pas à l'engagement publié sur le calendrier."
            )
        digest = lottery.digest(document["inputs"])
        if digest != document["inputs_digest"]:
            return Verification.differs(
                f"L'empreinte des données publiées est {digest}, "
                f"et non {document['inputs_digest']}."
            )
        seed = lottery.seed(secret, document["inputs"])
        if seed != document["seed"]:
            return Verification.differs(
                f"La graine tirée du secret et des données est {seed}, et non {document['seed']}."
            )
        again = recompute(document["inputs"], seed)
        published = sorted(list(line) for line in document["outcome"])
    except (AttributeError, KeyError, TypeError, ValueError) as bad:
        return Verification.differs(f"Le document publié est incomplet ou illisible ({bad}).")
    for mine, theirs in zip(again, published, strict=False):
        if mine != theirs:
            return Verification.differs(f"Première différence : recalculé {mine}, publié {theirs}.")
    if len(again) != len(published):
        return Verification.differs(
            f"{len(again)} décisions recalculées, {len(published)} publiées."
        )
    return Verification(True, "identique")
