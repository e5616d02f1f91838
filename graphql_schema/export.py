"""``python -m graphql_schema.export``: write the SDL to ``graphql_schema/schema.graphql``."""

from __future__ import annotations

import sys
from pathlib import Path

from graphql_schema.schema import schema

__all__ = ["SDL_PATH", "sdl"]

SDL_PATH = Path(__file__).with_name("schema.graphql")


def sdl() -> str:
    return str(schema).rstrip() + "\n"


if __name__ == "__main__":
    SDL_PATH.write_text(sdl(), encoding="utf-8")
    sys.stdout.write(f"wrote {SDL_PATH}\n")
