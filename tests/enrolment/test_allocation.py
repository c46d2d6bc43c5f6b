"""Journey F, staff's side: the allocation, previewed then committed, fair and explainable."""

import asyncio
import hashlib
import json
import os
import re
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.catalogue.models import Campaign, Course
from cma.core.clock import today
from cma.core.problems import ProblemError
from cma.demo import applications
from cma.enrolment import lottery, runs, verification
from cma.enrolment.allocation import draw
from cma.enrolment.models import Application
from tests.support import (
    Closed,
    Mailbox,
    closed_campaign,
    followed_before,
    learner_headers,
    staff_headers,
)


@pytest.fixture
async def campaign(catalogue: int, sessionmaker: async_sessionmaker[AsyncSession]) -> Closed:
    return await closed_campaign(sessionmaker)


async def crowd(
    campaign: Closed, n: int, choices: int = 3, prefix: str = "foule"
) -> list[uuid.UUID]:
    """n learners, each with `choices` ranked applications to the campaign's courses."""
    async with campaign.sessionmaker() as session, session.begin():
        return await applications.applicants(
            session, campaign.id, learners=n, choices=choices, random_seed=7, prefix=prefix
        )


async def commit(campaign: Closed) -> dict[str, Any]:
    async with campaign.sessionmaker() as session, session.begin():
        return await runs.commit(session, campaign.id, None)


async def preview(campaign: Closed) -> dict[str, Any]:
    async with campaign.sessionmaker() as session, session.begin():
        report, _ = await runs.preview(session, campaign.id, None)
        return report


async def secret_of(campaign: Closed) -> bytes:
    async with campaign.sessionmaker() as session:
        secret = await session.scalar(
            select(Campaign.lottery_secret).where(Campaign.id == campaign.id)
        )
    assert secret is not None
    return secret


async def test_when_demand_fits_the_seats_everyone_is_accepted(campaign: Closed) -> None:
    await campaign.course("TA0001", seats=5)
    for learner in await crowd(campaign, 4, choices=0):
        await campaign.apply(learner, "TA0001")

    await commit(campaign)

    outcomes = await campaign.outcomes()
    assert len(outcomes) == 4
    assert {o[:2] for o in outcomes.values()} == {("offered", "seats_for_all")}


async def test_an_oversubscribed_campaign_never_goes_over_capacity(
    campaign: Closed, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    for n in range(12):
        await campaign.course(f"TB{n:04d}", seats=3 + n % 4, weekday=1 + n % 6)
    await crowd(campaign, 120)

    report = await commit(campaign)

    async with sessionmaker() as session:
        rows = await session.execute(
            select(
                Course.code,
                Course.seats,
                func.count().filter(Application.status == "offered"),
                func.count().filter(Application.status == "waitlisted"),
                func.array_agg(Application.waitlist_rank).filter(
                    Application.status == "waitlisted"
                ),
            )
            .join(Application, Application.course_code == Course.code)
            .where(Course.campaign_id == campaign.id)
            .group_by(Course.code)
        )
        for code, seats, offered, waitlisted, ranks in rows:
            assert offered <= seats, code
            if waitlisted:  # a waiting list only behind a full course, numbered 1, 2, 3…
                assert offered == seats, code
                assert sorted(cast(list[int], ranks)) == list(range(1, waitlisted + 1)), code
    assert report["applications"] == 360
    assert report["applications"] == (
        report["accepted"] + report["waitlisted"] + report["not_retained"]
    )
    assert report["waitlisted"] > 0


async def test_social_situation_then_prerequisites_come_before_the_lottery(
    campaign: Closed, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await campaign.course("TC0001", seats=2, priority=True, prerequisites=("ANG2",))
    both, social, prepared, *others = await crowd(campaign, 7, choices=0)
    await followed_before(sessionmaker, both, "ANG2")
    await followed_before(sessionmaker, prepared, "ANG2")
    [a_both] = await campaign.apply(both, "TC0001", situation="rsa")
    [a_social] = await campaign.apply(social, "TC0001", situation="demandeur_emploi")
    [a_prepared] = await campaign.apply(prepared, "TC0001", situation="aucune")
    rest = [(await campaign.apply(o, "TC0001", situation="aucune"))[0] for o in others]

    report = await commit(campaign)

    outcomes = await campaign.outcomes()
    assert outcomes[a_both] == ("offered", "selected", 1, None)
    assert outcomes[a_social] == ("offered", "selected", 2, None)
    assert outcomes[a_prepared] == ("waitlisted", "course_full", 3, 1)
    # The others, all in tier 4, follow on the waiting list in the order of their draws: the
    # hash of the seed and of their pseudonym (from the campaign's secret and their id).
    secret = await secret_of(campaign)
    by_draw = sorted(
        zip(others, rest, strict=True),
        key=lambda pair: draw(report["seed"], lottery.pseudonym(secret, pair[0])),
    )
    assert [outcomes[a][3] for _, a in by_draw] == [2, 3, 4, 5]
    [line] = report["courses"]
    assert line["by_tier"] == [
        {"tier": 1, "demand": 1, "accepted": 1},
        {"tier": 2, "demand": 1, "accepted": 1},
        {"tier": 3, "demand": 1, "accepted": 0},
        {"tier": 4, "demand": 4, "accepted": 0},
    ]


async def test_a_learner_gets_no_more_courses_than_the_cap(campaign: Closed) -> None:
    await campaign.set(max_accepted=2)
    for n, weekday in enumerate((1, 2, 3)):
        await campaign.course(f"TD000{n}", seats=10, weekday=weekday)
    [learner] = await crowd(campaign, 1, choices=0)
    first, second, third = await campaign.apply(learner, "TD0000", "TD0001", "TD0002")

    report = await commit(campaign)

    outcomes = await campaign.outcomes()
    assert outcomes[first][0] == outcomes[second][0] == "offered"
    assert outcomes[third][:2] == ("not_retained", "cap_reached")
    assert report["cap"] == 2


async def test_losing_a_first_choice_costs_nothing_on_the_second(campaign: Closed) -> None:
    """Deferred acceptance: a learner refused their first choice still comes before those of
    lower priority on their second, even those who ranked it first (round by round, the
    second choice would already be gone)."""
    await campaign.course("TE0001", seats=1, weekday=1, priority=True)
    await campaign.course("TE0002", seats=1, weekday=2, priority=True)
    favoured, honest, settled = await crowd(campaign, 3, choices=0)
    [first] = await campaign.apply(favoured, "TE0001", situation="rsa")
    lost, second = await campaign.apply(honest, "TE0001", "TE0002", situation="demandeur_emploi")
    [safe] = await campaign.apply(settled, "TE0002", situation="aucune")
    async with campaign.sessionmaker() as session, session.begin():
        # On the first course the honest learner said no situation: the favoured one passes
        # before them there; on the second, their situation counts.
        await session.execute(
            update(Application).where(Application.id == lost).values(priority_situation="aucune")
        )

    await commit(campaign)

    outcomes = await campaign.outcomes()
    assert outcomes[first][:2] == ("offered", "selected")
    assert outcomes[lost] == ("waitlisted", "course_full", 4, 1)
    assert outcomes[second][:2] == ("offered", "selected")
    assert outcomes[safe] == ("waitlisted", "course_full", 4, 1)


async def test_the_seed_comes_from_the_committed_secret_and_the_applications(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    """Nobody chooses the seed: previews and the commit find the same one, from the secret
    whose hash the calendar showed and from the inputs; each is in the trail; anyone with a
    stake recomputes the outcome from what is published."""
    for n in range(6):
        await campaign.course(f"TF{n:04d}", seats=2, weekday=1 + n)
    await crowd(campaign, 40)
    calendar = (await client.get("/api/v1/campaigns")).json()
    [shown] = [c for c in calendar if c["id"] == campaign.id]

    first, again = await preview(campaign), await preview(campaign)
    # Seats, a course's rules or its cancellation after the first preview move the outcome,
    # visibly, but not the seed, fixed then: nobody can try changes until the draws suit.
    async with campaign.sessionmaker() as session, session.begin():
        await session.execute(update(Course).where(Course.code == "TF0000").values(seats=3))
        await session.execute(
            update(Course).where(Course.code == "TF0001").values(needs_priority_situation=True)
        )
    changed = await preview(campaign)
    assert changed["seed"] == first["seed"]
    assert changed["inputs_digest"] != first["inputs_digest"]
    async with campaign.sessionmaker() as session, session.begin():
        await session.execute(update(Course).where(Course.code == "TF0000").values(seats=2))
        await session.execute(
            update(Course).where(Course.code == "TF0001").values(needs_priority_situation=False)
        )
    committed = await commit(campaign)
    secret = await secret_of(campaign)

    assert first == again
    assert {k: v for k, v in committed.items() if k not in ("committed", "run_id")} == {
        k: v for k, v in first.items() if k != "committed"
    }
    assert shown["lottery_commitment"] == hashlib.sha256(secret).hexdigest()
    assert committed["lottery_commitment"] == shown["lottery_commitment"]
    async with campaign.sessionmaker() as session:
        document = await runs.published(session, campaign.id)
    assert document["applications_digest"] == lottery.digest(document["inputs"]["applications"])
    assert committed["seed"] == lottery.seed(secret, document["applications_digest"])
    staff = await staff_headers(client, mailbox)
    base = f"/api/v1/admin/campaigns/{campaign.id}/allocation"
    trail = (await client.get(f"{base}/trail", headers=staff)).json()
    assert [e["kind"] for e in trail] == ["preview", "preview", "preview", "commit"]
    assert {e["seed"] for e in trail} == {committed["seed"]}
    assert [e["inputs_digest"] for e in trail] == [
        committed["inputs_digest"],
        committed["inputs_digest"],
        changed["inputs_digest"],
        committed["inputs_digest"],
    ]
    checked = await client.get(f"{base}/verification", headers=staff)
    assert checked.json() == {"identical": True, "detail": "identique"}
    published = await client.get(f"/api/v1/campaigns/{campaign.id}/allocation", headers=staff)
    assert published.status_code == 200, published.text
    document = published.json()
    assert document["lottery_secret"] == secret.hex()
    assert verification.verify(document).identical
    # Anyone who changes a published line is caught at the first difference.
    key, code, status, rank = document["outcome"][0]
    forged = "offered" if status != "offered" else "waitlisted"
    document["outcome"][0] = [key, code, forged, rank]
    caught = verification.verify(document)
    assert not caught.identical
    assert caught.detail.startswith("Première différence")
    # And a recorded outcome changed in the database, the same.
    async with campaign.sessionmaker() as session, session.begin():
        await session.execute(
            update(Application)
            .where(Application.campaign_id == campaign.id, Application.outcome == "waitlisted")
            .values(waitlist_rank=Application.waitlist_rank + 100)
        )
    tampered = (await client.get(f"{base}/verification", headers=staff)).json()
    assert tampered["identical"] is False
    assert "Première différence" in tampered["detail"]


async def test_the_committed_secret_never_changes(campaign: Closed) -> None:
    async with campaign.sessionmaker() as session:
        with pytest.raises(DBAPIError, match="lottery secret is committed"):
            await session.execute(
                update(Campaign).where(Campaign.id == campaign.id).values(lottery_secret=bytes(32))
            )


async def test_the_allocation_waits_for_the_end_of_the_application_period(
    campaign: Closed,
) -> None:
    await campaign.set(
        application_end=today() + timedelta(days=1), response_start=today() + timedelta(days=2)
    )

    with pytest.raises(ProblemError) as refused:
        await preview(campaign)
    assert refused.value.code == "applications-still-open"


async def test_a_campaign_is_allocated_once_even_by_two_staff_at_once(campaign: Closed) -> None:
    await campaign.course("TG0001", seats=1)
    await crowd(campaign, 3, choices=0)

    results = await asyncio.gather(commit(campaign), commit(campaign), return_exceptions=True)

    assert sorted(type(r).__name__ for r in results) == ["AlreadyAllocated", "dict"]


async def test_the_database_refuses_a_seat_over_capacity(
    campaign: Closed, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await campaign.course("TH0001", seats=1)
    for learner in await crowd(campaign, 2, choices=0):
        await campaign.apply(learner, "TH0001")
    await commit(campaign)

    async with sessionmaker() as session:
        with pytest.raises(DBAPIError, match="over capacity"):
            await session.execute(
                update(Application)
                .where(Application.course_code == "TH0001", Application.status == "waitlisted")
                .values(status="offered", offer_deadline=today())
            )
    async with sessionmaker() as session:
        with pytest.raises(DBAPIError, match="holds 1 seats"):
            await session.execute(text("UPDATE courses SET seats = 0 WHERE code = 'TH0001'"))


async def test_staff_cannot_lower_seats_below_those_given_and_are_told_how_many(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    await campaign.course("TJ0001", seats=2)
    for learner in await crowd(campaign, 3, choices=0):
        await campaign.apply(learner, "TJ0001")
    await commit(campaign)
    staff = await staff_headers(client, mailbox)
    shown = (await client.get("/api/v1/courses/TJ0001")).json()
    body = {
        **{key: shown[key] for key in ("code", "title", "description", "level", "weekday")},
        **{key: shown[key] for key in ("start_time", "end_time", "period", "hours", "fee")},
        "domain": shown["domain"]["slug"],
        "venue": shown["venue"]["name"],
        "campaign_id": shown["campaign"]["id"],
    }

    lower = await client.put(
        "/api/v1/admin/courses/TJ0001", json={**body, "seats": 1}, headers=staff
    )
    same = await client.put(
        "/api/v1/admin/courses/TJ0001", json={**body, "seats": 2}, headers=staff
    )

    assert lower.status_code == 409, lower.text
    assert lower.json()["type"] == "urn:cma:problem:seats-held"
    assert lower.json()["seats_held"] == 2
    assert "2 places sont déjà attribuées" in lower.json()["detail"]
    assert same.status_code == 200, same.text


async def test_an_allocated_course_stays_in_its_campaign(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    await campaign.course("TK0001", seats=1)
    for learner in await crowd(campaign, 2, choices=0):
        await campaign.apply(learner, "TK0001")
    await commit(campaign)
    async with mailbox.sessionmaker() as session:
        elsewhere = await session.scalar(
            select(Campaign.id).where(Campaign.id != campaign.id).limit(1)
        )
    staff = await staff_headers(client, mailbox)
    shown = (await client.get("/api/v1/courses/TK0001")).json()
    body = {
        **{key: shown[key] for key in ("code", "title", "description", "level", "weekday")},
        **{key: shown[key] for key in ("start_time", "end_time", "period", "hours", "fee")},
        "domain": shown["domain"]["slug"],
        "venue": shown["venue"]["name"],
        "seats": 1,
    }

    moved = await client.put(
        "/api/v1/admin/courses/TK0001", json={**body, "campaign_id": elsewhere}, headers=staff
    )

    assert moved.status_code == 409, moved.text
    assert moved.json()["type"] == "urn:cma:problem:course-in-use"
    assert "ne peut plus changer de campagne" in moved.json()["detail"]
    assert (await client.get("/api/v1/courses/TK0001")).json()["campaign"]["id"] == campaign.id


async def test_staff_preview_and_commit_through_the_api(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    await campaign.course("TI0001", seats=2)
    for learner in await crowd(campaign, 3, choices=0):
        await campaign.apply(learner, "TI0001")
    staff = await staff_headers(client, mailbox)
    base = f"/api/v1/admin/campaigns/{campaign.id}/allocation"

    before = await client.get(base, headers=staff)
    shown = await client.post(f"{base}/preview", headers=staff)
    done = await client.post(base, headers=staff)
    again = await client.post(base, headers=staff)
    read = await client.get(base, headers=staff)

    assert before.status_code == 409
    assert shown.status_code == 200
    [line] = shown.json()["courses"]
    # The course filled: its cut-off is the last admitted's priority and draw.
    cutoff = line.pop("cutoff")
    assert cutoff["tier"] == 4
    assert cutoff["tier_label"] == "Sans priorité particulière"
    assert re.fullmatch(r"0,\d{6}", cutoff["draw_label"])
    assert [line] == [
        {
            "code": "TI0001",
            "title": "Cours TI0001",
            "seats": 2,
            "demand": 3,
            "accepted": 2,
            "waitlisted": 1,
            "not_retained": 0,
            "by_tier": [
                {
                    "tier": 4,
                    "demand": 3,
                    "accepted": 2,
                    "tier_label": "Sans priorité particulière",
                }
            ],
        }
    ]
    # Learner by learner, as it would be: two seats given, one on the waiting list.
    previewed = shown.json()["lines"]
    assert sorted(line["outcome_label"] for line in previewed) == [
        "Acceptée, à confirmer",
        "Acceptée, à confirmer",
        "Liste d'attente",
    ]
    assert {line["status_label"] for line in previewed} == {"Déposée"}
    assert done.status_code == 201
    assert done.json()["courses"] == shown.json()["courses"]
    # The same applications give the same learners their seats; read back, it is the same.
    assert read.json()["lines"] == [
        {**line, "status_label": line["outcome_label"]} for line in previewed
    ]
    assert again.status_code == 409
    assert again.json()["type"] == "urn:cma:problem:already-allocated"
    assert read.json()["seed"] == shown.json()["seed"] == done.json()["seed"]


async def test_learners_and_strangers_cannot_run_an_allocation(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    learner = await learner_headers(client, mailbox)
    base = f"/api/v1/admin/campaigns/{campaign.id}"
    for method, path in (
        ("POST", f"{base}/allocation/preview"),
        ("POST", f"{base}/allocation"),
        ("GET", f"{base}/allocation"),
        ("POST", f"{base}/responses"),
        ("POST", "/api/v1/admin/courses/TI0001/cancellation"),
        ("POST", "/api/v1/admin/offers/expiry"),
    ):
        body: dict[str, Any] = {"json": {}} if method == "POST" else {}
        as_learner = await client.request(method, path, headers=learner, **body)
        client.cookies.clear()
        anonymous = await client.request(method, path, **body)
        assert as_learner.status_code == 403, path
        assert anonymous.status_code == 401, path


async def test_staff_allocate_from_the_command_line(campaign: Closed, tmp_path: Path) -> None:
    """`cma allocate` previews, `--commit` writes, both with the same table and seed;
    `cma verify-allocation` recomputes it."""
    await campaign.course("TJ0001", seats=1)
    for learner in await crowd(campaign, 2, choices=0):
        await campaign.apply(learner, "TJ0001")

    async def cma(*args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "cma"),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=os.environ.copy(),
        )
        out, err = await process.communicate()
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()

    previewed = await cma("allocate", str(campaign.id))
    committed = await cma("allocate", str(campaign.id), "--commit")
    again = await cma("allocate", str(campaign.id), "--commit")
    verified = await cma("verify-allocation", str(campaign.id))

    assert previewed[0] == 0, previewed[2]
    assert "PRÉVISUALISATION, rien n'est enregistré" in previewed[1]
    assert "TJ0001" in previewed[1]
    assert "cma allocate" in previewed[1]
    assert committed[0] == 0, committed[2]
    table = previewed[1].splitlines()[1:-1]
    assert committed[1].splitlines()[1:] == table
    assert again[0] == 1
    assert "déjà été attribuées" in again[2]
    assert verified[0] == 0, verified[2]
    assert verified[1] == "identique\n"
    # The same from the document alone, as anyone who downloaded it would check it.
    async with campaign.sessionmaker() as session:
        document = await runs.published(session, campaign.id)
    downloaded = tmp_path / "affectation.json"
    downloaded.write_text(json.dumps(document, default=str), encoding="utf-8")
    forged = tmp_path / "falsifiee.json"
    forged.write_text(json.dumps({**document, "seed": 1}, default=str), encoding="utf-8")
    garbage = tmp_path / "illisible.json"
    garbage.write_text('[[[{"seed": ', encoding="utf-8")
    assert await cma("verify-allocation", "--file", str(downloaded)) == (0, "identique\n", "")
    calendar = document["lottery_commitment"]
    assert (await cma("verify-allocation", "--file", str(downloaded), "--commitment", calendar))[
        :2
    ] == (0, "identique\n")
    other = await cma("verify-allocation", "--file", str(downloaded), "--commitment", "0" * 64)
    assert other[:2] == (
        1,
        "L'engagement du document n'est pas celui que le calendrier a publié.\n",
    )
    refused = await cma("verify-allocation", "--file", str(forged))
    assert refused[0] == 1
    assert refused[1].startswith("La graine tirée du secret et des données est")
    unreadable = await cma("verify-allocation", "--file", str(garbage))
    assert unreadable[0] == 1
    assert unreadable[1].startswith("Document illisible")
    outcomes = await campaign.outcomes()
    assert sorted(o[0] for o in outcomes.values()) == ["offered", "waitlisted"]


async def test_a_draw_shown_to_a_learner_that_did_not_decide_is_caught(
    client: AsyncClient, mailbox: Mailbox, campaign: Closed
) -> None:
    await campaign.course("TL0001", seats=1)
    for learner in await crowd(campaign, 3, choices=0):
        await campaign.apply(learner, "TL0001")
    await commit(campaign)
    staff = await staff_headers(client, mailbox)
    path = f"/api/v1/admin/campaigns/{campaign.id}/allocation/verification"
    before = (await client.get(path, headers=staff)).json()
    async with campaign.sessionmaker() as session, session.begin():
        await session.execute(
            update(Application)
            .where(Application.campaign_id == campaign.id, Application.outcome == "waitlisted")
            .values(draw=0)
        )

    after = (await client.get(path, headers=staff)).json()

    assert before == {"identical": True, "detail": "identique"}
    assert after["identical"] is False
    assert "une priorité ou un tirage que le document publié ne donne pas" in after["detail"]
