"""Journey A: "Créez votre compte parisien" to "Votre compte parisien est créé et validé"."""

from httpx import AsyncClient
from sqlalchemy import select

from cma.accounts.models import Account, Subscription
from tests.support import PASSWORD, Mailbox, bearer, log_in, sign_up


async def test_sign_up_read_the_mail_activate_and_log_in(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    response = await sign_up(
        client,
        mailbox.sessionmaker,
        "Auditeur.CMA@yopmail.com",
        mobile_phone="06 12 34 56 78",
        accept_information=True,
    )

    assert response.status_code == 202
    assert response.json()["email"] == "auditeur.cma@yopmail.com"
    assert "C'est presque fini !" in response.json()["detail"]

    mail = await mailbox.last_to("auditeur.cma@yopmail.com")
    assert mail.subject == "Confirmation de votre compte Parisien"
    text = mail.body("plain")
    assert "Votre création de compte est presque terminée !" in text
    assert "Cliquez pour activer votre compte" in text
    assert "Cliquez pour activer votre compte" in mail.body("html")
    assert "https://cma.test/activation#token=" in text
    assert "Le mot de passe choisi lors de votre inscription vous sera demandé." in text

    from tests.support import token_in

    activated = await client.post(
        "/api/v1/accounts/activation", json={"token": token_in(mail), "password": PASSWORD}
    )
    assert activated.status_code == 200, activated.text
    assert activated.json()["detail"] == "Votre compte parisien est créé et validé."

    token = await log_in(client, "auditeur.cma@yopmail.com", PASSWORD)
    me = await client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["email"] == "auditeur.cma@yopmail.com"
    assert me.json()["status"] == "active"
    assert me.json()["mobile_phone"] == "+33612345678"

    async with mailbox.sessionmaker() as session:
        account = await session.scalar(select(Account))
        assert account is not None
        assert account.terms_version == mailbox.settings.terms_version
        assert account.terms_accepted_at is not None
        assert account.password_hash.startswith("$argon2id$")
        topics = list(await session.scalars(select(Subscription.topic)))
        assert topics == ["information_mairie"]
