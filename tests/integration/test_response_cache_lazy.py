"""A gateway without a response cache never imports it: it pays one ``is None`` check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_START_AND_STOP = """
import asyncio, sys
from app.main import create_app
from app.settings import load_settings
app = create_app(load_settings(sys.argv[1] if len(sys.argv) > 1 else None))
async def main():
    await app.state.runtime.start()
    await app.state.runtime.stop()
asyncio.run(main())
print(sorted(m for m in sys.modules if m.startswith("app.cache")))
"""


def test_the_cache_package_loads_only_when_a_cache_is_configured(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("litellm_settings:\n  cache: true\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS"))},
        "DELTALLM_DATA_DIR": str(tmp_path / "data"),
    }

    def imported(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", _START_AND_STOP, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout.strip().splitlines()[-1]

    assert imported() == "[]"
    assert "'app.cache.service'" in imported(str(config))
