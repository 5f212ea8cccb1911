"""Alembic environment: async engine, batch mode for SQLite, type comparison on.

On PostgreSQL the run holds a transaction-level advisory lock: two processes that start
together serialise here, and the second one finds the database at head and does nothing.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from migrations import MIGRATION_LOCK_KEY
from models import Base
from models.db import make_engine

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    """Run the migrations on one synchronous connection."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Alembic reads the current revision only in run_migrations, i.e. after the lock;
            # the lock is released when this transaction commits (or rolls back).
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


async def _run_async() -> None:
    """Open the async engine and hand a sync connection to Alembic."""
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "", foreign_keys=False)
    async with engine.connect() as connection:
        await connection.run_sync(_configure_and_run)
    await engine.dispose()


def _run_offline() -> None:
    """Emit SQL without a database (alembic upgrade --sql)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
    else:
        asyncio.run(_run_async())
