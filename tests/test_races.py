"""Races between two connections at once, on SQLite and on PostgreSQL (TEST_DATABASE_URL).

Each test opens two transactions that overlap (each sleeps before committing, so both are
open together) and checks that the database, not luck, keeps the rule. On SQLite the write
lock serialises them; on PostgreSQL under READ COMMITTED the statements themselves must.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.broadcasts.audience import Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.directives import acknowledge, create_directive
from bot.services.common.sync import IDENTITIES, versions
from bot.services.registry.contacts import ensure_admins, grant_role
from bot.services.registry.invites import RedeemOutcome, redeem_invite
from bot.services.schedules.schedules import ensure_defaults
from bot.settings import Settings
from models import (
    Acknowledgement,
    AuditEvent,
    Contact,
    Invite,
    InviteRedemption,
    Role,
    Schedule,
)
from models.base import utcnow
from models.db import Database
from tests.helpers import make_invite, register_many

Factory = async_sessionmaker[AsyncSession]
T = TypeVar("T")
OVERLAP = 0.2  # each transaction stays open this long after its work, so they overlap


async def _at_once(factory: Factory, *works: Callable[[AsyncSession], Awaitable[T]]) -> list[T]:
    """Run each work in its own transaction, all open at the same time."""

    async def one(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with factory.begin() as session:
            result = await work(session)
            await asyncio.sleep(OVERLAP)
            return result

    return list(await asyncio.gather(*(one(work) for work in works)))


def _redeemer(code: str, user_id: int) -> Callable[[AsyncSession], Awaitable[RedeemOutcome]]:
    async def redeem(session: AsyncSession) -> RedeemOutcome:
        result = await redeem_invite(
            session, code=code, user_id=user_id, chat_id=user_id, display_name="X", now=utcnow()
        )
        return result.outcome

    return redeem


async def _count(factory: Factory, model: Any, *where: Any) -> int:
    async with factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_an_invite_for_three_admits_three_of_six_concurrent_redeemers(
    session_factory: Factory, units: None
) -> None:
    code = await make_invite(session_factory, "T01", max_uses=3)
    outcomes = await _at_once(session_factory, *(_redeemer(code, 810 + i) for i in range(6)))
    assert sorted(outcomes) == sorted([RedeemOutcome.REGISTERED] * 3 + [RedeemOutcome.USED_UP] * 3)
    async with session_factory() as session:
        uses = await session.scalar(select(Invite.uses).where(Invite.code == code))
    assert uses == 3
    assert await _count(session_factory, InviteRedemption) == 3
    assert await _count(session_factory, Contact) == 3


async def test_one_person_opening_a_code_twice_at_once_uses_it_once(
    session_factory: Factory, units: None
) -> None:
    code = await make_invite(session_factory, "T01", max_uses=2)
    outcomes = await _at_once(session_factory, _redeemer(code, 820), _redeemer(code, 820))
    assert set(outcomes) <= {RedeemOutcome.REGISTERED, RedeemOutcome.ALREADY}
    async with session_factory() as session:
        uses = await session.scalar(select(Invite.uses).where(Invite.code == code))
    assert uses == 1
    assert await _count(session_factory, Contact, Contact.telegram_user_id == 820) == 1
    # The code still admits a second person.
    [other] = await _at_once(session_factory, _redeemer(code, 821))
    assert other == RedeemOutcome.REGISTERED


async def test_two_taps_on_acknowledge_at_once_record_one(
    session_factory: Factory, client: Any, units: None
) -> None:
    [user] = await register_many(session_factory, client, 1, 830_000)
    async with session_factory.begin() as session:
        directive, _ = await create_directive(
            session,
            DirectiveContent(subject="S", body="B"),
            Audience.parse("all"),
            actor_user_id=None,
            now=utcnow(),
        )
    directive_id = directive.id

    async def tap(session: AsyncSession) -> Any:
        return await acknowledge(session, directive_id, user, utcnow())

    first, second = await _at_once(session_factory, tap, tap)
    assert first.recorded and second.recorded
    assert first.acknowledged_at is not None
    assert first.acknowledged_at == second.acknowledged_at
    assert await _count(session_factory, Acknowledgement) == 1


async def test_two_processes_starting_together_create_the_four_defaults_once(
    session_factory: Factory,
) -> None:
    settings = Settings.model_validate({})

    async def start(session: AsyncSession) -> bool:
        return await ensure_defaults(session, settings)

    created = await _at_once(session_factory, start, start)
    assert sorted(created) == [False, True]
    assert await _count(session_factory, Schedule) == 4


async def test_admins_made_by_two_processes_at_once_are_made_once(
    session_factory: Factory, db: Database
) -> None:
    before = (await versions(db)).get(IDENTITIES, 0)

    async def start(session: AsyncSession) -> list[int]:
        return await ensure_admins(session, [840, 841])

    first, second = await _at_once(session_factory, start, start)
    assert sorted(first + second) == [840, 841]
    assert await _count(session_factory, Contact) == 2
    granted = AuditEvent.action == "role.granted"
    assert await _count(session_factory, AuditEvent, granted) == 2
    assert (await versions(db))[IDENTITIES] > before


async def test_admins_promote_an_existing_officer_once(session_factory: Factory) -> None:
    async with session_factory.begin() as session:
        await grant_role(session, actor_user_id=None, user_id=850, role=Role.OFFICER)

    async def start(session: AsyncSession) -> list[int]:
        return await ensure_admins(session, [850])

    first, second = await _at_once(session_factory, start, start)
    assert sorted(first + second) == [850]
    async with session_factory() as session:
        role = await session.scalar(select(Contact.role).where(Contact.telegram_user_id == 850))
        events = list(
            await session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "role.granted")
            )
        )
    assert role == Role.ADMIN
    assert [e["role"] for e in events] == ["officer", "admin"]
    assert events[1]["previous"] == "officer"


async def test_a_grant_racing_a_registration_of_the_same_person_raises_nothing(
    session_factory: Factory, units: None
) -> None:
    code = await make_invite(session_factory, "T01", max_uses=5, ttl=timedelta(days=1))

    async def grant(session: AsyncSession) -> object:
        return await grant_role(session, actor_user_id=None, user_id=860, role=Role.OFFICER)

    await _at_once(session_factory, grant, _redeemer(code, 860))
    assert await _count(session_factory, Contact, Contact.telegram_user_id == 860) == 1
