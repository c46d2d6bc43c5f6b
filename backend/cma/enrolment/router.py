"""HTTP routes of "Mon panier" and of the applications."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, status

from cma.accounts import service as accounts
from cma.accounts.dependencies import AuthDep
from cma.accounts.views import AccountView
from cma.catalogue.exceptions import CampaignNotFound
from cma.core.database import SessionDep
from cma.core.params import CourseCode, RowId
from cma.core.problems import CsrfRefused, InvalidInput, NotAuthenticated, responses
from cma.enrolment import auto_response, offers, runs, service
from cma.enrolment.exceptions import (
    AlreadyInBasket,
    ApplicationNotFound,
    BasketFull,
    CourseNotOpen,
    EmptyBasket,
    NoLearnerRecord,
    NotAllocated,
    NotAnOffer,
    NotInBasket,
    NotVerifiable,
    NotYours,
    OfferExpired,
    OtherCampaign,
    PeriodClosed,
    TimeOverlap,
)
from cma.enrolment.schemas import (
    ApplicationOut,
    AutoResponseIn,
    AutoResponseOut,
    BasketAdd,
    BasketIn,
    BasketOut,
    HistoryOut,
    PublishedAllocation,
    SubmissionOut,
)
from cma.learners import service as learners

router = APIRouter(tags=["enrolment"])
ERRORS = (NotAuthenticated, CsrfRefused, NoLearnerRecord)


@dataclass(frozen=True)
class CurrentLearner:
    account: AccountView
    learner_id: uuid.UUID


async def _learner(auth: AuthDep, db: SessionDep) -> CurrentLearner:
    learner_id = await learners.learner_id_of(db, auth.account.id)
    if learner_id is None:
        raise NoLearnerRecord()
    return CurrentLearner(account=auth.account, learner_id=learner_id)


LearnerDep = Annotated[CurrentLearner, Depends(_learner)]


async def _basket(db: SessionDep, learner: CurrentLearner) -> BasketOut:
    return BasketOut.model_validate(await service.basket(db, learner.learner_id))


@router.get("/me/basket", summary="Mon panier", responses=responses(*ERRORS))
async def get_basket(learner: LearnerDep, db: SessionDep) -> BasketOut:
    return await _basket(db, learner)


@router.put(
    "/me/basket",
    summary="Classer les cours du panier et répondre à leurs questions",
    description="The basket's courses in the order of preference, with their answers: what GET "
    "returned, reordered or edited.",
    responses=responses(*ERRORS, InvalidInput),
)
async def put_basket(body: BasketIn, learner: LearnerDep, db: SessionDep) -> BasketOut:
    await service.reorder(db, learner.learner_id, body.items)
    return await _basket(db, learner)


@router.post(
    "/me/basket/items",
    status_code=status.HTTP_201_CREATED,
    summary="Ajouter un cours au panier",
    description="Only a course of a campaign open for applications, up to the campaign's "
    "maximum, never at the same time as another course of the basket, with the answers the "
    "course asks for.",
    responses=responses(
        *ERRORS,
        InvalidInput,
        CourseNotOpen,
        AlreadyInBasket,
        BasketFull,
        OtherCampaign,
        TimeOverlap,
    ),
)
async def add_item(body: BasketAdd, learner: LearnerDep, db: SessionDep) -> BasketOut:
    return BasketOut.model_validate(
        await service.add(db, learner.learner_id, body.course_code, body)
    )


@router.delete(
    "/me/basket/items/{code}",
    summary="Retirer un cours du panier",
    responses=responses(*ERRORS, InvalidInput, NotInBasket),
)
async def remove_item(code: CourseCode, learner: LearnerDep, db: SessionDep) -> BasketOut:
    await service.remove(db, learner.learner_id, code)
    return await _basket(db, learner)


@router.post(
    "/me/basket/submit",
    summary="Déposer mes candidatures (valider mon panier)",
    description="The basket becomes the campaign's applications, in one transaction; the "
    "answer is the receipt (a reference, the time, the courses in order, what comes next), "
    "which the mail repeats. Submitting again replaces them, with a new receipt; submitting "
    "an unchanged basket gives its receipt again. The time of submission never matters.",
    responses=responses(*ERRORS, InvalidInput, EmptyBasket, PeriodClosed),
)
async def submit(learner: LearnerDep, db: SessionDep) -> SubmissionOut:
    receipt = await service.submit(db, learner.account, learner.learner_id)
    return SubmissionOut.model_validate(
        {**receipt, "applications": await service.applications(db, learner.learner_id)}
    )


@router.get(
    "/me/history",
    summary="Mon historique",
    description="The years of the old CMA account (kept by the pairing), then every "
    "application and its state, grouped by campaign, newest first.",
    responses=responses(*ERRORS),
)
async def get_history(learner: LearnerDep, db: SessionDep) -> HistoryOut:
    return HistoryOut.model_validate(await service.history(db, learner.account, learner.learner_id))


@router.get(
    "/me/applications", summary="Mes candidatures (MES DEMANDES)", responses=responses(*ERRORS)
)
async def list_applications(learner: LearnerDep, db: SessionDep) -> list[ApplicationOut]:
    return [
        ApplicationOut.model_validate(a) for a in await service.applications(db, learner.learner_id)
    ]


@router.delete(
    "/me/applications/{application_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Retirer une candidature",
    description="Until the end of the application period.",
    responses=responses(*ERRORS, InvalidInput, ApplicationNotFound, PeriodClosed),
)
async def withdraw(application_id: RowId, learner: LearnerDep, db: SessionDep) -> None:
    await service.withdraw(db, learner.learner_id, application_id)


@router.post(
    "/me/applications/{application_id}/confirm",
    summary="Confirmer la place proposée",
    description="By the offer's deadline (a Paris calendar day, included).",
    responses=responses(*ERRORS, InvalidInput, ApplicationNotFound, NotAnOffer, OfferExpired),
)
async def confirm(application_id: RowId, learner: LearnerDep, db: SessionDep) -> ApplicationOut:
    await offers.confirm(db, learner.learner_id, application_id)
    return await _application(db, learner, application_id)


@router.post(
    "/me/applications/{application_id}/decline",
    summary="Refuser la place proposée (ou quitter la liste d'attente)",
    description="An offered or confirmed seat goes to the next learner on the waiting list, "
    "who gets a mail.",
    responses=responses(*ERRORS, InvalidInput, ApplicationNotFound, NotAnOffer),
)
async def decline(application_id: RowId, learner: LearnerDep, db: SessionDep) -> ApplicationOut:
    await offers.decline(db, learner.learner_id, application_id)
    return await _application(db, learner, application_id)


async def _application(
    db: SessionDep, learner: CurrentLearner, application_id: RowId
) -> ApplicationOut:
    mine = await service.applications(db, learner.learner_id)
    return ApplicationOut.model_validate(next(a for a in mine if a["id"] == application_id))


@router.get(
    "/campaigns/{campaign_id}/allocation",
    summary="Les données publiées de l'affectation",
    description="The committed allocation as anyone with a stake can check it: the lottery's "
    "secret (its hash was on the calendar), the applications under pseudonyms with their "
    "ranks and tiers, the digest, the seed and the outcome. For the campaign's candidates and "
    "for staff; an application's own pseudonym is in `GET /me/applications`.",
    responses=responses(
        NotAuthenticated, InvalidInput, NotYours, CampaignNotFound, NotAllocated, NotVerifiable
    ),
)
async def published_allocation(
    campaign_id: RowId, auth: AuthDep, db: SessionDep
) -> PublishedAllocation:
    if not accounts.is_staff(auth.account):
        learner_id = await learners.learner_id_of(db, auth.account.id)
        if learner_id is None or not await runs.has_applied(db, learner_id, campaign_id):
            raise NotYours()
        # The outcome is the learners' from the first day of answers, not before.
        if not await runs.answers_out(db, campaign_id):
            raise NotAllocated()
    return PublishedAllocation.model_validate(await runs.published(db, campaign_id))


@router.put(
    "/me/campaigns/{campaign_id}/auto-response",
    summary="Activer ou couper mon répondeur automatique",
    description="For one campaign: when a seat frees on a course where the learner waits, it is "
    "accepted for them at once, and the seat they hold that they ranked lowest, beyond the "
    "campaign's cap, goes to the next on its list; they are told by mail. Off, such a seat is "
    "offered to them, to confirm before its deadline.",
    responses=responses(*ERRORS, InvalidInput, NotYours, CampaignNotFound),
)
async def put_auto_response(
    campaign_id: RowId, body: AutoResponseIn, learner: LearnerDep, db: SessionDep
) -> AutoResponseOut:
    if not await runs.has_applied(db, learner.learner_id, campaign_id):
        raise NotYours(
            "Le répondeur automatique est pour les personnes qui ont candidaté à cette campagne."
        )
    await auto_response.switch(db, learner.learner_id, campaign_id, body.enabled)
    return AutoResponseOut(campaign_id=campaign_id, enabled=body.enabled)
