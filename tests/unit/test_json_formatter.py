"""The JSON log formatter: one object a line, request id from the context, exceptions as text."""

from __future__ import annotations

import json
import logging
import sys

from app.observability.logs import JsonFormatter, RequestIdFilter
from app.observability.request_ids import bind_request_id, unbind_request_id


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("deltallm.test", logging.ERROR, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_a_line_has_the_fields_and_the_extras() -> None:
    line = json.loads(JsonFormatter().format(_record("spent %s", 3, deployment="d-1")))
    assert line.pop("timestamp").endswith("Z")
    assert line == {
        "level": "error",
        "logger": "deltallm.test",
        "message": "spent 3",
        "deployment": "d-1",
    }


def test_the_request_id_comes_from_the_context_even_across_threads() -> None:
    record = _record("inside")
    token = bind_request_id("req-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        unbind_request_id(token)
    # Formatted later, outside the request (as a queue listener thread does).
    assert json.loads(JsonFormatter().format(record))["request_id"] == "req-1"
    assert "request_id" not in json.loads(JsonFormatter().format(_record("outside")))


def test_an_exception_is_one_text_field() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        record = _record("failed")
        record.exc_info = sys.exc_info()
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["exception"].startswith("Traceback")
    assert "ValueError: broken" in line["exception"]
