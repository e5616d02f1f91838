"""Structured logs: one JSON object a line, for every logger of the process.

Each line has ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
``request_id`` inside a request, ``exception`` as text, and the record's extras.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from app.observability.request_ids import current_request_id

__all__ = [
    "JsonFormatter",
    "RequestIdFilter",
    "json_line",
    "quiet_url_loggers",
    "uvicorn_log_config",
]

_RECORD_FIELDS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "request_id", "taskName", "color_message"}
)


def _timestamp(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_line(level: str, logger: str, message: str, **extra: Any) -> str:
    """One log line written outside ``logging`` (the CLI before the app starts)."""
    out = {
        "timestamp": _timestamp(datetime.now(UTC).timestamp()),
        "level": level,
        "logger": logger,
        "message": message,
        **extra,
    }
    return json.dumps(out, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    """Stamps the current request id on a record where it is emitted: handlers that
    format in another thread (a queue listener) no longer see the request's context."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "timestamp": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id is not None:
            out["request_id"] = request_id
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and not key.startswith("_") and key not in out:
                out[key] = value
        return json.dumps(out, ensure_ascii=False, default=str)


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """uvicorn's own loggers, written as JSON lines to stderr like the rest."""
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler, "access": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }


_URL_LOGGERS = ("httpx", "httpcore")


def quiet_url_loggers() -> None:
    """httpx logs every request's full URL at INFO, and the URLs the gateway calls can be
    secrets (a Slack webhook's path, a caller's presigned image URL): only its warnings and
    errors reach the log, whatever the gateway's level."""
    for name in _URL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
