"""Entries as objects in an S3-compatible bucket, signed with SigV4 by botocore and sent on
the gateway's pooled HTTP client. S3 has no TTL: expiry travels inside each object and is
checked on read; a flush deletes the cache's prefix."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import httpx

from app.cache.backends.base import CacheBackendError

__all__ = ["S3Backend"]

_TIMEOUT = 5.0
_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
_DELETE_CONCURRENCY = 16


class S3Backend:
    name = "s3"

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        bucket: str,
        region: str,
        endpoint: str | None,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None,
        prefix: str,
    ) -> None:
        from botocore.credentials import Credentials

        # botocore's signer logs the canonical request at DEBUG: never.
        logging.getLogger("botocore.auth").setLevel(logging.INFO)
        self._http = http
        self._bucket = bucket
        self._region = region
        self._endpoint = (endpoint or f"https://s3.{region}.amazonaws.com").rstrip("/")
        self._credentials = Credentials(access_key_id, secret_access_key, session_token)
        self._prefix = prefix

    def _url(self, key: str | None, query: dict[str, str] | None = None) -> str:
        url = f"{self._endpoint}/{self._bucket}"
        if key is not None:
            url += "/" + quote(self._prefix + key, safe="/")
        if query:
            url += "?" + urlencode(sorted(query.items()), quote_via=quote)
        return url

    async def _send(self, method: str, url: str, body: bytes = b"") -> httpx.Response:
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(method=method, url=url, data=body)
        S3SigV4Auth(self._credentials, "s3", self._region).add_auth(request)
        headers = {str(k): str(v) for k, v in request.headers.items()}
        try:
            response = await self._http.request(
                method, url, content=body, headers=headers, timeout=_TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise CacheBackendError(type(exc).__name__) from exc
        if response.status_code >= 300 and response.status_code != 404:
            raise CacheBackendError(f"S3 answered {response.status_code}")
        return response

    async def get(self, key: str) -> bytes | None:
        response = await self._send("GET", self._url(key))
        return None if response.status_code == 404 else response.content

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self._send("PUT", self._url(key), value)

    async def delete(self, key: str) -> None:
        await self._send("DELETE", self._url(key))

    async def _list(self, token: str | None) -> tuple[list[str], str | None]:
        query = {"list-type": "2", "prefix": self._prefix}
        if token:
            query["continuation-token"] = token
        response = await self._send("GET", self._url(None, query))
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError as exc:
            raise CacheBackendError("S3 listing is not XML") from exc
        keys = [node.text or "" for node in root.iter(f"{_NS}Key")]
        truncated = (root.findtext(f"{_NS}IsTruncated") or "").lower() == "true"
        following = root.findtext(f"{_NS}NextContinuationToken") if truncated else None
        return keys, following

    async def flush(self) -> int:
        """Delete every object under the prefix, a page of the listing at a time."""
        deleted, token = 0, None
        while True:
            keys, token = await self._list(token)
            for start in range(0, len(keys), _DELETE_CONCURRENCY):
                batch = keys[start : start + _DELETE_CONCURRENCY]
                await asyncio.gather(*(self._delete_object(name) for name in batch))
            deleted += len(keys)
            if token is None:
                return deleted

    async def _delete_object(self, name: str) -> Any:
        url = f"{self._endpoint}/{self._bucket}/{quote(name, safe='/')}"
        return await self._send("DELETE", url)

    async def lock(self, key: str, ttl: float) -> bool:
        return True

    async def unlock(self, key: str) -> None:
        return None

    async def locked(self, key: str) -> bool:
        return False

    async def aclose(self) -> None:
        return None
