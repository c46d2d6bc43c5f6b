"""The French words for the catalogue's codes: levels, periods, days of the week."""

from cma.catalogue.models import Level, Period

LEVEL_LABELS = {
    Level.TOUS: "Tous niveaux",
    Level.DEBUTANT: "Débutant",
    Level.ELEMENTAIRE: "Élémentaire",
    Level.INTERMEDIAIRE: "Intermédiaire",
    Level.AVANCE: "Avancé",
}

PERIOD_LABELS = {
    Period.ANNUAL: "Cours annuel",
    Period.FIRST_SEMESTER: "Premier semestre",
    Period.SECOND_SEMESTER: "Second semestre",
}

WEEKDAY_LABELS = {
    1: "Lundi",
    2: "Mardi",
    3: "Mercredi",
    4: "Jeudi",
    5: "Vendredi",
    6: "Samedi",
    7: "Dimanche",
}
