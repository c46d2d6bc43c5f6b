"""The password policy of the Paris account, as the sign-up page words it."""

import re
from dataclasses import dataclass

from cma.core.settings import get_settings

POLICY_TEXT = (
    "Votre mot de passe doit contenir au minimum 8 caractères avec une majuscule, une minuscule "
    "et un chiffre - Les caractères spéciaux ne sont pas autorisés"
)

_ALLOWED = re.compile(r"^[A-Za-z0-9]*$")


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    max_length: int = 64

    def problems(self, password: str) -> list[str]:
        """Every rule the password breaks, in French; empty when it is acceptable."""
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
        return found

    def check(self, password: str) -> str:
        found = self.problems(password)
        if found:
            raise ValueError(" ".join(found))
        return password


def current_policy() -> PasswordPolicy:
    settings = get_settings()
    return PasswordPolicy(settings.password_min_length, settings.password_max_length)
