"""A cached answer as every backend stores it: the whole OpenAI-shaped body, its usage,
who produced it and when it expires. Expiry travels with the entry (S3 has no TTL), and
every read checks it."""

from __future__ import annotations

import msgspec

from app.providers.base import Usage

__all__ = ["Entry", "decode_entry", "encode_entry", "new_entry"]


class Entry(msgspec.Struct, frozen=True, array_like=True):
    """``body`` is a non-streamed answer (a stream is stored assembled into one)."""

    version: int
    body: bytes
    media_type: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    deployment_id: str | None
    created_at: float
    expires_at: float

    @property
    def usage(self) -> Usage:
        return Usage(self.prompt_tokens, self.completion_tokens, self.cached_tokens)

    def fresh(self, now: float, max_age: int | None) -> bool:
        """Not expired, and (with ``s-maxage``) young enough for the caller."""
        if now >= self.expires_at:
            return False
        return max_age is None or now - self.created_at <= max_age


_VERSION = 1
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Entry)


def encode_entry(entry: Entry) -> bytes:
    return _encoder.encode(entry)


def decode_entry(data: bytes) -> Entry | None:
    """The entry, or None for bytes this version cannot read (treated as a miss)."""
    try:
        entry = _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return entry if entry.version == _VERSION else None


def new_entry(
    body: bytes,
    media_type: str,
    usage: Usage | None,
    deployment_id: str | None,
    now: float,
    ttl: int,
) -> Entry:
    usage = usage or Usage()
    return Entry(
        _VERSION,
        body,
        media_type,
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.cached_tokens,
        deployment_id,
        now,
        now + ttl,
    )
