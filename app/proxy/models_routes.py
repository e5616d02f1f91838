"""``GET /v1/models`` and ``GET /v1/models/{id}``: the public model names."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from litestar import Request, Response, get

from app.errors import NotFoundError
from app.gateway.pipeline import Gateway, RequestContext
from app.providers.base import Operation
from app.proxy.responses import json_response

__all__ = ["MODEL_ROUTES"]

_CREATED = int(time.time())
_encode = msgspec.json.encode


def _model(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": _CREATED, "owned_by": "deltallm"}


@get(["/v1/models", "/models"])
async def list_models(request: Request[Any, Any, Any]) -> Response[bytes]:
    ctx = RequestContext.begin(Operation.CHAT, request.headers)
    request.state.request_id = ctx.request_id
    gateway: Gateway = request.app.state.gateway
    await gateway.authenticate(ctx, request.headers)
    data = [_model(name) for name in gateway.router.model_names()]
    return json_response(ctx, _encode({"object": "list", "data": data}))


@get(["/v1/models/{model_id:path}", "/models/{model_id:path}"])
async def retrieve_model(request: Request[Any, Any, Any], model_id: str) -> Response[bytes]:
    ctx = RequestContext.begin(Operation.CHAT, request.headers)
    request.state.request_id = ctx.request_id
    gateway: Gateway = request.app.state.gateway
    await gateway.authenticate(ctx, request.headers)
    name = model_id.lstrip("/")
    if name not in gateway.router.model_names():
        raise NotFoundError(
            f"The model `{name}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )
    return json_response(ctx, _encode(_model(name)))


MODEL_ROUTES = [list_models, retrieve_model]
