"""Faker, imported only when demo data is made: it is the `demo` extra, which an operator's
install of the service does without."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faker import Faker


class DemoExtraMissing(Exception):
    """Faker is not installed: no demo data can be made."""

    def __init__(self) -> None:
        super().__init__(
            "Les données de démonstration ont besoin de faker, qui n'est pas installé : "
            "installez cma[demo] (pip install 'cma[demo]')."
        )


def french_faker(seed: int) -> "Faker":
    """French names and addresses, the same ones for the same `seed`."""
    try:
        from faker import Faker
    except ModuleNotFoundError as missing:
        if missing.name != "faker":  # faker is there but broken: its own error says more
            raise
        raise DemoExtraMissing() from None
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    return fake
