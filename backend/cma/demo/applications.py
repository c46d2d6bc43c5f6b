"""A generated crowd of applicants for a campaign: for the allocation's tests and benchmark.

Learners get accounts that cannot log in (no usable password), a record, and up to `choices`
ranked applications to courses of the campaign that are never at the same time. Demand is
skewed like the real one (a few courses are wanted by many), so some courses are
oversubscribed and others are not. Deterministic for a given `random_seed`.
"""

import random
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cma.catalogue.models import Course
from cma.enrolment.models import PrioritySituation

UNUSABLE_PASSWORD = "!generated"  # noqa: S105 - matches no hash scheme: nobody can log in
SOCIAL = [
    PrioritySituation.DEMANDEUR_EMPLOI.value,
    PrioritySituation.RSA.value,
    PrioritySituation.AUTRE_MINIMA.value,
]


async def _copy(
    session: AsyncSession, table: str, columns: list[str], rows: list[tuple[Any, ...]]
) -> None:
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.copy_records_to_table(table, records=rows, columns=columns)


async def applicants(
    session: AsyncSession,
    campaign_id: int,
    *,
    learners: int,
    choices: int = 3,
    social_share: float = 0.15,
    random_seed: int = 1,
    prefix: str = "candidat",
    password_hash: str = UNUSABLE_PASSWORD,
    domain: str = "cma.test",
) -> list[uuid.UUID]:
    """Write `learners` learners with their submitted applications; returns their ids.

    Their addresses are `{prefix}-{n}@{domain}`; give a real `password_hash` (one for all) and
    a domain the API accepts (not the reserved `.test`) to let them log in."""
    rng = random.Random(random_seed)  # noqa: S311 - reproducible test data, no secret
    courses = list(
        await session.execute(
            select(Course.code, Course.weekday, Course.needs_priority_situation)
            .where(Course.campaign_id == campaign_id, Course.cancelled_at.is_(None))
            .order_by(Course.code)
        )
    )
    # Popularity follows a power law: course i is wanted about 1/(i+1)^0.7 as much as the first.
    order = courses[:]
    rng.shuffle(order)
    weights = [1 / (i + 1) ** 0.7 for i in range(len(order))]

    now = datetime.now(UTC)
    account_rows, learner_rows, application_rows = [], [], []
    learner_ids = []
    for n in range(learners):
        account_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        learner_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        learner_ids.append(learner_id)
        mobile = f"+336{n:08d}"
        account_rows.append(
            (
                account_id,
                f"{prefix}-{n}@{domain}",
                password_hash,
                "active",
                mobile,
                "2026-11",
                now,
                now,
            )
        )
        learner_rows.append(
            (
                learner_id,
                account_id,
                rng.choice(["M", "Mme"]),
                f"Nom{n}",
                f"Prénom{n}",
                date(1950 + n % 55, 1 + n % 12, 1 + n % 28),
                "FR",
                f"{1 + n % 200} rue de Paris",
                f"750{1 + n % 20:02d}",
                "Paris",
                mobile,
                "internet",
            )
        )
        social = rng.random() < social_share
        chosen: list[Any] = []
        for _ in range(choices * 10):
            if len(chosen) == min(choices, len(courses)):
                break
            course = rng.choices(order, weights)[0]
            if all(course.code != c.code and course.weekday != c.weekday for c in chosen):
                chosen.append(course)
        for rank, course in enumerate(chosen, start=1):
            situation = (
                (rng.choice(SOCIAL) if social else PrioritySituation.AUCUNE.value)
                if course.needs_priority_situation
                else None
            )
            application_rows.append((learner_id, campaign_id, course.code, rank, situation))
    await _copy(
        session,
        "accounts",
        [
            "id",
            "email",
            "password_hash",
            "status",
            "mobile_phone",
            "terms_version",
            "terms_accepted_at",
            "activated_at",
        ],
        account_rows,
    )
    await _copy(
        session,
        "learners",
        [
            "id",
            "account_id",
            "title",
            "last_name",
            "first_name",
            "birth_date",
            "birth_country",
            "address",
            "postal_code",
            "city",
            "mobile_phone",
            "heard_from",
        ],
        learner_rows,
    )
    await _copy(
        session,
        "applications",
        ["learner_id", "campaign_id", "course_code", "rank", "priority_situation"],
        application_rows,
    )
    return learner_ids
