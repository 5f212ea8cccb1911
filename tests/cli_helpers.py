"""Run the `binhdan` CLI as a subprocess with a controlled environment."""

from __future__ import annotations

import asyncio
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
        # No terminal: a command that would ask a question (units merge) refuses instead.
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        check=False,
        cwd=workdir,
        timeout=120,
    )


async def run_cli_async(args: list[str], **env_overrides: str) -> subprocess.CompletedProcess[str]:
    """`run_cli` without blocking the event loop.

    A test whose bot runs in its own event loop must not block that loop while the command
    runs: a transaction the bot has open could not commit, and the command would wait for its
    lock until SQLite's busy timeout.
    """
    return await asyncio.to_thread(run_cli, args, **env_overrides)
