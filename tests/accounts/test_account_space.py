"""Journey C: "Mon compte" — MON PROFIL, MES ABONNEMENTS, MES PARAMÈTRES, export, deletion."""

from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select

from cma.accounts.models import Account, LoginSession
from cma.notifications.models import OutboxMessage
from tests.support import PASSWORD, Mailbox, active_account, bearer, field_errors, log_in

EMAIL = "auditeur.cma@yopmail.com"


async def _logged_in(client: AsyncClient, mailbox: Mailbox, **signup: Any) -> dict[str, str]:
    await active_account(client, mailbox, EMAIL, **signup)
    return bearer(await log_in(client, EMAIL))


async def test_mon_profil_starts_empty_and_saves_what_is_entered(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    auth = await _logged_in(client, mailbox)

    empty = await client.get("/api/v1/me/profile", headers=auth)
    assert empty.status_code == 200
    assert empty.json()["civility"] == "non_precisee"
    assert empty.json()["civility_label"] == "Non précisée"
    assert empty.json()["first_name"] is None

    saved = await client.put(
        "/api/v1/me/profile",
        headers=auth,
        json={
            "civility": "madame",
            "usage_name": "Martin",
            "birth_name": "Durand",
            "first_name": " Camille ",
            "birth_date": "1990-04-12",
            "address": "12 rue de la Roquette",
            "address_complement": "Bâtiment B",
            "postal_code": "75011",
            "city": "Paris",
        },
    )

    assert saved.status_code == 200, saved.text
    profile = (await client.get("/api/v1/me/profile", headers=auth)).json()
    assert profile["civility_label"] == "Madame"
    assert profile["first_name"] == "Camille"
    assert profile["birth_date"] == "1990-04-12"
    assert profile["updated_at"] is not None


async def test_put_takes_back_what_get_returned(client: AsyncClient, mailbox: Mailbox) -> None:
    auth = await _logged_in(client, mailbox, mobile_phone="0612345678")
    await client.put("/api/v1/me/profile", headers=auth, json={"city": "Paris"})
    before = (await client.get("/api/v1/me/profile", headers=auth)).json()

    again = await client.put("/api/v1/me/profile", headers=auth, json=before)

    assert again.status_code == 200
    after = again.json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


async def test_profile_errors_name_their_field_in_french(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    auth = await _logged_in(client, mailbox)

    response = await client.put(
        "/api/v1/me/profile",
        headers=auth,
        json={"civility": "docteur", "birth_date": "2999-01-01", "postal_code": "7501"},
    )

    assert response.status_code == 422
    errors = field_errors(response)
    assert errors["postal_code"] == "Le code postal doit contenir 5 chiffres."
    assert errors["birth_date"] == "La date de naissance doit être dans le passé."
    assert errors["civility"].startswith("Valeur non autorisée")


async def test_changing_the_password_needs_the_current_one_and_closes_other_sessions(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    auth = await _logged_in(client, mailbox)
    client.cookies.clear()  # the other session is another device's
    other = bearer(await log_in(client, EMAIL))
    new = "Nouveau2026x"

    wrong = await client.put(
        "/api/v1/me/password",
        headers=auth,
        json={"current_password": "Mauvais2026", "password": new, "password_confirmation": new},
    )
    right = await client.put(
        "/api/v1/me/password",
        headers=auth,
        json={"current_password": PASSWORD, "password": new, "password_confirmation": new},
    )

    assert wrong.status_code == 400
    assert field_errors(wrong) == {"current_password": "Le mot de passe actuel est incorrect."}
    assert right.status_code == 200
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 200
    assert (await client.get("/api/v1/me", headers=other)).status_code == 401
    await log_in(client, EMAIL, new)


async def test_changing_the_email_verifies_the_new_address_and_tells_the_old_one(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    auth = await _logged_in(client, mailbox)

    asked = await client.post(
        "/api/v1/me/email",
        headers=auth,
        json={"new_email": "Nouvelle@yopmail.com", "password": PASSWORD},
    )
    assert asked.status_code == 202
    assert (await client.get("/api/v1/me", headers=auth)).json()["email"] == EMAIL
    token = await mailbox.token_from_last("nouvelle@yopmail.com")

    confirm = {"token": token, "password": PASSWORD}
    confirmed = await client.post("/api/v1/me/email/confirm", json=confirm)
    reused = await client.post("/api/v1/me/email/confirm", json=confirm)

    assert confirmed.status_code == 200
    assert confirmed.json()["email"] == "nouvelle@yopmail.com"
    assert reused.status_code == 400
    notice = await mailbox.last_to(EMAIL)
    assert notice.subject == "Votre adresse mail a été modifiée"
    assert "nouvelle@yopmail.com" in notice.body()
    await log_in(client, "nouvelle@yopmail.com")


async def test_the_new_address_is_confirmed_only_with_the_accounts_password(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    # A mistyped address: its reader (or their mail scanner) gets the link, not the password.
    auth = await _logged_in(client, mailbox)
    await client.post(
        "/api/v1/me/email",
        headers=auth,
        json={"new_email": "faute.de.frappe@yopmail.com", "password": PASSWORD},
    )
    token = await mailbox.token_from_last("faute.de.frappe@yopmail.com")

    without = await client.post("/api/v1/me/email/confirm", json={"token": token})
    wrong = await client.post(
        "/api/v1/me/email/confirm", json={"token": token, "password": "Devine2026"}
    )

    assert without.status_code == 422
    assert wrong.status_code == 400
    assert field_errors(wrong) == {
        "password": "Le mot de passe n'est pas celui du compte dont l'adresse change."
    }
    assert (await client.get("/api/v1/me", headers=auth)).json()["email"] == EMAIL
    right = await client.post(
        "/api/v1/me/email/confirm", json={"token": token, "password": PASSWORD}
    )
    assert right.status_code == 200  # a wrong try does not spend the link


async def test_a_change_of_address_kills_every_link_mailed_before(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    auth = await _logged_in(client, mailbox)
    await client.post("/api/v1/password-resets", json={"email": EMAIL})
    reset = await mailbox.token_from_last(EMAIL)
    await client.post(
        "/api/v1/me/email",
        headers=auth,
        json={"new_email": "neuve@yopmail.com", "password": PASSWORD},
    )
    change = await mailbox.token_from_last("neuve@yopmail.com")
    confirmed = await client.post(
        "/api/v1/me/email/confirm", json={"token": change, "password": PASSWORD}
    )

    old_reset = await client.post(
        "/api/v1/password-resets/confirm",
        json={"token": reset, "password": "Pirate2027x", "password_confirmation": "Pirate2027x"},
    )

    assert confirmed.status_code == 200
    assert old_reset.status_code == 400  # mailed to the old address: dead with the change
    await log_in(client, "neuve@yopmail.com")


async def test_a_new_password_kills_the_pending_change_of_address(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    auth = await _logged_in(client, mailbox)
    await client.post(
        "/api/v1/me/email",
        headers=auth,
        json={"new_email": "neuve@yopmail.com", "password": PASSWORD},
    )
    change = await mailbox.token_from_last("neuve@yopmail.com")
    new = "NouveauSecret2027"
    await client.put(
        "/api/v1/me/password",
        headers=auth,
        json={"current_password": PASSWORD, "password": new, "password_confirmation": new},
    )

    late = await client.post("/api/v1/me/email/confirm", json={"token": change, "password": new})

    assert late.status_code == 400


async def test_changing_to_an_address_in_use_says_nothing_to_the_requester(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "autre@yopmail.com")
    auth = await _logged_in(client, mailbox)

    asked = await client.post(
        "/api/v1/me/email",
        headers=auth,
        json={"new_email": "autre@yopmail.com", "password": PASSWORD},
    )

    assert asked.status_code == 202
    assert (await mailbox.last_to("autre@yopmail.com")).subject == (
        "Changement d'adresse mail impossible"
    )


async def test_mes_abonnements_follow_the_sign_up_choice_and_can_change(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    auth = await _logged_in(client, mailbox, accept_information=True)

    listed = await client.get("/api/v1/me/subscriptions", headers=auth)
    assert listed.json()["topics"][0]["topic"] == "information_mairie"
    assert listed.json()["topics"][0]["subscribed"] is True
    assert listed.json()["topics"][0]["label"] == (
        "J'accepte de recevoir des informations de la part de la Mairie de Paris"
    )

    body = listed.json()
    body["topics"][0]["subscribed"] = False
    changed = await client.put("/api/v1/me/subscriptions", headers=auth, json=body)

    assert changed.status_code == 200
    assert changed.json()["topics"][0]["subscribed"] is False
    assert changed.json()["topics"][0]["since"] is None


async def test_export_holds_everything_but_secrets(client: AsyncClient, mailbox: Mailbox) -> None:
    auth = await _logged_in(client, mailbox, mobile_phone="0612345678")

    response = await client.get("/api/v1/me/export", headers=auth)

    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    data = response.json()
    # The person's own document: French keys and values, Paris time, phones as on the site.
    assert data["compte"]["adresse_mail"] == EMAIL
    assert data["compte"]["telephone_mobile"] == "06 12 34 56 78"
    assert data["compte"]["role"] == "Apprenant"
    assert data["compte"]["cree_le"].endswith(("+01:00", "+02:00"))
    assert len(data["connexions"]) == 1
    assert [m["objet"] for m in data["messages"]] == ["Confirmation de votre compte Parisien"]
    assert data["messages"][0]["canal"] == "Mail"
    assert data["messages"][0]["etat"] == "Envoyé"
    assert "id" not in data["compte"]
    assert "password_hash" not in response.text
    assert "token_hash" not in response.text
    assert auth["Authorization"].removeprefix("Bearer ") not in response.text


async def test_deleting_the_account_needs_the_password_and_removes_everything(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    auth = await _logged_in(client, mailbox)

    wrong = await client.request(
        "DELETE", "/api/v1/me", headers=auth, json={"password": "Mauvais2026"}
    )
    deleted = await client.request(
        "DELETE", "/api/v1/me", headers=auth, json={"password": PASSWORD}
    )

    assert wrong.status_code == 400
    assert deleted.status_code == 204
    assert (await client.get("/api/v1/me", headers=auth)).status_code == 401
    assert (await mailbox.last_to(EMAIL)).subject == "Votre compte parisien a été supprimé"
    async with mailbox.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Account)) == 0
        assert await session.scalar(select(func.count()).select_from(LoginSession)) == 0
        # Even the mail that told it, once sent: nothing names the person any more.
        assert list(await session.scalars(select(OutboxMessage.template))) == []


async def test_asking_for_a_taken_address_leaves_the_account_as_a_free_one_would(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    await active_account(client, mailbox, "prise@yopmail.com")
    auth = await _logged_in(client, mailbox)
    await client.post(
        "/api/v1/me/email",
        headers=auth,
        json={"new_email": "mienne@yopmail.com", "password": PASSWORD},
    )
    mine = await mailbox.token_from_last("mienne@yopmail.com")

    seen = []
    for address in ("prise@yopmail.com", "libre@yopmail.com"):
        await client.post(
            "/api/v1/me/email", headers=auth, json={"new_email": address, "password": PASSWORD}
        )
        await mailbox.deliver()
        export = (await client.get("/api/v1/me/export", headers=auth)).json()
        changes = [
            link
            for link in export["liens_envoyes"]
            if link["objet"] == "Confirmer une nouvelle adresse mail"
        ]
        seen.append(
            (
                changes[-1]["nouvelle_adresse_mail"] == address,
                [m["objet"] for m in export["messages"]],
                (
                    await client.post(
                        "/api/v1/me/email/confirm", json={"token": mine, "password": "Faux2026x"}
                    )
                ).json()["type"],
            )
        )

    assert seen[0] == seen[1]  # the same trace in the export, the earlier link dead alike
