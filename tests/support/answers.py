"""Reading the API's answers: the fields a problem names, what two answers tell."""

from httpx import Response


def field_errors(response: Response) -> dict[str, str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return {error["field"]: error["message"] for error in response.json().get("errors") or []}


def told(response: Response) -> tuple[int, object]:
    """What an answer tells: its status and body, less the request's own id (which every
    problem carries, different each time) — for comparing two answers that must not differ."""
    body = response.json()
    if isinstance(body, dict):
        body = {key: value for key, value in body.items() if key != "request_id"}
    return response.status_code, body
