"""``python -m tests.support.services PG_URL REDIS_URL``: exit 0 when both answer."""

from __future__ import annotations

import socket
import sys
from urllib.parse import urlsplit


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    default = 5432 if parts.scheme.startswith("postgres") else 6379
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default), 2):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(0 if all(reachable(url) for url in sys.argv[1:]) else 1)
