"""uvicorn's httptools protocol with a bound on a request's head (request line + headers).

httptools buffers a header until it ends, however long, and uvicorn sets no limit: an
8 MB header costs a tenth of a second of the event loop and the memory it takes. Here the
bytes of a request's head (up to its blank line) are counted as they arrive, and past the
bound the client gets a 431 and the connection is closed before the parser buffers more.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["MAX_HEAD_BYTES", "BoundedHttpToolsProtocol"]

MAX_HEAD_BYTES = 64 * 1024
"""Request line and headers together (nginx's largest default buffer set is 32 KB)."""

_BODY = b'{"error":{"message":"Request headers are too large.","type":"invalid_request_error"}}'
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_BODY)).encode() + b"\r\n\r\n" + _BODY
)


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    _head_bytes = 0
    _in_head = True
    _tail = b""
    """The last bytes seen of the head, in case its blank line spans two reads."""

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            seen = self._tail + data
            end = seen.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else max(0, end + 4 - len(self._tail))
            self._tail = seen[-3:]
            if self._head_bytes > MAX_HEAD_BYTES:
                self.logger.warning("Request head over %d bytes refused.", MAX_HEAD_BYTES)
                self.transport.write(_TOO_LARGE)
                self.transport.close()
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes, self._tail = True, 0, b""
