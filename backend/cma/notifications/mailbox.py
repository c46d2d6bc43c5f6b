"""The dev-only mailbox page: every mail the dev SMTP sink received, with its links (open one
to follow it in the SPA), and the SMS of the dev SMS sink."""

import html
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from cma.notifications.sms import read_sink

# Dev only: this page carries its own inline style.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "Cache-Control": "no-store",
}
_LINK = re.compile(r"https?://[^\s<>\"']+")
_NAME = re.compile(r"^\d+\.eml$")

_PAGE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>Boîte mail de développement</title>
<style>body{{font-family:Arial,sans-serif;margin:2rem;max-width:60rem}}
td,th{{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left}}
code{{background:#f3f3f3;padding:.1rem .3rem;word-break:break-all}}</style></head>
<body><h1>Boîte mail de développement</h1>{body}</body></html>"""


def _read(path: Path) -> EmailMessage:
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return str(part.get_content()) if part is not None else ""


def _sms_table(directory: Path | None) -> str:
    messages = read_sink(directory)[-200:] if directory is not None else []
    if not messages:
        return "<h2>SMS</h2><p>Aucun SMS pour l'instant.</p>"
    rows = "".join(
        f"<tr><td>{html.escape(m['at'])}</td><td>{html.escape(m['to'])}</td>"
        f"<td>{html.escape(m['text'])}</td></tr>"
        for m in reversed(messages)
    )
    return f"<h2>SMS</h2><table><tr><th>Date</th><th>À</th><th>Texte</th></tr>{rows}</table>"


def build_router(directory: Path, sms_directory: Path | None = None) -> APIRouter:
    router = APIRouter(prefix="/dev/mailbox", include_in_schema=False)

    @router.get("", response_class=HTMLResponse)
    def mailbox() -> HTMLResponse:
        files = sorted(directory.glob("*.eml"), reverse=True) if directory.exists() else []
        rows = []
        for path in files[:200]:
            message = _read(path)
            rows.append(
                f"<tr><td>{html.escape(str(message['Date']))}</td>"
                f"<td>{html.escape(str(message['To']))}</td>"
                f'<td><a href="/dev/mailbox/{path.name}">{html.escape(str(message["Subject"]))}</a>'
                "</td></tr>"
            )
        table = (
            "<table><tr><th>Date</th><th>À</th><th>Objet</th></tr>" + "".join(rows) + "</table>"
            if rows
            else "<p>Aucun message pour l'instant.</p>"
        )
        body = "<h2>Mails</h2>" + table + _sms_table(sms_directory)
        return HTMLResponse(_PAGE.format(body=body), headers=_HEADERS)

    @router.get("/{name}", response_class=HTMLResponse)
    def mail(name: str) -> HTMLResponse:
        path = directory / name
        if not _NAME.match(name) or not path.is_file():
            raise HTTPException(status_code=404)
        message = _read(path)
        text = _text(message)
        links = []
        for url in dict.fromkeys(_LINK.findall(text)):
            # A link's token rides in its fragment (see cma.accounts.links).
            token = parse_qs(urlsplit(url).fragment).get("token", [None])[0]
            extra = f"<br>token : <code>{html.escape(token)}</code>" if token else ""
            links.append(f'<li><a href="{html.escape(url)}">{html.escape(url)}</a>{extra}</li>')
        body = (
            '<p><a href="/dev/mailbox">← tous les messages</a></p>'
            f"<h2>{html.escape(str(message['Subject']))}</h2>"
            f"<p>À : {html.escape(str(message['To']))} — {html.escape(str(message['Date']))}</p>"
            f"<h3>Liens</h3><ul>{''.join(links) or '<li>aucun</li>'}</ul>"
            f"<h3>Texte</h3><pre style='white-space:pre-wrap'>{html.escape(text)}</pre>"
        )
        return HTMLResponse(_PAGE.format(body=body), headers=_HEADERS)

    return router
