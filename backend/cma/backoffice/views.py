"""What staff see and may change. Catalogue tables are editable (the database's constraints
and triggers still hold); people's data, applications and the trails are read-only here: they
change only through the rules of the API (allocation, answers, cancellation)."""

from decimal import Decimal
from typing import Any, ClassVar

from sqladmin import ModelView
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request
from wtforms import Form

from cma.catalogue.models import Campaign, Course, Page
from cma.core.problems import database_refusal
from cma.enrolment.models import AllocationRun, Application
from cma.learners.models import Learner, LinkAudit
from cma.notifications.models import OutboxMessage

# Column names in French, whatever the table.
LABELS = {
    "code": "Code",
    "title": "Intitulé",
    "name": "Nom",
    "campaign_id": "Campagne",
    "weekday": "Jour (1 = lundi)",
    "start_time": "Début",
    "end_time": "Fin",
    "seats": "Places",
    "retired_at": "Retiré le",
    "cancelled_at": "Annulé le",
    "school_year": "Année scolaire",
    "application_start": "Début des inscriptions",
    "application_end": "Fin des inscriptions",
    "response_start": "Début des réponses",
    "response_end": "Fin des réponses",
    "max_courses": "Cours par panier",
    "max_accepted": "Cours attribués au plus",
    "slug": "Adresse",
    "position": "Ordre",
    "updated_at": "Modifié le",
    "created_at": "Créé le",
    "last_name": "Nom",
    "first_name": "Prénom",
    "postal_code": "Code postal",
    "legacy_account_id": "Ancien compte",
    "course_code": "Cours",
    "rank": "Choix",
    "status": "État",
    "outcome": "Décision",
    "reason": "Motif",
    "tier": "Priorité",
    "waitlist_rank": "Rang d'attente",
    "offer_deadline": "Confirmer avant le",
    "seed": "Graine du tirage",
    "cap": "Plafond",
    "committed_by": "Par",
    "channel": "Canal",
    "template": "Modèle",
    "recipient": "Destinataire",
    "attempts": "Essais",
    "sent_at": "Envoyé le",
    "last_error": "Dernière erreur",
}


# What the database's rules on editable tables mean, in the words of the form.
REFUSALS = {
    "ck_courses_hours_of_day": "l'heure de fin doit être après l'heure de début.",
    "ck_courses_seats": "le nombre de places va de 1 à 500.",
    "ck_courses_hours": "le nombre d'heures va de 1 à 2 000.",
    "ck_courses_fee": "le tarif va de 0 à 10 000 €.",
    "ck_courses_texts": (
        "l'intitulé ne peut pas être vide ni contenir de caractère de contrôle, la description "
        "a de 1 à 5 000 caractères et les prérequis 2 000 au plus."
    ),
    "ck_courses_weekday": "le jour doit être compris entre 1 (lundi) et 7 (dimanche).",
    "ck_courses_level": "le niveau n'est pas l'un des niveaux proposés.",
    "ck_courses_period": "la période n'est pas l'une des périodes proposées.",
    "course_capacity": (
        "le cours a déjà plus de places proposées ou confirmées que ce nombre de places."
    ),
    "ck_campaigns_calendar": (
        "le calendrier doit se suivre : début et fin des inscriptions, puis début et fin de "
        "l'envoi des réponses."
    ),
    "ck_campaigns_school_year": "l'année scolaire s'écrit comme 2026-2027.",
    "ck_campaigns_school_year_consecutive": (
        "l'année scolaire s'écrit avec deux années qui se suivent, par exemple 2026-2027."
    ),
    "ck_campaigns_within_school_year": "les dates doivent tomber pendant l'année scolaire.",
    "ck_campaigns_school_year_century": "l'année scolaire va de 2000-2001 à 2098-2099.",
    "ck_campaigns_name_text": "le nom ne peut pas être vide ni contenir de caractère de contrôle.",
    "ck_pages_texts": (
        "le titre ne peut pas être vide ni contenir de caractère de contrôle, et le texte a "
        "50 000 caractères au plus."
    ),
    "ck_pages_position": "l'ordre va de 0 à 1 000.",
    "ck_campaigns_max_courses": "le nombre de cours par panier va de 1 à 10.",
    "ck_campaigns_max_accepted": (
        "le nombre de cours attribués va de 1 au nombre de cours par panier."
    ),
    "ck_campaigns_confirm_days": "le délai de confirmation va de 1 à 60 jours.",
    "ck_campaigns_covers": "la période couverte n'est pas l'une des périodes proposées.",
    "ck_pages_slug": (
        "l'adresse s'écrit en minuscules sans accents, chiffres et tirets (aide-inscription)."
    ),
}


class Refused(Exception):
    """What the form shows when the database refused a change (sqladmin shows str(error))."""


def _reason(exc: DBAPIError) -> str:
    constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None) or ""
    if constraint in REFUSALS:
        return REFUSALS[constraint]
    if str(getattr(exc.orig, "sqlstate", "") or "") == "23502":
        return "un champ obligatoire est vide."
    problem = database_refusal(exc)
    if problem is not None and problem.status == 409:
        return "elle entre en conflit avec les données actuelles (déjà faite ailleurs ?)."
    # A value the driver or the database cannot take as it is: a number past its column's
    # range, a NUL character.
    return (
        "une des valeurs ne peut pas être enregistrée (un nombre trop grand, un caractère non "
        "autorisé ?)."
    )


def _refused(exc: DBAPIError) -> Refused:
    return Refused(f"La modification n'a pas été enregistrée : {_reason(exc)}")


class FrenchForm(Form):
    """WTForms' own messages ("Not a valid integer value.") in its French translation."""

    class Meta:
        locales = ("fr",)


class French(ModelView):
    column_labels: ClassVar[Any] = LABELS
    page_size = 50
    form_base_class = FrenchForm

    # sqladmin shows a refused write's error as it is (SQL, in English): it is told in French.
    async def insert_model(self, request: Request, data: dict[str, Any]) -> Any:
        try:
            return await super().insert_model(request, data)
        except DBAPIError as exc:
            raise _refused(exc) from exc

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        try:
            return await super().update_model(request, pk, data)
        except DBAPIError as exc:
            raise _refused(exc) from exc


class ReadOnly(French):
    can_create = False
    can_edit = False
    can_delete = False
    can_export = False


def _finite(value: Decimal | None) -> Decimal | None:
    """A NaN or an infinity is no price (a signalling NaN broke the form's own checks)."""
    if value is not None and not value.is_finite():
        raise ValueError("Le tarif doit être un nombre (exemple : 142.50).")
    return value


class CourseView(French, model=Course):
    name, name_plural, icon, category = "Cours", "Cours", "fa-solid fa-book", "Catalogue"
    # Created through the API, which checks the domain, venue and campaign by name; retired or
    # cancelled through it too (cancelling tells the learners), never erased. Its prerequisite
    # codes too: the API checks them.
    can_create = False
    can_delete = False
    column_list: ClassVar[Any] = [
        Course.code,
        Course.title,
        Course.campaign_id,
        Course.weekday,
        Course.start_time,
        Course.seats,
        Course.retired_at,
        Course.cancelled_at,
    ]
    column_searchable_list: ClassVar[Any] = [Course.code, Course.title]
    form_args: ClassVar[Any] = {"fee": {"filters": [_finite]}}
    column_sortable_list: ClassVar[Any] = [Course.code, Course.seats, Course.campaign_id]
    column_details_exclude_list: ClassVar[Any] = [Course.search, "domain", "venue", "campaign"]
    form_columns: ClassVar[Any] = [
        Course.title,
        Course.description,
        Course.level,
        Course.prerequisites,
        Course.weekday,
        Course.start_time,
        Course.end_time,
        Course.period,
        Course.hours,
        Course.fee,
        Course.seats,
        Course.is_new,
        Course.needs_motivation,
        Course.needs_priority_situation,
    ]


class CampaignView(French, model=Campaign):
    name, name_plural, icon, category = "Campagne", "Campagnes", "fa-solid fa-calendar", "Catalogue"
    can_delete = False
    column_list: ClassVar[Any] = [
        Campaign.id,
        Campaign.name,
        Campaign.school_year,
        Campaign.application_start,
        Campaign.application_end,
        Campaign.response_start,
        Campaign.response_end,
        Campaign.max_courses,
        Campaign.max_accepted,
    ]
    form_excluded_columns: ClassVar[Any] = [Campaign.created_at]


class PageView(French, model=Page):
    name, name_plural, icon, category = "Page", "Pages", "fa-solid fa-file-lines", "Catalogue"
    # Its address is its key: sqladmin leaves keys out of forms unless told.
    form_include_pk = True
    # Deleted through the API (one page at a time, by its address): sqladmin's delete of a
    # list of pages deleted some and answered "not found".
    can_delete = False
    column_list: ClassVar[Any] = [Page.slug, Page.title, Page.position, Page.updated_at]
    form_columns: ClassVar[Any] = [Page.slug, Page.title, Page.body, Page.position]


class LearnerView(ReadOnly, model=Learner):
    name, name_plural, icon, category = "Apprenant", "Apprenants", "fa-solid fa-user", "Candidats"
    column_list: ClassVar[Any] = [
        Learner.last_name,
        Learner.first_name,
        Learner.postal_code,
        Learner.legacy_account_id,
        Learner.created_at,
    ]
    column_searchable_list: ClassVar[Any] = [Learner.last_name, Learner.first_name]


class ApplicationView(ReadOnly, model=Application):
    name, name_plural, icon, category = (
        "Candidature",
        "Candidatures",
        "fa-solid fa-list-check",
        "Candidats",
    )
    column_list: ClassVar[Any] = [
        Application.id,
        Application.campaign_id,
        Application.course_code,
        Application.rank,
        Application.status,
        Application.outcome,
        Application.reason,
        Application.tier,
        Application.waitlist_rank,
        Application.offer_deadline,
    ]
    column_searchable_list: ClassVar[Any] = [Application.course_code]
    column_sortable_list: ClassVar[Any] = [
        Application.id,
        Application.course_code,
        Application.status,
        Application.waitlist_rank,
    ]


class AllocationRunView(ReadOnly, model=AllocationRun):
    name, name_plural, icon, category = (
        "Affectation",
        "Affectations",
        "fa-solid fa-shuffle",
        "Campagnes",
    )
    column_list: ClassVar[Any] = [
        AllocationRun.id,
        AllocationRun.campaign_id,
        AllocationRun.seed,
        AllocationRun.cap,
        AllocationRun.committed_by,
        AllocationRun.created_at,
    ]


class OutboxView(ReadOnly, model=OutboxMessage):
    name, name_plural, icon, category = (
        "Message",
        "Mails et SMS",
        "fa-solid fa-envelope",
        "Suivi",
    )
    column_list: ClassVar[Any] = [
        OutboxMessage.id,
        OutboxMessage.channel,
        OutboxMessage.template,
        OutboxMessage.recipient,
        OutboxMessage.status,
        OutboxMessage.attempts,
        OutboxMessage.sent_at,
        OutboxMessage.last_error,
    ]
    # A pending mail's secrets are a usable link token: never shown, not even to staff.
    column_details_exclude_list: ClassVar[Any] = [OutboxMessage.secrets]
    column_searchable_list: ClassVar[Any] = [OutboxMessage.recipient]


class LinkAuditView(ReadOnly, model=LinkAudit):
    name, name_plural, icon, category = (
        "Appairage",
        "Journal des appairages",
        "fa-solid fa-link",
        "Suivi",
    )
    column_default_sort: ClassVar[Any] = [(LinkAudit.at, True)]


VIEWS = (
    CourseView,
    CampaignView,
    PageView,
    LearnerView,
    ApplicationView,
    AllocationRunView,
    OutboxView,
    LinkAuditView,
)
