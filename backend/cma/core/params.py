"""Path and query parameters shared by the routers."""

from typing import Annotated

from fastapi import Path, Query

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
