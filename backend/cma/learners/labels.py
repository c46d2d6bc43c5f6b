"""The French words for the learner's codes: how they heard of the CMA, pairing outcomes."""

from cma.learners.models import HeardFrom, LinkOutcome

HEARD_FROM_LABELS = {
    HeardFrom.MAIRIE: "Mairie d'arrondissement",
    HeardFrom.CONNAISSANCE: "Connaissance",
    HeardFrom.RESEAUX_SOCIAUX: "Réseaux sociaux",
    HeardFrom.INTERNET: "Internet",
    HeardFrom.AFFICHAGE: "Affichage",
    HeardFrom.AUTRE: "Autre",
}

LINK_OUTCOME_LABELS = {
    LinkOutcome.WRONG_PASSWORD: "Identifiants de l'ancien compte incorrects",
    LinkOutcome.THROTTLED: "Essai refusé : trop d'essais",
    LinkOutcome.NO_PASSWORD: "Ancien compte sans mot de passe utilisable",
    LinkOutcome.ALREADY_LINKED: "Ancien compte déjà rattaché",
    LinkOutcome.TICKET_ISSUED: "Identifiants de l'ancien compte vérifiés",
    LinkOutcome.TICKET_INVALID: "Rattachement expiré",
    LinkOutcome.LINKED: "Comptes rattachés",
    LinkOutcome.CONFLICT: "Rattachement refusé : déjà fait ailleurs",
}
