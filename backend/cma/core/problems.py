"""RFC 9457 problem details: the document, the errors services raise, and their rendering.

Services raise `ProblemError` subclasses (never HTTPException); the handlers installed on the
app (`problem_handlers`) render every error as `application/problem+json` with a stable
`type`, a French `detail` and, for validation, per-field `errors` (`validation_messages`).
"""

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from cma.core.logs import request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:cma:problem:"


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the field in the request.", examples=["email"])
    location: str = Field(default="body", examples=["body"])
    message: str = Field(examples=["Ce champ est obligatoire."])
    code: str = Field(examples=["missing"])
    allowed: list[str] | None = Field(
        default=None,
        description="For a choice among fixed values: the values a program may send (the "
        "message, meant for people, does not list them).",
        examples=[["M", "Mme"]],
    )


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:cma:problem:invalid-credentials"])
    title: str = Field(examples=["Identifiants incorrects"])
    status: int = Field(examples=[401])
    detail: str = Field(examples=["L'adresse mail ou le mot de passe est incorrect."])
    instance: str | None = Field(default=None, examples=["/api/v1/sessions"])
    request_id: str | None = Field(
        default=None,
        examples=["3f2b9c0e5d4a4e1f9b8c7d6e5f4a3b2c"],
        description="The request's id (also in its `X-Request-ID` header and in the server's "
        "log): what to quote when asking why it failed",
    )
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    """A refusal the client can act on. Subclasses set status, code, title and detail."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Requête invalide"
    detail: str = "La requête ne peut pas être traitée."

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.detail = detail or type(self).detail
        self.errors = list(errors) if errors else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(self.detail)

    @classmethod
    def for_field(cls, field: str, message: str, code: str | None = None) -> "ProblemError":
        error = FieldError(field=field, message=message, code=code or cls.code)
        return cls(message, errors=[error])


class InvalidInput(ProblemError):
    status = 422
    code = "validation"
    title = "Données invalides"
    detail = "Certaines informations saisies sont invalides."


class NotAuthenticated(ProblemError):
    status = 401
    code = "not-authenticated"
    title = "Connexion requise"
    detail = "Vous devez être connecté pour accéder à cette page."


class Forbidden(ProblemError):
    status = 403
    code = "forbidden"
    title = "Accès refusé"
    detail = "Vous n'avez pas accès à cette ressource."


class CsrfRefused(ProblemError):
    status = 403
    code = "csrf"
    title = "Jeton CSRF manquant ou invalide"
    detail = (
        "La requête n'a pas pu être authentifiée. Rechargez la page et recommencez. "
        "(Programmes : renvoyez l'en-tête X-CSRF-Token reçu à la connexion, "
        "ou utilisez Authorization: Bearer.)"
    )


class BodyTooLarge(ProblemError):
    status = 413
    code = "too-large"
    title = "Requête trop volumineuse"
    detail = "Le corps de la requête est trop volumineux."


class TooManyRequests(ProblemError):
    status = 429
    code = "too-many-requests"
    title = "Trop de tentatives"
    detail = "Trop de tentatives. Veuillez réessayer plus tard."

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        retry_after = max(1, retry_after)
        super().__init__(
            detail, headers={"Retry-After": str(retry_after)}, extra={"retry_after": retry_after}
        )


class ServiceUnavailable(ProblemError):
    status = 503
    code = "unavailable"
    title = "Service momentanément indisponible"
    detail = "Le service est momentanément indisponible. Veuillez réessayer dans quelques instants."


class Busy(ProblemError):
    """More password checks asked than the machine can do now: past a short wait, the excess
    is shed."""

    status = 503
    code = "busy"
    title = "Service très sollicité"
    detail = (
        "Beaucoup de personnes utilisent le service en ce moment. Veuillez réessayer dans un "
        "instant."
    )

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **(extra or {}),
    }
    if (current := request_id.get()) is not None:
        body["request_id"] = current
    if errors:
        body["errors"] = [error.model_dump() for error in errors]
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def responses(*errors: type[ProblemError]) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route: each error it may answer with, as problem details."""
    by_status: dict[int, list[type[ProblemError]]] = {}
    for error in errors:
        by_status.setdefault(error.status, []).append(error)
    documented: dict[int | str, dict[str, Any]] = {}
    for status, classes in sorted(by_status.items()):
        description = " ; ".join(f"`{cls.code}`: {cls.title}" for cls in classes)
        example = classes[0]
        documented[status] = {
            "model": Problem,
            "description": description,
            "content": {
                PROBLEM_MEDIA_TYPE: {
                    "example": {
                        "type": TYPE_PREFIX + example.code,
                        "title": example.title,
                        "status": status,
                        "detail": example.detail,
                    }
                }
            },
        }
    return documented
