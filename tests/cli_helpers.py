"""Run the `binhdan` CLI as a subprocess with a controlled environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(args: list[str], **env_overrides: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` from an empty folder (no .env), with only the given settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "ADMIN_", "DATABASE_", "BOT_"))
    }
    env.update(env_overrides)
    workdir = Path(env_overrides.get("CLI_CWD", Path(__file__).parent))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=workdir,
        timeout=120,
    )
