"""A query parameter an operation does not take is refused, naming it: a partner's client that
sends `limit=-1`, or misspells `page_size`, must not believe it was obeyed."""

from httpx import AsyncClient


async def test_a_parameter_the_catalogue_does_not_take_is_named_in_a_422(
    client: AsyncClient,
) -> None:
    answer = await client.get("/api/v1/courses", params={"limit": "-1", "pagesize": "5"})

    assert answer.status_code == 422
    problem = answer.json()
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e["location"]) for e in problem["errors"]] == [
        ("limit", "query"),
        ("pagesize", "query"),
    ]
    assert problem["errors"][0]["message"] == "Ce paramètre n'est pas reconnu par cette adresse."


async def test_the_parameters_an_operation_takes_still_work(client: AsyncClient) -> None:
    answer = await client.get("/api/v1/courses", params={"page_size": "5", "page": "1"})

    assert answer.status_code == 200
    assert len(answer.json()["items"]) <= 5
