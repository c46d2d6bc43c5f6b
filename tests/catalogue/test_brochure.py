""" "La brochure": the school year's catalogue as a PDF drawn from the catalogue itself."""

import asyncio
import io
from typing import Any

from httpx import AsyncClient
from pypdf import PdfReader

from tests.support import Mailbox, new_course, staff_headers


def _text(pdf: bytes) -> str:
    """The words of the PDF, however its lines break."""
    pages = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(pages.split())


async def test_the_brochure_lists_every_course_by_domain_and_follows_the_catalogue(
    client: AsyncClient, mailbox: Mailbox, catalogue: int
) -> None:
    first = await client.get("/api/v1/brochure")

    assert first.status_code == 200
    assert first.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(first.content))
    catalog: Any = reader.trailer["/Root"]
    assert catalog["/MarkInfo"]["/Marked"]  # a tagged PDF, for screen readers
    assert catalog["/Lang"] == "fr"
    text = _text(first.content)
    course = (await client.get("/api/v1/courses", params={"open": True})).json()["items"][0]
    detail = (await client.get(f"/api/v1/courses/{course['code']}")).json()
    assert f"Code {course['code']}" in text
    assert detail["domain"]["name"] in text
    assert "Calendrier des inscriptions" in text
    assert "réduit : " + detail["reduced_fee"].replace(".", ",") + " €" in text
    # The same bytes until the catalogue changes: a client revalidates for nothing.
    again = await client.get("/api/v1/brochure", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304

    staff = await staff_headers(client, mailbox)
    body = await new_course(client)
    created = await client.post(
        "/api/v1/admin/courses", json={**body, "title": "Breton pour la brochure"}, headers=staff
    )
    assert created.status_code == 201, created.text
    # While the new one renders, the one before is served: nobody waits for an edit.
    for _ in range(300):
        changed = await client.get(
            "/api/v1/brochure", headers={"If-None-Match": first.headers["etag"]}
        )
        if changed.status_code == 200:
            break
        assert changed.status_code == 304
        await asyncio.sleep(0.1)
    assert "Breton pour la brochure" in _text(changed.content)
    head = await client.head("/api/v1/brochure")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == changed.headers["etag"]
    anything = await client.get("/api/v1/brochure", headers={"If-None-Match": "*"})
    assert anything.status_code == 304


async def test_no_brochure_before_any_campaign(client: AsyncClient) -> None:
    response = await client.get("/api/v1/brochure")

    assert response.status_code == 404
    assert response.json()["type"] == "urn:cma:problem:no-brochure"
