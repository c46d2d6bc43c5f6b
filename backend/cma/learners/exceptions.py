"""Refusals of the learner record and of the pairing."""

from cma.core.problems import ProblemError


class LearnerNotFound(ProblemError):
    status = 404
    code = "learner-not-found"
    title = "Fiche introuvable"
    detail = (
        "Votre compte parisien n'est pas encore rattaché à une fiche des Cours Municipaux "
        "d'Adultes : complétez votre fiche ou rattachez votre ancien compte CMA."
    )


class AlreadyHasRecord(ProblemError):
    status = 409
    code = "learner-exists"
    title = "Fiche déjà rattachée"
    detail = "Votre compte parisien est déjà rattaché à une fiche des Cours Municipaux d'Adultes."


class InvalidLegacyCredentials(ProblemError):
    status = 401
    code = "invalid-legacy-credentials"
    title = "Identifiants CMA incorrects"
    detail = (
        "Le courriel ou le mot de passe de votre ancien compte CMA est incorrect. Si vous avez "
        "oublié votre ancien mot de passe CMA, utilisez « Mot de passe oublié ? »."
    )


class InvalidTicket(ProblemError):
    status = 400
    code = "invalid-pairing-ticket"
    title = "Appairage expiré"
    detail = (
        "Le délai pour rattacher votre ancien compte CMA est dépassé ou ce rattachement a déjà "
        "été fait. Saisissez à nouveau les identifiants de votre ancien compte CMA."
    )


class LegacyAlreadyLinked(ProblemError):
    status = 409
    code = "legacy-already-linked"
    title = "Ancien compte déjà rattaché"
    detail = "Cet ancien compte CMA est déjà rattaché à un compte parisien."


class InvalidLegacyResetToken(ProblemError):
    status = 400
    code = "invalid-token"
    title = "Lien invalide ou expiré"
    detail = (
        "Ce lien n'est pas valide ou a expiré. Vous pouvez demander un nouveau lien avec "
        "« Mot de passe oublié ? »."
    )


class LearnerRecordNotFound(ProblemError):
    status = 404
    code = "learner-record-not-found"
    title = "Apprenant introuvable"
    detail = "Aucune fiche CMA ne porte cet identifiant."
