"""French mail templates (HTML + plain text), rendered by the worker when a mail leaves."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined, select_autoescape

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


# template name -> subject
TEMPLATES: dict[str, str] = {
    "activation": "Confirmation de votre compte Parisien",
    "account_exists": "Votre compte parisien existe déjà",
    "staff_invitation": "Invitation à l'espace des agents des Cours Municipaux d'Adultes",
    "password_reset": "Réinitialisation de votre mot de passe",
    "signup_not_activated": "Votre compte parisien n'est pas encore activé",
    "password_changed": "Votre mot de passe a été modifié",
    "email_change": "Confirmez votre nouvelle adresse mail",
    "email_change_taken": "Changement d'adresse mail impossible",
    "email_changed": "Votre adresse mail a été modifiée",
    "account_deleted": "Votre compte parisien a été supprimé",
    "learner_linked": "Vos comptes sont connectés",
    "applications_submitted": "Vos candidatures aux Cours Municipaux d'Adultes",
    "legacy_password_reset": "Votre ancien compte des Cours Municipaux d'Adultes",
    "allocation_responses": "Réponses à vos candidatures aux Cours Municipaux d'Adultes",
    "seat_offered": "Une place vous est proposée aux Cours Municipaux d'Adultes",
    "offer_reminder": (
        "Rappel : votre place aux Cours Municipaux d'Adultes vous attend jusqu'à demain"
    ),
    "seat_accepted": (
        "Votre répondeur automatique a accepté une place aux Cours Municipaux d'Adultes"
    ),
    "course_cancelled": "Annulation d'un cours des Cours Municipaux d'Adultes",
}
# Who speaks in a mail: the Paris account for the account's own mails, the CMA for the rest.
PARIS_ACCOUNT = {"name": "Mon Compte", "header": "MON COMPTE", "team": "L'équipe Mon Compte"}
CMA = {
    "name": "Cours Municipaux d'Adultes",
    "header": "COURS MUNICIPAUX D'ADULTES",
    "team": "L'équipe des Cours Municipaux d'Adultes",
}
_PARIS_ACCOUNT_TEMPLATES = frozenset(
    {
        "activation",
        "account_exists",
        "password_reset",
        "signup_not_activated",
        "password_changed",
        "email_change",
        "email_change_taken",
        "email_changed",
        "account_deleted",
    }
)


def _speaking(template: str, context: dict[str, Any]) -> dict[str, Any]:
    return {**context, "brand": PARIS_ACCOUNT if template in _PARIS_ACCOUNT_TEMPLATES else CMA}


# Templates that also exist as an SMS (templates/<name>.sms.txt).
SMS_TEMPLATES = frozenset({"course_cancelled", "offer_reminder"})

_html = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
)
_text = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=False,  # noqa: S701 - plain-text part, never shown as HTML
    undefined=StrictUndefined,
)


class _Withheld(Undefined):
    """A link's token is kept only until its mail left: the export shows where it stood."""

    def __str__(self) -> str:
        return "[lien personnel, non conservé]"


_export = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=False,  # noqa: S701 - plain text, in a JSON document
    undefined=_Withheld,
)


def render_for_export(template: str, sms: bool, context: dict[str, Any]) -> str:
    """A message's plain text from what is kept of it (its context, not its secrets)."""
    text = _export.get_template(f"{template}.sms.txt" if sms else f"{template}.txt")
    return text.render(**_speaking(template, context))


def render(template: str, context: dict[str, Any]) -> Rendered:
    spoken = _speaking(template, context)
    return Rendered(
        subject=TEMPLATES[template],
        html=_html.get_template(f"{template}.html").render(**spoken),
        text=_text.get_template(f"{template}.txt").render(**spoken),
    )


# GSM 03.38's basic alphabet: an SMS of these characters takes one part up to 160 of them; a
# single other character (ç, â, —…) makes the whole message UCS-2, 70 a part.
GSM_7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
SMS_LENGTH = 160
_GSM_SPELLING = str.maketrans(
    {
        "ç": "c", "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ë": "e", "ï": "i",
        "ÿ": "y", "œ": "oe", "Œ": "OE", "À": "A", "Â": "A", "È": "E", "Ê": "E", "Ë": "E",
        "Î": "I", "Ï": "I", "Ô": "O", "Ù": "U", "Û": "U", "–": "-", "—": "-", "’": "'",
        "‘": "'", "«": '"', "»": '"', "“": '"', "”": '"', "…": "...", "\u00a0": " ",
        "\u202f": " ",
    }
)  # fmt: skip


def gsm_7(text: str) -> str:
    """The text in GSM-7 (French letters without their accent where it has none)."""
    spelled = text.translate(_GSM_SPELLING)
    return "".join(c if c in GSM_7 else "?" for c in spelled)


def render_sms(template: str, context: dict[str, Any]) -> str:
    """One SMS part: GSM-7 characters, 160 at most; a course's title too long is cut."""
    text = _sms_text(template, context)
    course = context.get("course")
    if len(text) > SMS_LENGTH and isinstance(course, dict) and course.get("title"):
        title = gsm_7(str(course["title"]))
        keep = max(len(title) - (len(text) - SMS_LENGTH) - 3, 1)
        text = _sms_text(template, {**context, "course": {**course, "title": title[:keep] + "..."}})
    return text[:SMS_LENGTH]


def _sms_text(template: str, context: dict[str, Any]) -> str:
    return gsm_7(" ".join(_text.get_template(f"{template}.sms.txt").render(**context).split()))
