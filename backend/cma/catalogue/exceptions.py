"""Refusals of the catalogue."""

from cma.core.problems import ProblemError


class CourseNotFound(ProblemError):
    status = 404
    code = "course-not-found"
    title = "Cours introuvable"
    detail = "Ce cours n'existe pas ou n'est plus proposé."


class CourseConflict(ProblemError):
    status = 409
    code = "course-exists"
    title = "Code déjà utilisé"
    detail = "Un cours porte déjà ce code."


class CampaignNotFound(ProblemError):
    status = 404
    code = "campaign-not-found"
    title = "Campagne introuvable"
    detail = "Cette campagne n'existe pas."


class PageNotFound(ProblemError):
    status = 404
    code = "page-not-found"
    title = "Page introuvable"
    detail = "Cette page d'information n'existe pas."


class SeatsHeld(ProblemError):
    status = 409
    code = "seats-held"
    title = "Places déjà attribuées"
    detail = "Ce cours a déjà attribué plus de places que le nombre demandé."

    def __init__(self, held: int) -> None:
        places = "place est" if held == 1 else "places sont"
        super().__init__(
            f"{held} {places} déjà attribuées dans ce cours (proposées ou confirmées) : le "
            f"nombre de places ne peut pas descendre sous {held}.",
            extra={"seats_held": held},
        )


class CourseInUse(ProblemError):
    status = 409
    code = "course-in-use"
    title = "Cours déjà demandé"
    detail = (
        "Ce cours est déjà dans des paniers ou a des candidatures : il ne peut plus changer de "
        "campagne. Créez un nouveau cours dans l'autre campagne."
    )


class ApplicationsNotOpen(ProblemError):
    status = 409
    code = "applications-not-open"
    title = "Inscriptions fermées"
    detail = (
        "Les inscriptions de cette campagne ne sont pas ouvertes aujourd'hui : il n'y a rien "
        "à clore."
    )


class NoBrochure(ProblemError):
    status = 404
    code = "no-brochure"
    title = "Pas encore de brochure"
    detail = "Aucune campagne n'est encore publiée : la brochure paraîtra avec la première."


class BrochureUnavailable(ProblemError):
    status = 503
    code = "brochure-unavailable"
    title = "Brochure indisponible"
    detail = (
        "La brochure ne peut pas être produite pour le moment. Le catalogue en ligne contient "
        "les mêmes informations."
    )
