"""The allocation of a campaign's seats: learner-proposing deferred acceptance.

Every learner has one lottery draw for the whole campaign. At each course, applicants are
ordered by priority tier (social situation, then prerequisites met), then draw: their
*priority* there. Each learner, who may get up to `cap` courses, proposes down their ranked
list while they hold fewer than `cap` tentative seats; a course keeps its best proposers by
priority up to its seats and turns the others away, who propose on. When nobody has anything
left to propose, the tentative seats are the outcome (Gale and Shapley's deferred acceptance,
the mechanism of the New York and Boston school matches).

What it gives: the outcome is *stable* (no learner is refused a course they ranked above one
they got, or while they hold fewer than `cap`, while someone of worse priority has a seat
there; no seat stays free on a course someone was refused), and with `cap = 1` no learner can
do better by ranking the courses in any order but their true one. So the safe list is the
honest one. A refused application waits on its course's list in priority order; a course the
learner never needed to propose to (they hold `cap` courses they ranked higher) is not
retained.

The draw is a hash of the seed and the learner's pseudonym, not a shuffle: it does not depend
on the order rows come from the database, so the same inputs give the same result, byte for
byte, and anyone can recompute it from the published inputs.
"""

import hashlib
import heapq
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from cma.enrolment.models import ApplicationStatus, Reason

DRAW_SCALE = 2**63  # a draw over this is the fraction a person is shown


def tier(social_priority: bool, prerequisites_met: bool) -> int:
    """Social situation first, then prerequisites met (1 is served first)."""
    return 1 + (0 if social_priority else 2) + (0 if prerequisites_met else 1)


def draw(seed: int, key: bytes) -> int:
    """The lottery number of the learner whose pseudonym is `key` (a 63-bit integer; lower
    is served first)."""
    digest = hashlib.sha256(seed.to_bytes(8, "big", signed=True) + key).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass(frozen=True, slots=True)
class Candidate:
    application_id: int
    learner_id: uuid.UUID
    key: bytes  # the learner's pseudonym in the published inputs
    course_code: str
    rank: int  # the learner's preference: 1 is the course they want most
    tier: int


@dataclass(frozen=True, slots=True)
class Decision:
    application_id: int
    learner_id: uuid.UUID
    key: bytes
    course_code: str
    status: ApplicationStatus
    reason: Reason
    tier: int
    draw: int
    waitlist_rank: int | None


@dataclass(frozen=True, slots=True)
class CutOff:
    """The priority of the last learner a full course admitted."""

    tier: int
    draw: int


def allocate(
    candidates: Iterable[Candidate], seats: dict[str, int], *, seed: int, cap: int
) -> list[Decision]:
    """Decide every candidate; the result is sorted by application id."""
    lists: dict[bytes, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        lists[candidate.key].append(candidate)
    draws = {key: draw(seed, key) for key in lists}
    # One integer per learner for (draw, pseudonym), so that a course's priority of an
    # applicant, (tier, draw, pseudonym), is one integer too: cheap to compare and to heap.
    order = {key: i for i, key in enumerate(sorted(lists, key=lambda k: (draws[k], k)))}
    width = len(order)
    for choices in lists.values():
        choices.sort(key=lambda c: c.rank)

    def priority(c: Candidate) -> int:
        return c.tier * width + order[c.key]

    # Each course's tentative seats, as a heap whose top is the worst held (max-heap by
    # negated priority).
    held: dict[str, list[tuple[int, int, Candidate]]] = defaultdict(list)
    holding: dict[bytes, int] = defaultdict(int)
    proposed: dict[bytes, int] = defaultdict(int)  # how far down their list each went
    refused: set[int] = set()
    waiting = deque(sorted(lists, key=order.__getitem__))
    while waiting:
        key = waiting.popleft()
        choices = lists[key]
        while holding[key] < cap and proposed[key] < len(choices):
            c = choices[proposed[key]]
            proposed[key] += 1
            heap = held[c.course_code]
            entry = (-priority(c), c.application_id, c)
            if len(heap) < seats[c.course_code]:
                heapq.heappush(heap, entry)
                holding[key] += 1
            elif heap and -heap[0][0] > -entry[0]:  # the worst held ranks after this one
                _, _, worst = heapq.heapreplace(heap, entry)
                holding[key] += 1
                holding[worst.key] -= 1
                refused.add(worst.application_id)
                waiting.append(worst.key)
            else:
                refused.add(c.application_id)
    admitted = {entry[2].application_id for heap in held.values() for entry in heap}
    refused -= admitted
    # A course "selected" only if it turned someone away at the end: one with places left,
    # or exactly filled, had a seat for every learner who still wanted it.
    turned_away = {
        c.course_code for choices in lists.values() for c in choices if c.application_id in refused
    }

    decisions: list[Decision] = []
    on_list: dict[str, list[Candidate]] = defaultdict(list)
    for key, choices in lists.items():
        for c in choices:
            if c.application_id in admitted:
                status, reason = (
                    ApplicationStatus.OFFERED,
                    Reason.SELECTED if c.course_code in turned_away else Reason.SEATS_FOR_ALL,
                )
            elif c.application_id in refused:
                on_list[c.course_code].append(c)
                continue
            else:
                status, reason = ApplicationStatus.NOT_RETAINED, Reason.CAP_REACHED
            decisions.append(
                Decision(
                    c.application_id,
                    c.learner_id,
                    c.key,
                    c.course_code,
                    status,
                    reason,
                    c.tier,
                    draws[key],
                    None,
                )
            )
    for code, waitlisted in on_list.items():
        for position, c in enumerate(sorted(waitlisted, key=priority), start=1):
            decisions.append(
                Decision(
                    c.application_id,
                    c.learner_id,
                    c.key,
                    code,
                    ApplicationStatus.WAITLISTED,
                    Reason.COURSE_FULL,
                    c.tier,
                    draws[c.key],
                    position,
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
    cutoff: CutOff | None  # None: the course did not fill (places remain)


def report(decisions: Iterable[Decision], seats: dict[str, int]) -> list[CourseLine]:
    """Per course (in code order): demand, seats, accepted, waitlisted, per tier, cut-off."""
    counts: dict[str, dict[ApplicationStatus, int]] = defaultdict(lambda: defaultdict(int))
    tiers: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    last: dict[str, tuple[int, int]] = {}
    for d in decisions:
        counts[d.course_code][d.status] += 1
        tiers[d.course_code][d.tier][0] += 1
        if d.status == ApplicationStatus.OFFERED:
            tiers[d.course_code][d.tier][1] += 1
            last[d.course_code] = max(last.get(d.course_code, (0, 0)), (d.tier, d.draw))
    return [
        CourseLine(
            code=code,
            seats=seats[code],
            demand=sum(counts[code].values()),
            accepted=counts[code][ApplicationStatus.OFFERED],
            waitlisted=counts[code][ApplicationStatus.WAITLISTED],
            not_retained=counts[code][ApplicationStatus.NOT_RETAINED],
            by_tier={t: (v[0], v[1]) for t, v in sorted(tiers[code].items())},
            cutoff=CutOff(*last[code])
            if counts[code][ApplicationStatus.OFFERED] >= seats[code]
            else None,
        )
        for code in sorted(counts)
    ]
