"""HTTP routes of the Paris account. Thin: parse, call the service, shape the answer."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from pydantic import BaseModel, Field

from cma.accounts import captcha, service
from cma.accounts.dependencies import (
    AuthDep,
    GuardDep,
    OptionalSessionDep,
    session_ended,
    set_session_cookies,
)
from cma.accounts.exceptions import (
    AlreadyActive,
    CaptchaInvalid,
    CaptchaNotFound,
    CaptchaRequired,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    WrongPassword,
)
from cma.accounts.models import Account
from cma.accounts.schemas import (
    AccountOut,
    ActivationRequest,
    ActivationResult,
    Done,
    EmailBody,
    EmailChangeRequest,
    EmailConfirmRequest,
    InvitationAcceptance,
    LoginRequest,
    LoginResult,
    MailSent,
    OAuth2PasswordForm,
    OAuth2Token,
    PasswordChange,
    PasswordResetConfirm,
    ProfileIn,
    ProfileOut,
    SignupRequest,
    SubscriptionsIn,
    SubscriptionsOut,
)
from cma.core.database import SessionDep
from cma.core.problems import (
    Busy,
    CsrfRefused,
    InvalidInput,
    NotAuthenticated,
    TooManyRequests,
    responses,
)
from cma.core.validation import normalize_email

# Where a learner's morning starts: refused first, and in front of the framework, under load.
LOGIN_PATHS = frozenset({"/api/v1/sessions", "/api/v1/token"})

router = APIRouter()

AUTH_ERRORS = (NotAuthenticated, CsrfRefused)
NO_STORE = {"Cache-Control": "no-store"}


def _account_out(account: Account) -> AccountOut:
    return AccountOut.model_validate(account, from_attributes=True)


# --- captchas --------------------------------------------------------------------------------


class CaptchaOut(BaseModel):
    id: uuid.UUID
    image_url: str = Field(examples=["/api/v1/captchas/5b0c8a3e-9d1f-4a52-8f0e-2c4b7d6a1e90/image"])
    audio_url: str = Field(examples=["/api/v1/captchas/5b0c8a3e-9d1f-4a52-8f0e-2c4b7d6a1e90/audio"])
    expires_at: datetime
    length: int = Field(examples=[5], description="How many characters the code has")


@router.post(
    "/captchas",
    tags=["captchas"],
    status_code=status.HTTP_201_CREATED,
    summary="Nouveau code de vérification",
    description="A new challenge for the sign-up form: the same code as a PNG image and as a "
    "French audio reading (WAV). Single use, valid 10 minutes, case-insensitive.",
    responses=responses(TooManyRequests),
)
async def create_captcha(db: SessionDep, guard: GuardDep, response: Response) -> CaptchaOut:
    await guard.throttle.consume(guard.rules.captcha_address, guard.client.key)
    challenge = await captcha.create(db)
    response.headers.update(NO_STORE)
    base = f"/api/v1/captchas/{challenge.id}"
    return CaptchaOut(
        id=challenge.id,
        image_url=f"{base}/image",
        audio_url=f"{base}/audio",
        expires_at=challenge.expires_at,
        length=captcha.CODE_LENGTH,
    )


@router.get(
    "/captchas/{captcha_id}/image",
    tags=["captchas"],
    summary="Image du code de vérification",
    response_class=Response,
    description="Rendered once, when first asked for: the same bytes every time after. Each "
    "client may have only so many rendered (429 past that).",
    responses={
        200: {"content": {"image/png": {}}},
        **responses(CaptchaNotFound, InvalidInput, TooManyRequests),
    },
)
async def captcha_image(
    captcha_id: uuid.UUID,
    db: SessionDep,
    guard: GuardDep,
) -> Response:
    image = await captcha.media(
        db, guard.throttle, guard.rules.captcha_image_address, captcha_id, "image", guard.client
    )
    return Response(image, media_type="image/png", headers=NO_STORE)


@router.get(
    "/captchas/{captcha_id}/audio",
    tags=["captchas"],
    summary="Code de vérification lu à voix haute (français)",
    response_class=Response,
    description="Rendered once, when first asked for (it takes a quarter of a second of CPU): "
    "the same bytes every time after. Each client may have 10 rendered in 10 minutes (429 "
    "past that).",
    responses={
        200: {"content": {"audio/wav": {}}},
        **responses(CaptchaNotFound, InvalidInput, TooManyRequests),
    },
)
async def captcha_audio(
    captcha_id: uuid.UUID,
    db: SessionDep,
    guard: GuardDep,
) -> Response:
    audio = await captcha.media(
        db, guard.throttle, guard.rules.captcha_audio_address, captcha_id, "audio", guard.client
    )
    return Response(audio, media_type="audio/wav", headers=NO_STORE)


# --- A. sign-up and activation ---------------------------------------------------------------

SIGNUP_DONE = (
    "C'est presque fini ! Vous allez recevoir un mail avec un lien pour valider votre compte. "
    "Si ce mail n'est pas dans votre boîte de réception, vérifiez bien votre dossier de spams "
    "ou de courriers indésirables."
)


@router.post(
    "/accounts",
    tags=["accounts"],
    status_code=status.HTTP_202_ACCEPTED,
    summary="Créer un compte parisien (JE M'INSCRIS)",
    description="Keeps the sign-up and mails its activation link; no account exists until the "
    "link is followed with this sign-up's password. The answer, and its time, are the same "
    "whether the address already has an account or not (its owner gets a mail instead).",
    responses=responses(InvalidInput, CaptchaInvalid, TooManyRequests, Busy),
)
async def sign_up(
    data: SignupRequest,
    db: SessionDep,
    guard: GuardDep,
) -> MailSent:
    await service.sign_up(db, guard, data)
    return MailSent(email=data.email, detail=SIGNUP_DONE)


@router.post(
    "/accounts/activation",
    tags=["accounts"],
    summary="Activer le compte avec le lien reçu par mail",
    description="The link's token proves the mailbox; the password must be the one chosen on "
    "that sign-up's form (a few wrong ones, then 429). The account is created with it, and any "
    "other sign-up of the address is erased. 409 once the address has an account.",
    responses=responses(InvalidInput, InvalidToken, WrongPassword, AlreadyActive, TooManyRequests),
)
async def activate(
    body: ActivationRequest,
    db: SessionDep,
    guard: GuardDep,
) -> ActivationResult:
    account = await service.activate(db, guard, body.token, body.password)
    return ActivationResult(email=account.email, detail="Votre compte parisien est créé et validé.")


@router.post(
    "/accounts/invitation",
    tags=["accounts"],
    summary="Accepter une invitation d'agent : choisir son mot de passe",
    description="An operator's `cma create-staff` mails an invitation to an address that has "
    "no account: following it, its owner chooses the password and the staff account is "
    "created. 409 if the address got an account meanwhile (run `cma create-staff` again).",
    responses=responses(InvalidInput, InvalidToken, AlreadyActive, Busy),
)
async def accept_invitation(body: InvitationAcceptance, db: SessionDep) -> ActivationResult:
    account = await service.accept_invitation(db, body.token, body.password)
    return ActivationResult(
        email=account.email,
        detail="Votre compte d'agent est créé. Vous pouvez vous connecter.",
    )


RESEND_DONE = (
    "Si une inscription attend son activation à cette adresse, un nouveau mail d'activation "
    "vient de lui être envoyé. Le lien du mail précédent ne fonctionne plus."
)


@router.post(
    "/accounts/activation/resend",
    tags=["accounts"],
    status_code=status.HTTP_202_ACCEPTED,
    summary="Me renvoyer le mail d'activation de mon compte",
    description="Same answer whether the address exists or not. A new link retires the "
    "previous one.",
    responses=responses(InvalidInput, TooManyRequests),
)
async def resend_activation(
    body: EmailBody,
    db: SessionDep,
    guard: GuardDep,
) -> MailSent:
    await service.resend_activation(db, guard, body.email)
    return MailSent(email=body.email, detail=RESEND_DONE)


# --- B. sessions -----------------------------------------------------------------------------


@router.post(
    "/sessions",
    tags=["sessions"],
    status_code=status.HTTP_201_CREATED,
    summary="Se connecter à Mon compte",
    description="Opens a server-side session: sets the HttpOnly session cookie (plus the CSRF "
    "cookie) for the SPA, and returns the same token for `Authorization: Bearer`.\n\n"
    "Failed attempts never lock the account. After a few failures for one address (3 from one "
    "network address in 15 minutes, 10 in an hour from anywhere) the answer is a 422 "
    "`captcha-required` problem: send the attempt again with `captcha_id` and "
    "`captcha_answer` (POST /captchas). A network address that fails too often (50 in 15 "
    "minutes) gets 429 with `Retry-After`.\n\nA sign-up not yet activated gets the same 401 as "
    "a wrong password: who has an account, or a sign-up waiting, is told to nobody.",
    responses=responses(
        InvalidInput,
        CaptchaRequired,
        CaptchaInvalid,
        InvalidCredentials,
        TooManyRequests,
        Busy,
    ),
)
async def log_in(
    body: LoginRequest,
    response: Response,
    db: SessionDep,
    guard: GuardDep,
    previous: OptionalSessionDep,
) -> LoginResult:
    opened = await service.log_in(
        db, guard, body.email, body.password, proof=body.proof, replaces=previous
    )
    set_session_cookies(response, opened.token)
    response.headers.update(NO_STORE)
    return LoginResult(
        access_token=opened.token,
        expires_at=opened.expires_at,
        csrf_token=service.csrf_token_for(opened.token),
        account=_account_out(opened.account),
    )


@router.delete(
    "/sessions/current",
    tags=["sessions"],
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Se déconnecter",
    description="Revokes the session server-side and clears the cookies.",
    responses=responses(*AUTH_ERRORS),
)
async def log_out(auth: AuthDep, db: SessionDep, request: Request, response: Response) -> None:
    await service.log_out(db, auth.session)
    session_ended(request, response)


@router.post(
    "/token",
    tags=["sessions"],
    summary="Connexion OAuth2 (formulaire), pour le bouton Authorize de Swagger UI",
    description="OAuth2 password flow: `username` is the email. Returns a bearer token. It "
    "cannot carry a verification code: once a login asks for one, use POST /sessions.",
    responses=responses(InvalidInput, CaptchaRequired, InvalidCredentials, TooManyRequests, Busy),
)
async def oauth2_token(
    form: Annotated[OAuth2PasswordForm, Form()],
    db: SessionDep,
    guard: GuardDep,
    response: Response,
) -> OAuth2Token:
    try:
        email = normalize_email(form.username)
    except ValueError as error:
        raise InvalidInput.for_field("username", str(error)) from None
    opened = await service.log_in(db, guard, email, form.password)
    response.headers.update(NO_STORE)
    return OAuth2Token(access_token=opened.token)


# --- B. recovery -----------------------------------------------------------------------------

RESET_SENT = (
    "Si un compte existe à cette adresse, vous allez recevoir un mail avec un lien pour choisir "
    "un nouveau mot de passe. Ce lien est valable une heure."
)


@router.post(
    "/password-resets",
    tags=["password-resets"],
    status_code=status.HTTP_202_ACCEPTED,
    summary="Mot de passe oublié ?",
    description="Mails a reset link (1 h, single use). Same answer whether the address "
    "exists or not.",
    responses=responses(InvalidInput, TooManyRequests),
)
async def request_password_reset(
    body: EmailBody,
    db: SessionDep,
    guard: GuardDep,
) -> MailSent:
    await service.request_password_reset(db, guard, body.email)
    return MailSent(email=body.email, detail=RESET_SENT)


@router.post(
    "/password-resets/confirm",
    tags=["password-resets"],
    summary="Choisir un nouveau mot de passe avec le lien reçu",
    description="Sets the new password, closes every session of the account and kills the "
    "other reset links.",
    responses=responses(InvalidInput, InvalidToken, Busy),
)
async def confirm_password_reset(body: PasswordResetConfirm, db: SessionDep) -> Done:
    await service.reset_password(db, body.token, body.password)
    return Done(detail="Votre mot de passe a été modifié. Vous pouvez vous connecter.")


# --- C. the account space --------------------------------------------------------------------


@router.get(
    "/me/profile",
    tags=["me"],
    summary="MON PROFIL",
    responses=responses(*AUTH_ERRORS),
)
async def get_profile(auth: AuthDep, response: Response) -> ProfileOut:
    response.headers.update(NO_STORE)
    return ProfileOut.model_validate(service.profile_of(auth.account))


@router.put(
    "/me/profile",
    tags=["me"],
    summary="ENREGISTRER MES DONNÉES",
    description="Replaces the profile. Every field is optional; what GET returned can be sent "
    "back as is (read-only fields are ignored).",
    responses=responses(*AUTH_ERRORS, InvalidInput),
)
async def put_profile(body: ProfileIn, auth: AuthDep, db: SessionDep) -> ProfileOut:
    account = await service.update_profile(db, auth.account, body)
    return ProfileOut.model_validate(service.profile_of(account))


@router.put(
    "/me/password",
    tags=["me"],
    summary="MES PARAMÈTRES : changer mon mot de passe",
    description="Needs the current password; closes the account's other sessions.",
    responses=responses(*AUTH_ERRORS, InvalidInput, WrongPassword, TooManyRequests, Busy),
)
async def change_password(
    body: PasswordChange,
    auth: AuthDep,
    db: SessionDep,
    guard: GuardDep,
) -> Done:
    await service.change_password(
        db, guard, auth.account, auth.session, body.current_password, body.password
    )
    return Done(detail="Votre mot de passe a été modifié.")


EMAIL_CHANGE_SENT = (
    "Un mail de confirmation a été envoyé à la nouvelle adresse. Votre adresse actuelle reste "
    "celle de votre compte tant que le lien de ce mail n'a pas été utilisé."
)


@router.post(
    "/me/email",
    tags=["me"],
    status_code=status.HTTP_202_ACCEPTED,
    summary="MES PARAMÈTRES : changer mon adresse mail",
    description="Needs the current password; mails a confirmation link to the new address. "
    "The address changes only when that link is used.",
    responses=responses(*AUTH_ERRORS, InvalidInput, WrongPassword, TooManyRequests, Busy),
)
async def request_email_change(
    body: EmailChangeRequest,
    auth: AuthDep,
    db: SessionDep,
    guard: GuardDep,
) -> MailSent:
    await service.request_email_change(
        db, guard, auth.account, auth.session, body.new_email, body.password
    )
    return MailSent(email=body.new_email, detail=EMAIL_CHANGE_SENT)


@router.post(
    "/me/email/confirm",
    tags=["me"],
    summary="Confirmer ma nouvelle adresse mail avec le lien reçu",
    description="The link proves the new mailbox, the account's password that its owner sent "
    "it there; no session is needed. Every link mailed before the change dies; the previous "
    "address is told of it.",
    responses=responses(InvalidInput, InvalidToken, WrongPassword, EmailTaken, TooManyRequests),
)
async def confirm_email_change(
    body: EmailConfirmRequest,
    db: SessionDep,
    guard: GuardDep,
) -> AccountOut:
    account = await service.confirm_email_change(db, guard, body.token, body.password)
    return _account_out(account)


@router.get(
    "/me/subscriptions",
    tags=["me"],
    summary="MES ABONNEMENTS",
    responses=responses(*AUTH_ERRORS),
)
async def get_subscriptions(auth: AuthDep, db: SessionDep) -> SubscriptionsOut:
    return SubscriptionsOut.model_validate(
        {"topics": await service.subscriptions_of(db, auth.account)}
    )


@router.put(
    "/me/subscriptions",
    tags=["me"],
    summary="Modifier MES ABONNEMENTS",
    description="Takes back what GET returned; topics left out are unchanged.",
    responses=responses(*AUTH_ERRORS, InvalidInput),
)
async def put_subscriptions(
    body: SubscriptionsIn, auth: AuthDep, db: SessionDep
) -> SubscriptionsOut:
    await service.set_subscriptions(
        db, auth.account, {item.topic: item.subscribed for item in body.topics}
    )
    return SubscriptionsOut.model_validate(
        {"topics": await service.subscriptions_of(db, auth.account)}
    )
