"""Per-request cache controls: the body's ``cache`` object and the ``Cache-Control`` header.

``cache: {"ttl": 60, "s-maxage": 30, "no-cache": true, "no-store": true, "namespace": "x",
"use-cache": true}``; ``Cache-Control: no-cache, no-store, max-age=30, s-maxage=30``.
``no-cache`` skips the read, ``no-store`` the write, ``s-maxage`` (or ``max-age``) accepts
only entries younger than that, ``ttl`` keeps the new entry that long, ``namespace`` keeps
entries apart. A key may use only the controls listed in its ``allowed_cache_controls``
(the master key all): others are refused in the body and ignored in the header;
``use-cache`` (the opt-in when the cache is ``default_off``) needs no permission.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import BadRequestError, PermissionDeniedError
from app.keys.identity import KeyIdentity

__all__ = ["CONTROL_NAMES", "CacheControls", "parse_controls"]

CONTROL_NAMES = frozenset({"ttl", "s-maxage", "no-cache", "no-store", "namespace"})
_MAX_TTL = 30 * 86_400
_NAMESPACE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")


@dataclass(frozen=True, slots=True)
class CacheControls:
    read: bool = True
    write: bool = True
    ttl: int | None = None
    max_age: int | None = None
    namespace: str | None = None
    opt_in: bool = False


def _seconds(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= _MAX_TTL:
        raise BadRequestError(
            f"cache.{name} must be a number of seconds from 0 to {_MAX_TTL}.", param="cache"
        )
    return int(value)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise BadRequestError(f"cache.{name} must be true or false.", param="cache")
    return value


def _from_body(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequestError("`cache` must be an object.", param="cache")
    out: dict[str, Any] = {}
    for name, item in value.items():
        if name in ("ttl", "s-maxage"):
            out[name] = _seconds(item, name)
        elif name in ("no-cache", "no-store", "use-cache"):
            out[name] = _flag(item, name)
        elif name == "namespace":
            if not isinstance(item, str) or not 0 < len(item) <= 64 or set(item) - _NAMESPACE_CHARS:
                raise BadRequestError(
                    "cache.namespace must be 1-64 letters, digits or _.:-", param="cache"
                )
            out[name] = item
        else:
            raise BadRequestError(
                f"unknown cache control {name!r}; use ttl, s-maxage, no-cache, no-store, "
                "namespace or use-cache.",
                param="cache",
            )
    return out


def _from_header(value: str | None) -> dict[str, Any]:
    """The directives of ``Cache-Control`` the cache understands (others are ignored)."""
    out: dict[str, Any] = {}
    for part in (value or "").split(","):
        name, _, argument = part.strip().lower().partition("=")
        if name in ("no-cache", "no-store"):
            out[name] = True
        elif name in ("max-age", "s-maxage"):
            try:
                out["s-maxage"] = _seconds(int(argument.strip().strip('"')), name)
            except ValueError:
                raise BadRequestError(
                    f"Cache-Control {name} needs a number of seconds.", param="cache-control"
                ) from None
    return out


def parse_controls(
    body_value: Any, headers: Mapping[str, str] | None, identity: KeyIdentity | None
) -> CacheControls:
    """The controls a request sets. A body control its key does not allow is refused (403);
    a ``Cache-Control`` directive it does not allow is ignored, since browsers and proxies
    add that header on their own."""
    header = _from_header(headers.get("cache-control") if headers is not None else None)
    body = _from_body(body_value)
    if identity is not None and (header or body):
        allowed = identity.allowed_cache_controls
        header = {name: value for name, value in header.items() if name in allowed}
        refused = sorted(name for name in body if name in CONTROL_NAMES and name not in allowed)
        if refused:
            raise PermissionDeniedError(
                f"This key may not set the cache control {refused[0]!r}; "
                "an admin can allow it in the key's allowed_cache_controls.",
                param="cache",
                code="cache_control_not_allowed",
            )
    given = {**header, **body}
    if not given:
        return CacheControls()
    return CacheControls(
        read=not given.get("no-cache", False),
        write=not given.get("no-store", False),
        ttl=given.get("ttl"),
        max_age=given.get("s-maxage"),
        namespace=given.get("namespace"),
        opt_in=bool(given.get("use-cache", False)),
    )
