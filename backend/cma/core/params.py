"""Path and query parameters shared by the routers, and the rule for every address."""

import re
from dataclasses import dataclass
from typing import Annotated, get_args, get_origin

from fastapi import Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from cma.core.problems import FieldError, InvalidInput
from cma.core.validation import NUMBER_TEXT, is_number

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


@dataclass(frozen=True)
class _Taken:
    """What a route takes from its address: each query parameter (and whether it may be
    repeated), and the parameters of both kinds that are numbers."""

    query: dict[str, bool]  # name -> may be given more than once
    numbers: frozenset[tuple[str, str, bool]]  # (location, name, whole numbers only)


_WHOLE = re.compile(r"-?[0-9]+")


def _walk(
    dependant: Dependant, query: dict[str, bool], numbers: set[tuple[str, str, bool]]
) -> None:
    for location, params in (("query", dependant.query_params), ("path", dependant.path_params)):
        for param in params:
            annotation = param.field_info.annotation
            repeated = get_origin(annotation) in (list, tuple, set) or any(
                get_origin(arg) in (list, tuple, set) for arg in get_args(annotation)
            )
            if location == "query":
                query[param.alias] = repeated
            if is_number(annotation) and not repeated:
                whole = annotation is int or int in get_args(annotation)
                numbers.add((location, param.alias, whole))
    for sub in dependant.dependencies:
        _walk(sub, query, numbers)


def _taken(route: APIRoute) -> _Taken:
    """Found once and kept on the route."""
    taken: _Taken | None = getattr(route, "cma_taken", None)
    if taken is None:
        query: dict[str, bool] = {}
        numbers: set[tuple[str, str, bool]] = set()
        _walk(route.dependant, query, numbers)
        taken = _Taken(query=query, numbers=frozenset(numbers))
        route.cma_taken = taken  # type: ignore[attr-defined]
    return taken


def _error(location: str, name: str, message: str, code: str) -> FieldError:
    return FieldError(field=name, location=location, message=message, code=code)


async def plain_parameters(request: Request) -> None:  # async: no worker-thread hop
    """The address's parameters mean what they say, or are refused (422 naming each):
    - one the operation does not take is not ignored: a client that sends `limit=-1` or
      misspells `page_size` would believe it was obeyed;
    - one given twice is not read as its last value, unless the operation takes a list;
    - a number is ASCII digits (`page=1_0`, `+3`, ` 3 ` or Arabic-Indic digits are not read
      as numbers), as in a body."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    taken = _taken(route)
    errors: list[FieldError] = []
    given = request.query_params
    for name in sorted(set(given.keys())):
        if name not in taken.query:
            errors.append(
                _error(
                    "query",
                    name,
                    "Ce paramètre n'est pas reconnu par cette adresse.",
                    "unknown_parameter",
                )
            )
        elif not taken.query[name] and len(given.getlist(name)) > 1:
            errors.append(
                _error(
                    "query", name, "Ce paramètre est donné plusieurs fois.", "repeated_parameter"
                )
            )
    for location, name, whole in sorted(taken.numbers):
        value = given.get(name) if location == "query" else request.path_params.get(name)
        if isinstance(value, str) and not (_WHOLE if whole else NUMBER_TEXT).fullmatch(value):
            errors.append(
                _error(
                    location,
                    name,
                    "Ce paramètre doit être un nombre écrit en chiffres (exemple : 12).",
                    "number_text",
                )
            )
    if errors:
        raise InvalidInput(errors[0].message if len(errors) == 1 else None, errors=errors)
