"""HTTP routes of the learner record and of the pairing with an old CMA account."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel, Field

from cma.accounts.dependencies import AuthDep, GuardDep, StaffDep
from cma.accounts.schemas import Done, EmailBody, MailSent, PasswordResetConfirm
from cma.accounts.service import CaptchaRequired, GuessRules
from cma.core import staff_reads
from cma.core.countries import french_names
from cma.core.database import SessionDep
from cma.core.params import OptionalRowId
from cma.core.problems import (
    Busy,
    CsrfRefused,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    TooManyRequests,
    responses,
)
from cma.learners import service
from cma.learners.exceptions import (
    AlreadyHasRecord,
    InvalidLegacyCredentials,
    InvalidLegacyResetToken,
    InvalidTicket,
    LearnerNotFound,
    LegacyAlreadyLinked,
)
from cma.learners.models import LinkOutcome
from cma.learners.schemas import (
    Country,
    LearnerIn,
    LearnerOut,
    LegacyLogin,
    LegacyRecord,
    LinkIn,
    PairingTicketOut,
)

router = APIRouter(tags=["learners"])
admin = APIRouter(prefix="/admin", tags=["admin"])
AUTH_ERRORS = (NotAuthenticated, CsrfRefused)


async def _rules(request: Request) -> GuessRules:
    rules: GuessRules = request.app.state.legacy_rules
    return rules


RulesDep = Annotated[GuessRules, Depends(_rules)]


@router.get(
    "/countries",
    summary="Pays de naissance (noms en français)",
    responses=responses(InvalidInput),
)
async def countries() -> list[Country]:
    return [Country(code=code, name=name) for code, name in french_names().items()]


@router.get(
    "/me/learner",
    summary="Ma fiche CMA",
    responses=responses(*AUTH_ERRORS, LearnerNotFound),
)
async def get_learner(auth: AuthDep, db: SessionDep) -> LearnerOut:
    learner = await service.learner_of(db, auth.account.id)
    if learner is None:
        raise LearnerNotFound()
    return LearnerOut.model_validate(service.record_out(learner, auth.account))


@router.post(
    "/me/learner",
    status_code=status.HTTP_201_CREATED,
    summary="Compléter votre fiche (jamais inscrit aux CMA)",
    description="Creates the learner record of an account that has none. The record's access "
    "email is the Paris account's.",
    responses=responses(*AUTH_ERRORS, InvalidInput, AlreadyHasRecord),
)
async def create_learner(body: LearnerIn, auth: AuthDep, db: SessionDep) -> LearnerOut:
    learner = await service.create_learner(db, auth.account, body)
    return LearnerOut.model_validate(service.record_out(learner, auth.account))


@router.put(
    "/me/learner",
    summary="Mettre à jour ma fiche",
    description="Takes back what GET returned (read-only fields are ignored).",
    responses=responses(*AUTH_ERRORS, InvalidInput, LearnerNotFound),
)
async def update_learner(body: LearnerIn, auth: AuthDep, db: SessionDep) -> LearnerOut:
    learner = await service.update_learner(db, auth.account, body)
    return LearnerOut.model_validate(service.record_out(learner, auth.account))


@router.post(
    "/learner-links/legacy-login",
    summary="Vous avez déjà été inscrit : identifiants de l'ancien compte CMA",
    description="Checks the old CMA email and password (throttled like a login) and answers "
    "with a single-use pairing ticket, valid 15 minutes, and the old record to review.",
    responses=responses(
        *AUTH_ERRORS,
        InvalidInput,
        CaptchaRequired,
        InvalidLegacyCredentials,
        AlreadyHasRecord,
        TooManyRequests,
        Busy,
    ),
)
async def legacy_login(
    body: LegacyLogin,
    auth: AuthDep,
    db: SessionDep,
    guard: GuardDep,
    rules: RulesDep,
) -> PairingTicketOut:
    ticket = await service.legacy_login(
        db, guard, rules, auth.account, body.email, body.password, body.proof
    )
    return PairingTicketOut(
        ticket=ticket.token,
        expires_at=ticket.expires_at,
        record=LegacyRecord.model_validate(ticket.record),
    )


@router.post(
    "/learner-links",
    status_code=status.HTTP_201_CREATED,
    summary="Appairage : rattacher définitivement l'ancien compte CMA",
    description="With the ticket and the reviewed record: the record becomes this account's "
    "with the old account's history, the old credentials stop working, and a confirmation "
    "mail is sent. One old account is linked once; one Paris account has one record.",
    responses=responses(
        *AUTH_ERRORS, InvalidInput, InvalidTicket, LegacyAlreadyLinked, AlreadyHasRecord
    ),
)
async def create_link(
    body: LinkIn,
    auth: AuthDep,
    db: SessionDep,
    guard: GuardDep,
) -> LearnerOut:
    learner = await service.link(db, guard, auth.account, body.ticket, body.learner)
    return LearnerOut.model_validate(service.record_out(learner, auth.account))


@router.post(
    "/legacy-password-resets",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Mot de passe oublié ? (ancien compte CMA)",
    description="Mails a link to the old account's address to choose a new password, after "
    "which the pairing can proceed. Same answer whether the address exists or not.",
    responses=responses(InvalidInput, TooManyRequests),
)
async def request_legacy_reset(
    body: EmailBody,
    db: SessionDep,
    guard: GuardDep,
) -> MailSent:
    await service.request_legacy_reset(db, guard, body.email)
    return MailSent(email=body.email, detail=LEGACY_RESET_SENT)


@router.post(
    "/legacy-password-resets/confirm",
    summary="Choisir un nouveau mot de passe pour l'ancien compte CMA",
    responses=responses(InvalidInput, InvalidLegacyResetToken, Busy),
)
async def confirm_legacy_reset(body: PasswordResetConfirm, db: SessionDep) -> Done:
    await service.reset_legacy_password(db, body.token, body.password)
    return Done(
        detail="Le mot de passe de votre ancien compte CMA a été modifié. Vous pouvez "
        "maintenant le rattacher à votre compte parisien."
    )


LEGACY_RESET_SENT = (
    "Si un ancien compte CMA existe à cette adresse, un mail vient d'y être envoyé avec un lien "
    "pour choisir un nouveau mot de passe. Ce lien est valable une heure."
)


class AuditRow(BaseModel):
    at: datetime
    account_id: str | None
    name: str | None = Field(description="The fiche's first and last names, if any")
    email: str | None = Field(description="The Paris account's address")
    legacy_account_id: int | None
    client_address: str | None
    outcome: LinkOutcome
    outcome_label: str = Field(examples=["Comptes rattachés"])


@admin.get(
    "/link-audit",
    summary="Journal des appairages",
    description="Every pairing attempt, newest first.",
    responses=responses(NotAuthenticated, Forbidden, InvalidInput),
)
async def link_audit(
    staff: StaffDep,
    db: SessionDep,
    legacy_account_id: OptionalRowId = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AuditRow]:
    rows = await service.audit_trail(db, legacy_account_id, limit)
    staff_reads.record(db, staff.account.id, "journal des appairages")
    return [AuditRow.model_validate(row) for row in rows]
