"""Shared benchmark plumbing: repeated runs, statistics, machine facts and the Markdown report."""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bot.migrate import upgrade_to_head_async
from bot.settings import Settings


@dataclass
class Series:
    """Repeated measurements of one quantity."""

    name: str
    unit: str
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """The median of the runs."""
        return statistics.median(self.values)

    def cell(self, digits: int = 1) -> str:
        """Render "median (min–max)" for the report table."""
        low, high = min(self.values), max(self.values)
        return f"{self.median:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"


@dataclass
class Section:
    """One benchmark's part of docs/benchmarks.md."""

    title: str
    body: list[str]


def machine_facts() -> list[str]:
    """Cores, Python, key library versions and the date."""
    packages = ["python-telegram-bot", "SQLAlchemy", "aiosqlite", "aiohttp", "httpx"]
    versions = ", ".join(f"{name} {version(name)}" for name in packages)
    return [
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} cores, {platform.machine()}, {platform.system()} "
        f"{platform.release()}",
        f"- Python {platform.python_version()}; {versions}",
    ]


async def fresh_database() -> tuple[str, Path]:
    """A migrated SQLite file in a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="binhdan-bench-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await upgrade_to_head_async(url)
    return url, folder


def bench_settings(
    base_url: str, file_url: str, token: str, database_url: str, **overrides: Any
) -> Settings:
    """Settings for a benchmark run, isolated from the environment."""
    values: dict[str, Any] = {
        "telegram_bot_token": token,
        "telegram_base_url": base_url,
        "telegram_base_file_url": file_url,
        "database_url": database_url,
    }
    values.update(overrides)
    return Settings.model_validate(values)


async def repeat(runs: int, once: Callable[[], Awaitable[dict[str, float]]]) -> dict[str, Series]:
    """Run a measurement several times and gather each named value into a series."""
    gathered: dict[str, Series] = {}
    for _ in range(runs):
        for name, value in (await once()).items():
            gathered.setdefault(name, Series(name, "")).values.append(value)
    return gathered


@dataclass
class SandboxProcess:
    """A sandbox running in its own process, so it does not compete with the bot for the GIL."""

    port: int
    token: str
    process: asyncio.subprocess.Process

    @property
    def base_url(self) -> str:
        """PTB base_url."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB base_file_url."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    @property
    def control_url(self) -> str:
        """The control interface."""
        return f"http://127.0.0.1:{self.port}/_sandbox"


@asynccontextmanager
async def sandbox_process(*args: str) -> AsyncIterator[SandboxProcess]:
    """Start `python -m bot.sandbox ARGS` and stop it afterwards."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.sandbox", *args, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    _, port, token = (await process.stdout.readline()).decode().split()
    try:
        yield SandboxProcess(int(port), token, process)
    finally:
        process.terminate()
        await process.wait()
