"""The exception handlers installed on the app: every error, ours or not, answered as
problem details (`problems`)."""

import logging
import re
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from cma.core.database_errors import database_refusal, is_database_outage, sqlstate
from cma.core.problems import (
    Busy,
    InvalidInput,
    ProblemError,
    ServiceUnavailable,
    problem_response,
)
from cma.core.validation_messages import field_errors

# The name these lines were logged under before the handlers left `problems`: a line's logger
# is what queries and alerts on the logs select.
logger = logging.getLogger("cma.core.problems")


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
            sqlstate(exc),
            getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None) or "",
        )
        return await _on_problem(request, refusal)
    if is_database_outage(exc):
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
