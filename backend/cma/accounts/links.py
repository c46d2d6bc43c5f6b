"""The links mails carry to the SPA.

A link's token rides in the URL's fragment (`/activation#token=…`): browsers never send a
fragment to any server, so the token reaches no access log, no proxy and no `Referer`. The
page reads it, takes it out of the address bar, and posts it.
"""

from cma.core.settings import get_settings


def link(path: str, token: str | None = None) -> str:
    base = get_settings().public_url + path
    return f"{base}#token={token}" if token else base
