"""What another context may read of an account: the shape the account's service returns.

A read-only protocol that the mapped row satisfies: a caller reads the account it was given
(the request's, or one the service looked up) and the type checker refuses any write to it.
"""

import uuid
from datetime import datetime
from typing import Protocol


class AccountView(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def email(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def mobile_phone(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
