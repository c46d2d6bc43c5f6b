"""The staff back office: behind the staff role, the catalogue editable, people read-only."""

import html

import pytest
from httpx import AsyncClient
from sqlalchemy import select

from cma.accounts.models import LoginSession
from cma.catalogue.models import Course
from tests.learners.test_fiche import learner_headers
from tests.support import PASSWORD, Mailbox, make_staff

HOME = "/back-office/"


async def staff_cookie(client: AsyncClient, mailbox: Mailbox) -> None:
    """Log in as staff like the SPA does: the session travels in the cookie."""
    await make_staff(client, mailbox, "agent@paris.fr")
    client.cookies.clear()
    response = await client.post(
        "/api/v1/sessions", json={"email": "agent@paris.fr", "password": PASSWORD}
    )
    assert response.status_code == 201


async def first_course(mailbox: Mailbox) -> Course:
    async with mailbox.sessionmaker() as session:
        course = await session.scalar(select(Course).order_by(Course.code).limit(1))
    assert course is not None
    return course


def course_form(course: Course, **change: str) -> dict[str, str]:
    """The course's edit form as it stands, with these fields changed."""
    return {
        "title": course.title,
        "description": course.description,
        "level": course.level,
        "prerequisites": course.prerequisites or "",
        "weekday": str(course.weekday),
        "start_time": course.start_time.strftime("%H:%M"),
        "end_time": course.end_time.strftime("%H:%M"),
        "period": course.period,
        "hours": str(course.hours),
        "fee": str(course.fee),
        "seats": str(course.seats),
        **change,
    }


async def test_anonymous_visitors_are_sent_to_the_login_page(client: AsyncClient) -> None:
    response = await client.get(HOME)

    assert response.status_code == 302
    assert response.headers["location"] == "/connexion?suite=/back-office/"


async def test_learners_are_refused(client: AsyncClient, mailbox: Mailbox) -> None:
    await learner_headers(client, mailbox)
    client.cookies.clear()
    await client.post("/api/v1/sessions", json={"email": "a@yopmail.com", "password": PASSWORD})

    response = await client.get(HOME)
    listing = await client.get("/back-office/application/list")

    assert response.status_code == 403
    assert listing.status_code == 403


async def test_staff_see_the_catalogue_and_the_trails_under_a_strict_policy(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    await staff_cookie(client, mailbox)

    home = await client.get(HOME)
    courses = await client.get("/back-office/course/list")
    outbox = await client.get("/back-office/outbox-message/list")
    no_create = await client.get("/back-office/application/create")

    assert home.status_code == 200
    assert "Gestion des CMA" in home.text
    assert courses.status_code == 200
    assert "Cours" in courses.text
    policy = courses.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script>" not in courses.text
    assert outbox.status_code == 200
    assert no_create.status_code in (403, 404)


@pytest.mark.parametrize("origin", [None, "https://evil.example"])
async def test_a_write_must_come_from_this_site(
    client: AsyncClient, mailbox: Mailbox, catalogue: int, origin: str | None
) -> None:
    await staff_cookie(client, mailbox)
    async with mailbox.sessionmaker() as session:
        code = await session.scalar(select(Course.code).order_by(Course.code).limit(1))
    headers = {"Origin": origin} if origin else {}

    response = await client.post(f"/back-office/course/edit/{code}", data={}, headers=headers)

    assert response.status_code == 403


async def test_staff_edit_a_course_from_the_back_office(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    await staff_cookie(client, mailbox)
    course = await first_course(mailbox)
    form = await client.get(f"/back-office/course/edit/{course.code}")
    assert form.status_code == 200
    assert 'name="seats"' in form.text
    fields = course_form(course, seats="31")

    saved = await client.post(
        f"/back-office/course/edit/{course.code}",
        data=fields,
        headers={"Origin": "https://cma.test"},
    )

    assert saved.status_code == 302, saved.text[-2000:]
    async with mailbox.sessionmaker() as session:
        assert await session.scalar(select(Course.seats).where(Course.code == course.code)) == 31


async def test_logging_out_takes_this_sites_post_never_a_link(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await staff_cookie(client, mailbox)
    csrf = client.cookies["cma_csrf"]
    home = await client.get(HOME)

    followed_link = await client.get("/back-office/logout")
    without_token = await client.post(
        "/back-office/deconnexion", data={}, headers={"Origin": "https://cma.test"}
    )
    from_elsewhere = await client.post(
        "/back-office/deconnexion",
        data={"csrf_token": csrf},
        headers={"Origin": "https://evil.example"},
    )
    still_in = await client.get("/api/v1/me")
    logged_out = await client.post(
        "/back-office/deconnexion",
        data={"csrf_token": csrf},
        headers={"Origin": "https://cma.test"},
    )

    assert 'method="post"' in home.text
    assert "/back-office/deconnexion" in home.text
    assert "/back-office/logout" not in home.text
    assert followed_link.status_code == 302
    assert without_token.status_code == from_elsewhere.status_code == 403
    assert still_in.status_code == 200  # neither the link nor a forged post ended the session
    assert logged_out.status_code == 303
    assert logged_out.headers["location"] == "/"
    async with mailbox.sessionmaker() as session:
        assert await session.scalar(select(LoginSession.revoked_at)) is not None


async def test_what_staff_type_in_an_address_or_a_form_never_makes_a_500(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    await staff_cookie(client, mailbox)
    for target in (
        "/back-office/course/list?search=a%00b",
        "/back-office/learner/list?search=%00",
        "/back-office/learner/details/not-a-uuid",
        "/back-office/learner/details/%00",
        "/back-office/application/details/1e5",
        "/back-office/application/details/99999999999999999999999",
        "/back-office/application/details/-1",
        "/back-office/course/list?page=1e5",
        "/back-office/course/list?page=99999999999999999999999",
        "/back-office/course/list?pageSize=-1",
        "/back-office/course/list?page=0",
        "/back-office/application/list?sortBy=nothing",
        "/back-office/course/details/%00",
        "/back-office/course/edit/%00",
        "/back-office/campaign/edit/1e5",
    ):
        answer = await client.get(target)

        assert answer.status_code < 500, (target, answer.text[-500:])
        assert "Traceback" not in answer.text


async def test_a_value_the_database_refuses_is_told_in_french_on_the_form(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    await staff_cookie(client, mailbox)
    course = await first_course(mailbox)
    # The end before the start: the database's check refuses it.
    fields = course_form(course, start_time="21:00", end_time="19:00", seats="31")
    origin = {"Origin": "https://cma.test"}

    refused = await client.post(
        f"/back-office/course/edit/{course.code}", data=fields, headers=origin
    )
    nul = await client.post(
        f"/back-office/course/edit/{course.code}",
        data={**fields, "end_time": "22:00", "title": "a\x00b"},
        headers=origin,
    )

    for answer in (refused, nul):
        assert answer.status_code == 400, answer.text[-2000:]
        assert "IntegrityError" not in answer.text
        assert "CheckViolation" not in answer.text
        assert "SQL" not in answer.text
    assert (
        "La modification n'a pas été enregistrée : l'heure de fin doit être après l'heure de début."
        in html.unescape(refused.text)
    )
    async with mailbox.sessionmaker() as session:
        assert await session.scalar(select(Course.end_time).where(Course.code == course.code)) == (
            course.end_time
        )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"fee": "NaN"}, "Le tarif doit être un nombre"),
        ({"fee": "sNaN"}, "Le tarif doit être un nombre"),
        ({"fee": "-Infinity"}, "Le tarif doit être un nombre"),
        ({"title": "A\x01B"}, "caractère de contrôle"),
        ({"hours": "2147483648"}, "un nombre trop grand"),
        ({"fee": "99999"}, "le tarif va de 0 à 10 000 €."),
        ({"seats": "100000"}, "le nombre de places va de 1 à 500."),
        ({"description": "d" * 6000}, "la description a de 1 à 5 000 caractères"),
        ({"seats": "douze"}, "N'est pas un entier valide."),
    ],
)
async def test_the_back_office_keeps_the_apis_bounds_and_the_catalogue_stays_readable(
    client: AsyncClient,
    mailbox: Mailbox,
    catalogue: int,
    change: dict[str, str],
    reason: str,
) -> None:
    await staff_cookie(client, mailbox)
    course = await first_course(mailbox)
    fields = course_form(course, **change)

    saved = await client.post(
        f"/back-office/course/edit/{course.code}",
        data=fields,
        headers={"Origin": "https://cma.test"},
    )

    assert saved.status_code == 400, saved.text[-1000:]
    assert reason in html.unescape(saved.text)
    assert (await client.get(f"/api/v1/courses/{course.code}")).status_code == 200
    assert (await client.get("/api/v1/courses")).status_code == 200


async def test_staff_create_an_information_page_from_the_back_office(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    await staff_cookie(client, mailbox)
    form = await client.get("/back-office/page/create")
    assert 'name="slug"' in form.text

    created = await client.post(
        "/back-office/page/create",
        data={
            "slug": "venir-en-cours",
            "title": "Venir en cours",
            "body": "Le plan.",
            "position": "9",
        },
        headers={"Origin": "https://cma.test"},
    )

    assert created.status_code == 302, html.unescape(created.text)[-1500:]
    assert (await client.get("/api/v1/pages/venir-en-cours")).status_code == 200


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": "[" * 60000}, "50 000 caractères au plus"),
        ({"position": "-32768"}, "l'ordre va de 0 à 1 000."),
        ({"title": "   "}, "le titre ne peut pas être vide"),
    ],
)
async def test_a_page_from_the_back_office_keeps_the_apis_bounds(
    client: AsyncClient, mailbox: Mailbox, catalogue: int, change: dict[str, str], reason: str
) -> None:
    await staff_cookie(client, mailbox)
    fields = {
        "slug": "venir-en-cours",
        "title": "Venir en cours",
        "body": "Le plan.",
        "position": "9",
    }

    refused = await client.post(
        "/back-office/page/create",
        data={**fields, **change},
        headers={"Origin": "https://cma.test"},
    )

    assert refused.status_code == 400
    assert reason in html.unescape(refused.text)
    assert (await client.get("/api/v1/pages/venir-en-cours")).status_code == 404
