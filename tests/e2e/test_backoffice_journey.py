"""Staff reach the back office through the site's own login, and it works under its CSP."""

from httpx import AsyncClient
from playwright.async_api import Page, expect
from sqlalchemy import select

from cma.catalogue.models import Course
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_catalogue_journeys import catalogue  # noqa: F401 - fixture
from tests.support import PASSWORD, Mailbox, make_staff


async def test_staff_log_in_and_browse_the_courses_of_the_back_office(
    page: Page,
    client: AsyncClient,
    mailbox: Mailbox,
    catalogue: int,  # noqa: F811
) -> None:
    await make_staff(client, mailbox, "agent@paris.fr")

    await page.goto("/back-office/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter à Mon compte")
    await page.get_by_label("Courriel").fill("agent@paris.fr")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_role("button", name="Valider").click()

    await expect(page).to_have_title("Gestion des CMA")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.goto("/back-office/course/list")
    async with mailbox.sessionmaker() as session:
        first = await session.scalar(select(Course.code).order_by(Course.code).limit(1))
    assert first is not None
    await expect(page.locator("table")).to_contain_text(first)
    await page.screenshot(path=SCREENSHOTS / "back-office-cours-desktop.png")
