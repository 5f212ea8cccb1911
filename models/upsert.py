"""The dialect-aware INSERT … ON CONFLICT, written once for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

Upsert = sqlite.Insert | postgresql.Insert


def insert(session: AsyncSession, table: Any) -> Upsert:
    """An INSERT for `table` offering `on_conflict_do_nothing/do_update` on this database.

    Both dialects spell ON CONFLICT alike in SQLAlchemy, so callers need not care which one
    they run on.
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
