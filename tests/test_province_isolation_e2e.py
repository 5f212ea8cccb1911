"""End-to-end: a commune officer tries every officer command and button on another commune.

Commune B has a unit, a head, an open thread, a directive, a good model waiting for review and
a schedule. Commune A's officer types every staff command naming B, and presses every button
staff may press with each of B's ids. Whatever each one answers, nothing of B changes, nothing
reaches B's people, and nothing A's officer reads names B.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_application, polling
from bot.sandbox.client import SandboxClient
from bot.services.registry.contacts import grant
from bot.services.registry.units import import_units_file
from bot.telegram.ui.callbacks import build
from bot.telegram.ui.permissions import CALLBACK_ROLES, COMMAND_ROLES, STAFF
from models import (
    Commune,
    Contact,
    Delivery,
    Directive,
    GoodModel,
    Role,
    Schedule,
    ScheduleKind,
    Thread,
    ThreadMessage,
    Unit,
)
from models.db import Database
from tests.conftest import SettingsFactory
from tests.helpers import button_data, register, until_said

SessionFactory = async_sessionmaker[AsyncSession]
UNITS = """code,name,kind,adults,commune_code,commune_name
A01,Thôn Một,thon,1000,24001,Xã Ea Knốp
B01,Buôn Bí Mật,buon,800,24002,Xã Ea Kar
"""
HEAD_A, HEAD_B, OFFICER_A, OFFICER_B = 897_001, 897_002, 897_101, 897_102
# What only commune B's rows say: A's officer must never read it.
SECRET = ("Bí Mật", "Ea Kar", "hỏi riêng của buôn")


@pytest.fixture
async def two_communes(
    make_settings: SettingsFactory,
    db: Database,
    tmp_path: Path,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> AsyncIterator[dict[str, Any]]:
    """Commune B with a thread, a directive, a model and a schedule; A's officer ready."""
    path = tmp_path / "hai-xa.csv"
    path.write_text(UNITS, encoding="utf-8")
    await import_units_file(db, path)
    await grant(db, actor_user_id=None, user_id=OFFICER_A, role=Role.OFFICER, scope="24001")
    await grant(db, actor_user_id=None, user_id=OFFICER_B, role=Role.OFFICER, scope="24002")
    async with polling(build_application(make_settings())):
        await register(client, session_factory, HEAD_A, "A01")
        await register(client, session_factory, HEAD_B, "B01")
        await client.open_chats([OFFICER_A, OFFICER_B])
        [offer] = await client.converse(HEAD_B, "Câu hỏi riêng của buôn: khi nào họp?")
        asked = await client.last_seq()
        send = button_data(offer, "📨 Gửi cho cán bộ xã")
        await client.click(HEAD_B, offer["message_id"], send, replies=2)
        await client.expect(OFFICER_B, after=asked)  # the question reached B's officer
        _preview, control = await client.converse(
            OFFICER_B, "/thongbao Việc riêng của xã B", replies=2
        )
        await client.click(OFFICER_B, control["message_id"], button_data(control, "📤 Gửi"))
        await until_said(client, OFFICER_B, "Đã gửi xong")  # B's broadcast is over
        yield await _plant(session_factory)


async def _plant(session_factory: SessionFactory) -> dict[str, Any]:
    """B's model and schedule, and the ids of everything of B a forged button could name."""
    async with session_factory.begin() as session:
        commune_b = await session.scalar(select(Commune.id).where(Commune.code == "24002"))
        unit = await session.scalar(select(Unit).where(Unit.code == "B01"))
        assert unit is not None
        model = GoodModel(unit_id=unit.id, author_user_id=HEAD_B, title="Mô hình Bí Mật", body="")
        schedule = Schedule(
            kind=ScheduleKind.REMINDER, rule="mon 08:00", audience="all", commune_id=commune_b
        )
        session.add_all([model, schedule])
        await session.flush()
        thread = await session.scalar(select(Thread.id).where(Thread.unit_id == unit.id))
        directive = await session.scalar(
            select(Directive.id).where(Directive.commune_id == commune_b)
        )
        assert thread is not None and directive is not None
        return {
            "unit": unit.id,
            "code": "B01",
            "thread": thread,
            "directive": directive,
            "model": model.id,
            "schedule": schedule.id,
            "commune": "24002",
        }


async def _state_of_b(session_factory: SessionFactory) -> dict[str, Any]:
    """Everything of commune B a forged command or button could change."""
    async with session_factory() as session:
        unit = await session.scalar(select(Unit).where(Unit.code == "B01"))
        assert unit is not None
        threads = (
            await session.execute(select(Thread.id, Thread.status).where(Thread.unit_id == unit.id))
        ).all()
        messages = await session.scalar(
            select(func.count())
            .select_from(ThreadMessage)
            .join(Thread)
            .where(Thread.unit_id == unit.id)
        )
        deliveries = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .join(Contact)
            .where(Contact.unit_id == unit.id)
        )
        models = (
            await session.execute(select(GoodModel.id, GoodModel.status, GoodModel.title))
        ).all()
        schedules = (
            await session.execute(
                select(Schedule.id, Schedule.enabled, Schedule.rule).where(
                    Schedule.commune_id.is_not(None)
                )
            )
        ).all()
        return {
            "unit": (unit.name, unit.adults, unit.active),
            "threads": threads,
            "messages": messages,
            "deliveries": deliveries,
            "models": models,
            "schedules": schedules,
        }


def _staff_actions() -> list[Any]:
    """Every button staff may press."""
    return [action for action, roles in CALLBACK_ROLES.items() if roles == STAFF]


def _forged(action: Any, ids: dict[str, Any]) -> list[str]:
    """The button's data with each of B's ids in each place an id could stand."""
    values = [ids[key] for key in ("unit", "code", "thread", "directive", "model", "schedule")]
    forged = {build(action)}
    for value in values:
        forged |= {build(action, value), build(action, value, 0), build(action, value, "list")}
    return sorted(forged)


async def test_nothing_of_another_commune_can_be_read_or_changed(
    two_communes: dict[str, Any], client: SandboxClient, session_factory: SessionFactory
) -> None:
    ids = two_communes
    before = await _state_of_b(session_factory)
    start = await client.last_seq()
    read: list[str] = []
    for command, roles in COMMAND_ROLES.items():
        if Role.OFFICER not in roles or command in ("start", "huy"):
            continue
        for argument in ("", ids["commune"], ids["code"]):
            events = await client.converse(OFFICER_A, f"/{command} {argument}".strip(), settle=0.3)
            read += [
                str(event.get("text") or "") + str(event.get("reply_markup") or "")
                for event in events
            ]
        await client.converse(OFFICER_A, "/huy", settle=0.2)
    [anchor] = await client.converse(OFFICER_A, "/huongdan")
    for action in _staff_actions():
        for data in _forged(action, ids):
            after = await client.last_seq()
            await client.press(OFFICER_A, anchor["message_id"], data)
            events = await client.expect(OFFICER_A, after=after, timeout=10)
            read += [str(event.get("text") or "") for event in events]
    leaked = [line for line in read if any(secret in line for secret in SECRET)]
    assert leaked == []
    assert await _state_of_b(session_factory) == before
    for person in (HEAD_B, OFFICER_B):
        assert await client.events(person, after=start) == [], person
