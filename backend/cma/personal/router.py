"""/me: who am I, my data, my erasure; they span the Paris account and the CMA record."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from cma.accounts.dependencies import AuthDep, GuardDep, StaffDep, session_ended
from cma.accounts.exceptions import WrongPassword
from cma.accounts.schemas import AccountOut, MeOut, PasswordBody
from cma.core import staff_reads
from cma.core.database import SessionDep
from cma.core.problems import (
    Busy,
    CsrfRefused,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    TooManyRequests,
    responses,
)
from cma.core.settings import get_settings
from cma.learners import service as learners
from cma.learners.exceptions import LearnerRecordNotFound
from cma.personal import service, staff
from cma.personal.schemas import LearnerHit, LearnerView, PersonalData

router = APIRouter(tags=["me"])
AUTH_ERRORS = (NotAuthenticated, CsrfRefused)
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/me", summary="Mon compte : qui suis-je", responses=responses(*AUTH_ERRORS))
async def me(auth: AuthDep, db: SessionDep, response: Response) -> MeOut:
    response.headers.update(NO_STORE)
    learner = await learners.learner_of(db, auth.account.id)
    state = "none" if learner is None else "paired" if learner.legacy_account_id else "created"
    return MeOut.model_validate(
        {
            **AccountOut.model_validate(auth.account, from_attributes=True).model_dump(),
            "learner_record": state,
            "role": auth.account.role,
            "session_idle_seconds": int(get_settings().session_idle_ttl.total_seconds()),
        }
    )


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Supprimer mon compte",
    description="Erases, after checking the current password, everything kept about the "
    "person: the account, the fiche, the old CMA account it was paired with and its years, "
    "applications (a seat held passes down the waiting list), baskets, the pairing trail, "
    "mails and SMS. A confirmation mail goes to the address, and is erased once sent.",
    responses=responses(*AUTH_ERRORS, InvalidInput, WrongPassword, TooManyRequests, Busy),
)
async def delete_me(
    body: PasswordBody,
    auth: AuthDep,
    db: SessionDep,
    guard: GuardDep,
    request: Request,
    response: Response,
) -> None:
    await service.erase(db, guard, auth, body.password)
    session_ended(request, response)


@router.get(
    "/me/export",
    summary="Télécharger mes données",
    description="Everything kept about the person, as one JSON document (GDPR rights of "
    "access and portability), secrets excepted. It is the person's own document: its keys and "
    "values are French, its moments in Paris time, its codes given as their labels.",
    responses=responses(*AUTH_ERRORS),
)
async def export(auth: AuthDep, db: SessionDep, response: Response) -> PersonalData:
    response.headers.update(
        {**NO_STORE, "Content-Disposition": 'attachment; filename="mes-donnees-cma.json"'}
    )
    return await service.export(db, auth)


admin = APIRouter(prefix="/admin", tags=["admin"])
STAFF_ERRORS = (NotAuthenticated, CsrfRefused, Forbidden, InvalidInput)


@admin.get(
    "/learners",
    summary="Apprenants : trouver une personne",
    description="Every word is looked for in the names, the address, the city and the mail "
    "address (accents and case aside); a number alone is also an old CMA account's. At most "
    "50 people, by name.",
    responses=responses(*STAFF_ERRORS),
)
async def search_learners(
    who: StaffDep,
    db: SessionDep,
    response: Response,
    q: Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]*$")],
) -> list[LearnerHit]:
    response.headers.update(NO_STORE)
    hits = await staff.search(db, q)
    # What was looked for names someone: the trail keeps that a search was made, not its words.
    staff_reads.record(
        db,
        who.account.id,
        f"recherche d'apprenants, {len(hits)} résultat{'s' if len(hits) > 1 else ''}",
    )
    return [LearnerHit.model_validate(hit) for hit in hits]


@admin.get(
    "/learners/{learner_id}",
    summary="Apprenants : la fiche, l'appairage, les candidatures et les messages d'une personne",
    description="Read-only; each read is written to the trail of staff reads.",
    responses=responses(*STAFF_ERRORS, LearnerRecordNotFound),
)
async def read_learner(
    learner_id: uuid.UUID, who: StaffDep, db: SessionDep, response: Response
) -> LearnerView:
    response.headers.update(NO_STORE)
    return LearnerView.model_validate(await staff.read(db, learner_id, who.account.id))
