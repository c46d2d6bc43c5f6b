"""Refusals of the basket and of the applications, each telling the learner why."""

from cma.core.problems import ProblemError


class NoLearnerRecord(ProblemError):
    status = 403
    code = "learner-record-needed"
    title = "Fiche CMA à compléter"
    detail = (
        "Pour déposer une candidature, complétez d'abord votre fiche ou rattachez votre ancien "
        "compte des Cours Municipaux d'Adultes."
    )


class CourseNotOpen(ProblemError):
    status = 409
    code = "course-not-open"
    title = "Inscriptions fermées"
    detail = "Les inscriptions à ce cours ne sont pas ouvertes en ce moment."


class AlreadyInBasket(ProblemError):
    status = 409
    code = "already-in-basket"
    title = "Cours déjà dans le panier"
    detail = "Ce cours est déjà dans votre panier."


class BasketFull(ProblemError):
    status = 409
    code = "basket-full"
    title = "Panier complet"


class OtherCampaign(ProblemError):
    """A basket holds the courses of one campaign: its submission is that campaign's."""

    status = 409
    code = "other-campaign"
    title = "Cours d'une autre campagne"
    detail = "Ce cours est d'une autre campagne que ceux de votre panier."


class TimeOverlap(ProblemError):
    status = 409
    code = "time-overlap"
    title = "Horaires qui se chevauchent"


class NotInBasket(ProblemError):
    status = 404
    code = "not-in-basket"
    title = "Cours absent du panier"
    detail = "Ce cours n'est pas dans votre panier."


class EmptyBasket(ProblemError):
    status = 409
    code = "empty-basket"
    title = "Panier vide"
    detail = "Votre panier est vide : ajoutez des cours depuis le catalogue."


class ApplicationNotFound(ProblemError):
    status = 404
    code = "application-not-found"
    title = "Candidature introuvable"
    detail = "Cette candidature n'existe pas."


class PeriodClosed(ProblemError):
    status = 409
    code = "period-closed"
    title = "Période d'inscription terminée"
    detail = "La période d'inscription est terminée : cette candidature ne peut plus être retirée."


class ApplicationsStillOpen(ProblemError):
    status = 409
    code = "applications-still-open"
    title = "Période d'inscription en cours"
    detail = "L'affectation ne peut avoir lieu qu'après la fin de la période d'inscription."


class AlreadyAllocated(ProblemError):
    status = 409
    code = "already-allocated"
    title = "Affectation déjà enregistrée"
    detail = "Les places de cette campagne ont déjà été attribuées."


class NotAllocated(ProblemError):
    status = 409
    code = "not-allocated"
    title = "Affectation non enregistrée"
    detail = "Les places de cette campagne n'ont pas encore été attribuées."


class NotVerifiable(ProblemError):
    status = 409
    code = "not-verifiable"
    title = "Affectation non vérifiable"
    detail = (
        "Cette affectation a été enregistrée avant la publication des tirages au sort : "
        "sa graine avait été choisie, elle ne se vérifie pas."
    )


class NotYours(ProblemError):
    status = 403
    code = "not-a-candidate"
    title = "Réservé aux candidats de la campagne"
    detail = (
        "Les données de l'affectation sont publiées pour les personnes qui ont candidaté à "
        "cette campagne, et pour les agents de la Ville."
    )


class OutsideResponsePeriod(ProblemError):
    status = 409
    code = "outside-response-period"
    title = "Hors de la période des réponses"
    detail = "Les réponses aux candidatures ne sont envoyées que pendant la période des réponses."


class NotAnOffer(ProblemError):
    status = 409
    code = "not-an-offer"
    title = "Aucune place proposée"
    detail = "Aucune place ne vous est proposée sur cette candidature."


class OfferExpired(ProblemError):
    status = 409
    code = "offer-expired"
    title = "Délai de confirmation dépassé"
    detail = (
        "Le délai pour confirmer cette place est dépassé : elle a été proposée à quelqu'un d'autre."
    )


class CourseAlreadyCancelled(ProblemError):
    status = 409
    code = "course-already-cancelled"
    title = "Cours déjà annulé"
    detail = "Ce cours est déjà annulé."


class UnexpectedApplication(ProblemError):
    status = 409
    code = "unexpected-application"
    title = "Candidature incohérente"
    detail = "Une candidature ne correspond à aucun cours de cette campagne."

    def __init__(self, application_id: int, course_code: str) -> None:
        super().__init__(
            f"La candidature n° {application_id} porte sur le cours {course_code}, qui n'est "
            "pas de cette campagne : l'affectation ne peut pas être calculée. Retirez cette "
            "candidature ou corrigez le cours, puis recommencez.",
            extra={"application_id": application_id, "course_code": course_code},
        )
