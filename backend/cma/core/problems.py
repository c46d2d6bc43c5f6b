"""RFC 9457 problem details: domain errors, validation errors and everything else.

Services raise `ProblemError` subclasses (never HTTPException); one set of handlers renders
every error as `application/problem+json` with a stable `type`, a French `detail` and, for
validation, per-field `errors`.
"""

import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from cma.core.logs import request_id

logger = logging.getLogger(__name__)

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


# --- French messages for request validation --------------------------------------------------

_MESSAGES: dict[str, str] = {
    "missing": "Ce champ est obligatoire.",
    "string_type": "Ce champ doit être un texte.",
    "string_too_short": "Ce champ doit contenir au moins {min_length} caractère(s).",
    "string_too_long": "Ce champ doit contenir au plus {max_length} caractères.",
    "string_pattern_mismatch": "Le format de ce champ est invalide.",
    "bool_type": "Ce champ doit valoir true ou false.",
    "bool_not_a_number": "Ce champ attend un nombre, pas true ou false.",
    "time_type": "Ce champ doit être une heure au format HH:MM.",
    "time_parsing": "Ce champ doit être une heure au format HH:MM.",
    "bool_parsing": "Ce champ doit valoir true ou false.",
    "number_text": "Ce champ doit être un nombre écrit en chiffres (exemple : 142.50).",
    "decimal_type": "Ce champ doit être un nombre (exemple : 142.50).",
    "decimal_parsing": "Ce champ doit être un nombre (exemple : 142.50).",
    "decimal_max_places": "Ce champ accepte au plus {decimal_places} chiffres après la virgule.",
    "decimal_max_digits": "Ce nombre a trop de chiffres.",
    "decimal_whole_digits": "Ce nombre a trop de chiffres avant la virgule.",
    "finite_number": "Ce champ doit être un nombre fini.",
    "float_type": "Ce champ doit être un nombre.",
    "float_parsing": "Ce champ doit être un nombre.",
    "int_type": "Ce champ doit être un nombre entier.",
    "int_parsing": "Ce champ doit être un nombre entier.",
    "date_type": "Ce champ doit être une date au format AAAA-MM-JJ.",
    "date_parsing": "Ce champ doit être une date au format AAAA-MM-JJ.",
    "date_from_datetime_parsing": "Ce champ doit être une date au format AAAA-MM-JJ.",
    "date_from_datetime_inexact": "Ce champ doit être une date au format AAAA-MM-JJ.",
    "uuid_type": "Identifiant invalide.",
    "uuid_parsing": "Identifiant invalide.",
    "literal_error": "Valeur non autorisée : choisissez l'une des valeurs proposées.",
    "enum": "Valeur non autorisée : choisissez l'une des valeurs proposées.",
    "json_invalid": "Le corps de la requête n'est pas un JSON valide.",
    "json_type": "Le corps de la requête n'est pas un JSON valide.",
    "model_type": "Un objet JSON est attendu.",
    "model_attributes_type": "Un objet JSON est attendu.",
    "dict_type": "Un objet JSON est attendu.",
    "list_type": "Une liste est attendue.",
    "extra_forbidden": "Ce champ n'est pas autorisé.",
    "too_long": "Trop d'éléments.",
    "string_unicode": "Le texte contient des caractères invalides.",
    "greater_than_equal": "Ce champ doit être supérieur ou égal à {ge}.",
    "less_than_equal": "Ce champ doit être inférieur ou égal à {le}.",
}


def _french_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in {"value_error", "assertion_error"} and "error" in ctx:
        # Our own validators raise ValueError with the French message already written.
        return str(ctx["error"])
    template = _MESSAGES.get(kind)
    if template is None:
        return "Valeur invalide."
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split(" {")[0]


def _allowed(error: Mapping[str, Any]) -> list[str] | None:
    """The values of a choice, from pydantic's context (an enum's members, a literal's)."""
    if error.get("type") not in {"enum", "literal_error"}:
        return None
    expected = str((error.get("ctx") or {}).get("expected", ""))
    return re.findall(r"'((?:[^'\\]|\\.)*)'", expected) or None


def field_errors(raw_errors: Sequence[Any]) -> list[FieldError]:
    errors = []
    for raw in raw_errors:
        kind = str(raw.get("type", "invalid"))
        loc = [str(part) for part in raw.get("loc", ())]
        location = (
            loc[0] if loc and loc[0] in {"body", "query", "path", "header", "cookie"} else "body"
        )
        # Broken JSON is located by its character offset, which is no field: the body is.
        path = [] if kind.startswith("json_") else loc[1:] if loc and loc[0] == location else loc
        errors.append(
            FieldError(
                field=".".join(path) or location,
                location=location,
                message=_french_message(raw),
                code=kind,
                allowed=_allowed(raw),
            )
        )
    return errors


# --- handlers --------------------------------------------------------------------------------


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(exc.errors())
    detail = (
        errors[0].message if len(errors) == 1 else "Certaines informations saisies sont invalides."
    )
    return problem_response(
        request,
        status=422,
        code=InvalidInput.code,
        title=InvalidInput.title,
        detail=detail,
        errors=errors,
    )


_UNPARSEABLE_BODY = "There was an error parsing the body"  # FastAPI's words, matched as such
_HTTP_CODES: dict[int, tuple[str, str, str]] = {
    404: ("not-found", "Introuvable", "La ressource demandée n'existe pas."),
    405: ("method-not-allowed", "Méthode non autorisée", "Cette méthode n'est pas autorisée ici."),
    413: ("too-large", "Requête trop volumineuse", "Le corps de la requête est trop volumineux."),
    415: (
        "unsupported-media-type",
        "Type de contenu non pris en charge",
        "Le type de contenu de la requête n'est pas pris en charge.",
    ),
}


def _method_index(app: FastAPI) -> list[tuple[re.Pattern[str], set[str]]]:
    """Each documented path, as a pattern, with its methods (built once per app)."""
    index: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "method_index", None)
    if index is None:
        index = [
            (compile_path(path)[0], {method.upper() for method in operations})
            for path, operations in app.openapi()["paths"].items()
        ]
        app.state.method_index = index
    return index


def _allowed_methods(request: Request) -> set[str]:
    """Every method the API takes at this path (Starlette only tells the first route's)."""
    methods: set[str] = set()
    for pattern, operations in _method_index(request.app):
        if pattern.match(request.url.path):
            methods |= operations
    return methods


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNPARSEABLE_BODY:
        # Bytes that are not even text (invalid UTF-8): the same answer as broken JSON.
        broken = {"type": "json_invalid", "loc": ("body", 0), "msg": "", "input": {}}
        return await _on_validation(request, RequestValidationError([broken]))
    headers = dict(exc.headers or {})
    status = exc.status_code
    if status in (404, 405):
        allowed = _allowed_methods(request)
        if allowed and request.method not in allowed:
            # The path exists with other methods: 405 listing them all, not a 404.
            status = 405
            headers["Allow"] = ", ".join(sorted(allowed))
    code, title, detail = _HTTP_CODES.get(
        status,
        ("http-" + str(status), HTTPStatus(status).phrase, str(exc.detail)),
    )
    return problem_response(
        request, status=status, code=code, title=title, detail=detail, headers=headers or None
    )


# SQLSTATE classes of a database that cannot serve now: connection lost (08), out of disk,
# memory or connections (53), shutting down or starting up (57P).
_UNAVAILABLE_STATES = ("08", "53", "57P")


def _is_database_outage(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if exc.connection_invalidated or str(state or "").startswith(_UNAVAILABLE_STATES):
            return True
    return isinstance(exc, OSError | InterfaceError | OperationalError | TimeoutError)


class DataConflict(ProblemError):
    status = 409
    code = "conflict"
    title = "Opération impossible"
    detail = (
        "Cette opération entre en conflit avec l'état actuel des données (elle a peut-être "
        "déjà été faite). Rechargez la page et recommencez."
    )


class DataRefused(ProblemError):
    status = 422
    code = "invalid-value"
    title = "Valeur refusée"
    detail = "Une des valeurs envoyées ne peut pas être enregistrée. Vérifiez-les et recommencez."


class Contention(ProblemError):
    status = 503
    code = "contention"
    title = "Opération concurrente"
    detail = "Une autre opération sur les mêmes données est en cours. Réessayez dans un instant."

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


def _sqlstate(exc: BaseException) -> str:
    if not isinstance(exc, DBAPIError):
        return ""
    return str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")


def database_refusal(exc: BaseException) -> ProblemError | None:
    """What the database refused of a request, as the problem to answer; None if the error is
    not a refusal (an outage, or a bug of ours).

    The rules are the database's (constraints, triggers): whatever code path reached one, the
    client hears why in French, never a 500.
    """
    state = _sqlstate(exc)
    if state in ("23502", "23514", "23P01") or state.startswith("22"):  # a value refused
        return DataRefused()
    if state.startswith("23") or state == "P0001":  # unique, foreign key, a trigger's refusal
        return DataConflict()
    if state in ("40001", "40P01", "55P03"):  # serialization, deadlock, lock timeout
        return Contention()
    return None


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, PoolTimeout):
        # Every connection of the pool is busy: overload, told at once, never a 500 later.
        return await _on_problem(request, Busy())
    refusal = database_refusal(exc)
    if refusal is not None:
        assert isinstance(exc, DBAPIError)
        logger.warning(
            "database refused %s %s: %s %s",
            request.method,
            request.url.path,
            _sqlstate(exc),
            getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None) or "",
        )
        return await _on_problem(request, refusal)
    if _is_database_outage(exc):
        logger.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        return problem_response(
            request,
            status=ServiceUnavailable.status,
            code=ServiceUnavailable.code,
            title=ServiceUnavailable.title,
            detail=ServiceUnavailable.detail,
            headers={"Retry-After": "5"},
        )
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request,
        status=500,
        code="internal",
        title="Erreur interne",
        detail="Une erreur inattendue s'est produite. Veuillez réessayer plus tard.",
    )


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    # A database outage is an answer (503), not a crash: handled where Starlette does not
    # re-raise to the server, as it does for the catch-all below.
    for outage in (DBAPIError, OSError, TimeoutError, PoolTimeout):
        app.add_exception_handler(outage, _on_unexpected)
    app.add_exception_handler(Exception, _on_unexpected)
