"""The dialect-aware INSERT … ON CONFLICT, written once for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import ClauseElement, ColumnElement, TextClause, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import TextualSelect

Upsert = sqlite.Insert | postgresql.Insert


def insert(session: AsyncSession, table: Any) -> Upsert:
    """An INSERT for `table` offering `on_conflict_do_nothing/do_update` on this database.

    Both dialects spell ON CONFLICT alike in SQLAlchemy, so callers need not care which one
    they run on.
    """
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


Cached = TextClause | TextualSelect
_COMPILED: dict[tuple[str, str], Cached] = {}


def compiled_once(
    session: AsyncSession,
    name: str,
    build: Callable[[], ClauseElement],
    binds: Sequence[ColumnElement[Any]],
    results: Sequence[ColumnElement[Any]] = (),
) -> Cached:
    """The SQL of `build` compiled once per database, as a statement SQLAlchemy can cache.

    SQLAlchemy cannot cache dialect INSERT … ON CONFLICT constructs: it compiles them again
    on every execution, which costs the report writer more than the work itself. Compiled
    once into text with typed bind parameters (`binds`, named after their columns' keys) and
    typed result columns, the statement is compiled once and cached like any text.
    """
    dialect = session.get_bind().dialect
    key = (dialect.name, name)
    cached = _COMPILED.get(key)
    if cached is None:
        # The same SQL dialect, rendering ":name" parameters that text() understands. The
        # asyncpg driver's dialect would add "::TYPE" casts after them, which text() cannot
        # read; PostgreSQL's plain dialect writes none (the columns give the types).
        driverless = postgresql.dialect if dialect.name == "postgresql" else type(dialect)
        named = cast(Any, driverless)(paramstyle="named")
        sql = str(build().compile(dialect=named, column_keys=[c.key for c in binds]))
        statement = text(sql).bindparams(*(bindparam(c.key, type_=c.type) for c in binds))
        cached = _COMPILED[key] = statement.columns(*results) if results else statement
    return cached
