"""The allocation of a campaign's seats: pure, deterministic, explainable.

It follows the Stud.IP admission algorithm with preferences ("Losverfahren mit
Priorisierung"): every learner gets one lottery draw for the whole campaign; seats are given
round by round, round r taking each learner's r-th choice, and inside a round the applicants
of a course go in order of priority tier, then draw. A learner who already holds the cap of
accepted courses is not considered for the later rounds. Whoever does not get a seat is
waitlisted in the order they were considered, so the waiting list of a course is
(round, tier, draw).

The draw is a hash of the seed and the learner's id, not a shuffle: it does not depend on the
order rows come from the database, so the same seed and the same data give the same result,
byte for byte, and an auditor can recompute any learner's draw from the recorded seed.
"""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from cma.enrolment.models import ApplicationStatus, Reason


def tier(social_priority: bool, prerequisites_met: bool) -> int:
    """Social situation first, then prerequisites met (1 is served first)."""
    return 1 + (0 if social_priority else 2) + (0 if prerequisites_met else 1)


def draw(seed: int, learner_id: uuid.UUID) -> int:
    """The learner's lottery number for this seed (a 63-bit integer; lower is served first)."""
    digest = hashlib.sha256(seed.to_bytes(8, "big", signed=True) + learner_id.bytes).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True, slots=True)
class Candidate:
    application_id: int
    learner_id: uuid.UUID
    course_code: str
    rank: int  # the learner's preference: the round in which this application is considered
    tier: int


@dataclass(frozen=True, slots=True)
class Decision:
    application_id: int
    learner_id: uuid.UUID
    course_code: str
    status: ApplicationStatus
    reason: Reason
    tier: int
    draw: int
    waitlist_rank: int | None


def allocate(
    candidates: Iterable[Candidate], seats: dict[str, int], *, seed: int, cap: int
) -> list[Decision]:
    """Decide every candidate; the result is sorted by application id."""
    by_round: dict[int, dict[str, list[Candidate]]] = defaultdict(lambda: defaultdict(list))
    demand: dict[str, int] = defaultdict(int)
    draws: dict[uuid.UUID, int] = {}
    for candidate in candidates:
        by_round[candidate.rank][candidate.course_code].append(candidate)
        demand[candidate.course_code] += 1
        if candidate.learner_id not in draws:
            draws[candidate.learner_id] = draw(seed, candidate.learner_id)

    free = {code: seats[code] for code in demand}
    accepted: dict[uuid.UUID, int] = defaultdict(int)
    waitlists: dict[str, int] = defaultdict(int)
    decisions: list[Decision] = []
    for round_ in sorted(by_round):
        for code in sorted(by_round[round_]):
            applicants = sorted(
                by_round[round_][code],
                key=lambda c: (c.tier, draws[c.learner_id], c.learner_id.bytes),
            )
            for c in applicants:
                learner_draw = draws[c.learner_id]
                if accepted[c.learner_id] >= cap:
                    decisions.append(
                        Decision(
                            c.application_id,
                            c.learner_id,
                            code,
                            ApplicationStatus.NOT_RETAINED,
                            Reason.CAP_REACHED,
                            c.tier,
                            learner_draw,
                            None,
                        )
                    )
                elif free[code] > 0:
                    free[code] -= 1
                    accepted[c.learner_id] += 1
                    reason = (
                        Reason.SEATS_FOR_ALL if demand[code] <= seats[code] else Reason.SELECTED
                    )
                    decisions.append(
                        Decision(
                            c.application_id,
                            c.learner_id,
                            code,
                            ApplicationStatus.OFFERED,
                            reason,
                            c.tier,
                            learner_draw,
                            None,
                        )
                    )
                else:
                    waitlists[code] += 1
                    decisions.append(
                        Decision(
                            c.application_id,
                            c.learner_id,
                            code,
                            ApplicationStatus.WAITLISTED,
                            Reason.COURSE_FULL,
                            c.tier,
                            learner_draw,
                            waitlists[code],
                        )
                    )
    decisions.sort(key=lambda d: d.application_id)
    return decisions


@dataclass(frozen=True, slots=True)
class CourseLine:
    code: str
    seats: int
    demand: int
    accepted: int
    waitlisted: int
    not_retained: int
    by_tier: dict[int, tuple[int, int]]  # tier -> (demand, accepted)


def report(decisions: Iterable[Decision], seats: dict[str, int]) -> list[CourseLine]:
    """Per course (in code order): demand, seats, accepted, waitlisted, and per tier."""
    counts: dict[str, dict[ApplicationStatus, int]] = defaultdict(lambda: defaultdict(int))
    tiers: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for d in decisions:
        counts[d.course_code][d.status] += 1
        tiers[d.course_code][d.tier][0] += 1
        if d.status == ApplicationStatus.OFFERED:
            tiers[d.course_code][d.tier][1] += 1
    return [
        CourseLine(
            code=code,
            seats=seats[code],
            demand=sum(counts[code].values()),
            accepted=counts[code][ApplicationStatus.OFFERED],
            waitlisted=counts[code][ApplicationStatus.WAITLISTED],
            not_retained=counts[code][ApplicationStatus.NOT_RETAINED],
            by_tier={t: (v[0], v[1]) for t, v in sorted(tiers[code].items())},
        )
        for code in sorted(counts)
    ]
