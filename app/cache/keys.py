"""The cache key: the model group, the tenant scope and the canonical request, hashed.

Canonical means key order does not matter (``{"a":1,"b":2}`` and ``{"b":2,"a":1}`` are one
request) and every parameter that can change the answer counts: messages, tools,
tool_choice, response_format, temperature, top_p, max_tokens, seed, stop, n, logit_bias
and any other option the caller sends. Only fields that never change the answer are left
out: how it is delivered (``stream``, ``stream_options``), bookkeeping (``user``,
``metadata``) and the cache controls themselves, so a streamed and a non-streamed request
share one entry.
"""

from __future__ import annotations

import hashlib

import msgspec

from app.gateway_settings.sections import CacheScope
from app.keys.identity import KeyIdentity
from app.providers.base import Operation

__all__ = ["IGNORED_FIELDS", "cache_key", "scope_of"]

IGNORED_FIELDS = frozenset({"stream", "stream_options", "user", "metadata", "cache"})
_encode_sorted = msgspec.json.Encoder(order="sorted").encode


def scope_of(scope: CacheScope, identity: KeyIdentity | None) -> str:
    """Who may share an entry. A key without the owner the scope names keeps its entries
    to itself, and the master key has a scope of its own: tenants never share answers."""
    if identity is None:
        return "master"
    if scope is CacheScope.GLOBAL:
        return "global"
    if scope is CacheScope.ORG and identity.org_id:
        return f"org:{identity.org_id}"
    if scope is CacheScope.TEAM and identity.team_id:
        return f"team:{identity.team_id}"
    return f"key:{identity.key_id}"


def cache_key(op: Operation, model_group: str, tenant: str, body: dict[str, object]) -> str:
    """The SHA-256 (hex) of everything that decides the answer."""
    request = {k: v for k, v in body.items() if k not in IGNORED_FIELDS}
    request["model"] = model_group
    digest = hashlib.sha256()
    digest.update(f"v1\x00{op.value}\x00{tenant}\x00".encode())
    digest.update(_encode_sorted(request))
    return digest.hexdigest()
