"""The password policy of the Paris account, as the sign-up page words it, and no password
that is among the most common or too close to one.

The seed's rule stays: 8 characters or more, an upper-case letter, a lower-case letter and a
digit, letters and digits only. On top of it, zxcvbn (Dropbox's estimator, offline) counts the
guesses a password would take against its lists of the 30,000 most common passwords, names
and words, plus French words people build passwords from: under a million is refused, which
is what a throttled online attack could try.
"""

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from zxcvbn import matching, scoring, zxcvbn

from cma.core.settings import get_settings

FRENCH_WORDS = Path(__file__).parent / "common_passwords_fr.txt"
MIN_GUESSES = 10**6
COMMON = (
    "Ce mot de passe est trop facile à deviner : il fait partie des mots de passe les plus "
    "courants, ou leur ressemble de trop près. Choisissez-en un autre, par exemple en "
    "assemblant trois mots sans rapport entre eux et un chiffre."
)
# zxcvbn keeps the words of each check in one module-wide dictionary.
_estimating = threading.Lock()


@cache
def _prepared() -> None:
    words = [
        line.strip()
        for line in FRENCH_WORDS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    matching.add_frequency_lists({"french_common": words})
    # zxcvbn 4.5 dates its "recent years" from 2017 and stops them at 2019: "Bienvenue2026"
    # would pass for a strong password. Years are recent up to this one.
    matching.REGEXEN["recent_year"] = re.compile(r"19\d\d|20\d\d")
    scoring.REFERENCE_YEAR = date.today().year


def too_common(password: str, user_inputs: Iterable[str] = ()) -> bool:
    """True when `password` would fall to fewer than a million guesses."""
    _prepared()
    with _estimating:
        guesses = zxcvbn(password[:72], user_inputs=[*user_inputs, "paris", "cma"])["guesses"]
    return bool(guesses < MIN_GUESSES)


POLICY_TEXT = (
    "Votre mot de passe doit contenir au minimum 8 caractères avec une majuscule, une minuscule "
    "et un chiffre - Les caractères spéciaux ne sont pas autorisés"
)

_ALLOWED = re.compile(r"^[A-Za-z0-9]*$")


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    max_length: int = 64

    def problems(self, password: str, user_inputs: Iterable[str] = ()) -> list[str]:
        """Every rule the password breaks, in French; empty when it is acceptable. The words
        of `user_inputs` (the address it is for) count as easy to guess."""
        found = []
        if len(password) < self.min_length:
            found.append(f"Le mot de passe doit contenir au minimum {self.min_length} caractères.")
        if len(password) > self.max_length:
            found.append(f"Le mot de passe doit contenir au maximum {self.max_length} caractères.")
        if not _ALLOWED.match(password):
            found.append(
                "Les caractères spéciaux (espaces, accents, ponctuation…) ne sont pas autorisés."
            )
        if not re.search(r"[A-Z]", password):
            found.append("Le mot de passe doit contenir au moins une majuscule.")
        if not re.search(r"[a-z]", password):
            found.append("Le mot de passe doit contenir au moins une minuscule.")
        if not re.search(r"[0-9]", password):
            found.append("Le mot de passe doit contenir au moins un chiffre.")
        if not found and too_common(password, user_inputs):
            found.append(COMMON)
        return found

    def check(self, password: str, user_inputs: Iterable[str] = ()) -> str:
        found = self.problems(password, user_inputs)
        if found:
            raise ValueError(" ".join(found))
        return password


def current_policy() -> PasswordPolicy:
    settings = get_settings()
    return PasswordPolicy(settings.password_min_length, settings.password_max_length)
