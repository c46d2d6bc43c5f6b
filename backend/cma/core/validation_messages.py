"""French messages for request validation: pydantic's errors as the `errors` of a problem.

The codes are pydantic's own and those the field rules of `validation` raise
(`bool_not_a_number`, `number_text`, `time_type`, `date_type`).
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from cma.core.problems import FieldError

_MESSAGES: dict[str, str] = {
    "missing": "Ce champ est obligatoire.",
    "string_type": "Ce champ doit être un texte.",
    "string_too_short": "Ce champ doit contenir au moins {min_length} caractère(s).",
    "string_too_long": "Ce champ doit contenir au plus {max_length} caractères.",
    "string_pattern_mismatch": "Le format de ce champ est invalide.",
    "bool_type": "Ce champ doit valoir true ou false.",
    "bool_not_a_number": "Ce champ attend un nombre, pas true ou false.",
    "time_type": "Ce champ doit être une heure au format HH:MM.",
    "time_parsing": "Ce champ doit être une heure au format HH:MM.",
    "bool_parsing": "Ce champ doit valoir true ou false.",
    "number_text": "Ce champ doit être un nombre écrit en chiffres (exemple : 142.50).",
    "decimal_type": "Ce champ doit être un nombre (exemple : 142.50).",
    "decimal_parsing": "Ce champ doit être un nombre (exemple : 142.50).",
    "decimal_max_places": "Ce champ accepte au plus {decimal_places} chiffres après la virgule.",
    "decimal_max_digits": "Ce nombre a trop de chiffres.",
    "decimal_whole_digits": "Ce nombre a trop de chiffres avant la virgule.",
    "finite_number": "Ce champ doit être un nombre fini.",
    "float_type": "Ce champ doit être un nombre.",
    "float_parsing": "Ce champ doit être un nombre.",
    "int_type": "Ce champ doit être un nombre entier.",
    "int_parsing": "Ce champ doit être un nombre entier.",
    "date_type": "Ce champ doit être une date au format AAAA-MM-JJ.",
    "date_parsing": "Ce champ doit être une date au format AAAA-MM-JJ.",
    "date_from_datetime_parsing": "Ce champ doit être une date au format AAAA-MM-JJ.",
    "date_from_datetime_inexact": "Ce champ doit être une date au format AAAA-MM-JJ.",
    "uuid_type": "Identifiant invalide.",
    "uuid_parsing": "Identifiant invalide.",
    "literal_error": "Valeur non autorisée : choisissez l'une des valeurs proposées.",
    "enum": "Valeur non autorisée : choisissez l'une des valeurs proposées.",
    "json_invalid": "Le corps de la requête n'est pas un JSON valide.",
    "json_type": "Le corps de la requête n'est pas un JSON valide.",
    "model_type": "Un objet JSON est attendu.",
    "model_attributes_type": "Un objet JSON est attendu.",
    "dict_type": "Un objet JSON est attendu.",
    "list_type": "Une liste est attendue.",
    "extra_forbidden": "Ce champ n'est pas autorisé.",
    "too_long": "Trop d'éléments.",
    "string_unicode": "Le texte contient des caractères invalides.",
    "greater_than_equal": "Ce champ doit être supérieur ou égal à {ge}.",
    "less_than_equal": "Ce champ doit être inférieur ou égal à {le}.",
}


def _french_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in {"value_error", "assertion_error"} and "error" in ctx:
        # Our own validators raise ValueError with the French message already written.
        return str(ctx["error"])
    template = _MESSAGES.get(kind)
    if template is None:
        return "Valeur invalide."
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split(" {")[0]


def _allowed(error: Mapping[str, Any]) -> list[str] | None:
    """The values of a choice, from pydantic's context (an enum's members, a literal's)."""
    if error.get("type") not in {"enum", "literal_error"}:
        return None
    expected = str((error.get("ctx") or {}).get("expected", ""))
    return re.findall(r"'((?:[^'\\]|\\.)*)'", expected) or None


def field_errors(raw_errors: Sequence[Any]) -> list[FieldError]:
    errors = []
    for raw in raw_errors:
        kind = str(raw.get("type", "invalid"))
        loc = [str(part) for part in raw.get("loc", ())]
        location = (
            loc[0] if loc and loc[0] in {"body", "query", "path", "header", "cookie"} else "body"
        )
        # Broken JSON is located by its character offset, which is no field: the body is.
        path = [] if kind.startswith("json_") else loc[1:] if loc and loc[0] == location else loc
        errors.append(
            FieldError(
                field=".".join(path) or location,
                location=location,
                message=_french_message(raw),
                code=kind,
                allowed=_allowed(raw),
            )
        )
    return errors
