"""Shared fixtures: a migrated SQLite file, the sandbox, and the real Application on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox import Sandbox, SandboxConfig, running_sandbox
from bot.sandbox.client import SandboxClient
from bot.services.registry.units import import_units_file
from bot.settings import Settings
from bot.telegram.context import BotApplication
from models.db import Database, make_session_factory, open_database
from models.migrate import upgrade_to_head

ADMIN_ID = 700_001
UNITS_CSV = """code,name,kind,adults
T01,Thôn 1,thon,1000
T02,Thôn 2,thon,800
B01,Buôn Ea Tih mẫu,buon,600
CA,Công an xã,co_quan,40
"""

SettingsFactory = Callable[..., Settings]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite file migrated to head by Alembic."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    upgrade_to_head(url)
    return url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """The database seam on the migrated test database."""
    database = open_database(db_url)
    yield database
    await database.close()


@pytest.fixture
def session_factory(db: Database) -> async_sessionmaker[AsyncSession]:
    """Raw sessions on the test database, for tests that set up or inspect rows directly."""
    return make_session_factory(db.engine)


@pytest.fixture
async def units(db: Database, tmp_path: Path) -> None:
    """Import a small unit list (three thôn/buôn and one agency)."""
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8")
    await import_units_file(db, path)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A Bot API sandbox on a free loopback port."""
    async with running_sandbox(SandboxConfig()) as running:
        yield running


@pytest.fixture
def make_settings(sandbox: Sandbox, db_url: str) -> SettingsFactory:
    """Build settings pointing at the sandbox and the test database, ignoring the environment."""

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "telegram_bot_token": sandbox.config.token,
            "telegram_base_url": sandbox.base_url,
            "telegram_base_file_url": sandbox.base_file_url,
            "database_url": db_url,
            "admin_ids": (ADMIN_ID,),
            # Test users type instantly; real people need seconds, so allow a small burst.
            "send_chat_burst": 3,
            # ... and they type faster than any person: the flood tests set their own budget.
            "user_burst": 10_000,
        }
        values.update(overrides)
        return Settings.model_validate(values)

    return factory


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[SandboxClient]:
    """The sandbox control client, playing users."""
    control = SandboxClient(sandbox.control_url)
    yield control
    await control.aclose()


@pytest.fixture
async def app(make_settings: SettingsFactory, units: None) -> AsyncIterator[BotApplication]:
    """The real Application, polling the sandbox, with the small unit list imported."""
    application = build_application(make_settings())
    async with polling(application):
        yield application
