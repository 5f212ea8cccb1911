"""Merging units (`binhdan units merge`): people move, figures are summed once, OLD is archived."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.services.recognition.commendations import period_facts
from bot.services.registry.invites import create_invite, redeem_invite
from bot.services.registry.unit_import import Problem, UnitFileError, parse_unit_table, read_table
from bot.services.registry.unit_merge import MergePlan, MergeRefused, merge_units, plan_merge
from bot.services.registry.units import find_unit, preview_rows
from bot.services.reports.periods import period_at
from bot.services.reports.reports import Figures, Reporter, Target
from bot.services.reports.submission import Request, submit_batch
from bot.services.stats.stats import commune_summary
from bot.telegram.context import BotApplication
from bot.texts import translator
from models import AuditEvent, Contact, Invite, Report, Role, Unit, UnitProgress
from models.base import utcnow
from models.db import Database
from tests.cli_helpers import run_cli, run_cli_async
from tests.conftest import UNITS_CSV
from tests.helpers import register, until

SessionFactory = async_sessionmaker[AsyncSession]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
VI = translator("vi")
OLD_HEAD, NEW_HEAD = 893_001, 893_002


async def _head_reporting(
    db: Database,
    code: str,
    user: int,
    enrolled: int,
    completed: int | None,
    *,
    at: datetime | None = None,
    registered: bool = False,
) -> None:
    async with db.write() as session:
        unit = await find_unit(session, code)
        assert unit is not None
        if not registered:
            await _register(session, unit, user)
        target = Target(unit.id, unit.name, unit.adults, on_behalf=False)
        figures, reporter = Figures(enrolled, completed), Reporter(user, "H")
        # Each report is its own update: a repeated update id is a redelivery, dropped.
        request = Request(target, figures, reporter, user * 10_000 + enrolled, at or utcnow())
        await submit_batch(session, [request], "weekly", TZ)


async def _register(session: AsyncSession, unit: Unit, user: int) -> None:
    """The head takes an invite of the unit."""
    invite = await create_invite(
        session, unit=unit, role=Role.HEAD, max_uses=None, ttl=None, now=utcnow(),
        actor_user_id=None,
    )  # fmt: skip
    await session.flush()
    await redeem_invite(
        session, code=invite.code, user_id=user, chat_id=user, display_name=f"H{user}",
        now=utcnow(),
    )  # fmt: skip


async def _enrolled_total(db: Database) -> int:
    async with db.read() as session:
        return (await commune_summary(session, datetime.now(UTC), TZ, "weekly")).enrolled


async def test_a_merge_moves_the_people_and_counts_the_figures_once(
    db: Database, units: None
) -> None:
    await _head_reporting(db, "T01", OLD_HEAD, 300, 100)
    await _head_reporting(db, "T02", NEW_HEAD, 200, None)
    total = await _enrolled_total(db)
    plan = await plan_merge(db, "t01", "T02")
    assert plan == MergePlan("T01", "Thôn 1", "T02", "Thôn 2", 1, 1, 500, 1800)
    done = await merge_units(
        db, "T01", "T02", now=utcnow(), period_kind="weekly", tz=TZ, actor_user_id=None
    )
    assert done == plan
    assert await _enrolled_total(db) == total == 500, "the commune total does not move"
    async with db.read() as session:
        old, new = await find_unit(session, "T01"), await find_unit(session, "T02")
        assert old is not None and new is not None
        assert (old.active, new.active, new.adults) == (False, True, 1800)
        assert old.merged_into_id == new.id and old.merged_at is not None
        heads = await session.scalars(select(Contact.unit_id).order_by(Contact.telegram_user_id))
        assert list(heads) == [new.id, new.id]
        invites = await session.scalars(select(Invite.revoked).where(Invite.unit_id == old.id))
        assert set(invites) == {True}
        progress = await session.get(UnitProgress, new.id)
        assert progress is not None and (progress.enrolled, progress.completed) == (500, 100)
        assert await session.get(UnitProgress, old.id) is None
        history = await session.execute(
            select(Report.unit_id, Report.reporter_name, Report.enrolled)
        )
        assert sorted(history.tuples()) == sorted(
            [(old.id, "H", 300), (new.id, "H", 200), (new.id, "T01 → T02", 500)]
        )
        [event] = await session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "units.merged")
        )
    assert event == {"old": "T01", "new": "T02", "people": 1, "enrolled": 500, "adults": 1800}


async def test_impossible_merges_are_refused_and_change_nothing(db: Database, units: None) -> None:
    async def merge(old: str, new: str) -> MergePlan | MergeRefused:
        return await merge_units(
            db, old, new, now=utcnow(), period_kind="weekly", tz=TZ, actor_user_id=None
        )

    assert await merge("T01", "t01") == MergeRefused.SAME
    assert await merge("X9", "T01") == MergeRefused.UNKNOWN_OLD
    assert await merge("T01", "X9") == MergeRefused.UNKNOWN_NEW
    assert isinstance(await merge("B01", "T01"), MergePlan)
    assert await merge("B01", "T02") == MergeRefused.OLD_ARCHIVED
    assert await merge("T02", "B01") == MergeRefused.NEW_ARCHIVED
    async with db.read() as session:
        active = await session.scalars(select(Unit.code).where(Unit.active.is_(True)))
        assert sorted(active) == ["CA", "T01", "T02"]


def test_cli_merge_asks_unless_yes_and_refuses_in_one_line(db_url: str, units: None) -> None:
    same = run_cli(["units", "merge", "T01", "T01", "--yes"], DATABASE_URL=db_url)
    assert same.returncode == 2 and same.stderr.strip() == "binhdan: " + VI.plain(
        "cli.merge.same", code="T01"
    )
    # Not on a terminal: nobody to ask, so --yes is needed and nothing changes.
    unasked = run_cli(["units", "merge", "T01", "T02"], DATABASE_URL=db_url)
    assert unasked.returncode == 2
    assert unasked.stderr.strip() == "binhdan: " + VI.plain("cli.merge.needs_yes")
    merged = run_cli(["units", "merge", "T01", "T02", "--yes"], DATABASE_URL=db_url)
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.startswith("Gộp T01 Thôn 1 vào T02 Thôn 2:")
    assert merged.stdout.strip().endswith(VI.plain("cli.merge.done", old="T01", new="T02"))
    again = run_cli(["units", "merge", "T01", "T02", "--yes"], DATABASE_URL=db_url)
    assert again.returncode == 2
    assert again.stderr.strip() == "binhdan: " + VI.plain("cli.merge.archived", code="T01")


def test_the_terminal_question_takes_co_with_or_without_diacritics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.cli.merge import confirmed

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    args = argparse.Namespace(yes=False)
    assert confirmed(args, ask=lambda _: "Có")
    assert confirmed(args, ask=lambda _: " co ")
    assert not confirmed(args, ask=lambda _: "không")
    assert not confirmed(args, ask=lambda _: "")


async def test_a_moved_head_reports_for_the_new_unit(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory, db_url: str
) -> None:
    await register(client, session_factory, OLD_HEAD, "T01")
    merged = await run_cli_async(["units", "merge", "T01", "T02", "--yes"], DATABASE_URL=db_url)
    assert merged.returncode == 0, merged.stderr

    async def asks_for_the_new_unit() -> bool:
        [question] = await client.converse(OLD_HEAD, "/baocao")
        await client.converse(OLD_HEAD, "/huy")
        return bool(question["html"] == VI("report.ask_enrolled", unit="Thôn 2"))

    # Another process (the CLI) changed the unit: the bot's identity cache follows the shared
    # counter within LEADER_CHECK_SECONDS.
    await until(asks_for_the_new_unit, timeout=15, what="the head's unit is Thôn 2", step=0.5)


async def test_the_two_units_open_threads_become_one(db: Database, units: None) -> None:
    from models import Thread, ThreadMessage, ThreadMessageKind, ThreadSide, ThreadStatus

    async with db.write() as session:
        for code, text in (("T01", "Thôn 1 hỏi"), ("T02", "Thôn 2 hỏi")):
            unit = await find_unit(session, code)
            assert unit is not None
            thread = Thread(
                unit_id=unit.id, status=ThreadStatus.OPEN, opened_at=utcnow(),
                last_message_at=utcnow(),
            )  # fmt: skip
            session.add(thread)
            await session.flush()
            message = ThreadMessage(
                thread_id=thread.id, side=ThreadSide.UNIT, kind=ThreadMessageKind.TEXT,
                author_user_id=1, author_name="H", text=text, created_at=utcnow(),
            )  # fmt: skip
            session.add(message)
    done = await merge_units(
        db, "T01", "T02", now=utcnow(), period_kind="weekly", tz=TZ, actor_user_id=None
    )
    assert isinstance(done, MergePlan)
    async with db.read() as session:
        [thread] = await session.scalars(select(Thread))
        texts = await session.scalars(
            select(ThreadMessage.text).where(ThreadMessage.thread_id == thread.id)
        )
        new = await find_unit(session, "T02")
        assert new is not None and thread.unit_id == new.id
        assert sorted(t or "" for t in texts) == ["Thôn 1 hỏi", "Thôn 2 hỏi"]


async def test_the_usual_list_naming_a_merged_unit_is_refused_and_changes_nothing(
    db: Database, units: None, tmp_path: Path, db_url: str
) -> None:
    await merge_units(
        db, "T01", "T02", now=utcnow(), period_kind="weekly", tz=TZ, actor_user_id=None
    )
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8")
    with pytest.raises(UnitFileError) as refused:
        await preview_rows(db, parse_unit_table(read_table(path)))
    [error] = refused.value.errors
    assert (error.problem, dict(error.values)) == (
        Problem.MERGED,
        {"code": "T01", "into": "T02", "adults": 1800},
    )
    result = run_cli(["units", "import", str(path)], DATABASE_URL=db_url)
    assert result.returncode == 2
    assert "số người lớn của T02 là 1.800" in result.stderr
    assert VI.plain("units.file.merged", code="T01", into="T02", adults=1800) in result.stderr
    async with db.read() as session:
        old, new = await find_unit(session, "T01"), await find_unit(session, "T02")
        assert old is not None and new is not None
        assert (old.active, new.adults) == (False, 1800), "neither revived nor reset"


async def test_a_merge_during_the_period_adds_no_rise_to_the_unit_it_joined(
    db: Database, units: None
) -> None:
    now = utcnow()
    last_week = now - timedelta(days=7)
    await _head_reporting(db, "T01", OLD_HEAD, 300, None, at=last_week)
    await _head_reporting(db, "T02", NEW_HEAD, 200, None, at=last_week)
    await _head_reporting(db, "T02", NEW_HEAD, 250, None, at=now, registered=True)
    await merge_units(db, "T01", "T02", now=now, period_kind="weekly", tz=TZ, actor_user_id=None)
    async with db.read() as session:
        facts = await period_facts(session, period_at(now, "weekly", TZ), TZ)
    [joined] = [fact for fact in facts if fact.code == "T02"]
    assert (joined.start_enrolled, joined.enrolled, joined.rise) == (500, 550, 50)
