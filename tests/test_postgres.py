"""PostgreSQL support: migrations under an advisory lock, timestamptz, pg_dump backups, demo.

Most tests here need the server (TEST_DATABASE_URL, see .ci/pg-cluster.sh) and are skipped on
SQLite; the others check the backend-neutral half of the same features.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from bot.cli.demo import act_admin_setup, run_demo
from bot.cli.errors import CliError
from bot.migrate import (
    HEAD_REVISION,
    alembic_config,
    current_revision,
    downgrade_to,
    upgrade_to_head,
)
from bot.services.maintenance.backup import libpq_connection
from bot.services.registry.invites import (
    RedeemOutcome,
    create_invite,
    current_unit_invites,
    redeem_invite,
)
from migrations import MIGRATION_LOCK_KEY
from models import Role, Unit, UnitKind
from tests.cli_helpers import run_cli
from tests.conftest import ON_POSTGRESQL

postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="PostgreSQL only: set TEST_DATABASE_URL (.ci/pg-cluster.sh)"
)


async def _scalar(url: str, sql: str) -> object:
    """Run one statement in its own committed transaction."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            return await connection.scalar(text(sql))
    finally:
        await engine.dispose()


@postgresql_only
async def test_two_processes_migrating_at_once_both_succeed(blank_db_url: str) -> None:
    """Both wait on the advisory lock; the first migrates, the second finds head."""
    waiting_sql = text(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()"
    )
    engine = create_async_engine(blank_db_url, poolclass=NullPool)
    env = {**os.environ, "DATABASE_URL": blank_db_url}
    try:
        async with engine.connect() as holder:
            # Hold the migration lock, so that both processes are surely inside it at once.
            await holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            await holder.commit()
            processes = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "db",
                    "upgrade",
                    env=env,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
                for _ in range(2)
            ]
            for _ in range(600):
                waiting = await holder.scalar(waiting_sql)
                await holder.commit()
                if waiting == 2:
                    break
                await asyncio.sleep(0.05)
            assert waiting == 2, "the migrations do not take the advisory lock"
            await holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            await holder.commit()
            results = [await asyncio.wait_for(p.communicate(), 120) for p in processes]
    finally:
        await engine.dispose()
    for process, (_, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr.decode()
    assert current_revision(blank_db_url) == HEAD_REVISION
    assert await _scalar(blank_db_url, "SELECT count(*) FROM alembic_version") == 1


@postgresql_only
async def test_timestamptz_migration_keeps_every_instant(blank_db_url: str) -> None:
    """0008 reads the old naive values as UTC, whatever the server's own time zone."""
    url = blank_db_url
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            name = await connection.scalar(text("SELECT current_database()"))
            zone = f"ALTER DATABASE \"{name}\" SET timezone = 'Asia/Ho_Chi_Minh'"
            await connection.execute(text(zone))
    finally:
        await engine.dispose()
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0006")
    insert = (
        "INSERT INTO units (code, name, kind, active, created_at, updated_at) "
        "VALUES ('T1', 'Thôn 1', 'thon', true, '2026-01-02 03:04:05', '2026-01-02 03:04:05')"
    )
    await _scalar(url, insert + " RETURNING id")
    await asyncio.to_thread(upgrade_to_head, url)
    kind = await _scalar(
        url,
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'units' AND column_name = 'created_at'",
    )
    assert kind == "timestamp with time zone"
    assert await _scalar(url, "SELECT created_at = TIMESTAMPTZ '2026-01-02 03:04:05+00' FROM units")
    await asyncio.to_thread(downgrade_to, url, "0006")
    assert await _scalar(url, "SELECT created_at = '2026-01-02 03:04:05' FROM units")


async def test_utc_columns_hand_back_aware_utc(
    session_factory: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    """An aware time in any zone comes back as the same instant, in UTC, on both backends."""
    hanoi = datetime(2026, 11, 27, 8, 30, tzinfo=timezone(timedelta(hours=7)))
    async with session_factory.begin() as session:
        session.add(Unit(code="T9", name="Thôn 9", kind=UnitKind.THON, created_at=hanoi))
    async with session_factory() as session:
        created = await session.scalar(select(Unit.created_at).where(Unit.code == "T9"))
    assert created == hanoi and created is not None and created.tzinfo is UTC
    if ON_POSTGRESQL:
        kind = await _scalar(db_url, "SELECT pg_typeof(created_at)::text FROM units")
        assert kind == "timestamp with time zone"


async def test_a_single_use_invite_admits_one_of_two_concurrent_redeemers(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """The conditional UPDATE takes the one use; the other redeemer is told it is used up."""
    now = datetime.now(UTC)
    async with session_factory.begin() as session:
        invite = await create_invite(
            session,
            unit=None,
            role=Role.OFFICER,
            max_uses=1,
            ttl=timedelta(days=1),
            now=now,
            actor_user_id=None,
        )
    code = invite.code

    async def redeem(user_id: int) -> RedeemOutcome:
        async with session_factory.begin() as session:
            result = await redeem_invite(
                session, code=code, user_id=user_id, chat_id=user_id, display_name="X", now=now
            )
            await asyncio.sleep(0.2)  # both transactions are open at once
            return result.outcome

    outcomes = await asyncio.gather(redeem(801), redeem(802))
    assert sorted(outcomes) == sorted([RedeemOutcome.REGISTERED, RedeemOutcome.USED_UP])


async def test_concurrent_invite_listings_create_one_invite_per_unit(
    session_factory: async_sessionmaker[AsyncSession], units: None
) -> None:
    """The listings run one after the other (an advisory lock): one invite set, not two."""
    now = datetime.now(UTC)

    async def listing() -> list[str]:
        async with session_factory.begin() as session:
            pairs = await current_unit_invites(session, now, max_uses=5, ttl=timedelta(days=1))
            await asyncio.sleep(0.2)  # both transactions are open at once
            return [invite.code for _, invite in pairs]

    first, second = await asyncio.gather(listing(), listing())
    assert first == second


def test_libpq_connection_keeps_the_password_out_of_the_command_line() -> None:
    dsn, env = libpq_connection(
        "postgresql+asyncpg://bot:p%40ss@db.example:5433/binhdan?ssl=require&prepared_statement_cache_size=0"
    )
    assert dsn == "postgresql://bot@db.example:5433/binhdan?sslmode=require"
    assert env == {"PGPASSWORD": "p@ss"}


@postgresql_only
def test_pg_backup_is_refused_in_one_line_without_pg_dump(db_url: str, tmp_path: Path) -> None:
    result = run_cli(["db", "backup", str(tmp_path / "x.dump")], DATABASE_URL=db_url, PATH="")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "pg_dump" in result.stderr and "Traceback" not in result.stderr


@postgresql_only
async def test_pg_restore_is_refused_while_the_bot_is_connected(
    db_url: str, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.dump"
    backup = await asyncio.to_thread(run_cli, ["db", "backup", str(copy)], DATABASE_URL=db_url)
    assert backup.returncode == 0, backup.stderr
    engine = create_async_engine(db_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.scalar(text("SELECT 1"))
            result = await asyncio.to_thread(
                run_cli, ["db", "restore", str(copy)], DATABASE_URL=db_url
            )
    finally:
        await engine.dispose()
    assert result.returncode == 2 and "đang chạy" in result.stderr


@postgresql_only
async def test_demo_runs_on_the_postgresql_database_url(
    blank_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", blank_db_url)
    assert await run_demo(tmp_path, [act_admin_setup]) == 0
    assert await _scalar(blank_db_url, "SELECT count(*) FROM contacts") == 2
    with pytest.raises(CliError) as refused:
        await run_demo(tmp_path, [act_admin_setup])
    assert refused.value.key == "cli.demo_needs_empty_database"


async def test_demo_never_touches_a_sqlite_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{real}")
    assert await run_demo(tmp_path, [act_admin_setup]) == 0
    assert not real.exists()
