"""Issue 13 through the real bot: invite lock-out, group buttons, demotion mid-conversation,
unreadable stored schedules."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox.client import SandboxClient
from bot.services.registry.invites import InviteGuard, RedeemOutcome, register
from bot.services.reports.reports import Refused
from bot.telegram.context import BotApplication
from bot.telegram.ui.callbacks import Action, build
from bot.telegram.ui.keyboards import buttons
from bot.texts import translator
from bot.texts.reports import report_refusal
from models import AuditEvent, Contact, Report, Role, Schedule, ScheduleKind
from models.base import utcnow
from models.db import open_database
from tests.conftest import ADMIN_ID, SettingsFactory
from tests.helpers import make_invite, register_many

SessionFactory = async_sessionmaker[AsyncSession]
T = translator("vi")
GUESSER = 960_001
OFFICER = 960_002


async def test_wrong_invite_codes_are_audited_and_locked_out(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory, db_url: str
) -> None:
    allowed = app.bot_data.settings.invite_failures_allowed
    for attempt in range(allowed):
        [reply] = await client.converse(GUESSER, f"/start doan-mo-{attempt}")
        assert reply["text"] == T.plain("invite.invalid")
    good = await make_invite(session_factory, "T01")
    [reply] = await client.converse(GUESSER, f"/start {good}")
    assert reply["text"] == T.plain("invite.locked_out"), "a right code passes the lock-out"
    async with session_factory() as session:
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "invite.refused", AuditEvent.actor_user_id == GUESSER)
        )
        assert audited == allowed
        assert (
            await session.scalar(select(Contact).where(Contact.telegram_user_id == GUESSER)) is None
        )
    # Counted in the database: a restarted bot (a new connection) still refuses ...
    window = timedelta(minutes=app.bot_data.settings.invite_lockout_minutes)
    guard = InviteGuard(allowed, window)
    database = open_database(db_url)
    try:

        async def try_code(now: datetime) -> RedeemOutcome:
            result = await register(
                database,
                code=good,
                user_id=GUESSER,
                chat_id=GUESSER,
                display_name="G",
                now=now,
                guard=guard,
            )
            return result.outcome

        assert await try_code(utcnow()) == RedeemOutcome.LOCKED_OUT
        # ... until the window has passed.
        assert await try_code(utcnow() + window) == RedeemOutcome.REGISTERED
    finally:
        await database.close()


async def test_buttons_under_group_messages_are_ignored(
    app: BotApplication, client: SandboxClient
) -> None:
    group = -100_960_000
    await client.post_message(ADMIN_ID, text="chào", chat_id=group, chat_type="group")
    sent = await app.bot.send_message(
        group, "nút", reply_markup=buttons([("✅", build(Action.ACK, 1))])
    )
    after = await client.last_seq()
    await client.press(ADMIN_ID, sent.message_id, build(Action.ACK, 1), chat_id=group)
    assert await client.events(group, after=after, count=1, wait=1.5) == []
    assert await client.events(ADMIN_ID, after=after, count=1, wait=0.1) == []


async def _make_officer(client: SandboxClient) -> None:
    await client.converse(OFFICER, "/start")
    await client.converse(ADMIN_ID, f"/phanquyen {OFFICER} officer")


async def _demote(app: BotApplication, factory: SessionFactory) -> None:
    """Another admin (or `binhdan grant`) makes the officer a head of T01."""
    async with factory.begin() as session:
        unit_id = await session.scalar(select(Contact.unit_id).where(Contact.unit_id.is_not(None)))
        await session.execute(
            update(Contact)
            .where(Contact.telegram_user_id == OFFICER)
            .values(role=Role.HEAD, unit_id=unit_id)
        )
    app.bot_data.identities.forget(OFFICER)


async def _press_until(client: SandboxClient, message_id: int, data: str, key: str) -> None:
    """Press a button and wait until the bot asks the question `key`."""
    after = await client.last_seq()
    await client.press(OFFICER, message_id, data)
    for _ in range(20):
        events = await client.events(OFFICER, after=after, count=1, wait=0.5)
        # Events hold the text as shown (HTML tags parsed into entities).
        if any(e.get("text") == re.sub("<[^>]+>", "", T.plain(key)) for e in events):
            return
        after = events[-1]["seq"] if events else after
    raise AssertionError(f"the bot never asked {key}")


async def test_demoted_officer_cannot_finish_a_lich_edit(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register_many(session_factory, client, 1, 960_100)
    after = await client.last_seq()
    await _make_officer(client)
    await client.expect(OFFICER, after=after, count=2)  # the /start answer, the role notice
    replies = await client.converse(OFFICER, "/lich", replies=2)
    async with session_factory() as session:
        first = (await session.scalars(select(Schedule).order_by(Schedule.id))).first()
    assert first is not None
    await _press_until(
        client, replies[1]["message_id"], build(Action.SCHEDULE_EDIT, first.id), "schedule.ask_rule"
    )
    await _demote(app, session_factory)
    [reply] = await client.converse(OFFICER, "t3 09:00")
    assert reply["text"] == T.plain("access.not_allowed")
    async with session_factory() as session:
        again = await session.get(Schedule, first.id)
        assert again is not None and again.rule == first.rule


async def test_demoted_officer_cannot_finish_a_directive(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register_many(session_factory, client, 1, 960_200)
    after = await client.last_seq()
    await _make_officer(client)
    await client.expect(OFFICER, after=after, count=2)  # the /start answer, the role notice
    [menu] = await client.converse(OFFICER, "/thongbao")
    await _press_until(client, menu["message_id"], build(Action.COMPOSE_NEW), "compose.ask_content")
    await _demote(app, session_factory)
    [reply] = await client.converse(OFFICER, "Họp thôn tối nay lúc 19 giờ")
    assert reply["text"] == T.plain("access.not_allowed")
    assert app.user_data[OFFICER].directive is None


async def test_an_unreadable_stored_schedule_is_reported_and_skipped(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with session_factory.begin() as session:
        session.add(Schedule(kind=ScheduleKind.ESCALATION, rule="t6 99:99", audience="staff"))
    caplog.set_level(logging.WARNING)
    app = build_application(make_settings())
    async with polling(app):  # the start must not crash
        replies = await client.converse(ADMIN_ID, "/lich", settle=0.5)
    assert "no longer reads" in caplog.text
    assert any("t6 99:99" in (reply["text"] or "") for reply in replies), "not shown in /lich"


async def test_demoted_officer_cannot_finish_a_report_for_another_unit(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register_many(session_factory, client, 1, 960_300, unit_code="T02")
    after = await client.last_seq()
    await _make_officer(client)
    await client.expect(OFFICER, after=after, count=2)  # the /start answer, the role notice
    [ask] = await client.converse(OFFICER, "/baocao T01")
    assert "Thôn 1" in ask["text"]
    await _demote(app, session_factory)  # now a head of Thôn 2: no longer reports for Thôn 1
    await client.converse(OFFICER, "120")  # then the completed figure is asked
    [refused] = await client.converse(OFFICER, "45")
    assert refused["html"] == report_refusal(T, Refused.OTHER_UNIT)
    async with session_factory() as session:
        assert list(await session.scalars(select(Report))) == []
