"""The rules of "Je crée mon compte", each with its French error naming the field."""

import asyncio

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from cma.accounts.models import Account
from tests.support import (
    PASSWORD,
    Mailbox,
    active_account,
    field_errors,
    new_captcha,
    sign_up,
    signup_body,
    token_in,
    told,
)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Court1a", "au minimum 8 caractères"),
        ("minuscule1", "au moins une majuscule"),
        ("MAJUSCULE1", "au moins une minuscule"),
        ("SansChiffre", "au moins un chiffre"),
        ("Special1!x", "caractères spéciaux"),
        ("Accentué1A", "caractères spéciaux"),
        ("Avec Espace1", "caractères spéciaux"),
        ("A1" + "a" * 63, "au maximum 64 caractères"),
    ],
)
async def test_password_policy_refuses(
    client: AsyncClient, mailbox: Mailbox, password: str, message: str
) -> None:
    response = await sign_up(client, mailbox.sessionmaker, "a@yopmail.com", password)

    assert response.status_code == 422
    assert message in field_errors(response)["password"]


@pytest.mark.parametrize(
    "password", ["Tk8mPq2x", "A1" + "bqzpmwkx" * 7 + "fghjkl", "86127439aB", "Grenouille8Bleue"]
)
async def test_password_policy_accepts_its_edges(
    client: AsyncClient, mailbox: Mailbox, password: str
) -> None:
    response = await sign_up(client, mailbox.sessionmaker, "edge@yopmail.com", password)

    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    "password",
    ["Password1", "Azerty123", "Motdepasse1", "Qwerty123", "Soleil2024", "Abcdefg1", "Aaaaaaa1"],
)
async def test_the_most_common_passwords_are_refused(
    client: AsyncClient, mailbox: Mailbox, password: str
) -> None:
    response = await sign_up(client, mailbox.sessionmaker, "a@yopmail.com", password)

    assert response.status_code == 422
    assert field_errors(response)["password"].startswith(
        "Ce mot de passe est trop facile à deviner"
    )


async def test_a_password_built_on_the_address_is_refused(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    response = await sign_up(
        client, mailbox.sessionmaker, "grenouille.bleue@yopmail.com", "Grenouille2026"
    )
    elsewhere = await sign_up(client, mailbox.sessionmaker, "a@yopmail.com", "Grenouille2026")

    assert response.status_code == 422
    assert "trop facile à deviner" in field_errors(response)["password"]
    assert elsewhere.status_code == 202


async def test_each_field_error_is_french_and_names_its_field(client: AsyncClient) -> None:
    response = await client.post(
        "/api/v1/accounts",
        json={
            "email": "pas-une-adresse",
            "password": "Tilleul7Oranger",
            "password_confirmation": "AutreChose2026",
            "mobile_phone": "01 23 45 67 89",
            "accept_terms": False,
            "captcha_id": "pas-un-uuid",
        },
    )

    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:cma:problem:validation"
    assert body["status"] == 422
    errors = field_errors(response)
    assert errors == {
        "email": "L'adresse mail n'est pas valide (exemple : prenom.nom@exemple.fr).",
        "password_confirmation": "La confirmation ne correspond pas au mot de passe.",
        "mobile_phone": "Veuillez indiquer un numéro de téléphone portable "
        "(06 ou 07 en métropole).",
        "accept_terms": "Vous devez accepter les Conditions Générales d'Utilisation.",
        "captcha_id": "Identifiant invalide.",
        "captcha_answer": "Ce champ est obligatoire.",
    }


async def test_missing_fields_are_each_named(client: AsyncClient) -> None:
    response = await client.post("/api/v1/accounts", json={})

    errors = field_errors(response)
    for field in ("email", "password", "password_confirmation", "accept_terms", "captcha_id"):
        assert errors[field] == "Ce champ est obligatoire."
    assert "mobile_phone" not in errors
    assert "accept_information" not in errors


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("0612345678", "+33612345678"),
        ("07 98 76 54 32", "+33798765432"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0692 12 34 56", "+262692123456"),
        ("", None),
    ],
)
async def test_mobile_phone_is_optional_and_stored_in_e164(
    client: AsyncClient, mailbox: Mailbox, given: str, stored: str | None
) -> None:
    await active_account(client, mailbox, "tel@yopmail.com", mobile_phone=given)

    async with mailbox.sessionmaker() as session:
        assert await session.scalar(select(Account.mobile_phone)) == stored


@pytest.mark.parametrize("number", ["06 12", "+44 7911 123456", "abc"])
async def test_mobile_phone_must_be_a_french_mobile(
    client: AsyncClient, mailbox: Mailbox, number: str
) -> None:
    response = await sign_up(client, mailbox.sessionmaker, "tel@yopmail.com", mobile_phone=number)

    assert response.status_code == 422
    assert "mobile_phone" in field_errors(response)


async def test_an_address_already_used_in_any_case_gets_the_same_answer_and_a_mail(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    first = await sign_up(client, mailbox.sessionmaker, "auditeur.cma@yopmail.com")
    token = await mailbox.token_from_last("auditeur.cma@yopmail.com")
    activation = await client.post(
        "/api/v1/accounts/activation", json={"token": token, "password": PASSWORD}
    )
    assert activation.status_code == 200

    second = await sign_up(client, mailbox.sessionmaker, "AUDITEUR.Cma@YOPMAIL.com", "Autre2026xx")

    assert second.status_code == first.status_code == 202
    assert told(second) == told(first)
    mail = await mailbox.last_to("auditeur.cma@yopmail.com")
    assert mail.subject == "Votre compte parisien existe déjà"
    assert "Mot de passe oublié ?" in mail.body()
    async with mailbox.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 1


async def test_two_concurrent_sign_ups_of_one_address_make_exactly_one_account(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    captchas = [await new_captcha(client, mailbox.sessionmaker) for _ in range(2)]

    async def attempt(captcha: tuple[str, str], email: str) -> int:
        response = await client.post("/api/v1/accounts", json=signup_body(email, captcha))
        return response.status_code

    statuses = await asyncio.gather(
        attempt(captchas[0], "meme@yopmail.com"), attempt(captchas[1], "MEME@yopmail.com")
    )
    mails = await mailbox.mails_to("meme@yopmail.com")
    tokens = [token_in(mail) for mail in mails]
    activations = await asyncio.gather(
        *(
            client.post("/api/v1/accounts/activation", json={"token": t, "password": PASSWORD})
            for t in tokens
        )
    )

    assert statuses == [202, 202]
    assert {mail.subject for mail in mails} == {"Confirmation de votre compte Parisien"}
    assert sorted(a.status_code for a in activations) == [200, 409]
    async with mailbox.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 1


@pytest.mark.parametrize(
    ("second", "constraint"),
    [("x@yopmail.com", "uq_accounts_email"), ("X@yopmail.com", "ck_accounts_email_lower")],
)
async def test_the_database_refuses_a_second_account_whatever_the_code_does(
    mailbox: Mailbox, second: str, constraint: str
) -> None:
    from sqlalchemy.exc import IntegrityError

    def account(email: str) -> Account:
        return Account(
            email=email, password_hash="h", terms_version="v", terms_accepted_at=func.now()
        )

    async with mailbox.sessionmaker() as session:
        session.add(account("x@yopmail.com"))
        await session.commit()
        session.add(account(second))
        with pytest.raises(IntegrityError, match=constraint):
            await session.commit()
