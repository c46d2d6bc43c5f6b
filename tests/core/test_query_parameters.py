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


async def test_a_number_in_the_address_is_plain_digits_and_given_once(client: AsyncClient) -> None:
    for written in ("1_0", "+3", " 3", "١", "2.0"):
        answer = await client.get("/api/v1/courses", params={"page": written})

        assert answer.status_code == 422, written
        [error] = answer.json()["errors"]
        assert (error["field"], error["location"], error["code"]) == (
            "page",
            "query",
            "number_text",
        )
    twice = await client.get("/api/v1/courses?page=1&page=2")
    assert twice.status_code == 422
    assert twice.json()["errors"][0]["code"] == "repeated_parameter"
    in_path = await client.put("/api/v1/admin/campaigns/1_0", json={})
    assert in_path.status_code == 422
    assert in_path.json()["errors"][0]["location"] == "path"
