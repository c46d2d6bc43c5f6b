"""Field rules shared by every context; each raises ValueError with a French message."""

import re
import unicodedata
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any, get_args

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from cma.core.clock import today

# Mainland France and the overseas departments and collectivities.
FRENCH_REGIONS = frozenset({"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "WF", "PF", "NC"})
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
_POSTAL_CODE = re.compile(r"^[0-9]{5}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


NUL_REFUSED = "Ce champ contient un caractère non autorisé (le caractère nul)."


def _without_nul(value: object) -> object:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(NUL_REFUSED)
    elif isinstance(value, list | tuple):
        for item in value:
            _without_nul(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _without_nul(key)
            _without_nul(item)
    return value


def _admits_bool(annotation: object) -> bool:
    if annotation is bool or annotation is Any:
        return True
    return any(_admits_bool(arg) for arg in get_args(annotation))


def is_number(annotation: object) -> bool:
    if annotation in (int, float, Decimal):
        return True
    return any(is_number(arg) for arg in get_args(annotation))


# A number sent as text is read only when written as people and programs write one: ASCII
# digits, a point for decimals. Python's own parsing also reads "1_000", "1e3", Arabic-Indic or
# full-width digits, which no form sends and a check by eye would not read as the same value.
NUMBER_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class Input(BaseModel):
    """A request body, with three rules for every field whatever its own: no text anywhere may
    hold a NUL character (PostgreSQL cannot store it), `true`/`false` is no number (lax
    parsing reads them as 1 and 0), and a number sent as text is plain ASCII digits. Each is a
    422 that names the field."""

    @field_validator("*", mode="before")
    @classmethod
    def _plain_values(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and not _admits_bool(field.annotation):
                raise PydanticCustomError("bool_not_a_number", "Input should not be a boolean")
        if isinstance(value, str) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if (
                field is not None
                and is_number(field.annotation)
                and not NUMBER_TEXT.fullmatch(value)
            ):
                raise PydanticCustomError("number_text", "Input should be a number in digits")
        return _without_nul(value)


def blank_to_none(value: object) -> object:
    """An empty or blank optional field means "not given"."""
    return None if isinstance(value, str) and not value.strip() else value


def normalize_email(value: str) -> str:
    """A syntactically valid address, lower-cased (addresses are unique in any letter case)."""
    value = value.strip()
    if not value:
        raise ValueError("Veuillez saisir votre adresse mail.")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(
            "L'adresse mail n'est pas valide (exemple : prenom.nom@exemple.fr)."
        ) from None
    normalized = result.normalized.lower()
    if len(normalized) > 254:
        raise ValueError("L'adresse mail est trop longue.")
    return normalized


def _parse_french(value: str) -> phonenumbers.PhoneNumber:
    """Parse a French number; a national one (0…) may belong to an overseas department."""
    for region in ("FR", *sorted(FRENCH_REGIONS - {"FR"})):
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            raise ValueError("Le numéro de téléphone n'est pas valide.") from None
        if phonenumbers.is_valid_number(number):
            if phonenumbers.region_code_for_number(number) not in FRENCH_REGIONS:
                raise ValueError("Veuillez indiquer un numéro de téléphone français.")
            return number
        if value.lstrip().startswith("+"):
            break  # an international number names its own country
    raise ValueError("Le numéro de téléphone n'est pas valide.")


def normalize_french_mobile(value: str) -> str:
    """A French mobile number, in E.164 (+33612345678)."""
    number = _parse_french(value)
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise ValueError(
            "Veuillez indiquer un numéro de téléphone portable (06 ou 07 en métropole)."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_french_phone(value: str) -> str:
    """Any French number (landline or mobile), in E.164."""
    return phonenumbers.format_number(_parse_french(value), phonenumbers.PhoneNumberFormat.E164)


def check_postal_code(value: str) -> str:
    value = value.strip().replace(" ", "")
    if not _POSTAL_CODE.match(value):
        raise ValueError("Le code postal doit contenir 5 chiffres.")
    return value


def clean_text(value: str) -> str:
    """Trimmed, NFC-normalised, single-line text without control characters."""
    value = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(value):
        raise ValueError("Ce champ contient des caractères non autorisés.")
    if not value:  # spaces only: as empty as nothing
        raise ValueError("Ce champ est obligatoire.")
    return value


_LOCAL_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?")


def _time_text(value: object) -> object:
    # Lax parsing reads a number as seconds past midnight UTC: a time with an offset, which no
    # course hour has (and which cannot be compared with one).
    if not isinstance(value, time) and not (
        isinstance(value, str) and _LOCAL_TIME.fullmatch(value)
    ):
        raise PydanticCustomError("time_type", "Input should be a valid time")
    return value


# A time of day in Paris, written "18:30:00" (accepted as "18:30" too). JSON Schema's "time"
# format demands an offset, which a course's hour has none of: documented as a pattern instead.
LocalTime = Annotated[
    time,
    BeforeValidator(_time_text),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
            "description": "Paris local time of day",
            "examples": ["18:30:00"],
        }
    ),
]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_text(value: object) -> object:
    # Lax parsing reads a number, or digits, as a Unix time ("0" is 1970-01-01).
    if isinstance(value, int | float) or (
        isinstance(value, str) and not _ISO_DATE.fullmatch(value)
    ):
        raise PydanticCustomError("date_type", "Input should be a valid date")
    return value


# A calendar date given as "YYYY-MM-DD".
IsoDate = Annotated[date, BeforeValidator(_date_text)]


# The text fields of every form: required (1 to n characters) or optional (blank is none),
# trimmed and free of control characters; and the French phones, written in any usual way.
Text100 = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(clean_text)]
Text150 = Annotated[str, Field(min_length=1, max_length=150), AfterValidator(clean_text)]
Text200 = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(clean_text)]
OptionalText100 = Annotated[
    Annotated[str, Field(max_length=100), AfterValidator(clean_text)] | None,
    BeforeValidator(blank_to_none),
]
OptionalText200 = Annotated[
    Annotated[str, Field(max_length=200), AfterValidator(clean_text)] | None,
    BeforeValidator(blank_to_none),
]
OptionalMobile = Annotated[
    Annotated[
        str,
        Field(max_length=32, examples=["06 12 34 56 78"]),
        AfterValidator(normalize_french_mobile),
    ]
    | None,
    BeforeValidator(blank_to_none),
]
OptionalLandline = Annotated[
    Annotated[str, Field(max_length=32), AfterValidator(normalize_french_phone)] | None,
    BeforeValidator(blank_to_none),
]

ADULT_AGE = 18


def past_birth_date(value: date) -> date:
    """A birth date a person can have: in the past, and not before 1900."""
    if value >= today():
        raise ValueError("La date de naissance doit être dans le passé.")
    if value.year < 1900:
        raise ValueError("La date de naissance n'est pas plausible.")
    return value


def adult_birth_date(value: date) -> date:
    """The birth date of a person of 18 or more today (Paris's day): the courses are theirs."""
    past_birth_date(value)
    day = today()
    age = day.year - value.year - ((day.month, day.day) < (value.month, value.day))
    if age < ADULT_AGE:
        raise ValueError(
            "Les Cours Municipaux d'Adultes sont ouverts aux personnes de 18 ans et plus."
        )
    return value
