"""Shared fixtures: a migrated database (SQLite or PostgreSQL), the sandbox, the Application."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from bot.app import build_application, polling
from bot.migrate import upgrade_to_head
from bot.sandbox import Sandbox, SandboxConfig, running_sandbox
from bot.sandbox.client import SandboxClient
from bot.sandbox.flood import FloodConfig
from bot.services.registry.units import import_units_file
from bot.settings import Settings
from bot.telegram.context import BotApplication
from models.db import Database, make_session_factory, open_database

ADMIN_ID = 700_001
UNITS_CSV = """code,name,kind,adults
T01,Thôn 1,thon,1000
T02,Thôn 2,thon,800
B01,Buôn Ea Tih mẫu,buon,600
CA,Công an xã,co_quan,40
"""

SettingsFactory = Callable[..., Settings]


# A postgresql+asyncpg:// URL to a server where the user may CREATE DATABASE: the whole suite
# then runs on PostgreSQL, each test on a database of its own (see .ci/pg-cluster.sh).
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_POSTGRESQL = bool(TEST_DATABASE_URL)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip tests marked `sqlite_only("reason")` when the suite runs on PostgreSQL."""
    if not ON_POSTGRESQL:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else "checks SQLite itself"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


def _pg_url(database: str) -> str:
    """TEST_DATABASE_URL pointing at another database of the same server."""
    return make_url(TEST_DATABASE_URL).set(database=database).render_as_string(hide_password=False)


def _pg_admin(*statements: str) -> None:
    """Run statements (CREATE/DROP DATABASE) outside a transaction on TEST_DATABASE_URL."""

    async def run() -> None:
        engine = create_async_engine(
            TEST_DATABASE_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        try:
            async with engine.connect() as connection:
                for statement in statements:
                    await connection.exec_driver_sql(statement)
        finally:
            await engine.dispose()

    asyncio.run(run())


@contextlib.contextmanager
def _pg_database(template: str) -> Iterator[str]:
    """A new database copied from `template`, dropped afterwards (even if still in use)."""
    name = f"binhdan_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield name
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _pg_migrated_template() -> Iterator[str]:
    """Migrate once per session; each test's database is then a cheap copy of this one."""
    with _pg_database("template0") as name:
        upgrade_to_head(_pg_url(name))
        yield name


@pytest.fixture
def blank_db_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database (no tables): a SQLite file, or a new PostgreSQL database."""
    if not ON_POSTGRESQL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    with _pg_database("template0") as name:
        yield _pg_url(name)


@pytest.fixture
def db_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database migrated to head by Alembic: a SQLite file, or a PostgreSQL copy."""
    if not ON_POSTGRESQL:
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        upgrade_to_head(url)
        yield url
        return
    with _pg_database(request.getfixturevalue("_pg_migrated_template")) as name:
        yield _pg_url(name)


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


# Telegram's ceilings, lifted: tests play people who type at once and wait for nothing, and
# pacing is measured in bench/, or by the tests marked `pacing`.
LIFTED_FLOOD = FloodConfig(
    global_per_second=100_000, chat_per_second=100_000, chat_burst=100_000, group_per_minute=10**7
)
LIFTED_SENDING: dict[str, Any] = {
    "send_rate_per_second": 100_000.0,
    "send_chat_interval_seconds": 0.0,
    "send_group_per_minute": 10**7,
}


def _paced(request: pytest.FixtureRequest) -> bool:
    """Whether the test checks pacing itself (marked `pacing`): Telegram's limits then hold."""
    return request.node.get_closest_marker("pacing") is not None


@pytest.fixture
async def sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    """A Bot API sandbox on a free loopback port (flood limits lifted unless `pacing`)."""
    config = SandboxConfig() if _paced(request) else SandboxConfig(flood=LIFTED_FLOOD)
    async with running_sandbox(config) as running:
        yield running


@pytest.fixture
def make_settings(sandbox: Sandbox, db_url: str, request: pytest.FixtureRequest) -> SettingsFactory:
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
        if not _paced(request):
            values.update(LIFTED_SENDING)
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
