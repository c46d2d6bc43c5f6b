"""What deferred acceptance promises, checked on many random small campaigns (hypothesis):
stable, within the seats and the cap, the same bytes for the same inputs, and, with one
course each, nothing to gain by ranking the courses in another order than one's own."""

import itertools
import uuid
from collections import defaultdict
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from cma.enrolment.allocation import Candidate, Decision, allocate, draw
from cma.enrolment.models import ApplicationStatus

HOLDS = ApplicationStatus.OFFERED
Lists = dict[bytes, list[tuple[str, int]]]  # learner -> [(course, tier)], best first


@dataclass(frozen=True)
class Campaign:
    seats: dict[str, int]
    lists: Lists
    seed: int
    cap: int

    def candidates(self, lists: Lists | None = None) -> list[Candidate]:
        out: list[Candidate] = []
        for key, choices in sorted((lists or self.lists).items()):
            for rank, (code, tier) in enumerate(choices, start=1):
                out.append(Candidate(len(out) + 1, uuid.UUID(bytes=key * 2), key, code, rank, tier))
        return out

    def decide(self, lists: Lists | None = None) -> list[Decision]:
        return allocate(self.candidates(lists), self.seats, seed=self.seed, cap=self.cap)


@st.composite
def campaigns(draw_: st.DrawFn, max_cap: int = 3) -> Campaign:
    codes = [f"C{n}" for n in range(draw_(st.integers(1, 5)))]
    seats = {code: draw_(st.integers(1, 3)) for code in codes}
    learners = draw_(st.integers(1, 9))
    lists = {}
    for n in range(learners):
        chosen = draw_(
            st.lists(st.sampled_from(codes), min_size=1, max_size=len(codes), unique=True)
        )
        lists[bytes([n]) * 8] = [(code, draw_(st.integers(1, 4))) for code in chosen]
    return Campaign(
        seats=seats,
        lists=lists,
        seed=draw_(st.integers(0, 2**52)),
        cap=draw_(st.integers(1, max_cap)),
    )


def _priority(campaign: Campaign, key: bytes, code: str) -> tuple[int, int, bytes]:
    tier = dict(campaign.lists[key])[code]
    return (tier, draw(campaign.seed, key), key)


@settings(max_examples=300, deadline=None)
@given(campaigns())
def test_no_course_over_its_seats_no_learner_over_the_cap(campaign: Campaign) -> None:
    decisions = campaign.decide()
    held_by_course: dict[str, int] = defaultdict(int)
    held_by_learner: dict[bytes, int] = defaultdict(int)
    for d in decisions:
        if d.status == HOLDS:
            held_by_course[d.course_code] += 1
            held_by_learner[d.key] += 1
    assert all(n <= campaign.seats[code] for code, n in held_by_course.items())
    assert all(n <= campaign.cap for n in held_by_learner.values())
    assert len(decisions) == sum(len(choices) for choices in campaign.lists.values())


@settings(max_examples=300, deadline=None)
@given(campaigns())
def test_the_outcome_is_stable(campaign: Campaign) -> None:
    """Nobody is refused a course they would rather have (ranked above one they got, or
    while under the cap) while someone of worse priority holds a seat there; and no seat
    stays free on a course that refused someone."""
    decisions = campaign.decide()
    got: dict[bytes, set[str]] = defaultdict(set)
    holders: dict[str, set[bytes]] = defaultdict(set)
    for d in decisions:
        if d.status == HOLDS:
            got[d.key].add(d.course_code)
            holders[d.course_code].add(d.key)
    for key, choices in campaign.lists.items():
        ranked = [code for code, _ in choices]
        worst_held = max((ranked.index(c) for c in got[key]), default=-1)
        for index, code in enumerate(ranked):
            if code in got[key]:
                continue
            wants_it = len(got[key]) < campaign.cap or index < worst_held
            if not wants_it:
                continue
            assert len(holders[code]) == campaign.seats[code], (key, code)
            mine = _priority(campaign, key, code)
            assert all(_priority(campaign, other, code) < mine for other in holders[code])


@settings(max_examples=200, deadline=None)
@given(campaigns())
def test_the_same_inputs_give_the_same_bytes(campaign: Campaign) -> None:
    shuffled = dict(reversed(list(campaign.lists.items())))
    first = campaign.decide()
    again = allocate(
        list(reversed(campaign.candidates(shuffled))),
        dict(reversed(list(campaign.seats.items()))),
        seed=campaign.seed,
        cap=campaign.cap,
    )
    by_learner = {(d.key, d.course_code): (d.status, d.reason, d.waitlist_rank) for d in first}
    assert {(d.key, d.course_code): (d.status, d.reason, d.waitlist_rank) for d in again} == (
        by_learner
    )
    assert repr(first) == repr(campaign.decide())


def _got(campaign: Campaign, key: bytes, lists: Lists) -> str | None:
    for d in campaign.decide(lists):
        if d.key == key and d.status == HOLDS:
            return d.course_code
    return None


@settings(max_examples=150, deadline=None)
@given(campaigns(max_cap=1))
def test_with_one_course_each_nobody_gains_by_misreporting(campaign: Campaign) -> None:
    """Every learner tries every order of every subset of their courses: none gets a course
    they truly prefer to the one the honest list gives them."""
    for key, truth in campaign.lists.items():
        ranked = [code for code, _ in truth]
        honest = _got(campaign, key, campaign.lists)
        honest_index = ranked.index(honest) if honest else len(ranked)
        tiers = dict(truth)
        for size in range(1, len(ranked) + 1):
            for order in itertools.permutations(ranked, size):
                lie = {**campaign.lists, key: [(code, tiers[code]) for code in order]}
                gained = _got(campaign, key, lie)
                if gained is not None:
                    assert ranked.index(gained) >= honest_index, (key, order, gained, honest)
