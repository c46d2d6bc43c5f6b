"""The outbox: mails written with the change that causes them, sent by a worker, retried."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from httpx import AsyncClient
from sqlalchemy import delete, select, update

from cma.background import job_handlers
from cma.core import jobs
from cma.core.ratelimit import create_throttle
from cma.core.settings import Settings
from cma.notifications import service as notifications
from cma.notifications.models import OutboxMessage
from cma.notifications.sender import SmtpSender
from cma.notifications.sms import SinkSmsSender
from cma.notifications.smtp_sink import SmtpSink, free_port
from cma.notifications.worker import Deliver, MailTransport, deliver_due, run_worker
from tests.support import Mailbox, run_jobs, sign_up, token_in

Step = Callable[[OutboxMessage], Awaitable[None]]


class Around:
    """The real transport, with something happening before or after each sending."""

    def __init__(
        self, real: MailTransport, *, before: Step | None = None, after: Step | None = None
    ) -> None:
        self.channel = real.channel
        self._real, self._before, self._after = real, before, after

    @asynccontextmanager
    async def opened(self) -> AsyncIterator[Deliver]:
        async with self._real.opened() as deliver:

            async def around(message: OutboxMessage) -> None:
                if self._before:
                    await self._before(message)
                await deliver(message)
                if self._after:
                    await self._after(message)

            yield around


SUBMITTED = {
    "campaign": "Cours d'adultes 2026-2027",
    "application_end": "mercredi 30 septembre 2026",
    "courses": [
        {
            "rank": 1,
            "title": "Anglais",
            "code": "LE0001",
            "when": "lundi 18 h – 20 h",
            "venue": "Lycée",
        }
    ],
}


async def test_a_mail_queued_while_smtp_is_down_is_sent_once_it_is_back(
    client: AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    await sign_up(client, mailbox.sessionmaker, "patient@yopmail.com")
    await run_jobs(mailbox.sessionmaker, settings)  # the sign-up's job writes its mail
    down_port = free_port()
    down = MailTransport(SmtpSender(settings.model_copy(update={"smtp_port": down_port})))

    handled = await deliver_due(mailbox.sessionmaker, down)

    assert handled == 1
    async with mailbox.sessionmaker() as session:
        message = await session.scalar(select(OutboxMessage))
        assert message is not None
        assert message.status == "pending"
        assert message.attempts == 1
        assert message.last_error
        assert message.secrets is not None  # still needed to send it later
        message_id = message.message_id

    # Back up later: the retry is due after its backoff.
    back = SmtpSink(port=down_port)
    back.start()
    try:
        assert await deliver_due(mailbox.sessionmaker, down) == 0  # not due yet
        async with mailbox.sessionmaker() as session, session.begin():
            await session.execute(
                update(OutboxMessage).values(
                    next_attempt_at=OutboxMessage.next_attempt_at - timedelta(minutes=1)
                )
            )
        assert await deliver_due(mailbox.sessionmaker, down) == 1
        assert await deliver_due(mailbox.sessionmaker, down) == 0
    finally:
        back.stop()

    assert len(back.received) == 1
    assert back.received[0].message.get_all("Message-ID") == [message_id]
    assert back.received[0].recipients == ["patient@yopmail.com"]
    async with mailbox.sessionmaker() as session:
        sent = await session.scalar(select(OutboxMessage))
        assert sent is not None
        assert sent.status == "sent"
        assert sent.secrets is None  # the activation link is not kept once sent


async def test_a_batch_goes_over_one_connection_and_a_bad_mail_holds_back_none_of_it(
    mailbox: Mailbox, settings: Settings, smtp: SmtpSink
) -> None:
    async with mailbox.sessionmaker() as session, session.begin():
        for n in range(4):
            await notifications.enqueue(
                session, "applications_submitted", f"lot-{n}@yopmail.com", context=SUBMITTED
            )
        await session.flush()
        # A message its worker cannot render (its template was removed since it was queued).
        session.add(
            OutboxMessage(
                channel="mail", template="retired", recipient="x@yopmail.com", message_id="<x@c>"
            )
        )
    transport = MailTransport(SmtpSender(settings))

    assert await deliver_due(mailbox.sessionmaker, transport) == 5

    lot = [m for m in smtp.received if m.recipients[0].startswith("lot-")]
    assert sorted(m.recipients[0] for m in lot) == [f"lot-{n}@yopmail.com" for n in range(4)]
    assert len({m.peer for m in lot}) == 1
    async with mailbox.sessionmaker() as session:
        rows = await session.execute(select(OutboxMessage.recipient, OutboxMessage.status))
        statuses = {recipient: status for recipient, status in rows}
    assert statuses.pop("x@yopmail.com") == "pending"  # tried again later
    assert set(statuses.values()) == {"sent"}


async def test_a_mail_erased_after_its_batch_was_claimed_is_not_sent(
    mailbox: Mailbox, settings: Settings, smtp: SmtpSink
) -> None:
    async with mailbox.sessionmaker() as session, session.begin():
        for name in ("kept", "erased"):
            await notifications.enqueue(
                session, "applications_submitted", f"{name}@yopmail.com", context=SUBMITTED
            )
    real = MailTransport(SmtpSender(settings))

    async def erase_the_second(_: OutboxMessage) -> None:
        """Its person deletes their account while the first mail is sent."""
        async with mailbox.sessionmaker() as session, session.begin():
            await session.execute(
                delete(OutboxMessage).where(OutboxMessage.recipient == "erased@yopmail.com")
            )

    assert await deliver_due(mailbox.sessionmaker, Around(real, before=erase_the_second)) == 2

    assert [m.recipients for m in smtp.received] == [["kept@yopmail.com"]]


async def test_a_worker_stopped_mid_batch_gives_the_rest_back_at_once(
    mailbox: Mailbox, settings: Settings, smtp: SmtpSink
) -> None:
    async with mailbox.sessionmaker() as session, session.begin():
        for n in range(3):
            await notifications.enqueue(
                session, "applications_submitted", f"arret-{n}@yopmail.com", context=SUBMITTED
            )
    real = MailTransport(SmtpSender(settings))
    stop = asyncio.Event()

    async def shut_down(_: OutboxMessage) -> None:
        """The worker is told to shut down while its first mail is sent."""
        stop.set()

    assert await deliver_due(mailbox.sessionmaker, Around(real, after=shut_down), stop=stop) == 3

    assert [m.recipients for m in smtp.received] == [["arret-0@yopmail.com"]]
    # The two others are due again at once, for the next worker, not after the lease.
    assert await deliver_due(mailbox.sessionmaker, real) == 2
    assert len(smtp.received) == 3


async def test_a_refused_request_leaves_no_mail_behind(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    response = await sign_up(client, mailbox.sessionmaker, "x@yopmail.com", captcha_answer="faux")

    assert response.status_code == 422
    async with mailbox.sessionmaker() as session:
        assert list(await session.scalars(select(OutboxMessage))) == []


async def test_the_worker_loop_sends_what_the_api_queues(
    client: AsyncClient, mailbox: Mailbox, settings: Settings, smtp: SmtpSink
) -> None:
    stop = asyncio.Event()
    fast = settings.model_copy(update={"outbox_poll_seconds": 0.05})
    throttle = create_throttle(mailbox.sessionmaker.kw["bind"], None)
    workers = [
        asyncio.create_task(
            run_worker(mailbox.sessionmaker, MailTransport(SmtpSender(fast)), fast, stop)
        ),
        asyncio.create_task(
            jobs.run_jobs(mailbox.sessionmaker, job_handlers(throttle, fast), 0.05, stop)
        ),
    ]
    try:
        await sign_up(client, mailbox.sessionmaker, "direct@yopmail.com")
        for _ in range(100):
            if any("direct@yopmail.com" in m.recipients for m in smtp.received):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*workers)

    assert [m.subject for m in smtp.received if "direct@yopmail.com" in m.recipients] == [
        "Confirmation de votre compte Parisien"
    ]


async def test_a_mail_is_abandoned_after_its_last_attempt(
    client: AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    await sign_up(client, mailbox.sessionmaker, "lost@yopmail.com")
    await run_jobs(mailbox.sessionmaker, settings)
    down = MailTransport(SmtpSender(settings.model_copy(update={"smtp_port": free_port()})))

    await deliver_due(mailbox.sessionmaker, down, max_attempts=1)

    async with mailbox.sessionmaker() as session:
        message = await session.scalar(select(OutboxMessage))
        assert message is not None
        assert message.status == "failed"
        assert message.secrets is None


async def test_the_dev_mailbox_lists_mails_and_sms_and_shows_the_links_tokens(
    client: AsyncClient, mailbox: Mailbox, settings: Settings, tmp_path: object
) -> None:
    from pathlib import Path

    from cma.main import create_app

    directory = Path(str(tmp_path))
    await sign_up(client, mailbox.sessionmaker, "dev@yopmail.com")
    mail = await mailbox.last_to("dev@yopmail.com")
    (directory / "1.eml").write_bytes(mail.raw)
    sms = directory / "sms"
    await SinkSmsSender(sms).send("+33612345678", "<ref@cma>", "Le cours LE0042 est annulé.")
    dev_settings = settings.model_copy(
        update={"env": "dev", "dev_mailbox_dir": directory, "dev_sms_dir": sms}
    )
    dev_app = create_app(dev_settings)
    from httpx import ASGITransport

    async with AsyncClient(
        transport=ASGITransport(app=dev_app), base_url="https://cma.test"
    ) as dev:
        listing = await dev.get("/dev/mailbox")
        page = await dev.get("/dev/mailbox/1.eml")
        escape = await dev.get("/dev/mailbox/..%2F..%2Fetc%2Fpasswd")

    assert "Confirmation de votre compte Parisien" in listing.text
    assert "+33612345678" in listing.text
    assert "Le cours LE0042 est annulé." in listing.text
    token = token_in(mail)
    assert f"token : <code>{token}</code>" in page.text  # read off the link's fragment
    assert "<script" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert escape.status_code == 404
    test_app = await client.get("/dev/mailbox")
    assert test_app.status_code == 404  # only in dev


async def test_an_address_with_an_accent_gets_its_mail(
    client: AsyncClient, mailbox: Mailbox
) -> None:
    # About one old account in five has such an address: its owner must be able to sign up.
    await sign_up(client, mailbox.sessionmaker, "grégoire.macé@yopmail.com")

    mail = await mailbox.last_to("grégoire.macé@yopmail.com")

    assert mail.subject == "Confirmation de votre compte Parisien"
    assert "#token=" in mail.body("plain")
    async with mailbox.sessionmaker() as session:
        assert {m.status for m in await session.scalars(select(OutboxMessage))} == {"sent"}


def test_the_cma_speaks_in_its_mails_and_the_paris_account_in_its_own() -> None:
    import html

    from cma.notifications.rendering import render

    course = {"title": "Anglais", "code": "LE0001", "when": "lundi 18 h – 20 h", "venue": "Lycée"}
    cancelled = render("course_cancelled", {"course": course})
    deleted = render("account_deleted", {})

    assert cancelled.text.startswith("COURS MUNICIPAUX D'ADULTES")
    assert "L'équipe des Cours Municipaux d'Adultes" in cancelled.text
    assert "COURS MUNICIPAUX D'ADULTES" in html.unescape(cancelled.html)
    assert "MON COMPTE" not in cancelled.text + cancelled.html
    assert deleted.text.startswith("MON COMPTE")
    assert "L'équipe Mon Compte" in deleted.text
