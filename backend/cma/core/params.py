"""Path and query parameters shared by the routers."""

from typing import Annotated

from fastapi import Path, Query

BIGINT_MAX = 2**63 - 1  # PostgreSQL's bigint: a larger id would fail in the database, not here

RowId = Annotated[int, Path(ge=1, le=BIGINT_MAX, description="A row's id")]
OptionalRowId = Annotated[int | None, Query(ge=1, le=BIGINT_MAX)]
