"""A gateway without a Presidio guardrail never imports Presidio (about 100 MB and a
second); one with a keyword guardrail only does not either."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys, tempfile
    from pathlib import Path
    import yaml
    from app.main import create_app
    from app.settings import load_settings

    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            config = {
                "model_list": [{"model_name": "m", "deltallm_params": {
                    "model": "openai/m", "api_base": "http://127.0.0.1:9/v1"}}],
                "guardrails": [{"guardrail_name": "words", "litellm_params": {
                    "guardrail": "keywords", "keywords": ["x"], "default_on": True}}],
            }
            path = Path(tmp) / "config.yaml"
            path.write_text(yaml.safe_dump(config))
            env = {"DELTALLM_DATA_DIR": tmp, "DELTALLM_MASTER_KEY": "sk-m",
                   "DELTALLM_SALT_KEY": "s", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/db"}
            app = create_app(load_settings(path, env=env))
            runtime = app.state.runtime
            await runtime.start()
            assert runtime.gateway.guardrails is not None
            await runtime.stop()
        print("presidio" if "presidio_analyzer" in sys.modules else "clean")

    asyncio.run(main())
    """
)


def test_presidio_is_not_imported_without_a_presidio_guardrail() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "clean"
