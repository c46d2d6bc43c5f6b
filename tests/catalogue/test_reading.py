"""Journey E: what anyone sees before logging in — domains, catalogue, course, calendar, pages."""

from datetime import time
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cma.demo.catalogue import DOMAINS


async def courses(client: AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/courses", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_domains_are_the_seeds_in_its_order_with_their_counts(
    client: AsyncClient, catalogue: int
) -> None:
    response = await client.get("/api/v1/domains")

    assert [d["name"] for d in response.json()] == [
        "Accompagnement professionnel",
        "Artisanat & métiers d'Art",
        "Bureautique et internet",
        "Domaine par défaut",
        "Enseignement général",
        "Entreprise",
        "Environnement",
        "Langue française",
        "Langues étrangères Bis",
        "Métiers de l'informatique",
        "Sanitaire et social",
    ]
    assert sum(d["course_count"] for d in response.json()) == catalogue
    for domain in response.json():
        listed = await courses(client, domain=domain["slug"], page_size=1)
        assert listed["total"] == domain["course_count"]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("anglais", lambda c: c["title"].startswith("Anglais")),
        ("ANGLAIS", lambda c: c["title"].startswith("Anglais")),
        ("informatique", lambda c: c["domain"]["name"] == "Métiers de l'informatique"),
        ("word", lambda c: c["domain"]["name"] == "Bureautique et internet"),
        ("francais", lambda c: "français" in c["title"].lower()),
        ("métiers d'art", lambda c: c["domain"]["name"] == "Artisanat & métiers d'Art"),
        ("angl b1", lambda c: c["title"].startswith("Anglais") and "(B1)" in c["title"]),
    ],
)
async def test_french_search_ignores_accents_and_case_and_ranks_sensibly(
    client: AsyncClient, catalogue: int, words: str, expected: object
) -> None:
    found = await courses(client, q=words, page_size=10)

    assert found["total"] > 0
    assert all(expected(course) for course in found["items"]), found["items"]  # type: ignore[operator]


async def test_a_search_for_nothing_known_finds_nothing(
    client: AsyncClient, catalogue: int
) -> None:
    assert (await courses(client, q="zzyzx"))["total"] == 0
    assert (await courses(client, q="!!!"))["total"] == 0


async def test_filters_each_narrow_the_list(client: AsyncClient, catalogue: int) -> None:
    everything = (await courses(client, page_size=1))["total"]
    assert everything == catalogue

    for course in (await courses(client, level="debutant", page_size=100))["items"]:
        assert course["level"] == "debutant"
    for course in (await courses(client, arrondissement=11, page_size=100))["items"]:
        assert course["venue"]["arrondissement"] == 11
        assert course["venue"]["postal_code"] == "75011"
    for course in (await courses(client, weekday=6, page_size=100))["items"]:
        assert course["weekday_label"] == "Samedi"
    for course in (await courses(client, time_of_day="soir", page_size=100))["items"]:
        assert time.fromisoformat(course["start_time"]) >= time(18, 0)
    for course in (await courses(client, time_of_day="matin", page_size=100))["items"]:
        assert time.fromisoformat(course["start_time"]) < time(12, 0)
    for course in (await courses(client, period="second_semester", page_size=100))["items"]:
        assert course["period_label"] == "Second semestre"
    for course in (await courses(client, new=True, page_size=100))["items"]:
        assert course["is_new"]

    open_now = await courses(client, open=True, page_size=100)
    closed = await courses(client, open=False, page_size=100)
    assert open_now["total"] + closed["total"] == everything
    assert all(c["open_for_applications"] for c in open_now["items"])
    assert all(c["period"] != "second_semester" for c in open_now["items"])
    assert all(c["period"] == "second_semester" for c in closed["items"])

    combined = await courses(client, domain="langues-etrangeres-bis", level="avance", weekday=2)
    for course in combined["items"]:
        assert (course["domain"]["slug"], course["level"], course["weekday"]) == (
            "langues-etrangeres-bis",
            "avance",
            2,
        )


async def test_pages_are_stable_and_cover_everything_once(
    client: AsyncClient, catalogue: int
) -> None:
    seen: list[str] = []
    page = 1
    while True:
        listed = await courses(client, page=page, page_size=40)
        seen += [c["code"] for c in listed["items"]]
        if page >= listed["pages"]:
            break
        page += 1

    assert len(seen) == len(set(seen)) == catalogue
    assert seen == sorted(seen)
    again = await courses(client, page=3, page_size=40)
    assert [c["code"] for c in again["items"]] == seen[80:120]


async def test_bad_filters_are_clear_422s(client: AsyncClient) -> None:
    for params in (
        {"arrondissement": 21},
        {"weekday": 0},
        {"level": "expert"},
        {"time_of_day": "nuit"},
        {"page_size": 1000},
        {"q": "x" * 101},
    ):
        response = await client.get("/api/v1/courses", params=params)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["location"] == "query"


async def test_a_course_page_shows_venue_schedule_and_period(
    client: AsyncClient, catalogue: int
) -> None:
    code = (await courses(client, q="anglais", page_size=1))["items"][0]["code"]

    response = await client.get(f"/api/v1/courses/{code.lower()}")

    assert response.status_code == 200
    course = response.json()
    assert course["code"] == code
    assert course["venue"]["address"]
    assert course["weekday_label"] in {"Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi"}
    assert course["hours"] > 0
    assert course["campaign"]["name"] in {
        "Cours annuels et premier semestre",
        "Cours du second semestre",
    }
    assert (await client.get("/api/v1/courses/ZZ9999")).status_code == 404


async def test_reads_carry_an_etag_and_answer_304(client: AsyncClient, catalogue: int) -> None:
    first = await client.get("/api/v1/domains")  # computed by the route
    hit = await client.get("/api/v1/domains")  # answered from the cache, before routing
    etag = first.headers["etag"]

    again = await client.get("/api/v1/domains", headers={"If-None-Match": etag})

    assert first.headers["cache-control"] == hit.headers["cache-control"] == "public, no-cache"
    assert hit.content == first.content
    assert hit.headers["etag"] == etag
    assert hit.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag


async def test_the_calendar_has_the_seeds_two_campaigns_of_2016_2017(
    client: AsyncClient, catalogue: int
) -> None:
    response = await client.get("/api/v1/campaigns", params={"school_year": "2016-2017"})

    assert [
        (
            c["name"],
            c["application_start"],
            c["application_end"],
            c["response_start"],
            c["response_end"],
        )
        for c in response.json()
    ] == [
        (
            "Cours annuels et premier semestre",
            "2016-08-23",
            "2016-09-07",
            "2016-09-08",
            "2016-09-30",
        ),
        ("Cours du second semestre", "2017-01-24", "2017-02-07", "2017-02-08", "2017-03-03"),
    ]
    assert not any(c["open_for_applications"] for c in response.json())
    everything = (await client.get("/api/v1/campaigns")).json()
    assert sum(c["open_for_applications"] for c in everything) == 1  # the demo is always open


async def test_the_information_pages_of_the_home_page(client: AsyncClient, catalogue: int) -> None:
    listed = (await client.get("/api/v1/pages")).json()

    assert [p["title"] for p in listed] == [
        "Aide à l'inscription",
        "Outils d'orientation",
        "La brochure",
        "Les nouvelles formations",
        "Document d'information rapide",
        "Informations importantes",
        "Réponses aux candidatures",
        "Liens utiles et assistance",
    ]
    page = (await client.get(f"/api/v1/pages/{listed[0]['slug']}")).json()
    assert "<h2>Comment déposer vos candidatures</h2>" in page["body_html"]
    assert (await client.get("/api/v1/pages/nope")).status_code == 404


async def test_the_seed_is_idempotent_and_deterministic(
    app: Any,
    client: AsyncClient,
    catalogue: int,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    from cma.demo import catalogue as demo_catalogue

    before = await courses(client, page_size=100)
    async with sessionmaker() as session, session.begin():
        await demo_catalogue.seed(session, courses=catalogue)
    await app.state.catalogue_cache.refresh()

    after = await courses(client, page_size=100)
    assert after["total"] == before["total"] == catalogue
    assert after["items"] == before["items"]
    assert len(DOMAINS) == 11


async def test_the_cache_is_bounded_in_entries_and_bytes() -> None:
    from cma.catalogue.cache import Entry, ReadCache

    cache = ReadCache(None, max_entries=3, max_bytes=250)  # type: ignore[arg-type]
    cache.version = 1

    async def body(size: int) -> Entry:
        return Entry(body=b"x" * size, etag='"e"')

    for n in range(5):
        await cache.get(f"k{n}", lambda: body(100))

    assert [key for key in ("k0", "k1", "k2", "k3", "k4") if cache.peek(key)] == ["k3", "k4"]
