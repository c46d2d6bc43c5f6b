"""Learners: the fiche a learner completes, and the old site's accounts they pair with."""

from pathlib import Path

from httpx import AsyncClient, Response

from tests.support.accounts import active_account, bearer, log_in
from tests.support.mail import Mailbox

FICHE = {
    "title": "Mme",
    "last_name": "Martin",
    "birth_name": "Durand",
    "first_name": "Camille",
    "birth_date": "1990-04-12",
    "birth_country": "FR",
    "address": "12 rue de la Roquette",
    "address_2": "",
    "address_3": "",
    "postal_code": "75011",
    "city": "Paris",
    "mobile_phone": "06 12 34 56 78",
    "landline_phone": "",
    "heard_from": "mairie_arrondissement",
}


async def learner_headers(
    client: AsyncClient, mailbox: Mailbox, email: str = "a@yopmail.com"
) -> dict[str, str]:
    await active_account(client, mailbox, email)
    client.cookies.clear()
    return bearer(await log_in(client, email))


def credentials(export: Path) -> dict[str, tuple[str, str]]:
    """scheme -> (email, password) of an account of that hash format."""
    found: dict[str, tuple[str, str]] = {}
    lines = (export / "credentials.csv").read_text(encoding="utf-8").splitlines()[1:]
    for line in lines:
        email, password, scheme = line.split(";")
        found.setdefault(scheme, (email, password))
    return found


async def legacy_login(
    client: AsyncClient, auth: dict[str, str], email: str, password: str, **more: str
) -> Response:
    return await client.post(
        "/api/v1/learner-links/legacy-login",
        json={"email": email, "password": password, **more},
        headers=auth,
    )
