"""Countries, with their French names (ISO 3166-1 through pycountry)."""

import gettext
from functools import lru_cache

import pycountry


@lru_cache
def french_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> French name, sorted by name."""
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    names = {c.alpha_2: french.gettext(c.name) for c in pycountry.countries}
    return dict(sorted(names.items(), key=lambda item: item[1]))


def check_country(code: str) -> str:
    code = code.strip().upper()
    if code not in french_names():
        raise ValueError("Veuillez choisir un pays de la liste.")
    return code
