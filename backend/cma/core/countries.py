"""Countries of birth, with the names French speakers use (CLDR, through babel).

The codes are ISO 3166-1's (pycountry); the names are CLDR's common French ones ("Corée du
Sud", not ISO's "Corée, République de"), sorted as a French reader looks for them (accents,
case and punctuation aside: Égypte among the E), France first. The overseas departments are
France: someone born in Guadeloupe was born in France.
"""

import re
import unicodedata
from functools import lru_cache

import pycountry
from babel import Locale

FRANCE = "FR"
# Guadeloupe, Martinique, Guyane, La Réunion, Mayotte: departments of France, not countries.
OVERSEAS_DEPARTMENTS = frozenset({"GP", "MQ", "GF", "RE", "YT"})


def french_sort_key(name: str) -> str:
    """The order of a French index: accents, case and punctuation do not count."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().replace("œ", "oe"))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", letters).strip()


@lru_cache
def french_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> common French name: France, then the rest in French order."""
    cldr = Locale("fr").territories
    names = {
        c.alpha_2: cldr.get(c.alpha_2, c.name).replace("\u2019", "'")
        for c in pycountry.countries
        if c.alpha_2 not in OVERSEAS_DEPARTMENTS
    }
    france = {FRANCE: names.pop(FRANCE)}
    return france | dict(sorted(names.items(), key=lambda item: french_sort_key(item[1])))


def check_country(code: str) -> str:
    """A country of birth's code; an overseas department's is France's."""
    code = code.strip().upper()
    if code in OVERSEAS_DEPARTMENTS:
        return FRANCE
    if code not in french_names():
        raise ValueError("Veuillez choisir un pays de la liste.")
    return code
