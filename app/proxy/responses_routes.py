"""OpenAI's Responses API: ``POST /v1/responses``, ``GET`` and ``DELETE /v1/responses/{id}``.

Calls take the same path as ``/v1/chat/completions`` (authentication, admission, budgets,
limits, routing, spend and the request log). With ``general_settings.responses_store``
enabled, answers are stored for their key before the answer ends; without it,
``previous_response_id``, ``GET`` and ``DELETE`` are refused and ``store: true`` is
accepted and ignored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import anyio
import msgspec
from litestar import Request, Response, delete, get, post
from litestar.response import Stream
from sqlalchemy.exc import SQLAlchemyError

from app.drain import Drain
from app.errors import BadRequestError, DeltaLLMError, NotFoundError, ShuttingDownError
from app.gateway.metering import AnswerStream
from app.gateway.pipeline import Gateway, RequestContext
from app.providers.base import Operation
from app.proxy.responses import gateway_headers, json_response
from app.proxy.schemas import decode_json_object
from app.responses.request import input_items, validate_responses_body
from app.responses.store import MASTER_OWNER, ResponseStore
from app.responses.stream import responses_event

__all__ = ["RESPONSES_ROUTES"]

AnyRequest = Request[Any, Any, Any]

log = logging.getLogger("deltallm.proxy")
_PARSE_INLINE_BYTES = 256 * 1024
_EVENT_END = re.compile(rb"\r?\n\r?\n")
_FINAL_EVENTS = (b"response.completed", b"response.incomplete", b"response.failed")
_REPLAYED = frozenset({"message", "function_call", "function_call_output"})
_STORE_OFF = (
    "Stored responses are not enabled on this gateway "
    "(general_settings.responses_store.enabled), so {what} is not available."
)


def _store(request: AnyRequest) -> ResponseStore | None:
    store: ResponseStore | None = request.app.state.runtime.responses_store
    return store


async def _authenticated(request: AnyRequest) -> tuple[Gateway, RequestContext]:
    ctx = RequestContext.begin(Operation.RESPONSES, request.headers)
    request.state.request_id = ctx.request_id
    request.state.call = ctx
    gateway: Gateway = request.app.state.gateway
    await gateway.authenticate(ctx, request.headers)
    return gateway, ctx


def _owner(ctx: RequestContext) -> str:
    caller = ctx.caller
    assert caller is not None
    return MASTER_OWNER if caller.is_master else f"{caller.kind}:{caller.id}"


def _reader(ctx: RequestContext) -> str | None:
    """Whose responses the caller may see: its own, or (the master key) everyone's."""
    return None if ctx.caller is not None and ctx.caller.is_master else _owner(ctx)


async def _parse(request: AnyRequest) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) <= _PARSE_INLINE_BYTES:
        body = decode_json_object(raw)
    else:
        body = await anyio.to_thread.run_sync(decode_json_object, raw)
    validate_responses_body(body)
    drop = body.get("drop_params")
    if drop is not None and not isinstance(drop, bool):
        raise BadRequestError("'drop_params' must be a boolean.", param="drop_params")
    if drop is None and request.app.state.runtime.settings.config.deltallm_settings.drop_params:
        body["drop_params"] = True
    return body


async def _conversation(
    store: ResponseStore | None, ctx: RequestContext, body: dict[str, Any]
) -> list[Any]:
    """The whole conversation's input: a stored response's turns first, then this input
    (which replaces ``input`` in the body)."""
    items: list[Any] = input_items(body["input"])
    previous = body.get("previous_response_id")
    if previous is None:
        return items
    if store is None:
        raise BadRequestError(
            _STORE_OFF.format(what="previous_response_id"),
            param="previous_response_id",
            code="responses_store_disabled",
        )
    if not isinstance(previous, str):
        raise BadRequestError(
            "'previous_response_id' must be a string.", param="previous_response_id"
        )
    row = await store.get(_reader(ctx), previous)
    output = [
        item
        for item in row.response.get("output") or []
        if isinstance(item, dict) and item.get("type") in _REPLAYED
    ]
    items = [*row.conversation, *output, *items]
    body["input"] = items
    return items


async def _save(
    store: ResponseStore, owner: str, conversation: list[Any], response: Any, ctx: RequestContext
) -> None:
    if not isinstance(response, dict) or not isinstance(response.get("id"), str):
        return
    request_id = ctx.request_id
    if ctx.guard_run is not None:  # stored as the guardrails mask it, never raw
        conversation, response = await ctx.guard_run.kept(conversation, response)
    try:
        await store.save(owner, conversation, response)
    except (SQLAlchemyError, OSError, DeltaLLMError) as exc:
        # The caller still gets its answer, which it paid for.
        log.warning("response of %s not stored: %s", request_id, type(exc).__name__)


def _final_response(chunk: bytes) -> Any:
    for event in _EVENT_END.split(chunk):
        if not any(kind in event[:200] for kind in _FINAL_EVENTS):
            continue
        start = event.find(b"{")
        try:
            data = msgspec.json.decode(event[start:]) if start >= 0 else None
        except msgspec.DecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("response"), dict):
            return data["response"]
    return None


async def _relay(
    ctx: RequestContext,
    stream: AnswerStream,
    drain: Drain,
    saving: tuple[ResponseStore, str, list[Any]] | None,
) -> AsyncIterator[bytes]:
    sequence = 0
    try:
        async for chunk in stream:
            if saving is not None and any(kind in chunk for kind in _FINAL_EVENTS):
                response = _final_response(chunk)
                if response is not None:
                    await _save(*saving, response, ctx)
            sequence += chunk.count(b"\n\n")
            yield chunk
            if drain.expired:
                ended = ShuttingDownError(
                    "The gateway is shutting down; this stream was ended before it finished."
                )
                stream.interrupt(ended)
                log.warning("stream %s ended at the shutdown deadline", ctx.request_id)
                yield _error_event(ended, sequence)
                return
    except DeltaLLMError as exc:
        log.warning("stream %s ended by upstream error: %s", ctx.request_id, exc.message)
        yield _error_event(exc, sequence)
    finally:
        await stream.aclose()


def _error_event(exc: DeltaLLMError, sequence: int) -> bytes:
    data = {"code": exc.code, "message": exc.message, "param": exc.param}
    return responses_event("error", data, sequence)


@post(["/v1/responses", "/responses"], status_code=200)
async def create_response(request: AnyRequest) -> Response[bytes] | Stream:
    gateway, ctx = await _authenticated(request)
    body = await _parse(request)
    store = _store(request)
    conversation = await _conversation(store, ctx, body)
    keep = store is not None and body.get("store") is not False
    body["deltallm_store"] = keep
    saving = (store, _owner(ctx), conversation) if keep and store is not None else None
    if body.get("stream"):
        stream = await gateway.stream(ctx, body)
        headers = gateway_headers(ctx)
        headers["cache-control"] = "no-cache"
        headers["x-accel-buffering"] = "no"
        relay = _relay(ctx, stream, request.app.state.runtime.drain, saving)
        return Stream(relay, media_type="text/event-stream", headers=headers)
    routed = await gateway.call(ctx, body)
    if saving is not None:
        try:
            response = msgspec.json.decode(routed.result.content)
        except msgspec.DecodeError:
            response = None
        await _save(*saving, response, ctx)
    return json_response(ctx, routed.result.content, routed.result.media_type)


async def _stored(request: AnyRequest, response_id: str, what: str) -> tuple[Any, Any]:
    _, ctx = await _authenticated(request)
    store = _store(request)
    if store is None:
        raise NotFoundError(_STORE_OFF.format(what=what), code="responses_store_disabled")
    return store, ctx


@get(["/v1/responses/{response_id:str}", "/responses/{response_id:str}"], status_code=200)
async def retrieve_response(request: AnyRequest, response_id: str) -> Response[bytes]:
    store, ctx = await _stored(request, response_id, "GET /v1/responses/{id}")
    row = await store.get(_reader(ctx), response_id)
    return json_response(ctx, msgspec.json.encode(row.response))


@delete(["/v1/responses/{response_id:str}", "/responses/{response_id:str}"], status_code=200)
async def delete_response(request: AnyRequest, response_id: str) -> Response[bytes]:
    store, ctx = await _stored(request, response_id, "DELETE /v1/responses/{id}")
    await store.delete(_reader(ctx), response_id)
    answer = {"id": response_id, "object": "response.deleted", "deleted": True}
    return json_response(ctx, msgspec.json.encode(answer))


RESPONSES_ROUTES = [create_response, retrieve_response, delete_response]
