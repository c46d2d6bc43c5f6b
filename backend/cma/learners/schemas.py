"""The learner record ("fiche") and the pairing bodies."""

from datetime import date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from cma.accounts.schemas import CaptchaProof
from cma.core.countries import check_country
from cma.core.validation import (
    Input,
    IsoDate,
    OptionalLandline,
    OptionalMobile,
    OptionalText100,
    OptionalText200,
    Text100,
    Text200,
    adult_birth_date,
    check_postal_code,
    normalize_email,
)
from cma.learners.models import HeardFrom, Title

ONE_PHONE = (
    "Veuillez indiquer au moins un téléphone (le téléphone mobile est indispensable pour être "
    "prévenu d'une annulation éventuelle d'un cours)."
)


class LearnerIn(Input):
    """The seed's form, field for field. `*` fields are required."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "title": "Mme",
                    "last_name": "Martin",
                    "birth_name": "Durand",
                    "first_name": "Camille",
                    "birth_date": "1990-04-12",
                    "birth_country": "FR",
                    "address": "12 rue de la Roquette",
                    "address_2": "Bâtiment B",
                    "address_3": None,
                    "postal_code": "75011",
                    "city": "Paris",
                    "mobile_phone": "06 12 34 56 78",
                    "landline_phone": None,
                    "heard_from": "mairie_arrondissement",
                }
            ]
        },
    )

    title: Title = Field(description="Titre* : M. ou Mme")
    last_name: Text100 = Field(description="Nom*")
    birth_name: OptionalText100 = Field(default=None, description="Nom de naissance")
    first_name: Text100 = Field(description="Prénom*")
    birth_date: Annotated[IsoDate, AfterValidator(adult_birth_date)] = Field(
        description="Date de naissance*"
    )
    birth_country: Annotated[str, Field(max_length=2), AfterValidator(check_country)] = Field(
        description="Pays de naissance* (code ISO 3166-1, voir GET /api/v1/countries)"
    )
    address: Text200 = Field(description="Adresse*")
    address_2: OptionalText200 = Field(default=None, description="Complément adresse 1")
    address_3: OptionalText200 = Field(default=None, description="Complément adresse 2")
    postal_code: Annotated[str, Field(max_length=10), AfterValidator(check_postal_code)] = Field(
        description="Code postal*"
    )
    city: Text100 = Field(description="Ville*")
    mobile_phone: OptionalMobile = Field(default=None, description="Téléphone mobile*")
    # Validated even when absent: the "at least one phone" rule lives on this field.
    landline_phone: OptionalLandline = Field(
        default=None, validate_default=True, description="Téléphone fixe*"
    )
    heard_from: HeardFrom = Field(description="Comment avez-vous connu les CMA ?*")

    @field_validator("landline_phone")
    @classmethod
    def _one_phone(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Only when the mobile was left empty (an invalid one already has its own error).
        if value is None and "mobile_phone" in info.data and info.data["mobile_phone"] is None:
            raise ValueError(ONE_PHONE)
        return value


class LearnerOut(BaseModel):
    email: str = Field(description="Compte d'accès (Email): the Paris account's address")
    title: Title
    last_name: str
    birth_name: str | None
    first_name: str
    birth_date: date
    birth_country: str
    birth_country_label: str = Field(examples=["France"])
    address: str
    address_2: str | None
    address_3: str | None
    postal_code: str
    city: str
    mobile_phone: str | None
    landline_phone: str | None
    heard_from: HeardFrom
    heard_from_label: str = Field(examples=["Mairie d'arrondissement"])
    paired_with_legacy_account: bool
    updated_at: datetime


class LegacyRecord(BaseModel):
    """What the old CMA site knew, to prefill the "Appairage" form (fields may be missing)."""

    email: str = Field(description="Compte d'accès (Email) of the old site")
    title: Title | None
    last_name: str | None
    birth_name: str | None
    first_name: str | None
    birth_date: date | None
    birth_country: str | None
    address: str | None
    address_2: str | None
    address_3: str | None
    postal_code: str | None
    city: str | None
    mobile_phone: str | None
    landline_phone: str | None
    heard_from: HeardFrom | None


class LegacyLogin(CaptchaProof):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "ancien.compte@yopmail.com", "password": "ancien-mot-de-passe"}]
        }
    )

    email: Annotated[str, Field(max_length=320), AfterValidator(normalize_email)] = Field(
        description="Courriel of the old CMA account"
    )
    password: str = Field(
        min_length=1, max_length=1024, description="Mot de passe of the old account"
    )


class PairingTicketOut(BaseModel):
    ticket: str = Field(description="Single use, for POST /api/v1/learner-links")
    expires_at: datetime
    record: LegacyRecord


class LinkIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ticket": "3q2-7wX9yZ0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
                    "learner": LearnerIn.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
                }
            ]
        }
    )

    ticket: str = Field(min_length=20, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    learner: LearnerIn


class Country(BaseModel):
    code: str = Field(examples=["FR"])
    name: str = Field(examples=["France"])
