"""French words for the states of an application and the reasons the allocation gives."""

from cma.enrolment.models import ApplicationStatus, Reason

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
    Reason.SEATS_FOR_ALL: "Le cours avait assez de places pour toutes les candidatures.",
    Reason.SELECTED: "Le cours avait plus de candidatures que de places : la vôtre a été "
    "retenue selon l'ordre de vos choix, la priorité puis le tirage au sort.",
    Reason.COURSE_FULL: "Le cours avait plus de candidatures que de places : vous êtes sur la "
    "liste d'attente, classée selon l'ordre des choix, la priorité puis le tirage au sort.",
    Reason.CAP_REACHED: "Vous avez déjà obtenu le nombre maximum de cours de cette campagne, "
    "sur des cours que vous aviez classés avant celui-ci.",
    Reason.PROMOTED: "Une place s'est libérée : elle vous est proposée depuis la liste d'attente.",
    Reason.COURSE_CANCELLED: "Le cours a été annulé.",
}
