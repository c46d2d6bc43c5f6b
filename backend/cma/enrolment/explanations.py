"""Why an application got its answer, in a sentence a learner can check against the numbers.

Each sentence cites the learner's priority and draw and, on a full course, the course's
cut-off (the priority and draw of the last learner admitted): the same numbers the published
inputs give to anyone who recomputes the allocation.
"""

from typing import Any

from cma.enrolment.labels import TIER_LABELS, draw_label
from cma.enrolment.models import ApplicationStatus, Reason


def _rank(tier: int, draw: int) -> str:
    return f"priorité « {TIER_LABELS[tier]} », tirage {draw_label(draw)}"


def explain(
    status: ApplicationStatus,
    reason: Reason | None,
    tier: int | None,
    draw: int | None,
    cutoff: dict[str, Any] | None,
    position: int | None,
    cap: int,
) -> str | None:
    """The sentence for an answered application (None before its answer is out)."""
    if status == ApplicationStatus.DECLINED and reason != Reason.SWAPPED:
        return "Vous avez refusé cette place, ou quitté la liste d'attente."
    if status == ApplicationStatus.EXPIRED:
        return "La place n'a pas été confirmée à temps : elle est passée à la personne suivante."
    mine = _rank(tier, draw) if tier is not None and draw is not None else None
    last = _rank(cutoff["tier"], cutoff["draw"]) if cutoff else None
    if reason == Reason.SEATS_FOR_ALL:
        return "Admis : le cours avait une place pour chaque personne qui le voulait encore."
    if reason == Reason.SELECTED and mine:
        return f"Admis : votre classement ({mine}) est dans les places du cours" + (
            f" ; dernier admis : {last}." if last else "."
        )
    if reason == Reason.COURSE_FULL and mine:
        where = f"position {position}" if position else "vous y êtes toujours"
        if status != ApplicationStatus.WAITLISTED:
            where = "vous l'avez quittée" if status == ApplicationStatus.DECLINED else where
        return f"Sur liste d'attente, {where} : le cours est complet" + (
            f" et le dernier admis ({last}) passe avant vous ({mine})." if last else "."
        )
    if reason == Reason.CAP_REACHED:
        better = "1 cours mieux classé" if cap == 1 else f"{cap} cours mieux classés"
        return (
            f"Non retenu : vous avez déjà obtenu {better} dans vos choix "
            f"({cap} au plus par personne dans cette campagne)."
        )
    if reason == Reason.PROMOTED:
        return "Admis depuis la liste d'attente : une place s'est libérée."
    if reason == Reason.SWAPPED:
        return (
            "Place libérée : vous avez obtenu un cours mieux classé dans vos choix, et vous "
            f"pouvez suivre {cap} cours au plus dans cette campagne."
        )
    if reason == Reason.COURSE_CANCELLED:
        return "Le cours a été annulé."
    return None
