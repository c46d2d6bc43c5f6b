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
from cma.enrolment.labels import STATUS_LABELS
from cma.enrolment.models import ApplicationStatus

NOBODY = uuid.UUID(int=0)  # the published inputs name nobody: pseudonyms only


@dataclass(frozen=True, slots=True)
class Verification:
    identical: bool
    detail: str  # in French: "identique", or the first difference

    @classmethod
    def differs(cls, detail: str) -> "Verification":
        return cls(False, detail)


def said(line: Any) -> str:
    """A line of an outcome in words: whose, which course, what answer."""
    try:
        key, code, status, rank = line
        answer = STATUS_LABELS[ApplicationStatus(status)].lower()
    except (TypeError, ValueError, KeyError):
        return "une ligne illisible"
    where = f", n° {rank} sur la liste" if rank else ""
    return f"la candidature de {key} au cours {code} est « {answer} »{where}"


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
        seed = lottery.seed(secret, document["applications_digest"])
        if seed != document["seed"]:
            return Verification.differs(
                f"La graine tirée du secret et des données est {seed}, et non {document['seed']}."
            )
        if any(event["seed"] != seed for event in document["trail"]):
            return Verification.differs(
                "Le journal de l'affectation montre une autre graine : elle a changé."
            )
        moved = (
            lottery.digest(document["inputs"]["applications"]) != document["applications_digest"]
        )
        again = recompute(document["inputs"], seed)
        published = sorted(list(line) for line in document["outcome"])
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, RecursionError):
        return Verification.differs(
            "Le document publié est incomplet ou illisible : il ne se vérifie pas."
        )
    for mine, theirs in zip(again, published, strict=False):
        if mine != theirs:
            return Verification.differs(
                f"Première différence : {said(mine)} d'après le recalcul, {said(theirs)} "
                "d'après le document publié."
            )
    if len(again) != len(published):
        return Verification.differs(
            f"{len(again)} décisions recalculées, {len(published)} publiées."
        )
    if moved:
        return Verification(
            True,
            "identique (la graine a été fixée à la première prévisualisation, sur des "
            "candidatures qui ont changé depuis : un cours annulé, une fiche effacée ; voir le "
            "journal)",
        )
    return Verification(True, "identique")
