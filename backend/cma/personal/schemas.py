"""The export of a person's data, and the staff console's reads of a learner.

The export is the person's own document: one JSON file, its keys and values in French, its
moments in Paris time, no internal code or number (a code goes out as its label). Every key is
named in `FRENCH_KEYS`; a field without a French name fails at import, so none slips out in
English.
"""

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AliasGenerator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from cma.accounts.labels import (
    ACCOUNT_STATUS_LABELS,
    PURPOSE_LABELS,
    ROLE_LABELS,
    SECURITY_EVENT_LABELS,
    SIGNUP_KIND_LABELS,
)
from cma.accounts.schemas import ProfileOut, SubscriptionOut
from cma.core.countries import french_names
from cma.core.wording import PARIS, french_phone
from cma.enrolment.labels import PRIORITY_LABELS
from cma.enrolment.schemas import ApplicationOut, ReceiptSummary
from cma.learners.labels import HEARD_FROM_LABELS
from cma.learners.schemas import LearnerOut
from cma.notifications.labels import CHANNEL_LABELS, MESSAGE_STATUS_LABELS

FRENCH_KEYS = {
    "account": "compte",
    "activated_at": "active_le",
    "added_at": "ajoute_le",
    "address": "adresse",
    "address_2": "complement_adresse_1",
    "address_3": "complement_adresse_2",
    "address_complement": "complement_adresse",
    "answers_mailed": "reponses_envoyees",
    "auto_responses": "repondeur_automatique",
    "draw_label": "tirage_au_sort",
    "explanation": "explication",
    "pseudonym": "pseudonyme_dans_les_donnees_publiees",
    "applications": "candidatures",
    "at": "le",
    "basket": "panier",
    "birth_country": "pays_de_naissance",
    "birth_country_label": "pays_de_naissance",
    "birth_date": "date_de_naissance",
    "birth_name": "nom_de_naissance",
    "by": "par",
    "campaign_name": "campagne",
    "channel": "canal",
    "city": "ville",
    "civility_label": "civilite",
    "client_address": "adresse_ip",
    "code": "code",
    "course_code": "code_du_cours",
    "course_title": "intitule_du_cours",
    "courses": "cours",
    "created_at": "cree_le",
    "detail": "detail",
    "email": "adresse_mail",
    "email_changed_at": "adresse_mail_modifiee_le",
    "expires_at": "expire_le",
    "first_name": "prenom",
    "generated_at": "genere_le",
    "heard_from": "connu_par",
    "heard_from_label": "connu_par",
    "kind": "nature",
    "label": "libelle",
    "landline_phone": "telephone_fixe",
    "last_name": "nom",
    "last_seen_at": "derniere_activite_le",
    "learner": "fiche_cma",
    "linked_at": "rattache_le",
    "links_sent": "liens_envoyes",
    "messages": "messages",
    "mobile_phone": "telephone_mobile",
    "motivation": "motivation",
    "new_email": "nouvelle_adresse_mail",
    "offer_deadline": "date_limite_de_confirmation",
    "old_account": "ancien_compte_cma",
    "old_account_attempts_by_others": "essais_d_autres_comptes_sur_votre_ancien_compte",
    "outcome_label": "resultat",
    "paired_with_legacy_account": "rattachee_a_un_ancien_compte",
    "pairing_trail": "rattachement",
    "password_changed_at": "mot_de_passe_modifie_le",
    "postal_code": "code_postal",
    "previous_level": "niveau_precedent",
    "priority_situation": "situation_prioritaire",
    "profile": "profil",
    "purpose": "objet",
    "rank": "choix",
    "read_by_staff": "consultations_par_les_agents",
    "reason_label": "motif",
    "receipts": "recus_de_depot",
    "recipient": "destinataire",
    "reference": "numero_de_depot",
    "result": "resultat",
    "revoked_at": "fermee_le",
    "role": "role",
    "school_year": "annee_scolaire",
    "security_events": "droits_d_agent",
    "sent_at": "envoye_le",
    "sessions": "connexions",
    "sign_ups": "inscriptions",
    "since": "depuis",
    "spent_at": "utilisee_le",
    "status": "etat",
    "status_label": "etat",
    "subject": "objet",
    "submitted_at": "deposee_le",
    "subscribed": "abonne",
    "subscriptions": "abonnements",
    "terms_accepted_at": "conditions_acceptees_le",
    "terms_version": "version_des_conditions",
    "text": "texte",
    "tier_label": "priorite",
    "title": "titre",
    "training_history": "annees_de_formation",
    "updated_at": "modifie_le",
    "usage_name": "nom_d_usage",
    "used_or_retired_at": "utilise_ou_retire_le",
    "user_agent": "navigateur",
    "waitlist_position": "position_sur_la_liste_d_attente",
    "withdrawn_at": "retiree_le",
    "year": "annee",
}


# Codes that their labels stand for in the export, never written out themselves.
_NOT_WRITTEN = frozenset({"civility", "topic"})


def _french_key(name: str) -> str:
    return name if name in _NOT_WRITTEN else FRENCH_KEYS[name]


class Exported(BaseModel):
    """A part of the export: French keys out, whatever the field is called here."""

    model_config = ConfigDict(alias_generator=AliasGenerator(serialization_alias=_french_key))


def _in_paris(moment: datetime) -> str:
    return moment.astimezone(PARIS).isoformat()


# A moment as Paris read it: "2026-12-04T20:04:00+01:00", not UTC.
ParisTime = Annotated[
    datetime,
    PlainSerializer(_in_paris, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]


# A phone as the site shows it: "06 12 34 56 78".
Phone = Annotated[str, PlainSerializer(french_phone, return_type=str)]


def _label(labels: Mapping[Any, str]) -> Any:
    """A code read in, its French label written out (an unknown code is a bug: it fails)."""
    keys = {str(code): label for code, label in labels.items()}
    return Annotated[str, BeforeValidator(lambda code: keys[str(code)])]


class AccountPart(Exported):
    email: str
    status: _label(ACCOUNT_STATUS_LABELS)  # type: ignore[valid-type]
    role: _label(ROLE_LABELS)  # type: ignore[valid-type]
    mobile_phone: Phone | None
    created_at: ParisTime
    activated_at: ParisTime
    terms_version: str
    terms_accepted_at: ParisTime
    password_changed_at: ParisTime
    email_changed_at: ParisTime


class ProfilePart(ProfileOut, Exported):
    civility: Any = Field(exclude=True)
    mobile_phone: Phone | None
    updated_at: ParisTime | None


class SubscriptionPart(SubscriptionOut, Exported):
    topic: Any = Field(exclude=True)
    since: ParisTime | None


class SessionPart(Exported):
    created_at: ParisTime
    last_seen_at: ParisTime
    expires_at: ParisTime
    revoked_at: ParisTime | None
    client_address: str | None
    user_agent: str | None


class LinkPart(Exported):
    purpose: _label(PURPOSE_LABELS)  # type: ignore[valid-type]
    created_at: ParisTime
    expires_at: ParisTime
    used_or_retired_at: ParisTime | None
    new_email: str | None


class SecurityEventPart(Exported):
    at: ParisTime
    kind: _label(SECURITY_EVENT_LABELS)  # type: ignore[valid-type]
    by: str
    detail: str


class SignupPart(Exported):
    """A sign-up (or a staff invitation) of the person's address, spent when the account was
    opened: the one whose link opened it, and any other made with the address. Kept until a
    day after its link's end."""

    kind: _label(SIGNUP_KIND_LABELS)  # type: ignore[valid-type]
    created_at: ParisTime
    expires_at: ParisTime
    spent_at: ParisTime


class MessagePart(Exported):
    channel: _label(CHANNEL_LABELS)  # type: ignore[valid-type]
    subject: str
    text: str = Field(
        description="What the message said (a mail's plain-text part); the personal link it "
        "carried is not kept once sent, and is shown as withheld"
    )
    recipient: str
    created_at: ParisTime
    status: _label(MESSAGE_STATUS_LABELS)  # type: ignore[valid-type]
    sent_at: ParisTime | None


class FichePart(LearnerOut, Exported):
    birth_country: Any = Field(exclude=True)
    heard_from: Any = Field(exclude=True)
    mobile_phone: Phone | None
    landline_phone: Phone | None
    updated_at: ParisTime


class OldAccountPart(Exported):
    """The old CMA site's account, as its export gave it (paired: its password is gone)."""

    email: str
    title: str | None
    last_name: str | None
    birth_name: str | None
    first_name: str | None
    birth_date: date | None
    birth_country: Annotated[
        str | None, BeforeValidator(lambda code: code and french_names().get(code, code))
    ]
    address: str | None
    address_2: str | None
    address_3: str | None
    postal_code: str | None
    city: str | None
    mobile_phone: Phone | None
    landline_phone: Phone | None
    heard_from: _label(HEARD_FROM_LABELS) | None  # type: ignore[valid-type]
    linked_at: ParisTime | None
    # When the old site's export brought it here (the old site did not say when it was made).
    created_at: ParisTime = Field(serialization_alias="importe_le")
    updated_at: ParisTime


class HistoryPart(BaseModel):
    year: int
    course_code: str
    course_title: str
    result: str | None


class PairingPart(BaseModel):
    at: datetime
    outcome: str
    outcome_label: str
    client_address: str | None


class YearPart(HistoryPart, Exported):
    pass


class PairingStepPart(Exported):
    at: ParisTime
    outcome_label: str
    client_address: str | None


class AttemptByOtherPart(Exported):
    """Someone signed in to another Paris account tried the person's old account."""

    at: ParisTime
    outcome_label: str


class BasketPart(Exported):
    campaign_name: str
    course_code: str
    course_title: str
    rank: int
    priority_situation: _label(PRIORITY_LABELS) | None  # type: ignore[valid-type]
    previous_level: str | None
    motivation: str | None
    added_at: ParisTime


class ApplicationPart(Exported):
    campaign_name: str
    school_year: str
    course_code: str
    course_title: str
    rank: int
    priority_situation: _label(PRIORITY_LABELS) | None  # type: ignore[valid-type]
    previous_level: str | None
    motivation: str | None
    submitted_at: ParisTime
    withdrawn_at: ParisTime | None
    status_label: str
    reason_label: str | None
    tier_label: str | None
    draw_label: str | None
    pseudonym: str | None
    explanation: str | None
    waitlist_position: int | None
    offer_deadline: date | None


class ReceiptCoursePart(Exported):
    rank: int
    code: str
    title: str = Field(serialization_alias="intitule")


class ReceiptPart(Exported):
    reference: str
    submitted_at: ParisTime
    campaign_name: str
    courses: list[ReceiptCoursePart] = Field(description="As submitted, in order of preference")


class AnswersMailedPart(Exported):
    campaign_name: str
    sent_at: ParisTime


class AutoResponsePart(Exported):
    """A campaign where the person let a freed seat be accepted for them."""

    campaign_name: str
    since: ParisTime


class PersonalData(Exported):
    """Everything the service keeps about the person, secrets (password and token hashes)
    excepted. An allocation's outcome shows from the first day of its response period, as on
    the site."""

    generated_at: ParisTime
    account: AccountPart
    profile: ProfilePart
    subscriptions: list[SubscriptionPart]
    sessions: list[SessionPart]
    sign_ups: list[SignupPart]
    links_sent: list[LinkPart]
    security_events: list[SecurityEventPart]
    messages: list[MessagePart] = Field(description="Mails and SMS sent to the person")
    learner: FichePart | None = Field(description="The fiche CMA")
    old_account: OldAccountPart | None
    training_history: list[YearPart]
    pairing_trail: list[PairingStepPart]
    old_account_attempts_by_others: list[AttemptByOtherPart]
    basket: list[BasketPart]
    applications: list[ApplicationPart]
    receipts: list[ReceiptPart] = Field(description="Each basket submitted: its receipt")
    answers_mailed: list[AnswersMailedPart]
    auto_responses: list[AutoResponsePart]
    read_by_staff: list[ParisTime] = Field(
        description="When staff opened the fiche in their console (who did is theirs to know)"
    )


# --- the staff console's "Apprenants" --------------------------------------------------------


class LearnerHit(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_name: str | None
    birth_date: date
    postal_code: str
    city: str
    email: str
    legacy_account_id: int | None = Field(description="The old CMA account's number, if paired")


class StaffMessage(BaseModel):
    channel_label: str = Field(examples=["Mail"])
    subject: str
    created_at: datetime
    status_label: str = Field(examples=["Envoyé"])
    sent_at: datetime | None


class LearnerView(BaseModel):
    """A learner as staff read them; this read is written to the trail."""

    id: uuid.UUID
    fiche: LearnerOut
    account_created_at: datetime
    legacy_account_id: int | None
    training_history: list[HistoryPart]
    pairing_trail: list[PairingPart]
    applications: list[ApplicationOut]
    receipts: list[ReceiptSummary] = Field(description="Each basket submitted: its receipt")
    messages: list[StaffMessage]
