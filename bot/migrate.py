"""Apply Alembic migrations from code: the app never uses `create_all`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations


def alembic_config(database_url: str) -> Config:
    """Build an Alembic config pointing at the packaged migrations and `database_url`."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade_to_head(database_url: str) -> None:
    """Migrate the database at `database_url` to the newest revision."""
    command.upgrade(alembic_config(database_url), "head")


def downgrade_to(database_url: str, revision: str) -> None:
    """Migrate the database down to `revision` ("base" for empty)."""
    command.downgrade(alembic_config(database_url), revision)


async def upgrade_to_head_async(database_url: str) -> None:
    """Run the upgrade in a worker thread, since Alembic's env starts its own event loop."""
    await asyncio.to_thread(upgrade_to_head, database_url)
