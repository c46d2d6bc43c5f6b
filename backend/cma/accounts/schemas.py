"""Request and response bodies of the Paris account API."""

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from cma.accounts.attempts import CaptchaAnswer
from cma.accounts.models import Civility, Topic
from cma.accounts.passwords import COMMON, POLICY_TEXT, current_policy, too_common
from cma.core.validation import (
    Input,
    IsoDate,
    OptionalMobile,
    OptionalText100,
    OptionalText200,
    blank_to_none,
    check_postal_code,
    normalize_email,
    past_birth_date,
)


def _check_password(value: str) -> str:
    return current_policy().check(value)


def _accepted(value: bool) -> bool:
    if not value:
        raise ValueError("Vous devez accepter les Conditions Générales d'Utilisation.")
    return value


Email = Annotated[
    str,
    Field(max_length=320, examples=["auditeur.cma@yopmail.com"]),
    AfterValidator(normalize_email),
]
NewPassword = Annotated[
    str,
    Field(max_length=1024, description=POLICY_TEXT, examples=["Tilleul7Oranger"]),
    AfterValidator(_check_password),
]
AnyPassword = Annotated[str, Field(min_length=1, max_length=1024, examples=["Tilleul7Oranger"])]
Token = Annotated[
    str,
    Field(
        min_length=20,
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The token carried by the link of the mail (after `#token=` in its URL).",
    ),
]
OptionalPostalCode = Annotated[
    Annotated[str, Field(max_length=10, examples=["75011"]), AfterValidator(check_postal_code)]
    | None,
    BeforeValidator(blank_to_none),
]


def _confirmation_matches(value: str, info: ValidationInfo) -> str:
    password = info.data.get("password")
    if password is not None and value != password:
        raise ValueError("La confirmation ne correspond pas au mot de passe.")
    return value


class SignupRequest(Input):
    """Je crée mon compte."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "auditeur.cma@yopmail.com",
                    "password": "Tilleul7Oranger",
                    "password_confirmation": "Tilleul7Oranger",
                    "mobile_phone": "06 12 34 56 78",
                    "accept_terms": True,
                    "accept_information": False,
                    "captcha_id": "5b0c8a3e-9d1f-4a52-8f0e-2c4b7d6a1e90",
                    "captcha_answer": "7jj6k",
                }
            ]
        }
    )

    email: Email = Field(description="Adresse mail (obligatoire)")
    password: NewPassword = Field(description="Mot de passe (obligatoire). " + POLICY_TEXT)
    password_confirmation: str = Field(
        max_length=1024, description="Confirmation du mot de passe (obligatoire)"
    )
    mobile_phone: OptionalMobile = Field(
        default=None, description="Numéro de téléphone portable (facultatif), français."
    )
    accept_terms: Annotated[StrictBool, AfterValidator(_accepted)] = Field(
        description="J'accepte les Conditions Générales d'Utilisation (obligatoire)"
    )
    accept_information: StrictBool = Field(
        default=False,
        description="J'accepte de recevoir des informations de la part de la Mairie de Paris",
    )
    captcha_id: uuid.UUID = Field(description="The `id` answered by POST /captchas.")
    captcha_answer: str = Field(
        min_length=1, max_length=32, description="Les caractères lus ou entendus."
    )

    _confirmation = field_validator("password_confirmation")(_confirmation_matches)

    @field_validator("password")
    @classmethod
    def _not_built_on_the_address(cls, value: str, info: ValidationInfo) -> str:
        email = info.data.get("email")
        if email and too_common(value, re.split(r"[@._+-]+", email)):
            raise ValueError(COMMON)
        return value


class MailSent(BaseModel):
    email: str = Field(examples=["auditeur.cma@yopmail.com"])
    detail: str = Field(examples=["Vous allez recevoir un mail."])


class ActivationRequest(Input):
    """Following the activation link: the link's token and the password chosen at sign-up."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "3q2-7wX9yZ0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
                    "password": "Tilleul7Oranger",
                }
            ]
        }
    )

    token: Token
    password: AnyPassword = Field(
        description="The password chosen on the sign-up form of this link: the link proves "
        "the mailbox, the password whose sign-up it is."
    )


class InvitationAcceptance(Input):
    """Following a staff invitation: the link's token and the password its owner chooses."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "3q2-7wX9yZ0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
                    "password": "Nouveau2026x",
                    "password_confirmation": "Nouveau2026x",
                    "accept_terms": True,
                }
            ]
        }
    )

    token: Token
    password: NewPassword
    password_confirmation: str = Field(max_length=1024)
    accept_terms: Annotated[StrictBool, AfterValidator(_accepted)] = Field(
        description="J'accepte les Conditions Générales d'Utilisation (obligatoire)"
    )

    _confirmation = field_validator("password_confirmation")(_confirmation_matches)


class EmailConfirmRequest(Input):
    """Following the link mailed to a new address: its token and the account's password."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "3q2-7wX9yZ0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
                    "password": "Tilleul7Oranger",
                }
            ]
        }
    )

    token: Token
    password: AnyPassword = Field(description="The password of the account whose address changes.")


class ActivationResult(BaseModel):
    email: str
    status: Literal["active"] = "active"
    detail: str = Field(examples=["Votre compte parisien est créé et validé."])


class EmailBody(Input):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "auditeur.cma@yopmail.com"}]}
    )

    email: Email


class CaptchaProof(Input):
    """The verification code a login asks for after several failures (`captcha-required`)."""

    captcha_id: uuid.UUID | None = Field(
        default=None,
        description="Only once the login has seen several failures (a `captcha-required` "
        "problem): the `id` answered by POST /captchas.",
    )
    captcha_answer: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="The characters of that verification code, read or heard.",
    )

    @property
    def proof(self) -> CaptchaAnswer | None:
        if self.captcha_id is None or self.captcha_answer is None:
            return None
        return CaptchaAnswer(self.captcha_id, self.captcha_answer)


class LoginRequest(CaptchaProof):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "auditeur.cma@yopmail.com", "password": "Tilleul7Oranger"}]
        }
    )

    email: Email = Field(description="Courriel")
    password: AnyPassword = Field(description="Mot de passe")


class AccountOut(BaseModel):
    id: uuid.UUID
    email: str
    status: Literal["active"] = Field(
        description="Always `active`: an account exists only once its mailbox is proven."
    )
    mobile_phone: str | None = Field(examples=["+33612345678"])
    created_at: datetime
    activated_at: datetime
    terms_version: str
    terms_accepted_at: datetime


class MeOut(AccountOut):
    learner_record: Literal["none", "created", "paired"] = Field(
        description="Whether the account has a learner record, and whether it came from an old "
        "CMA account. With `none`, the CMA pages lead to the choice of the seed."
    )
    role: Literal["learner", "staff"]
    session_idle_seconds: int = Field(
        examples=[1800],
        description="A session unused this long ends: a client may warn its user before.",
    )


class LoginResult(BaseModel):
    access_token: str = Field(description="Send it as `Authorization: Bearer …`.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_at: datetime
    csrf_token: str = Field(
        description="For cookie sessions: send it back as the X-CSRF-Token header on "
        "POST, PUT, PATCH and DELETE."
    )
    account: AccountOut


class OAuth2PasswordForm(Input):
    """The OAuth2 password grant, as Swagger UI's Authorize button sends it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "grant_type": "password",
                    "username": "auditeur.cma@yopmail.com",
                    "password": "Tilleul7Oranger",
                }
            ]
        }
    )

    grant_type: Literal["password"] | None = None
    username: str = Field(max_length=320, description="The Paris account's email.")
    password: str = Field(max_length=1024)
    scope: str = Field(default="", max_length=200)


class OAuth2Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105


class PasswordResetConfirm(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "3q2-7wX9yZ0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
                    "password": "Nouveau2026x",
                    "password_confirmation": "Nouveau2026x",
                }
            ]
        }
    )

    token: Token
    password: NewPassword
    password_confirmation: str = Field(max_length=1024)

    _confirmation = field_validator("password_confirmation")(_confirmation_matches)


class Done(BaseModel):
    detail: str


class ProfileIn(Input):
    """MON PROFIL. Every field is optional; read-only fields sent back are ignored."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "civility": "madame",
                    "usage_name": "Martin",
                    "birth_name": "Durand",
                    "first_name": "Camille",
                    "birth_date": "1990-04-12",
                    "address": "12 rue de la Roquette",
                    "address_complement": "Bâtiment B",
                    "postal_code": "75011",
                    "city": "Paris",
                    "mobile_phone": "+33612345678",
                }
            ]
        },
    )

    civility: Civility = Field(default=Civility.NON_PRECISEE, description="Civilité")
    usage_name: OptionalText100 = Field(default=None, description="Nom d'usage")
    birth_name: OptionalText100 = Field(default=None, description="Nom de naissance")
    first_name: OptionalText100 = Field(default=None, description="Prénom")
    birth_date: Annotated[
        IsoDate | None,
        BeforeValidator(blank_to_none),
        # An empty form field ("") means no date, like null.
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "format": "date"},
                    {"type": "string", "maxLength": 0},
                    {"type": "null"},
                ]
            }
        ),
    ] = Field(default=None, description="Date de naissance (AAAA-MM-JJ)")
    address: OptionalText200 = Field(default=None, description="Adresse")
    address_complement: OptionalText200 = Field(default=None, description="Complément d'adresse")
    postal_code: OptionalPostalCode = Field(default=None, description="Code postal de la commune")
    city: OptionalText100 = Field(default=None, description="Nom de la commune")
    mobile_phone: OptionalMobile = Field(default=None, description="Numéro de téléphone portable")

    @field_validator("birth_date")
    @classmethod
    def _birth_date(cls, value: date | None) -> date | None:
        return past_birth_date(value) if value is not None else None


class ProfileOut(ProfileIn):
    civility_label: str = Field(examples=["Non précisée"])
    updated_at: datetime | None


class PasswordChange(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "current_password": "Tilleul7Oranger",
                    "password": "Nouveau2026x",
                    "password_confirmation": "Nouveau2026x",
                }
            ]
        }
    )

    current_password: AnyPassword
    password: NewPassword
    password_confirmation: str = Field(max_length=1024)

    _confirmation = field_validator("password_confirmation")(_confirmation_matches)


class EmailChangeRequest(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"new_email": "nouvelle.adresse@yopmail.com", "password": "Tilleul7Oranger"}
            ]
        }
    )

    new_email: Email
    password: AnyPassword


class PasswordBody(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"password": "Tilleul7Oranger"}]})

    password: AnyPassword = Field(description="Current password, to confirm.")


class SubscriptionItem(Input):
    model_config = ConfigDict(extra="ignore")

    topic: Topic
    subscribed: StrictBool


class SubscriptionOut(SubscriptionItem):
    label: str = Field(
        examples=["J'accepte de recevoir des informations de la part de la Mairie de Paris"]
    )
    since: datetime | None


class SubscriptionsIn(Input):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [{"topics": [{"topic": "information_mairie", "subscribed": True}]}]
        },
    )

    topics: list[SubscriptionItem] = Field(max_length=10)


class SubscriptionsOut(BaseModel):
    topics: list[SubscriptionOut]
