"""Courses of the catalogue, written through the back office."""

from httpx import AsyncClient

COURSE = {
    "code": "LE9001",
    "title": "Breton — niveau débutant",
    "description": "Découvrir la langue bretonne.",
    "domain": "langues-etrangeres-bis",
    "level": "debutant",
    "venue": None,
    "campaign_id": None,
    "weekday": 3,
    "start_time": "18:30",
    "end_time": "20:30",
    "period": "annual",
    "hours": 60,
    "fee": "120.00",
    "seats": 18,
}


async def new_course(client: AsyncClient) -> dict[str, object]:
    """A new course (COURSE) in an open campaign of the demo catalogue, at one of its venues."""
    some = (await client.get("/api/v1/courses", params={"open": True, "page_size": 1})).json()
    detail = (await client.get(f"/api/v1/courses/{some['items'][0]['code']}")).json()
    return {**COURSE, "venue": detail["venue"]["name"], "campaign_id": detail["campaign"]["id"]}
