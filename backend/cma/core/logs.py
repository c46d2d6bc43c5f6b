"""Access logs that hold no token.

Mailed links carry their token in the URL's fragment, which never reaches the server. A link
mailed before that, or a client that puts a token in a query string anyway, would still write
it into the access log of every server and proxy on the way: here, at least, it is masked.
"""

import logging
import re

# A query parameter whose value is a secret: `token`, `access_token`, `ticket`, `code`…
_SECRET_PARAMETER = re.compile(
    r"(?P<name>(?:^|[?&;])(?:[A-Za-z_]*token|ticket|code|password|secret)=)[^&;#\s]*",
    re.IGNORECASE,
)
MASK = "[masqué]"


def mask_secrets(target: str) -> str:
    """`target` (a path with its query) with the values of secret parameters masked."""
    if "=" not in target:
        return target
    path, sep, query = target.partition("?")
    if not sep:
        return target
    return path + sep + _SECRET_PARAMETER.sub(lambda m: m.group("name") + MASK, query)


class MaskSecrets(logging.Filter):
    """For uvicorn's access log, whose third argument is the request target."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], mask_secrets(args[2]), *args[3:])
        return True


def mask_access_log_secrets() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, MaskSecrets) for f in access.filters):
        access.addFilter(MaskSecrets())
