"""uvicorn's httptools protocol with a bound on a request's head (request line + headers).

httptools buffers a header until it ends, however long, and uvicorn sets no limit: an
8 MB header costs a tenth of a second of the event loop and the memory it takes. Here the
bytes of a request's head (up to its blank line) are counted as they arrive, and past the
bound the client gets a 431 and the connection is closed before the parser buffers more.
A client also has a time limit to send a head, from connecting or from the end of the last
response: a connection that trickles a byte a second is closed with a 408.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["MAX_HEAD_BYTES", "BoundedHttpToolsProtocol", "bounded_protocol"]

MAX_HEAD_BYTES = 64 * 1024
"""Request line and headers together (nginx's largest default buffer set is 32 KB)."""


def _response(status: bytes, message: str) -> bytes:
    body = b'{"error":{"message":"%s","type":"invalid_request_error"}}' % message.encode()
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\nconnection: close\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


_TOO_LARGE = _response(b"431 Request Header Fields Too Large", "Request headers are too large.")
_TIMED_OUT = _response(b"408 Request Timeout", "The request's headers came too slowly.")


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """Make it with :func:`bounded_protocol`; uvicorn instantiates it per connection."""

    def __init__(self, *args: Any, head_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timeout = head_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = True
        self._head_bytes = 0
        self._tail = b""
        """The last bytes seen of the head, in case its blank line spans two reads."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            seen = self._tail + data
            end = seen.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else max(0, end + 4 - len(self._tail))
            self._tail = seen[-3:]
            if self._head_bytes > MAX_HEAD_BYTES:
                self.logger.warning("Request head over %d bytes refused.", MAX_HEAD_BYTES)
                self._refuse(_TOO_LARGE)
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_waiting()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes, self._tail = True, 0, b""

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._await_head()

    def _await_head(self) -> None:
        """The client has ``head_timeout`` seconds to send the next request's head."""
        self._stop_waiting()
        self._head_timer = self.loop.call_later(self._head_timeout, self._head_overdue)

    def _stop_waiting(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self._head_bytes:
            self._refuse(_TIMED_OUT)
        else:
            self.transport.close()  # an idle connection: nothing to answer

    def _refuse(self, response: bytes) -> None:
        self._stop_waiting()
        self.transport.write(response)
        self.transport.close()


def bounded_protocol(head_timeout: float) -> Callable[..., BoundedHttpToolsProtocol]:
    """The protocol uvicorn's ``http`` setting takes (picklable for ``--workers``)."""
    return functools.partial(BoundedHttpToolsProtocol, head_timeout=head_timeout)
