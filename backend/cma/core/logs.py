"""Access logs that hold no token, and no person staff looked for.

Mailed links carry their token in the URL's fragment, which never reaches the server. A link
mailed before that, or a client that puts a token in a query string anyway, would still write
it into the access log of every server and proxy on the way: here, at least, it is masked.
What staff search learners by (a name, an address, an old account's number) is personal data:
the whole query of those routes is masked.
"""

import logging
import re
from urllib.parse import unquote_plus

# The name of a query parameter whose value is a secret: `token`, `access_token`, `ticket`…
_SECRET_NAME = re.compile(r"^(?:[a-z_]*token|ticket|code|password|secret)$", re.IGNORECASE)
_PAIRS = re.compile(r"[&;]")
MASK = "[masqué]"
# Routes whose every query value names or finds a person.
PERSONAL_QUERIES = ("/api/v1/admin/learners", "/api/v1/admin/link-audit")


_NESTED_SECRET = re.compile(r"(?:token|ticket|code|password|secret)=", re.IGNORECASE)


def _masked(pair: str) -> str:
    name, sep, value = pair.partition("=")
    if not sep:
        return pair
    # Names and values as the application reads them: `t%6fken` is `token`, and a value may
    # itself be a path with a query (`suite=/page%3Ftoken%3D…`).
    if _SECRET_NAME.match(unquote_plus(name)) or _NESTED_SECRET.search(unquote_plus(value)):
        return f"{name}={MASK}"
    return pair


def mask_secrets(target: str) -> str:
    """`target` (a path with its query) with the values of secret parameters masked."""
    path, sep, query = target.partition("?")
    if not sep or "=" not in query:
        return target
    separators = _PAIRS.findall(query)
    personal = unquote_plus(path).rstrip("/").startswith(PERSONAL_QUERIES)
    pairs = [
        f"{pair.partition('=')[0]}={MASK}" if personal and "=" in pair else _masked(pair)
        for pair in _PAIRS.split(query)
    ]
    rebuilt = pairs[0] + "".join(s + p for s, p in zip(separators, pairs[1:], strict=True))
    return path + sep + rebuilt


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
