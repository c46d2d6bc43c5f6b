"""Path and query parameters shared by the routers."""

from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from cma.core.problems import FieldError, InvalidInput

BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint: a larger id would fail in the database, not here

RowId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="A row's id")]
OptionalRowId = Annotated[int | None, Query(ge=1, le=BIGINT_MAX)]

# Codes and slugs are letters, digits (and dashes): anything else, a NUL above all, is refused
# here rather than reaching the database.
CourseCode = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9]{1,10}$", max_length=10, examples=["LE0042"])
]
PageSlug = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$", max_length=64, examples=["aide-a-l-inscription"])
]
SLUG_QUERY = r"^[A-Za-z0-9-]{1,64}$"


def _query_names_of(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names_of(sub)
    return names


def _query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters the route takes, found once and kept on the route."""
    names: frozenset[str] | None = getattr(route, "cma_query_names", None)
    if names is None:
        names = frozenset(_query_names_of(route.dependant))
        route.cma_query_names = names  # type: ignore[attr-defined]
    return names


def known_query_only(request: Request) -> None:
    """A query parameter the operation does not take is refused (422 naming it), not ignored:
    a client that sends `limit=-1` or misspells `page_size` believes it was obeyed."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route)
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        errors = [
            FieldError(
                field=name,
                location="query",
                message="Ce paramètre n'est pas reconnu par cette adresse.",
                code="unknown_parameter",
            )
            for name in unknown
        ]
        raise InvalidInput(errors[0].message if len(errors) == 1 else None, errors=errors)
