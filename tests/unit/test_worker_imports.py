"""Serving processes do not import what only migrations need: Alembic and its scripts cost
every worker about 11 MB of resident memory."""

from __future__ import annotations

import subprocess
import sys


def test_the_app_and_the_cli_load_without_alembic() -> None:
    probe = (
        "import sys, app.main, app.cli.main, app.runtime; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"
