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
