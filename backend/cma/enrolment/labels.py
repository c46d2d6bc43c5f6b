"""French words for enrolment's codes: an application's states, the allocation's reasons and
tiers, the priority situations, a campaign's phases and next steps."""

from cma.enrolment.allocation import DRAW_SCALE
from cma.enrolment.models import ApplicationStatus, NextStep, Phase, PrioritySituation, Reason

STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: "Déposée",
    ApplicationStatus.WITHDRAWN: "Retirée",
    ApplicationStatus.OFFERED: "Acceptée, à confirmer",
    ApplicationStatus.CONFIRMED: "Inscription confirmée",
    ApplicationStatus.DECLINED: "Place refusée",
    ApplicationStatus.EXPIRED: "Délai de confirmation dépassé",
    ApplicationStatus.WAITLISTED: "Liste d'attente",
    ApplicationStatus.NOT_RETAINED: "Non retenue",
    ApplicationStatus.CANCELLED: "Cours annulé",
}

REASON_LABELS = {
    Reason.SEATS_FOR_ALL: "Le cours avait une place pour chaque personne qui le voulait encore.",
    Reason.SELECTED: "Le cours avait plus de candidatures que de places : elles ont été "
    "classées par priorité puis par tirage au sort, et la vôtre est dans les places.",
    Reason.COURSE_FULL: "Le cours avait plus de candidatures que de places : vous êtes sur la "
    "liste d'attente, classée par priorité puis par tirage au sort.",
    Reason.CAP_REACHED: "Vous avez déjà obtenu le nombre maximum de cours de cette campagne, "
    "sur des cours que vous aviez classés avant celui-ci.",
    Reason.PROMOTED: "Une place s'est libérée : elle vous est proposée depuis la liste d'attente.",
    Reason.COURSE_CANCELLED: "Le cours a été annulé.",
    Reason.SWAPPED: "Vous avez obtenu un cours mieux classé dans vos choix : cette place a été "
    "libérée pour la personne suivante.",
}
PRIORITY_LABELS = {
    PrioritySituation.AUCUNE: "Aucune",
    PrioritySituation.DEMANDEUR_EMPLOI: "Demandeur d'emploi",
    PrioritySituation.RSA: "Bénéficiaire du RSA",
    PrioritySituation.AUTRE_MINIMA: "Bénéficiaire d'un autre minimum social",
}

TIER_LABELS = {
    1: "Situation prioritaire et prérequis acquis",
    2: "Situation prioritaire",
    3: "Prérequis acquis",
    4: "Sans priorité particulière",
}

PHASE_LABELS = {
    Phase.UPCOMING: "À venir",
    Phase.OPEN: "Inscriptions ouvertes",
    Phase.CLOSED: "Clôturée",
    Phase.ALLOCATED: "Affectée",
    Phase.ANSWERED: "Réponses envoyées",
}

NEXT_STEP_LABELS = {
    NextStep.PREPARE: "Préparer le catalogue avant l'ouverture des inscriptions",
    NextStep.CLOSE: "Clore les inscriptions à leur date, ou par anticipation",
    NextStep.ALLOCATE: "Prévisualiser puis enregistrer l'affectation des places",
    NextStep.WAIT: "Envoyer les réponses dès le début de la période de réponses",
    NextStep.ANSWER: "Envoyer les réponses aux candidatures",
    NextStep.FOLLOW: "Suivre les confirmations et les listes d'attente",
    NextStep.NONE: "Rien : la période de réponses est terminée",
}


def draw_label(draw: int) -> str:
    """A lottery number as a person reads it: its share of the range, six decimals in French
    ("0,482131"; the lower, the sooner served)."""
    return f"{draw / DRAW_SCALE:.6f}".replace(".", ",")


ALLOCATION_EVENT_LABELS = {"preview": "Prévisualisation", "commit": "Enregistrement"}
